package dev.ocitag.distribution;

import dev.ocitag.core.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Looks up credentials in a JVM of its own, for tests that need an environment of their own
 * (Google's credentials come from environment variables). Prints one line per registry: {@code
 * registry none} or {@code registry user sha256-of-the-password}, never the password.
 *
 * <p>Usage: {@code CredentialProbe DOCKER_CONFIG_DIR REGISTRY...}
 */
final class CredentialProbe {
  private CredentialProbe() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    for (int i = 1; i < args.length; i++) {
      Optional<Credentials> found =
          DockerConfig.lookup(
              dir,
              System.getenv(),
              args[i],
              Duration.ofSeconds(20),
              line -> System.err.println(line));
      System.out.println(
          args[i]
              + found
                  .map(
                      c ->
                          " "
                              + c.username()
                              + " "
                              + Digest.of(c.password().getBytes(StandardCharsets.UTF_8)))
                  .orElse(" none"));
    }
  }
}
