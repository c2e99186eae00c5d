package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.TestCertificates;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Protocol;
import okhttp3.tls.HeldCertificate;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTPS first (also on loopback) and what is trusted: real TLS from mockwebserver3 with
 * certificates okhttp-tls makes for each test, a CA given by --ca-file or in a certs.d directory,
 * client certificates for mutual TLS, and the fall back to plain HTTP of a loopback registry that
 * does not speak TLS, which reads no trust store.
 */
@Timeout(60)
class TlsTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(2, Duration.ofMillis(10), Duration.ofSeconds(1))
          .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10));

  @TempDir Path temp;
  private final TestImage image = TestImages.ociImage("tls-first");
  private final List<String> debug = Collections.synchronizedList(new ArrayList<>());
  private final TestCertificates certs = TestCertificates.forHosts("127.0.0.1", "localhost");
  private MockWebServer server;

  @BeforeEach
  void fresh() {
    RegistryEndpoint.forgetSchemes(); // the ports of other tests' servers may come back
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    RegistryEndpoint.forgetSchemes();
  }

  /** A registry answering the manifest to every GET, over TLS unless {@code tls} is null. */
  private void start(SSLSocketFactory tls, List<Protocol> protocols) throws Exception {
    server = new MockWebServer();
    if (tls != null) {
      server.useHttps(tls);
    }
    if (protocols != null) {
      server.setProtocols(protocols);
    }
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .setHeader("Content-Type", image.manifest().mediaType())
                .setHeader("Docker-Content-Digest", image.digest().toString())
                .body(new Buffer().write(image.bytes()))
                .build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  private ImageRef ref() {
    return ImageRef.parse("127.0.0.1:" + server.getPort() + "/team/app:1.0");
  }

  private Path certsD() {
    return temp.resolve("certs.d");
  }

  private Map<String, String> env() {
    return Map.of(TlsSetup.CERTS_D_VARIABLE, certsD().toString());
  }

  private DistributionBackend open(boolean insecure, Path caFile) {
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.INSECURE, insecure)
            .withParallelism(4)
            .withDebug(debug::add)
            .with(RegistryOptions.CA_FILE, caFile);
    return DistributionBackend.open(RegistryEndpoint.of(ref(), false), options, FAST, env());
  }

  private List<RecordedRequest> served() throws InterruptedException {
    List<RecordedRequest> all = new ArrayList<>();
    for (int i = server.getRequestCount(); i > 0; i--) {
      RecordedRequest r = server.takeRequest(1, TimeUnit.SECONDS);
      if (r != null && r.getFailure() == null) {
        all.add(r);
      }
    }
    return all;
  }

  @Test
  void aLoopbackRegistryIsAskedOverHttpsFirstAndACaFileVouchesForItWithoutCacerts()
      throws Exception {
    start(certs.serverSocketFactory(), null);
    Path ca = certs.writeCa(temp.resolve("ca.pem"));

    try (DistributionBackend backend = open(false, ca)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
      assertFalse(backend.tls().platformTrustLoaded(), "our CA matched: cacerts never read");
    }
    List<RecordedRequest> sent = served();
    assertEquals(1, sent.size());
    assertNotNull(sent.get(0).getHandshake(), "over TLS");
    assertTrue(debug.stream().noneMatch(l -> l.contains("http://")), String.valueOf(debug));
    assertEquals(Boolean.TRUE, RegistryEndpoint.speaksTls("127.0.0.1:" + server.getPort()));
  }

  @Test
  void http2WhereTheRegistryOffersItHttp11OtherwiseAndForBlobStreams() throws Exception {
    Path ca = certs.writeCa(temp.resolve("ca.pem"));
    start(certs.serverSocketFactory(), List.of(Protocol.HTTP_2, Protocol.HTTP_1_1));
    try (DistributionBackend backend = open(false, ca)) {
      backend.fetch(ref());
      backend.fetch(ref());
      // the mock answers every GET with the manifest: as a blob, its bytes hash to its digest
      try (InputStream blob =
          backend.openBlob(ref(), Descriptor.of(image.digest(), image.bytes().length))) {
        assertArrayEquals(image.bytes(), blob.readAllBytes());
      }
    }
    List<RecordedRequest> h2 = served();
    assertEquals(3, h2.size(), h2.toString());
    assertEquals("HTTP/2", h2.get(0).getVersion(), h2.get(0).getRequestLine());
    assertEquals(h2.get(0).getConnectionIndex(), h2.get(1).getConnectionIndex(), "one connection");
    // a blob streams over HTTP/1.1, on a connection of its own
    assertTrue(h2.get(2).getRequestLine().contains("/blobs/"), h2.get(2).getRequestLine());
    assertEquals("HTTP/1.1", h2.get(2).getVersion(), h2.get(2).getRequestLine());
    assertNotEquals(h2.get(0).getConnectionIndex(), h2.get(2).getConnectionIndex());
    server.close();

    start(certs.serverSocketFactory(), List.of(Protocol.HTTP_1_1));
    try (DistributionBackend backend = open(false, ca)) {
      backend.fetch(ref());
    }
    assertEquals("HTTP/1.1", served().get(0).getVersion());
  }

  /** Counts the TLS connections a server accepts (mockwebserver wraps each socket with it). */
  private static SSLSocketFactory counting(
      SSLSocketFactory real, java.util.concurrent.atomic.AtomicInteger count) {
    return accepting(real, socket -> count.incrementAndGet());
  }

  /** A server's TLS that hands each socket it accepts to {@code each} first. */
  private static SSLSocketFactory accepting(
      SSLSocketFactory real, java.util.function.Consumer<SSLSocket> each) {
    return new SSLSocketFactory() {
      @Override
      public java.net.Socket createSocket(java.net.Socket s, String host, int port, boolean close)
          throws java.io.IOException {
        SSLSocket tls = (SSLSocket) real.createSocket(s, host, port, close);
        each.accept(tls);
        return tls;
      }

      @Override
      public String[] getDefaultCipherSuites() {
        return real.getDefaultCipherSuites();
      }

      @Override
      public String[] getSupportedCipherSuites() {
        return real.getSupportedCipherSuites();
      }

      @Override
      public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
        return real.createSocket(host, port);
      }

      @Override
      public java.net.Socket createSocket(String host, int port, InetAddress local, int localPort)
          throws java.io.IOException {
        return real.createSocket(host, port, local, localPort);
      }

      @Override
      public java.net.Socket createSocket(InetAddress host, int port) throws java.io.IOException {
        return real.createSocket(host, port);
      }

      @Override
      public java.net.Socket createSocket(
          InetAddress host, int port, InetAddress local, int localPort) throws java.io.IOException {
        return real.createSocket(host, port, local, localPort);
      }
    };
  }

  @Test
  void requestsSentAtOnceShareTheFirstTlsConnectionAndCloseLeavesNoneOpen() throws Exception {
    Path ca = certs.writeCa(temp.resolve("ca.pem"));
    java.util.concurrent.atomic.AtomicInteger handshakes =
        new java.util.concurrent.atomic.AtomicInteger();
    SSLSocketFactory counting = counting(certs.serverSocketFactory(), handshakes);
    start(counting, List.of(Protocol.HTTP_2, Protocol.HTTP_1_1));
    OkHttpTransport http =
        new OkHttpTransport(
            FAST,
            TlsSetup.of(List.of("localhost:" + server.getPort()), false, ca, env()),
            null,
            null);
    URI url = URI.create("https://localhost:" + server.getPort() + "/v2/team/app/manifests/1.0");
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<HttpAnswer>> answers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        answers.add(
            two.submit(
                () -> {
                  go.await();
                  return http.send(HttpRequest.of("GET", url));
                }));
      }
      go.countDown();
      for (java.util.concurrent.Future<HttpAnswer> answer : answers) {
        assertEquals(200, answer.get(10, TimeUnit.SECONDS).code());
      }
    } finally {
      two.shutdownNow();
    }
    assertEquals(2, served().size());
    assertEquals(
        1,
        handshakes.get(),
        "the second request waited for the first one's connection: one TLS handshake, not two");
    assertTrue(OkHttpTransport.pooledConnections() > 0, "the HTTP/2 connection is kept alive");

    http.releaseIdleConnections();
    assertEquals(
        0,
        OkHttpTransport.pooledConnections(),
        "closing a backend leaves no idle connection (nor its HTTP/2 reader thread) to slow the"
            + " JVM's exit");
  }

  @Test
  void aPlainHttpLoopbackRegistryIsFoundOnceRememberedAndCostsNoTrustStore() throws Exception {
    start(null, null);

    try (DistributionBackend backend = open(false, null)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
      assertFalse(backend.tls().platformTrustLoaded(), "no certificate was ever checked");
    }
    assertTrue(debug.stream().anyMatch(l -> l.startsWith("> GET https://")), debug.toString());
    assertTrue(debug.stream().anyMatch(l -> l.startsWith("< 200 GET http://")), debug.toString());
    assertTrue(debug.stream().anyMatch(l -> l.contains("answers plain HTTP")), debug.toString());

    debug.clear();
    try (DistributionBackend again = open(false, null)) { // the same process: remembered
      assertArrayEquals(image.bytes(), again.fetch(ref()).bytes());
    }
    assertTrue(debug.stream().noneMatch(l -> l.contains("https://")), debug.toString());
    assertEquals(2, served().size());
  }

  @Test
  void aCertificateFailureIsNoReasonToFallBackAndNamesTheWaysOut() throws Exception {
    start(certs.serverSocketFactory(), null); // its CA is not given

    try (DistributionBackend backend = open(false, null)) {
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> backend.fetch(ref()));
      String m = e.getMessage();
      assertTrue(m.contains("--ca-file"), m);
      assertTrue(
          m.contains(certsD().resolve("127.0.0.1:" + server.getPort()).resolve("ca.crt") + ""), m);
      assertTrue(m.contains("--insecure"), m);
      assertTrue(m.contains("127.0.0.1:" + server.getPort()), m);
      assertEquals(-1, m.indexOf('\n'), m);
      assertTrue(backend.tls().platformTrustLoaded(), "the platform's CAs were asked, in vain");
    }
    assertTrue(debug.stream().noneMatch(l -> l.contains("http://")), "no fallback: " + debug);
    assertEquals(0, served().size());
    // the TLS hello probe found a TLS server: its certificate, not its protocol, is the problem
    assertEquals(Boolean.TRUE, RegistryEndpoint.speaksTls("127.0.0.1:" + server.getPort()));
  }

  @Test
  void insecureTrustsAnyCertificateAndHostName() throws Exception {
    TestCertificates elsewhere = TestCertificates.forHosts("registry.elsewhere.example");
    start(elsewhere.serverSocketFactory(), null);
    try (DistributionBackend backend = open(true, null)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
      assertArrayEquals(image.bytes(), blob(backend)); // BoringSSL's TLS trusts it too
    }
  }

  /** A blob read from the registry: a stream, over its own connection with BoringSSL's TLS. */
  private byte[] blob(DistributionBackend backend) throws Exception {
    try (InputStream in =
        backend.openBlob(ref(), Descriptor.of(image.digest(), image.bytes().length))) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void blobStreamsUseBoringSslAndTrustAndRefuseAsManifestsDo(String version) throws Exception {
    Path ca = certs.writeCa(temp.resolve("ca.pem"));
    SSLSocketFactory only =
        accepting(certs.serverSocketFactory(), s -> s.setEnabledProtocols(new String[] {version}));
    start(only, null);
    try (DistributionBackend backend = open(false, ca)) {
      assertTrue(backend.tls().streamsUseNativeTls(), "Conscrypt has BoringSSL for this machine");
      try (java.net.Socket socket = backend.tls().streamSocketFactory().createSocket()) {
        assertTrue(socket.getClass().getName().startsWith("org.conscrypt."), socket.toString());
      }
      assertArrayEquals(image.bytes(), blob(backend));
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
    }
    List<RecordedRequest> sent = served();
    assertEquals(2, sent.size());
    // BoringSSL names TLS 1.3's key exchange GENERIC, which the JDK's trust managers refuse as it
    // is
    assertEquals(version, sent.get(0).getHandshake().tlsVersion().javaName());
    assertTrue(debug.contains("tls: blob streams use BoringSSL (Conscrypt)"), debug.toString());
    server.close();

    start(only, null); // its CA is not given: refused in the same one line as a manifest
    try (DistributionBackend backend = open(false, null)) {
      OcitagException e = assertThrows(OcitagException.class, () -> blob(backend));
      String m = e.getMessage();
      assertTrue(m.contains("its certificate is signed by no CA ocitag trusts"), m);
      assertTrue(m.contains("--ca-file"), m);
      assertEquals(-1, m.indexOf('\n'), m);
    }
    assertEquals(0, served().size());
  }

  @Test
  void aCaInTheRegistrysCertsDDirectoryIsTrusted() throws Exception {
    start(certs.serverSocketFactory(), null);
    certs.writeCa(certsD().resolve("127.0.0.1:" + server.getPort()).resolve("my-ca.crt"));

    try (DistributionBackend backend = open(false, null)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
      assertFalse(backend.tls().presentsClientCertificate());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ec-pkcs8", "rsa-pkcs1", "rsa-pkcs8", "ec-sec1"})
  void mutualTlsWithTheClientCertificateAndKeyOfCertsD(String keyForm) throws Exception {
    HeldCertificate clientCa =
        new HeldCertificate.Builder().certificateAuthority(0).commonName("client CA").build();
    HeldCertificate.Builder client = new HeldCertificate.Builder().commonName("ocitag client");
    String keyPem;
    switch (keyForm) {
      case "rsa-pkcs1", "rsa-pkcs8" -> client.rsa2048();
      case "ec-sec1" -> client.keyPair(opensslKeyPair());
      default -> client.ecdsa256();
    }
    HeldCertificate held = client.signedBy(clientCa).build();
    keyPem =
        switch (keyForm) {
          case "rsa-pkcs1" -> held.privateKeyPkcs1Pem();
          case "ec-sec1" -> resource("ec-client.sec1.pem");
          default -> held.privateKeyPkcs8Pem();
        };
    start(certs.serverSocketFactoryTrusting(clientCa.certificate()), null);
    server.requireClientAuth();
    Path dir = certsD().resolve("127.0.0.1:" + server.getPort());
    certs.writeCa(dir.resolve("ca.crt"));

    try (DistributionBackend without = open(false, null)) {
      assertThrows(OcitagException.class, () -> without.fetch(ref()), "no client certificate");
    }
    Files.writeString(dir.resolve("client.cert"), held.certificatePem());
    Files.writeString(dir.resolve("client.key"), keyPem);
    try (DistributionBackend backend = open(false, null)) {
      assertTrue(backend.tls().presentsClientCertificate());
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
      assertArrayEquals(image.bytes(), blob(backend)); // BoringSSL presents it too
    }
    List<RecordedRequest> sent = served();
    assertEquals(2, sent.size());
    for (RecordedRequest r : sent) {
      assertTrue(
          r.getHandshake().peerPrincipal().getName().contains("CN=ocitag client"),
          String.valueOf(r.getHandshake().peerPrincipal()));
    }
  }

  @Test
  void unusableFilesAreInvalidInputNamingTheFile() throws Exception {
    start(null, null);
    Path dir = certsD().resolve("127.0.0.1:" + server.getPort());
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("client.cert"), certs.server.certificatePem());
    OcitagException.InvalidInput noKey =
        assertThrows(OcitagException.InvalidInput.class, () -> open(false, null));
    assertTrue(noKey.getMessage().contains("client.key"), noKey.getMessage());

    Files.writeString(
        dir.resolve("client.key"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
    OcitagException.InvalidInput encrypted =
        assertThrows(OcitagException.InvalidInput.class, () -> open(false, null));
    assertTrue(encrypted.getMessage().contains("encrypted"), encrypted.getMessage());
    assertTrue(encrypted.getMessage().contains("client.key"), encrypted.getMessage());

    Path notPem = Files.writeString(temp.resolve("ca.txt"), "not a certificate");
    OcitagException.InvalidInput bad =
        assertThrows(OcitagException.InvalidInput.class, () -> open(false, notPem));
    assertTrue(bad.getMessage().contains("ca.txt"), bad.getMessage());
    OcitagException.InvalidInput missing =
        assertThrows(
            OcitagException.InvalidInput.class, () -> open(false, temp.resolve("absent.pem")));
    assertTrue(missing.getMessage().contains("--ca-file"), missing.getMessage());
  }

  @Test
  void aCaBundleWithCommentsBetweenItsCertificatesIsRead() throws Exception {
    TestCertificates other = TestCertificates.forHosts("other.example");
    Path bundle =
        Files.writeString(
            temp.resolve("bundle.pem"),
            "# a bundle, as Debian's\n"
                + other.ca.certificatePem()
                + "\nsome text\n"
                + certs.ca.certificatePem());
    assertEquals(2, Pem.certificates(bundle).size());
    start(certs.serverSocketFactory(), null);
    try (DistributionBackend backend = open(false, bundle)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
    }
  }

  /** The P-256 key openssl wrote (see src/test/resources/tls/README.md). */
  private static KeyPair opensslKeyPair() throws Exception {
    KeyFactory ec = KeyFactory.getInstance("EC");
    PublicKey pub = ec.generatePublic(new X509EncodedKeySpec(der(resource("ec-client.pub.pem"))));
    PrivateKey key =
        ec.generatePrivate(new PKCS8EncodedKeySpec(der(resource("ec-client.pkcs8.pem"))));
    return new KeyPair(pub, key);
  }

  private static byte[] der(String pem) {
    String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(body);
  }

  private static String resource(String name) throws Exception {
    try (InputStream in = TlsTest.class.getResourceAsStream("/tls/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
