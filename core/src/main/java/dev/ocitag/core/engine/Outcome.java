package dev.ocitag.core.engine;

import java.util.Locale;

/**
 * How one tag ended. A run of {@code tag} or {@code batch} ends each tag with one of the first
 * five; {@code --atomic} adds {@link #ROLLED_BACK}; a rollback ({@link Rollback}) ends each with
 * {@link #CREATED}, {@link #MOVED} or {@link #REMOVED} (what it wrote, so that it can itself be
 * rolled back), {@link #UNCHANGED}, {@link #CONFLICT}, {@link #SKIPPED} or {@link #FAILED}.
 */
public enum Outcome {
  /** The tag did not exist and now points at the source. */
  CREATED,
  /** The tag pointed at another image (the previous digest) and now points at the source. */
  MOVED,
  /** The tag already pointed at the source; nothing was written. */
  UNCHANGED,
  /** A policy kept the tag where it was: an immutable repository, {@code --no-overwrite}. */
  BLOCKED,
  /** The tag could not be written, or the store reported the wrong digest. */
  FAILED,
  /**
   * {@code --atomic}: another target failed, so this one is where it was before the run (written
   * and undone, or never written); the digest is where it points, the previous digest what the run
   * had set or would have set.
   */
  ROLLED_BACK,
  /** A rollback removed the tag (the run had created it); the previous digest is where it was. */
  REMOVED,
  /** A rollback left the tag alone: it points neither at what the run set nor where it was. */
  CONFLICT,
  /** A rollback had nothing to undo: the run did not change this tag. */
  SKIPPED;

  /** The name used in text and JSON output: lower case, words joined by '-'. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The outcome with this label, or null. */
  public static Outcome ofLabel(String label) {
    for (Outcome o : values()) {
      if (o.label().equals(label)) {
        return o;
      }
    }
    return null;
  }
}
