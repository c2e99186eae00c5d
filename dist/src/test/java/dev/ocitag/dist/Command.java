package dev.ocitag.dist;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A command run to its end, stdin closed, stdout and stderr to files (no pipe to drain), bounded:
 * one that hangs is destroyed and fails the test with what it printed.
 */
record Command(List<String> argv, int code, byte[] out, String err) {

  static Command run(List<String> argv) throws IOException, InterruptedException {
    return run(argv, Map.of());
  }

  static Command run(List<String> argv, Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("ocitag-dist-", ".out");
    Path err = Files.createTempFile("ocitag-dist-", ".err");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(argv).redirectOutput(out.toFile()).redirectError(err.toFile());
      // a null value removes the variable
      env.forEach(
          (k, v) -> {
            if (v == null) {
              builder.environment().remove(k);
            } else {
              builder.environment().put(k, v);
            }
          });
      Process p = builder.start();
      p.getOutputStream().close();
      if (!p.waitFor(3, TimeUnit.MINUTES)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail(argv + " hung:\n" + Files.readString(out) + Files.readString(err));
      }
      return new Command(
          argv,
          p.exitValue(),
          Files.readAllBytes(out),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  String stdout() {
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Fails unless the command exited with {@code expected}; returns it for more checks. */
  Command expect(int expected) {
    if (code != expected) {
      fail(this + "\nexpected exit " + expected);
    }
    return this;
  }

  static String sha256(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Fails with CI=true, else skips: a tool the test needs is not installed. */
  static void require(String tool, String why) {
    if (!TrainingRun.onPath(tool)) {
      String message = tool + " is not installed: " + why;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + message);
      }
      org.junit.jupiter.api.Assumptions.abort(message);
    }
  }

  @Override
  public String toString() {
    return String.join(" ", argv)
        + "\nexit "
        + code
        + "\n--- stdout\n"
        + stdout()
        + "--- stderr\n"
        + err;
  }
}
