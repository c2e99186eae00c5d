package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The credentials of a docker config file ({@code config.json}): {@code credHelpers} for the
 * registry first, then the {@code auths} entry ({@code auth}, {@code username}/{@code password} or
 * {@code identitytoken}), then {@code credsStore}; for Google's registries with nothing there,
 * Google application default credentials. Helpers ({@code docker-credential-<name> get}) and
 * Google's credentials are Jib core's ({@link CredentialHelper}, {@link GoogleApplicationDefault});
 * the file and its {@code auths} are read here, because Jib's {@code
 * DockerConfigCredentialRetriever} reads them differently from docker in ways users would notice:
 *
 * <ul>
 *   <li>it asks {@code credsStore} before {@code auths}, and on any helper failure (not installed,
 *       an error) silently goes on with {@code auths}; here an entry in {@code auths} wins over the
 *       store, and a helper that is missing or fails is a one-line failure;
 *   <li>it sends an {@code identitytoken} only in Azure's form (user {@code 00000000-...}, no
 *       password), otherwise a Basic password that is empty; here every identity token is exchanged
 *       at the token service, as docker does;
 *   <li>it asks helpers about Docker Hub as {@code docker.io} and its aliases, never as {@code
 *       https://index.docker.io/v1/}, the key {@code docker login} stores it under;
 *   <li>it ignores a config it cannot parse (anonymous) and throws unchecked exceptions for a bad
 *       {@code auth}; here both are invalid input (exit 2) in one line;
 *   <li>it matches keys by prefix ({@code host/...}, {@code https://host/...}) but not {@code
 *       http://host} or another case; here a key is normalized ({@link #normalizeKey}).
 * </ul>
 *
 * Reading {@code auths} needs no Jib class, so a run with credentials in the file loads none.
 * Nothing here ever puts a secret into a message.
 */
final class DockerConfig {
  static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

  /** The system property that bounds a credential lookup (helpers included), in seconds. */
  static final String TIMEOUT_PROPERTY = "ocitag.credentialTimeout";

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

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

  /**
   * The bound of a credential lookup: {@value #TIMEOUT_PROPERTY} (seconds, through {@code
   * OCITAG_JAVA_OPTS=-Docitag.credentialTimeout=N}), else 30 s.
   */
  static Duration timeout() {
    String value = System.getProperty(TIMEOUT_PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    try {
      double seconds = Double.parseDouble(value.strip());
      if (seconds > 0 && seconds <= 86_400) {
        return Duration.ofMillis(Math.round(seconds * 1000));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new OcitagException.InvalidInput(
        TIMEOUT_PROPERTY + " must be a number of seconds (0 < N <= 86400), not '" + value + "'");
  }

  /**
   * One registry's credentials, looked up within {@code bound}: the docker config (see {@link
   * #load}), its helpers, Google's credentials. Says where they came from on {@code debug}, never
   * what they are.
   */
  static Optional<Credentials> lookup(
      Path dir, Map<String, String> env, String registry, Duration bound, Consumer<String> debug) {
    Consumer<String> lines = debug == null ? line -> {} : debug;
    Deadline deadline = Deadline.in(bound);
    DockerConfig config = load(dir, env);
    Optional<Credentials> found = config.credentialsFor(registry, deadline, lines);
    lines.accept(
        "auth: "
            + found.map(String::valueOf).orElse("no credentials")
            + " for "
            + registry
            + " in "
            + config.file());
    return found;
  }

  /**
   * The credentials for a registry as a reference names it ({@code docker.io}, host[:port]): the
   * docker config's, else, for Google's registries, Google application default credentials. Every
   * helper run (and Google's token service) shares {@code deadline}.
   */
  Optional<Credentials> credentialsFor(String registry, Deadline deadline, Consumer<String> debug) {
    Optional<Credentials> configured = fromConfig(registry, deadline);
    if (configured.isEmpty() && GoogleApplicationDefault.serves(registry)) {
      return GoogleApplicationDefault.get(registry, deadline, debug);
    }
    return configured;
  }

  private Optional<Credentials> fromConfig(String registry, Deadline deadline) {
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
      return runHelper(helper, registry, deadline);
    }
    Optional<Credentials> inline = fromAuths(registry);
    if (inline.isPresent()) {
      return inline;
    }
    String store = root.path("credsStore").asText("");
    if (!store.isEmpty()) {
      return runHelper(store, registry, deadline);
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
    String identityToken = field(entry, "identitytoken");
    String username = field(entry, "username");
    String password = field(entry, "password");
    String auth = field(entry, "auth");
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

  /**
   * A text field of an {@code auths} entry, its name in any case: docker writes {@code
   * identitytoken}, other tools {@code identityToken} (Jib reads both the same way).
   */
  private static String field(JsonNode entry, String name) {
    JsonNode exact = entry.get(name);
    if (exact != null) {
      return exact.asText("");
    }
    for (Map.Entry<String, JsonNode> f : entry.properties()) {
      if (f.getKey().equalsIgnoreCase(name)) {
        return f.getValue().asText("");
      }
    }
    return "";
  }

  /** Runs {@code docker-credential-<name> get} (Jib core's helper protocol, time-bounded). */
  private Optional<Credentials> runHelper(String name, String registry, Deadline deadline) {
    return CredentialHelper.find(name, path, file).get(serverKey(registry), registry, deadline);
  }
}
