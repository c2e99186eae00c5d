package dev.ocitag.distribution.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ocitag.core.ImageRef;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mindrot.jbcrypt.BCrypt;

/**
 * A real distribution registry ({@code docker-registry}, the Debian package of
 * distribution/registry 2.x) on a free 127.0.0.1 port, its storage in a temporary directory, for
 * the tests of a class: register it as a static {@code @RegisterExtension} field.
 *
 * <p>Modes: {@link #open()} (anonymous), {@link #basic()} (htpasswd, user {@link #USER}), {@link
 * #token()} (Bearer tokens from a {@link TokenServer} in the test, signed with a key whose
 * certificate the registry trusts). Where the binary is missing the tests are skipped, except with
 * {@code CI=true}, where they fail.
 *
 * <p>Outside JUnit, {@link #start()} and {@link #stop()} do the same.
 */
public final class RealRegistry implements BeforeAllCallback, AfterAllCallback {
  public static final String USER = "ocitag";
  public static final String PASSWORD = "pw-" + UUID.randomUUID();

  /** Holds only pull rights in token mode; in basic mode it has no account. */
  public static final String READER = "reader";

  public static final String READER_PASSWORD = "reader-pw";

  public enum Mode {
    OPEN,
    BASIC,
    TOKEN
  }

  private final Mode mode;
  private boolean deleteEnabled = true;
  private Path dir;
  private Process process;
  private int port;
  private TokenServer tokenServer;

  private RealRegistry(Mode mode) {
    this.mode = mode;
  }

  public static RealRegistry open() {
    return new RealRegistry(Mode.OPEN);
  }

  public static RealRegistry basic() {
    return new RealRegistry(Mode.BASIC);
  }

  public static RealRegistry token() {
    return new RealRegistry(Mode.TOKEN);
  }

  /** A registry whose storage refuses deletes (distribution's default). */
  public RealRegistry withoutDelete() {
    this.deleteEnabled = false;
    return this;
  }

  public Mode mode() {
    return mode;
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** A reference on this registry, such as {@code ref("app:1.0")}. */
  public ImageRef ref(String repositoryAndTag) {
    return ImageRef.parse(host() + "/" + repositoryAndTag);
  }

  /** A fresh repository name no other caller got. */
  public ImageRef newRepository(String prefix) {
    return ref(prefix + "/r" + UUID.randomUUID().toString().substring(0, 8));
  }

  public Optional<TokenServer> tokenServer() {
    return Optional.ofNullable(tokenServer);
  }

  /** The registry's log so far, for failure messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("registry.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * The Authorization header value that lets a test push to and pull from {@code repository}
   * without the backend under test; null in open mode.
   */
  public String authorization(String repository) {
    return switch (mode) {
      case OPEN -> null;
      case BASIC -> basicHeader(USER, PASSWORD);
      case TOKEN -> "Bearer " + tokenServer.mint(USER, repository, List.of("pull", "push"));
    };
  }

  static String basicHeader(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes {@code dir/config.json} with {@code auths} for this registry: the user and password as
   * docker login stores them (base64 {@code auth}).
   */
  public Path writeDockerConfig(Path dir, String user, String password) throws IOException {
    Files.createDirectories(dir);
    String auth =
        Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        dir.resolve("config.json"),
        "{\"auths\":{\"" + host() + "\":{\"auth\":\"" + auth + "\"}}}\n");
    return dir;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path binary = findBinary();
    if (binary == null) {
      String why =
          "no registry binary (docker-registry, from the Debian package docker-registry;"
              + " ./test.sh installs it); set OCITAG_REGISTRY_BIN to another one";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  /**
   * The registry binary: {@code OCITAG_REGISTRY_BIN} when set, else docker-registry or registry.
   */
  public static Path findBinary() {
    String env = System.getenv("OCITAG_REGISTRY_BIN");
    if (env != null && !env.isBlank()) {
      // set: that binary or none (so a run can also check what happens without one)
      return Files.isExecutable(Path.of(env)) ? Path.of(env) : null;
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : (path + ":/usr/bin:/usr/local/bin").split(":")) {
      for (String name : List.of("docker-registry", "registry")) {
        Path p = Path.of(d.isEmpty() ? "." : d, name);
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /** Starts the registry (and the token server) and waits until it answers. */
  public void start() throws Exception {
    Path binary = findBinary();
    if (binary == null) {
      throw new IllegalStateException("no docker-registry binary");
    }
    dir = Files.createTempDirectory("ocitag-registry-");
    String auth = "";
    if (mode == Mode.BASIC) {
      String htpasswd = USER + ":" + BCrypt.hashpw(PASSWORD, BCrypt.gensalt(6)) + "\n";
      Files.writeString(dir.resolve("htpasswd"), htpasswd);
      auth =
          "auth:\n  htpasswd:\n    realm: ocitag-test\n    path: " + dir.resolve("htpasswd") + "\n";
    } else if (mode == Mode.TOKEN) {
      tokenServer = TokenServer.start(dir);
      auth =
          "auth:\n  token:\n    realm: "
              + tokenServer.realm()
              + "\n    service: "
              + TokenServer.SERVICE
              + "\n    issuer: "
              + TokenServer.ISSUER
              + "\n    rootcertbundle: "
              + tokenServer.certificatePem()
              + "\n";
    }
    Exception last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      port = freePort();
      String config =
          "version: 0.1\n"
              + "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
              + "storage:\n  filesystem:\n    rootdirectory: "
              + dir.resolve("storage")
              + "\n  delete:\n    enabled: "
              + deleteEnabled
              + "\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
              + "http:\n  addr: 127.0.0.1:"
              + port
              + "\n  secret: ocitag-test-secret\n"
              + auth;
      Path configFile = dir.resolve("config.yml");
      Files.writeString(configFile, config);
      process =
          new ProcessBuilder(binary.toString(), "serve", configFile.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("registry.log").toFile())
              .start();
      try {
        awaitReady(Duration.ofSeconds(15));
        return;
      } catch (Exception e) {
        last = e;
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    throw new IllegalStateException("the registry did not start: " + last + "\n" + log(), last);
  }

  private void awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the registry exited with " + process.exitValue());
      }
      try {
        HttpURLConnection c =
            (HttpURLConnection) URI.create("http://" + host() + "/v2/").toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int code = c.getResponseCode();
        c.disconnect();
        if (code == 200 || code == 401) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the registry did not answer on " + host() + " in " + timeout);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops the registry and the token server and removes the storage. */
  public void stop() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
    if (tokenServer != null) {
      tokenServer.close();
      tokenServer = null;
    }
    if (dir != null) {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temp dir left behind is harmless
      }
    }
  }
}
