package dev.ocitag.distribution.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.ocitag.core.ImageRef;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
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
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mindrot.jbcrypt.BCrypt;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.WaitStrategy;
import org.testcontainers.containers.wait.strategy.WaitStrategyTarget;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * A real distribution registry, the {@code registry:2} image started through Testcontainers, its
 * port published on 127.0.0.1 only, its storage inside the container, for the tests of a class:
 * register it as a static {@code @RegisterExtension} field.
 *
 * <p>Modes: {@link #open()} (anonymous), {@link #basic()} (htpasswd, user {@link #USER}), {@link
 * #token()} (Bearer tokens from a {@link TokenServer} in the test JVM, signed with a key whose
 * certificate the registry trusts; clients reach the token server on 127.0.0.1, the registry never
 * calls it). Each can serve HTTPS: {@link #tls()} (a leaf certificate signed by a CA generated for
 * the run, see {@link #caPem()}) or {@link #mutualTls()} (clients must also show a certificate
 * signed by that CA).
 *
 * <p>The config, htpasswd file, token certificate and TLS files are copied into the container, so
 * Docker Hub's {@code registry:2} serves the tests as well as the one {@code .ci/podman.sh} builds
 * from Debian's docker-registry. {@code OCITAG_REGISTRY_IMAGE} names another image. Without a
 * container engine (Testcontainers finds none: {@code DOCKER_HOST}, the Docker socket) the tests
 * are skipped, except with {@code CI=true}, where they fail.
 *
 * <p>Outside JUnit, {@link #start()} and {@link #stop()} do the same.
 */
public final class RealRegistry implements BeforeAllCallback, AfterAllCallback {
  public static final String USER = "ocitag";
  public static final String PASSWORD = "pw-" + UUID.randomUUID();

  /** Holds only pull rights in token mode; in basic mode it has no account. */
  public static final String READER = "reader";

  public static final String READER_PASSWORD = "reader-pw";

  /** A name the TLS certificate holds besides localhost and 127.0.0.1. */
  public static final String TLS_NAME = "registry.ocitag.test";

  /** The label with the process id of the JVM that started a container, for .ci/podman.sh clean. */
  public static final String PID_LABEL = "dev.ocitag.test.pid";

  private static final int PORT = 5000;
  private static final String CONFIG = "/etc/docker/registry/config.yml";

  public enum Mode {
    OPEN,
    BASIC,
    TOKEN
  }

  private final Mode mode;
  private final String user;
  private final String password;
  private boolean deleteEnabled = true;
  private boolean tls;
  private boolean clientCertificates;
  private Path dir;

  /**
   * The unique id of the test class that started the registry. JUnit calls a static extension's
   * beforeAll and afterAll again for each of that class's @Nested classes: those share the registry
   * (its port, its contents) instead of restarting it.
   */
  private String startedFor;

  private GenericContainer<?> container;
  private int port;
  private TokenServer tokenServer;
  private SSLContext sslContext;
  private HttpClient httpClient;

  private RealRegistry(Mode mode) {
    this(mode, USER, PASSWORD);
  }

  private RealRegistry(Mode mode, String user, String password) {
    this.mode = mode;
    this.user = user;
    this.password = password;
  }

  public static RealRegistry open() {
    return new RealRegistry(Mode.OPEN);
  }

  public static RealRegistry basic() {
    return new RealRegistry(Mode.BASIC);
  }

  /**
   * htpasswd with this one user and password instead of {@link #USER} and {@link #PASSWORD}: the
   * stand-in for a registry whose password another service hands out (ECR's registry endpoint, user
   * {@code AWS}, the password from GetAuthorizationToken).
   */
  public static RealRegistry basic(String user, String password) {
    return new RealRegistry(Mode.BASIC, user, password);
  }

  public static RealRegistry token() {
    return new RealRegistry(Mode.TOKEN);
  }

  /** A registry whose storage refuses deletes (distribution's default). */
  public RealRegistry withoutDelete() {
    this.deleteEnabled = false;
    return this;
  }

  /**
   * Serves HTTPS with a certificate for localhost, 127.0.0.1 and {@link #TLS_NAME}, signed by a CA
   * generated at {@link #start()}: {@link #caPem()}, {@link #certDir()}, {@link #sslContext()}.
   */
  public RealRegistry tls() {
    this.tls = true;
    return this;
  }

  /**
   * {@link #tls()}, and the registry refuses clients without a certificate signed by the same CA:
   * {@link #clientCertificatePem()} and {@link #clientKeyPem()}.
   */
  public RealRegistry mutualTls() {
    this.tls = true;
    this.clientCertificates = true;
    return this;
  }

  public Mode mode() {
    return mode;
  }

  public boolean isTls() {
    return tls;
  }

  /** {@code https} in TLS mode, else {@code http}. */
  public String scheme() {
    return tls ? "https" : "http";
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** {@code http(s)://127.0.0.1:PORT} and the path, such as {@code url("/v2/")}. */
  public URI url(String path) {
    return URI.create(scheme() + "://" + host() + path);
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

  /** The test CA's certificate (PEM) in TLS mode, as {@code --ca-file} takes it. */
  public Path caPem() {
    requireTls();
    return dir.resolve("certs/ca.crt");
  }

  /**
   * A directory as skopeo's (containers/image's) {@code --cert-dir} takes it: {@code ca.crt}, and
   * with {@link #mutualTls()} {@code client.cert} and {@code client.key}.
   */
  public Path certDir() {
    requireTls();
    return dir.resolve("certs");
  }

  /** The client certificate (PEM) that {@link #mutualTls()} accepts. */
  public Path clientCertificatePem() {
    requireTls();
    return dir.resolve("certs/client.cert");
  }

  /** The client certificate's private key (PKCS#8 PEM). */
  public Path clientKeyPem() {
    requireTls();
    return dir.resolve("certs/client.key");
  }

  /**
   * Trusts the test CA only (not the JDK's roots) and, for {@link #mutualTls()}, shows the client
   * certificate.
   */
  public SSLContext sslContext() {
    requireTls();
    return sslContext;
  }

  /** A JDK HTTP/1.1 client for this registry: plain, or trusting only the test CA. */
  public HttpClient httpClient() {
    return httpClient;
  }

  private void requireTls() {
    if (!tls || dir == null) {
      throw new IllegalStateException("not a started TLS registry");
    }
  }

  /** The registry's log so far, for failure messages. */
  public String log() {
    GenericContainer<?> c = container;
    if (c == null || c.getContainerId() == null) {
      return "(no registry container)";
    }
    try {
      return c.getLogs();
    } catch (RuntimeException e) {
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
      case BASIC -> basicHeader(user, password);
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
    if (!engineAvailable()) {
      String why =
          "no container engine for "
              + image()
              + " (Testcontainers found none: no DOCKER_HOST, no Docker socket); ./test.sh sets up"
              + " podman (as root), by hand: eval \"$(.ci/podman.sh up)\"";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    if (container != null) {
      return; // a @Nested class of the class that started it
    }
    start();
    startedFor = context.getUniqueId();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (startedFor == null || startedFor.equals(context.getUniqueId())) {
      stop();
      startedFor = null;
    }
  }

  /** Whether Testcontainers reaches a Docker API (podman's or Docker's). */
  public static boolean engineAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  /** {@code OCITAG_REGISTRY_IMAGE}, else {@code registry:2}. */
  public static String image() {
    String env = System.getenv("OCITAG_REGISTRY_IMAGE");
    return env != null && !env.isBlank() ? env : "registry:2";
  }

  /** Starts the registry (and the token server) and waits until it answers. */
  public void start() throws Exception {
    dir = Files.createTempDirectory("ocitag-registry-");
    GenericContainer<?> c =
        new GenericContainer<>(DockerImageName.parse(image()))
            .withExposedPorts(PORT)
            .withLabel(PID_LABEL, Long.toString(ProcessHandle.current().pid()))
            // 127.0.0.1 only, on a port the engine picks: nothing outside the machine reaches it
            .withCreateContainerCmdModifier(
                cmd ->
                    cmd.getHostConfig()
                        .withPortBindings(
                            new PortBinding(
                                Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(PORT))))
            .waitingFor(new Answers())
            .withStartupAttempts(2);
    String auth = "";
    if (mode == Mode.BASIC) {
      String htpasswd = user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(6)) + "\n";
      c.withCopyToContainer(Transferable.of(htpasswd), "/auth/htpasswd");
      auth = "auth:\n  htpasswd:\n    realm: ocitag-test\n    path: /auth/htpasswd\n";
    } else if (mode == Mode.TOKEN) {
      tokenServer = TokenServer.start(dir);
      c.withCopyToContainer(
          Transferable.of(Files.readAllBytes(tokenServer.certificatePem())), "/auth/token.pem");
      auth =
          "auth:\n  token:\n    realm: "
              + tokenServer.realm()
              + "\n    service: "
              + TokenServer.SERVICE
              + "\n    issuer: "
              + TokenServer.ISSUER
              + "\n    rootcertbundle: /auth/token.pem\n";
    }
    String http = "http:\n  addr: :" + PORT + "\n  secret: ocitag-test-secret\n";
    if (tls) {
      http += tlsFiles(c);
    }
    httpClient = httpClientFor(tls ? sslContext : null);
    String config =
        "version: 0.1\n"
            + "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
            + "storage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n"
            + "  delete:\n    enabled: "
            + deleteEnabled
            + "\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
            + http
            + auth;
    c.withCopyToContainer(Transferable.of(config), CONFIG);
    container = c;
    try {
      c.start();
    } catch (RuntimeException e) {
      stop();
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw new IllegalStateException(
          "the registry (" + image() + ") did not start: " + cause.getMessage(), e);
    }
  }

  /**
   * A CA, the registry's leaf certificate and (for mutual TLS) a client certificate: PEM files in
   * {@link #certDir()} for the test's clients, copies in the container for the registry.
   */
  private String tlsFiles(GenericContainer<?> c) throws IOException {
    HeldCertificate ca =
        new HeldCertificate.Builder()
            .certificateAuthority(0)
            .commonName("ocitag test CA")
            .duration(7, TimeUnit.DAYS)
            .build();
    HeldCertificate leaf =
        new HeldCertificate.Builder()
            .signedBy(ca)
            .commonName(TLS_NAME)
            .addSubjectAlternativeName("localhost")
            .addSubjectAlternativeName("127.0.0.1")
            .addSubjectAlternativeName(TLS_NAME)
            .duration(7, TimeUnit.DAYS)
            .build();
    HeldCertificate client =
        new HeldCertificate.Builder()
            .signedBy(ca)
            .commonName("ocitag test client")
            .duration(7, TimeUnit.DAYS)
            .build();
    Path certs = Files.createDirectories(dir.resolve("certs"));
    Files.writeString(certs.resolve("ca.crt"), ca.certificatePem());
    HandshakeCertificates.Builder trust =
        new HandshakeCertificates.Builder().addTrustedCertificate(ca.certificate());
    if (clientCertificates) {
      Files.writeString(certs.resolve("client.cert"), client.certificatePem());
      Files.writeString(certs.resolve("client.key"), client.privateKeyPkcs8Pem());
      trust.heldCertificate(client);
    }
    sslContext = trust.build().sslContext();
    c.withCopyToContainer(Transferable.of(leaf.certificatePem()), "/certs/registry.crt");
    c.withCopyToContainer(Transferable.of(leaf.privateKeyPkcs8Pem()), "/certs/registry.key");
    String config = "  tls:\n    certificate: /certs/registry.crt\n    key: /certs/registry.key\n";
    if (clientCertificates) {
      c.withCopyToContainer(Transferable.of(ca.certificatePem()), "/certs/client-ca.crt");
      config += "    clientcas:\n      - /certs/client-ca.crt\n";
    }
    return config;
  }

  private static HttpClient httpClientFor(SSLContext ssl) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10));
    if (ssl != null) {
      b.sslContext(ssl);
    }
    return b.build();
  }

  /**
   * Ready when {@code GET /v2/} answers 200 or 401 through the test's own TLS set-up (the CA only,
   * the client certificate), so a registry that serves the wrong certificate never gets ready.
   */
  private final class Answers implements WaitStrategy {
    private Duration timeout = Duration.ofSeconds(60);

    @Override
    public void waitUntilReady(WaitStrategyTarget target) {
      port = target.getMappedPort(PORT);
      long deadline = System.nanoTime() + timeout.toNanos();
      String last = "no answer";
      while (System.nanoTime() < deadline) {
        if (!target.isRunning()) {
          throw new ContainerLaunchException("the registry exited:\n" + target.getLogs());
        }
        try {
          HttpURLConnection c = (HttpURLConnection) url("/v2/").toURL().openConnection();
          if (c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(sslContext.getSocketFactory());
          }
          c.setConnectTimeout(1000);
          c.setReadTimeout(2000);
          int code = c.getResponseCode();
          c.disconnect();
          if (code == 200 || code == 401) {
            return;
          }
          last = "HTTP " + code;
        } catch (IOException e) {
          last = e.toString(); // not listening yet
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ContainerLaunchException("interrupted");
        }
      }
      throw new ContainerLaunchException(
          "the registry did not answer on "
              + url("/v2/")
              + " in "
              + timeout
              + ": "
              + last
              + "\n"
              + target.getLogs());
    }

    @Override
    public WaitStrategy withStartupTimeout(Duration startupTimeout) {
      this.timeout = startupTimeout;
      return this;
    }
  }

  /** Stops the registry and the token server and removes the container and the temporary files. */
  public void stop() {
    if (container != null) {
      container.stop();
      container = null;
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
      dir = null;
    }
  }
}
