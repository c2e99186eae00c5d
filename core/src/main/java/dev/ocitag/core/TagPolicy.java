package dev.ocitag.core;

/** A backend that can tell in advance whether a repository's tags may be moved. */
public interface TagPolicy {

  /**
   * Whether a tag that already points at another image may be moved to a new one: yes, no, or
   * unknown (the policy could not be read), in which case the write itself decides.
   */
  Overwrite mayOverwrite(ImageRef target);

  /**
   * The answer.
   *
   * @param verdict yes, no or unknown
   * @param why for an unknown answer, why the policy could not be read; else null
   */
  record Overwrite(Verdict verdict, String why) {
    public enum Verdict {
      YES,
      NO,
      UNKNOWN
    }

    public static final Overwrite YES = new Overwrite(Verdict.YES, null);
    public static final Overwrite NO = new Overwrite(Verdict.NO, null);

    public static Overwrite unknown(String why) {
      return new Overwrite(Verdict.UNKNOWN, why);
    }

    public static Overwrite of(boolean allowed) {
      return allowed ? YES : NO;
    }
  }
}
