package dev.ocitag.distribution.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Docker credential helpers as small shell scripts ({@code docker-credential-<name>}) in a {@code
 * bin} directory that a test puts on the PATH it gives the lookup (or the forked CLI). Each script
 * appends the server it was asked about to {@code bin/<name>.asked}.
 */
public final class CredentialHelpers {
  private final Path bin;

  private CredentialHelpers(Path bin) {
    this.bin = bin;
  }

  /** Helpers in {@code dir} (created). */
  public static CredentialHelpers in(Path dir) throws IOException {
    return new CredentialHelpers(Files.createDirectories(dir));
  }

  public Path bin() {
    return bin;
  }

  /** A PATH with the helpers first, then the system's (for {@code sh}, {@code sleep}). */
  public String path() {
    return bin + ":/usr/bin:/bin";
  }

  /** Answers {@code user}/{@code secret} for {@code server}, "credentials not found" otherwise. */
  public Path answering(String name, String server, String user, String secret) throws IOException {
    return write(
        name,
        "[ \"$server\" = '"
            + server
            + "' ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
            + "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$server\" '"
            + user
            + "' '"
            + secret
            + "'\n");
  }

  /** Has nothing for any server, as docker's helpers say it. */
  public Path notFound(String name) throws IOException {
    return write(name, "echo 'credentials not found in native keychain'\nexit 1\n");
  }

  /** Fails with {@code message} on standard error. */
  public Path failing(String name, String message) throws IOException {
    return write(name, "echo '" + message + "' >&2\nexit 3\n");
  }

  /** Prints {@code stdout} and exits 0. */
  public Path printing(String name, String stdout) throws IOException {
    return write(name, "printf '%s' '" + stdout + "'\n");
  }

  /**
   * Never answers: it starts a {@code sleep} (as a helper starts a prompt) and waits for it. The
   * sleep's argument is {@code marker}, so a test can tell whether it is still running.
   */
  public Path hanging(String name, String marker) throws IOException {
    return write(name, "sleep " + marker + "\n");
  }

  /** A sleep argument no other process has: 3600 seconds and a random fraction. */
  public static String sleepMarker() {
    return "3600." + (100000 + Math.abs(UUID.randomUUID().getLeastSignificantBits() % 899999));
  }

  /** Whether a process whose arguments include {@code marker} is alive. */
  public static boolean running(String marker) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .anyMatch(p -> List.of(p.info().arguments().orElse(new String[0])).contains(marker));
  }

  /** Waits up to {@code seconds} for the process with {@code marker} to end; whether it did. */
  public static boolean gone(String marker, int seconds) throws InterruptedException {
    long until = System.nanoTime() + seconds * 1_000_000_000L;
    while (running(marker)) {
      if (System.nanoTime() > until) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** The servers the helper was asked about, in order. */
  public List<String> asked(String name) throws IOException {
    Path file = bin.resolve(name + ".asked");
    return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
  }

  private Path write(String name, String body) throws IOException {
    Path script = bin.resolve("docker-credential-" + name);
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "[ \"$1\" = get ] || exit 9\n"
            + "read -r server || [ -n \"$server\" ]\n"
            + "printf '%s\\n' \"$server\" >> '"
            + bin.resolve(name + ".asked")
            + "'\n"
            + body);
    if (!script.toFile().setExecutable(true)) {
      throw new IOException("cannot make " + script + " executable");
    }
    return script;
  }
}
