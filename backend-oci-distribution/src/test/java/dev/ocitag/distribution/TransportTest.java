package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with a self-signed certificate, plain HTTP by mistake, and a clear-text token realm. */
@Timeout(60)
class TransportTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(2, Duration.ofMillis(10), Duration.ofSeconds(1))
          .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));

  @TempDir static Path keys;
  private static SSLContext selfSigned;
  private final TestImage image = TestImages.dockerImage("tls");
  private final List<String> debug = new ArrayList<>();
  private MockWebServer server;

  @BeforeAll
  static void makeCertificate() throws Exception {
    Path ks = keys.resolve("server.p12");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    selfSigned = SSLContext.getInstance("TLS");
    selfSigned.init(kmf.getKeyManagers(), null, null);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private MockWebServer start(boolean https) throws Exception {
    server = new MockWebServer();
    if (https) {
      server.useHttps(selfSigned.getSocketFactory());
    }
    server.start(java.net.InetAddress.getLoopbackAddress(), 0);
    return server;
  }

  private DistributionBackend open(String scheme, boolean loopback, boolean insecure) {
    String host = "127.0.0.1:" + server.getPort();
    RegistryEndpoint endpoint =
        new RegistryEndpoint(
            loopback ? host : "registry.example", host, loopback, scheme.equals("http"));
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.INSECURE, insecure)
            .withParallelism(4)
            .withDebug(debug::add);
    return DistributionBackend.open(endpoint, options, FAST);
  }

  private MockResponse manifest() {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", image.manifest().mediaType())
        .body(new Buffer().write(image.bytes()))
        .build();
  }

  private ImageRef ref() {
    return ImageRef.parse("127.0.0.1:" + server.getPort() + "/app:1.0");
  }

  @Test
  void aSelfSignedCertificateFailsWithAHintAndInsecureSkipsVerification() throws Exception {
    start(true);
    server.enqueue(manifest());

    try (DistributionBackend strict = open("https", false, false)) {
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> strict.fetch(ref()));
      assertTrue(e.getMessage().contains("--insecure"), e.getMessage());
      assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
    }
    try (DistributionBackend insecure = open("https", false, true)) {
      assertArrayEquals(image.bytes(), insecure.fetch(ref()).bytes());
    }
    assertTrue(
        debug.stream().anyMatch(l -> l.startsWith("< 200 GET https://127.0.0.1:")),
        debug.toString());
  }

  @Test
  void httpsAgainstAPlainHttpRegistrySuggestsPlainHttp() throws Exception {
    start(false);
    try (DistributionBackend backend = open("https", false, false)) {
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> backend.fetch(ref()));
      assertTrue(e.getMessage().contains("--plain-http"), e.getMessage());
    }
  }

  /** A registry (loopback or not) whose challenge names a clear-text realm on another host. */
  private void clearTextRealmIsRefused(boolean loopbackRegistry) throws Exception {
    start(false);
    String realm = "http://auth.example.invalid/token";
    server.enqueue(
        new MockResponse.Builder()
            .code(401)
            .setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"x\"")
            .build());

    try (DistributionBackend backend = open("http", loopbackRegistry, false)) {
      OcitagException.Denied e =
          assertThrows(OcitagException.Denied.class, () -> backend.fetch(ref()));
      assertTrue(e.getMessage().contains("not https"), e.getMessage());
    }
    assertEquals(1, server.getRequestCount(), "no request went to the clear-text realm");
    assertFalse(debug.stream().anyMatch(l -> l.startsWith("> GET " + realm)), debug.toString());
  }

  @Test
  void aClearTextTokenRealmIsRefusedForARemoteRegistry() throws Exception {
    clearTextRealmIsRefused(false);
  }

  @Test
  void aClearTextRealmElsewhereIsRefusedEvenForALoopbackRegistry() throws Exception {
    // an ssh -L tunnel to a real registry is loopback, but its realm would get the password
    // across the network in clear text
    clearTextRealmIsRefused(true);
  }

  @Test
  void aRefusedConnectionIsTransientAfterBoundedAttemptsAndAnUnknownHostFailsAtOnce()
      throws Exception {
    int port;
    try (java.net.ServerSocket free =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    BackendOptions options = BackendOptions.defaults().withParallelism(4).withDebug(debug::add);
    ImageRef refused = ImageRef.parse("127.0.0.1:" + port + "/app:1.0");
    try (DistributionBackend backend = DistributionBackend.open(refused, options, FAST)) {
      OcitagException.Transient e =
          assertThrows(OcitagException.Transient.class, () -> backend.fetch(refused));
      assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getMessage());
    }
    assertEquals(2, debug.stream().filter(l -> l.startsWith("> GET")).count(), "FAST: 2 attempts");

    ImageRef nowhere = ImageRef.parse("registry.nonexistent.invalid/app:1.0");
    debug.clear();
    try (DistributionBackend backend = DistributionBackend.open(nowhere, options, FAST)) {
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> backend.fetch(nowhere));
      assertTrue(
          e.getMessage().contains("unknown host registry.nonexistent.invalid"), e.getMessage());
    }
    assertEquals(1, debug.stream().filter(l -> l.startsWith("> GET")).count(), "not retried");
  }
}
