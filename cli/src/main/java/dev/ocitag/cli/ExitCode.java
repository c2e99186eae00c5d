package dev.ocitag.cli;

import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import java.util.List;

/** The documented exit codes, and the one place that maps failures to them. */
final class ExitCode {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int REFUSED = 3;
  static final int NOT_FOUND = 4;
  static final int DENIED = 5;

  private ExitCode() {}

  static int of(OcitagException e) {
    if (e instanceof OcitagException.NotFound) {
      return NOT_FOUND;
    }
    if (e instanceof OcitagException.Denied) {
      return DENIED;
    }
    if (e instanceof OcitagException.Refused) {
      return REFUSED;
    }
    if (e instanceof OcitagException.InvalidInput) {
      return USAGE;
    }
    return FAILED; // Transient (after the backend's retries) and Failed
  }

  /**
   * The worst outcome decides: a failure's own code, else 3 if anything was blocked (or, in a
   * rollback, left alone as a conflict), else 0.
   */
  static int of(TagReport report) {
    return of(report.results());
  }

  static int of(List<TagResult> results) {
    int code = OK;
    for (TagResult r : results) {
      if (r.outcome() == Outcome.FAILED) {
        return r.error() == null ? FAILED : of(r.error());
      }
      if (r.outcome() == Outcome.BLOCKED || r.outcome() == Outcome.CONFLICT) {
        code = REFUSED;
      }
    }
    return code;
  }

  /** Of two exit codes, the one that says more went wrong: failures before refusals. */
  static int worst(int a, int b) {
    return rank(b) > rank(a) ? b : a;
  }

  private static int rank(int code) {
    return switch (code) {
      case OK -> 0;
      case REFUSED -> 1;
      default -> 2;
    };
  }
}
