package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The credentials of a docker config file ({@code config.json}), as docker and skopeo read them:
 * {@code credHelpers} for the registry first, then the {@code auths} entry ({@code auth}, {@code
 * username}/{@code password} or {@code identitytoken}), then {@code credsStore}. Helpers are run as
 * {@code docker-credential-<name> get} with the server on standard input. Nothing here ever puts a
 * secret into a message.
 */
final class DockerConfig {
  static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
  private static final long HELPER_TIMEOUT_SECONDS = 30;

  private final Path file;
  private final JsonNode root;
  private final String path;

  private DockerConfig(Path file, JsonNode root, String path) {
    this.file = file;
    this.root = root;
    this.path = path;
  }

  /**
   * The config in {@code dir} (from {@code --docker-config}), else in {@code DOCKER_CONFIG}, else
   * in {@code ~/.docker}. A missing file is an empty config; a broken one is invalid input.
   */
  static DockerConfig load(Path dir, Map<String, String> env) {
    Path base = dir;
    if (base == null && env.get("DOCKER_CONFIG") != null && !env.get("DOCKER_CONFIG").isBlank()) {
      base = Path.of(env.get("DOCKER_CONFIG"));
    }
    if (base == null) {
      base = Path.of(System.getProperty("user.home"), ".docker");
    }
    Path file = Files.isRegularFile(base) ? base : base.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      return new DockerConfig(file, Json.object(), env.get("PATH"));
    }
    try {
      JsonNode root = Json.read(Files.readAllBytes(file));
      if (root == null || !root.isObject()) {
        throw new OcitagException.InvalidInput("docker config " + file + " is not a JSON object");
      }
      return new DockerConfig(file, root, env.get("PATH"));
    } catch (IOException e) {
      throw new OcitagException.InvalidInput(
          "cannot read docker config " + file + ": " + RegistryError.oneLine(e.getMessage()));
    }
  }

  Path file() {
    return file;
  }

  /** The credentials for a registry as a reference names it ({@code docker.io}, host[:port]). */
  Optional<Credentials> credentialsFor(String registry) {
    String helper = root.path("credHelpers").path(registry).asText("");
    if (helper.isEmpty() && registry.equals(ImageRef.DOCKER_HUB)) {
      for (String key : hubKeys()) {
        helper = root.path("credHelpers").path(key).asText("");
        if (!helper.isEmpty()) {
          break;
        }
      }
    }
    if (!helper.isEmpty()) {
      return runHelper(helper, serverKey(registry));
    }
    Optional<Credentials> inline = fromAuths(registry);
    if (inline.isPresent()) {
      return inline;
    }
    String store = root.path("credsStore").asText("");
    if (!store.isEmpty()) {
      return runHelper(store, serverKey(registry));
    }
    return Optional.empty();
  }

  private static List<String> hubKeys() {
    return List.of(DOCKER_HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io");
  }

  /** The server name helpers are asked about: docker's legacy key for Docker Hub, else the host. */
  static String serverKey(String registry) {
    return registry.equals(ImageRef.DOCKER_HUB) ? DOCKER_HUB_KEY : registry;
  }

  /** {@code https://host:port/v1/} and {@code host:port} both match {@code host:port}. */
  static String normalizeKey(String key) {
    String k = key.strip().toLowerCase(Locale.ROOT);
    if (k.startsWith("https://")) {
      k = k.substring(8);
    } else if (k.startsWith("http://")) {
      k = k.substring(7);
    }
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) {
      k = ImageRef.DOCKER_HUB;
    }
    return k;
  }

  private Optional<Credentials> fromAuths(String registry) {
    JsonNode auths = root.path("auths");
    String wanted = normalizeKey(registry);
    JsonNode entry = null;
    // an exact key wins over a normalized match
    if (auths.has(registry)) {
      entry = auths.get(registry);
    } else {
      for (Iterator<String> it = auths.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (normalizeKey(key).equals(wanted)) {
          entry = auths.get(key);
          break;
        }
      }
    }
    if (entry == null || !entry.isObject()) {
      return Optional.empty();
    }
    String source = "auths in " + file;
    String identityToken = entry.path("identitytoken").asText("");
    String username = entry.path("username").asText("");
    String password = entry.path("password").asText("");
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new OcitagException.InvalidInput(
            "the 'auth' of " + registry + " in " + file + " is not valid base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new OcitagException.InvalidInput(
            "the 'auth' of " + registry + " in " + file + " is not base64 of user:password");
      }
      username = decoded.substring(0, colon);
      password = decoded.substring(colon + 1);
    }
    if (!identityToken.isEmpty()) {
      return Optional.of(new Credentials(username, null, identityToken, source));
    }
    if (username.isEmpty() && password.isEmpty()) {
      return Optional.empty(); // an empty placeholder, as docker writes next to a credsStore
    }
    return Optional.of(new Credentials(username, password, null, source));
  }

  /** Runs {@code docker-credential-<name> get}; "credentials not found" means anonymous. */
  private Optional<Credentials> runHelper(String name, String server) {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new OcitagException.InvalidInput(
          "credential helper name '" + name + "' in " + file + " is not a plain name");
    }
    String program = "docker-credential-" + name;
    String source = program + " (from " + file + ")";
    Path executable = findOnPath(program);
    Process process;
    try {
      process = new ProcessBuilder(executable.toString(), "get").start();
    } catch (IOException e) {
      throw new OcitagException.Failed(
          "cannot run credential helper "
              + program
              + " named in "
              + file
              + ": "
              + RegistryError.oneLine(String.valueOf(e.getMessage())));
    }
    try {
      try (OutputStream in = process.getOutputStream()) {
        in.write(server.getBytes(StandardCharsets.UTF_8));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errReader = drain(process.getErrorStream(), err);
      try (InputStream o = process.getInputStream()) {
        o.transferTo(out);
      }
      if (!process.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new OcitagException.Failed(
            program + " did not answer within " + HELPER_TIMEOUT_SECONDS + "s");
      }
      errReader.join(1000);
      String stdout = out.toString(StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        String said = (stdout + " " + err.toString(StandardCharsets.UTF_8)).strip();
        if (said.toLowerCase(Locale.ROOT).contains("credentials not found")) {
          return Optional.empty();
        }
        // the helper's own error text carries no secret (it failed to produce one)
        throw new OcitagException.Failed(
            program
                + " get failed for "
                + server
                + " (exit "
                + process.exitValue()
                + "): "
                + RegistryError.oneLine(said));
      }
      JsonNode answer;
      try {
        answer = Json.read(stdout.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new OcitagException.Failed(program + " get answered something that is not JSON");
      }
      String username = answer.path("Username").asText("");
      String secret = answer.path("Secret").asText("");
      if (secret.isEmpty()) {
        return Optional.empty();
      }
      if (username.equals("<token>")) {
        return Optional.of(new Credentials("", null, secret, source));
      }
      return Optional.of(new Credentials(username, secret, null, source));
    } catch (IOException e) {
      throw new OcitagException.Failed(
          "credential helper " + program + " failed: " + RegistryError.oneLine(e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new OcitagException.Failed("interrupted while running " + program);
    }
  }

  /** Looks the helper up on the PATH of the environment the config was loaded with. */
  private Path findOnPath(String program) {
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path candidate = Path.of(dir, program);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    throw new OcitagException.Failed(
        "credential helper " + program + " (named in " + file + ") is not on the PATH");
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream into) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                in.transferTo(into);
              } catch (IOException e) {
                // the helper's stderr is only for messages
              }
            },
            "credential-helper-stderr");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
