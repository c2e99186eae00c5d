package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child process whose output (stdout and stderr together) goes to a file, not to a pipe the test
 * must drain: the test can then wait with a timeout, and a child that hangs is destroyed (with its
 * descendants) and fails the test with what it printed, instead of blocking the build.
 */
final class ChildProcess implements AutoCloseable {
  private final List<String> command;
  private final Process process;
  private final Path output;

  private ChildProcess(List<String> command, Process process, Path output) {
    this.command = command;
    this.process = process;
    this.output = output;
  }

  /** Starts the command with its standard input closed. */
  static ChildProcess start(List<String> command) throws IOException {
    return start(command, java.util.Map.of());
  }

  /** Starts the command with these variables added to the environment, standard input closed. */
  static ChildProcess start(List<String> command, java.util.Map<String, String> env)
      throws IOException {
    Path output = Files.createTempFile("ocitag-child-", ".out");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      process.getOutputStream().close();
      return new ChildProcess(command, process, output);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(output);
      throw e;
    }
  }

  /** How a child ended: its exit code and everything it printed. */
  record Result(int code, String output) {}

  /**
   * Waits up to {@code timeout} for the child to end; a child still running then is destroyed and
   * the test fails, naming the command and the end of its output.
   */
  Result finish(Duration timeout) throws IOException, InterruptedException {
    if (!process.waitFor(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
      destroy();
      String printed = Files.readString(output);
      fail(
          String.join(" ", command).lines().findFirst().orElse("")
              + " did not finish within "
              + timeout
              + " and was destroyed; it printed:\n"
              + printed.substring(Math.max(0, printed.length() - 4000)));
    }
    return new Result(process.exitValue(), Files.readString(output));
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the child at once (SIGKILL: no shutdown hook runs, nothing is flushed) and waits. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  private void destroy() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Destroys the child if it still runs (a test that failed early) and removes its output. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (process.isAlive()) {
      destroy();
    }
    Files.deleteIfExists(output);
  }
}
