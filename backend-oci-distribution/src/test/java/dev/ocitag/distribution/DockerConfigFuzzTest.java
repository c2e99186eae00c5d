package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.Fuzzing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;

/**
 * A docker config ({@code config.json}) of any content, asked for the credentials of a few
 * registries: credentials, none, or a one-line failure of a documented kind (a broken file or
 * {@code auth} is invalid input; a helper that is not on the PATH, which is empty here so that no
 * helper ever runs, is a failure); and no secret of the file in any message or debug line. The
 * corpus is {@code src/test/resources/dev/ocitag/distribution/DockerConfigFuzzTestInputs} (README,
 * "Fuzzing").
 */
class DockerConfigFuzzTest {
  /** Not Google's registries: nothing here asks a token service. */
  private static final List<String> REGISTRIES =
      List.of("docker.io", "registry.example:5000", "localhost", "[::1]:5000");

  /**
   * What counts as a secret worth looking for: long enough, with a letter and a digit, not to occur
   * in a message by chance.
   */
  private static final Pattern SECRET_LIKE =
      Pattern.compile("(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9+/=_-]{8,}");

  private static final Path DIR;
  private static final Path EMPTY_PATH;

  static {
    try {
      DIR = Files.createTempDirectory("ocitag-docker-config-fuzz");
      EMPTY_PATH = Files.createTempDirectory("ocitag-empty-path");
      DIR.toFile().deleteOnExit();
      EMPTY_PATH.toFile().deleteOnExit();
      DIR.resolve("config.json").toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void credentials(byte[] input) throws IOException {
    Files.write(DIR.resolve("config.json"), input);
    Set<String> secrets = secrets(input);
    for (String registry : REGISTRIES) {
      List<String> debug = new ArrayList<>();
      try {
        Optional<Credentials> found =
            DockerConfig.lookup(
                DIR,
                Map.of("PATH", EMPTY_PATH.toString()),
                registry,
                Duration.ofSeconds(5),
                debug::add);
        found.ifPresent(c -> assertTrue(c.isIdentityToken() || c.password() != null));
      } catch (RuntimeException e) {
        Fuzzing.expect(e, OcitagException.InvalidInput.class, OcitagException.Failed.class);
        debug.add(e.getMessage());
      }
      for (String line : debug) {
        for (String secret : secrets) {
          assertFalse(line.contains(secret), () -> "a secret in '" + line + "'");
        }
      }
    }
  }

  /**
   * The passwords, identity tokens and {@code auth} values of the file (and the password inside an
   * {@code auth}), where they look like secrets and are not also its user name.
   */
  private static Set<String> secrets(byte[] input) {
    Set<String> secrets = new java.util.HashSet<>();
    JsonNode root;
    try {
      root = Json.read(input);
    } catch (IOException e) {
      return secrets;
    }
    for (JsonNode entry : root.path("auths")) {
      List<String> users = new ArrayList<>(texts(entry, "username"));
      List<String> values = new ArrayList<>();
      for (String name : List.of("password", "identitytoken", "auth")) {
        values.addAll(texts(entry, name));
      }
      for (String auth : texts(entry, "auth")) {
        try {
          String decoded =
              new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
          int colon = decoded.indexOf(':');
          if (colon >= 0) {
            users.add(decoded.substring(0, colon));
            values.add(decoded.substring(colon + 1));
          }
        } catch (IllegalArgumentException e) {
          // not base64: said so without the value
        }
      }
      for (String value : values) {
        boolean isAlsoPublic =
            users.stream().anyMatch(u -> u.contains(value))
                || DIR.toString().contains(value)
                || REGISTRIES.stream().anyMatch(r -> r.contains(value));
        if (SECRET_LIKE.matcher(value).matches() && !isAlsoPublic) {
          secrets.add(value);
        }
      }
    }
    return secrets;
  }

  /** The text of every field of that name, in any case. */
  private static List<String> texts(JsonNode entry, String name) {
    List<String> found = new ArrayList<>();
    for (Map.Entry<String, JsonNode> f : entry.properties()) {
      if (f.getKey().equalsIgnoreCase(name)) {
        found.add(f.getValue().asText(""));
      }
    }
    return found;
  }
}
