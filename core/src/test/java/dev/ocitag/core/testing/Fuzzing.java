package dev.ocitag.core.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.ocitag.core.OcitagException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the fuzz tests ({@code @FuzzTest}) share: an input split into lines (so that a seed file in
 * the corpus stays readable: the first line is one argument, the rest another), and the check that
 * a failure is one of the kinds a caller is told to expect, with something to say.
 */
public final class Fuzzing {
  private Fuzzing() {}

  /** The input's text up to its first newline, or all of it. */
  public static String firstLine(byte[] input) {
    int nl = newline(input);
    return new String(input, 0, nl < 0 ? input.length : nl, StandardCharsets.UTF_8);
  }

  /** The input's bytes after its first newline, or none. */
  public static byte[] afterFirstLine(byte[] input) {
    int nl = newline(input);
    return nl < 0 ? new byte[0] : Arrays.copyOfRange(input, nl + 1, input.length);
  }

  private static int newline(byte[] input) {
    for (int i = 0; i < input.length; i++) {
      if (input[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /**
   * Passes when {@code e} is one of the documented kinds, and says something; otherwise rethrows it
   * (the finding, with its stack trace).
   */
  @SafeVarargs
  public static void expect(RuntimeException e, Class<? extends OcitagException>... kinds) {
    for (Class<? extends OcitagException> kind : kinds) {
      if (kind.isInstance(e)) {
        assertNotNull(e.getMessage(), "a " + kind.getSimpleName() + " without a message");
        assertFalse(
            e.getMessage().isBlank(), "a " + kind.getSimpleName() + " with a blank message");
        return;
      }
    }
    throw e;
  }
}
