package dev.ocitag.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Independent tools the tests check ocitag against (skopeo, sha256sum, the registry binary). Where
 * one is missing, a developer's run skips the test with a message; with {@code CI=true} the test
 * fails, so CI never passes on a check that did not run.
 */
public final class ExternalTools {
  private ExternalTools() {}

  public static boolean ci() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The tool's path; skips (or, in CI, fails) the test when it is not installed. */
  public static Path require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    String message =
        tool + " is not installed (./test.sh installs it: apt-get install -y " + tool + ")";
    if (ci()) {
      fail("CI=true: " + message);
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }

  /** Runs a command to completion and returns its standard output; fails on a non-zero exit. */
  public static byte[] run(String... command) {
    require(command[0]);
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " did not finish in 60 s");
      }
      assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed: " + err);
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** What {@code sha256sum} says of these bytes, as {@code sha256:<hex>}. */
  public static String sha256sum(byte[] bytes) {
    try {
      Path tmp = Files.createTempFile("ocitag-sha256sum", ".bin");
      try {
        Files.write(tmp, bytes);
        String line = new String(run("sha256sum", tmp.toString()), StandardCharsets.UTF_8);
        return "sha256:" + line.substring(0, line.indexOf(' '));
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
