package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.TestCertificates;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proxies from the environment: a mockwebserver plays the proxy, answering plain requests in
 * absolute form and tunnelling https through CONNECT; its credentials come from the proxy URL and
 * go to the proxy alone, never into --debug; NO_PROXY sends a registry around it.
 */
@Timeout(60)
class ProxyTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(1, Duration.ofMillis(10), Duration.ofSeconds(1))
          .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10));
  private static final String USER = "proxy-user";
  private static final String PASSWORD = "p@ss:w0rd";

  @TempDir Path temp;
  private final TestImage image = TestImages.ociImage("proxied");
  private final List<String> debug = Collections.synchronizedList(new ArrayList<>());
  private MockWebServer proxy;

  @BeforeEach
  void start() throws Exception {
    proxy = new MockWebServer();
    proxy.start(InetAddress.getLoopbackAddress(), 0);
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  private String proxyUrl() {
    return "http://"
        + USER
        + ":"
        + PASSWORD.replace("@", "%40").replace(":", "%3A")
        + "@127.0.0.1:"
        + proxy.getPort();
  }

  private static String basic() {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
  }

  private MockResponse manifest() {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", image.manifest().mediaType())
        .body(new Buffer().write(image.bytes()))
        .build();
  }

  private DistributionBackend open(
      String registry, boolean plainHttp, Path caFile, Map<String, String> env) {
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.PLAIN_HTTP, plainHttp)
            .withParallelism(4)
            .withDebug(debug::add)
            .with(RegistryOptions.CA_FILE, caFile);
    return DistributionBackend.open(
        RegistryEndpoint.of(ImageRef.parse(registry + "/team/app:1.0"), plainHttp),
        options,
        FAST,
        env);
  }

  private void assertNoSecretsInDebug() {
    for (String line : debug) {
      assertTrue(!line.contains(PASSWORD) && !line.contains(basic().substring(6)), line);
      assertTrue(!line.contains("p%40ss"), line);
    }
  }

  @Test
  void plainHttpGoesToTheProxyInAbsoluteFormWithItsCredentials() throws Exception {
    proxy.enqueue(manifest());

    try (DistributionBackend backend =
        open("registry.example:5000", true, null, Map.of("HTTP_PROXY", proxyUrl()))) {
      assertArrayEquals(
          image.bytes(),
          backend.fetch(ImageRef.parse("registry.example:5000/team/app:1.0")).bytes());
    }

    RecordedRequest sent = proxy.takeRequest(1, TimeUnit.SECONDS);
    assertEquals(
        "GET http://registry.example:5000/v2/team/app/manifests/1.0 HTTP/1.1",
        sent.getRequestLine());
    assertEquals(basic(), sent.getHeaders().get("Proxy-Authorization"));
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("<credentials>@127.0.0.1")), debug.toString());
    assertNoSecretsInDebug();
  }

  @Test
  void httpsIsTunnelledThroughConnectAndTheCredentialsStayWithTheProxy() throws Exception {
    TestCertificates certs = TestCertificates.forHosts("registry.example");
    proxy.useHttps(certs.serverSocketFactory());
    proxy.enqueue(new MockResponse.Builder().inTunnel().build()); // the CONNECT
    proxy.enqueue(manifest()); // then, through the tunnel and over TLS, the registry's answer
    Path ca = certs.writeCa(temp.resolve("ca.pem"));

    try (DistributionBackend backend =
        open("registry.example", false, ca, Map.of("https_proxy", proxyUrl()))) {
      assertArrayEquals(
          image.bytes(), backend.fetch(ImageRef.parse("registry.example/team/app:1.0")).bytes());
    }

    RecordedRequest connect = proxy.takeRequest(1, TimeUnit.SECONDS);
    assertEquals("CONNECT registry.example:443 HTTP/1.1", connect.getRequestLine());
    assertEquals(basic(), connect.getHeaders().get("Proxy-Authorization"), "sent with CONNECT");
    RecordedRequest get = proxy.takeRequest(1, TimeUnit.SECONDS);
    assertEquals("GET", get.getMethod());
    assertEquals("/v2/team/app/manifests/1.0", get.getTarget());
    assertTrue(get.getHandshake() != null, "TLS inside the tunnel");
    assertNull(get.getHeaders().get("Proxy-Authorization"), "never to the registry itself");
    assertNoSecretsInDebug();
  }

  @Test
  void aBlobStreamIsTunnelledTooWithBoringSslInsideTheTunnel() throws Exception {
    TestCertificates certs = TestCertificates.forHosts("registry.example");
    proxy.useHttps(certs.serverSocketFactory());
    byte[] bytes = "a blob through the tunnel".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    proxy.enqueue(new MockResponse.Builder().inTunnel().build()); // the stream's own CONNECT
    proxy.enqueue(
        new MockResponse.Builder().code(200).body(new okio.Buffer().write(bytes)).build());
    Path ca = certs.writeCa(temp.resolve("ca.pem"));

    try (DistributionBackend backend =
            open("registry.example", false, ca, Map.of("https_proxy", proxyUrl()));
        java.io.InputStream in =
            backend.openBlob(
                ImageRef.parse("registry.example/team/app:1.0"),
                dev.ocitag.core.Descriptor.of(dev.ocitag.core.Digest.of(bytes), bytes.length))) {
      assertTrue(backend.tls().streamsUseNativeTls());
      assertArrayEquals(bytes, in.readAllBytes());
    }

    RecordedRequest connect = proxy.takeRequest(1, TimeUnit.SECONDS);
    assertEquals("CONNECT registry.example:443 HTTP/1.1", connect.getRequestLine());
    assertEquals(basic(), connect.getHeaders().get("Proxy-Authorization"), "sent with CONNECT");
    RecordedRequest get = proxy.takeRequest(1, TimeUnit.SECONDS);
    assertTrue(get.getTarget().contains("/blobs/sha256:"), get.getTarget());
    assertTrue(get.getHandshake() != null, "TLS inside the tunnel");
    assertNull(get.getHeaders().get("Proxy-Authorization"), "never to the registry itself");
    assertNoSecretsInDebug();
  }

  @Test
  void noProxyNamesARegistryThatIsReachedDirectly() throws Exception {
    // this machine's name: not loopback by name, so only NO_PROXY keeps it from the proxy
    InetAddress self = InetAddress.getLocalHost();
    String name = self.getHostName();
    MockWebServer registry = new MockWebServer();
    registry.start(self, 0);
    try {
      registry.enqueue(manifest());
      proxy.enqueue(manifest());
      String host = name + ":" + registry.getPort();
      Map<String, String> env = new HashMap<>(Map.of("HTTP_PROXY", proxyUrl()));

      env.put("NO_PROXY", "other.example, " + name);
      try (DistributionBackend direct = open(host, true, null, env)) {
        direct.fetch(ImageRef.parse(host + "/team/app:1.0"));
      }
      assertEquals(1, registry.getRequestCount());
      assertEquals(0, proxy.getRequestCount());

      env.put("NO_PROXY", "other.example");
      try (DistributionBackend proxied = open(host, true, null, env)) {
        proxied.fetch(ImageRef.parse(host + "/team/app:1.0"));
      }
      assertEquals(1, registry.getRequestCount());
      assertEquals(1, proxy.getRequestCount());
    } finally {
      registry.close();
    }
  }

  @Test
  void aProxyThatRefusesTheCredentialsIsNotAskedAgainAndAgain() throws Exception {
    for (int i = 0; i < 5; i++) {
      proxy.enqueue(
          new MockResponse.Builder()
              .code(407)
              .setHeader("Proxy-Authenticate", "Basic realm=\"proxy\"")
              .build());
    }
    try (DistributionBackend backend =
        open("registry.example:5000", true, null, Map.of("HTTP_PROXY", proxyUrl()))) {
      OcitagException.Denied e =
          assertThrows(
              OcitagException.Denied.class,
              () -> backend.fetch(ImageRef.parse("registry.example:5000/team/app:1.0")));
      assertTrue(e.getMessage().contains("proxy answered 407"), e.getMessage());
    }
    assertEquals(1, proxy.getRequestCount(), "the credentials went once and were refused");
  }

  @Test
  void aProxyUrlThatIsNoneIsInvalidInput() {
    OcitagException.InvalidInput e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> open("registry.example", false, null, Map.of("HTTPS_PROXY", "socks5://p:1080")));
    assertTrue(e.getMessage().contains("HTTPS_PROXY"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    // NO_PROXY, URL, proxied
    "'', https://registry.example/v2/, true",
    "*, https://registry.example/v2/, false",
    "xample, https://registry.example/v2/, true",
    "registry.example, https://registry.example/v2/, false",
    "example.com, https://registry.example.com/v2/, false",
    "example.com, https://example.com/v2/, false",
    "example.com, https://badexample.com/v2/, true",
    ".example.com, https://registry.example.com/v2/, false",
    ".example.com, https://example.com/v2/, false",
    "'a.example, REGISTRY.example.COM', https://registry.example.com/v2/, false",
    "registry.example:5000, https://registry.example:5000/v2/, false",
    "registry.example:5000, https://registry.example/v2/, true",
    "registry.example:443, https://registry.example/v2/, false",
    "10.1.2.3, https://10.1.2.3:5000/v2/, false",
    "10.1.2.3, https://10.1.2.4/v2/, true",
    "10.0.0.0/8, https://10.200.0.1/v2/, false",
    "10.0.0.0/8, https://11.0.0.1/v2/, true",
    "'fd00::1', https://[fd00::1]:5000/v2/, false",
    "'[fd00::1]:5000', https://[fd00::1]:5000/v2/, false",
    "'[fd00::1]:5000', https://[fd00::1]:6000/v2/, true",
    "'fd00::/8', https://[fd12::7]/v2/, false",
    "'', https://127.0.0.1:5000/v2/, false",
    "'', https://localhost:5000/v2/, false",
    "'', https://[::1]/v2/, false",
  })
  void noProxyReadAsCurlAndDockerReadIt(String noProxy, String url, boolean proxied) {
    Proxies proxies =
        Proxies.fromEnv(Map.of("HTTPS_PROXY", "http://proxy.example:3128", "no_proxy", noProxy));
    assertEquals(proxied, proxies.entryFor(URI.create(url)) != null, noProxy + " / " + url);
  }

  @Test
  void eachSchemeHasItsProxyAndUpperCaseComesFirst() {
    Proxies proxies =
        Proxies.fromEnv(
            Map.of(
                "HTTPS_PROXY", "http://upper.example:1",
                "https_proxy", "http://lower.example:2",
                "http_proxy", "plain.example:3"));
    assertTrue(
        proxies.entryFor(URI.create("https://r.example/")).proxy().toString().contains("upper"));
    assertTrue(proxies.entryFor(URI.create("http://r.example/")).proxy().toString().contains(":3"));
    assertNull(Proxies.fromEnv(Map.of("NO_PROXY", "*")), "no proxy at all");
  }
}
