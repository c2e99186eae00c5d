package dev.ocitag.core.engine;

import java.util.Locale;

/** How one tag ended. */
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
  FAILED;

  /** The lower-case name used in text and JSON output. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
