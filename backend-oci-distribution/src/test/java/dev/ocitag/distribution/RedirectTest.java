package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.TestCertificates;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import mockwebserver3.Dispatcher;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Redirects, as a registry sends them for blobs (to S3 or a CDN): followed whatever the code, with
 * the method and body kept for 307 and 308, and the registry's credentials never sent to another
 * origin. Two mockwebservers: the registry, which hands out a Bearer token, and the place it
 * redirects to.
 */
@Timeout(60)
class RedirectTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(2, Duration.ofMillis(10), Duration.ofSeconds(1))
          .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10));
  private static final String TOKEN = "s3cr3t-token";

  @TempDir Path temp;
  private final TestImage image = TestImages.ociImage("redirects");
  private final List<String> debug = Collections.synchronizedList(new ArrayList<>());
  private MockWebServer registry;
  private MockWebServer elsewhere;

  @BeforeEach
  void start() throws Exception {
    RegistryEndpoint.forgetSchemes();
    registry = new MockWebServer();
    registry.start(InetAddress.getLoopbackAddress(), 0);
    elsewhere = new MockWebServer();
    elsewhere.start(InetAddress.getLoopbackAddress(), 0);
  }

  @AfterEach
  void stop() {
    registry.close();
    elsewhere.close();
    RegistryEndpoint.forgetSchemes();
  }

  /**
   * The registry: a token from /token, then {@code answer} for requests that carry it, a 401 for
   * those that do not.
   */
  private void registry(MockWebServer server, Function<RecordedRequest, MockResponse> answer) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getUrl().encodedPath().equals("/token")) {
              return new MockResponse.Builder()
                  .code(200)
                  .body("{\"token\":\"" + TOKEN + "\"}")
                  .build();
            }
            if (!("Bearer " + TOKEN).equals(request.getHeaders().get("Authorization"))) {
              String realm = server.url("/token").toString();
              return new MockResponse.Builder()
                  .code(401)
                  .setHeader(
                      "WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"registry\"")
                  .build();
            }
            return answer.apply(request);
          }
        });
  }

  private static MockResponse redirect(int code, String location) {
    return new MockResponse.Builder().code(code).setHeader("Location", location).build();
  }

  private MockResponse manifest() {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", image.manifest().mediaType())
        .body(new Buffer().write(image.bytes()))
        .build();
  }

  private DistributionBackend open(MockWebServer server, boolean plainHttp, Path caFile) {
    String host = "127.0.0.1:" + server.getPort();
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.PLAIN_HTTP, plainHttp)
            .withParallelism(4)
            .withDebug(debug::add)
            .with(RegistryOptions.CA_FILE, caFile);
    return DistributionBackend.open(
        new RegistryEndpoint(host, host, true, plainHttp), options, FAST, Map.of());
  }

  private ImageRef ref(MockWebServer server) {
    return ImageRef.parse("127.0.0.1:" + server.getPort() + "/team/app:1.0");
  }

  private static List<RecordedRequest> requests(MockWebServer server) throws Exception {
    List<RecordedRequest> all = new ArrayList<>();
    for (int i = server.getRequestCount(); i > 0; i--) {
      all.add(server.takeRequest(1, TimeUnit.SECONDS));
    }
    return all;
  }

  @ParameterizedTest
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void aGetRedirectedToAnotherHostIsFollowedWithoutTheRegistrysCredentials(int code)
      throws Exception {
    String location = elsewhere.url("/blobs/m?X-Amz-Signature=sig123&X-Amz-Expires=60").toString();
    registry(registry, r -> redirect(code, location));
    elsewhere.enqueue(manifest());

    try (DistributionBackend backend = open(registry, true, null)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref(registry)).bytes());
    }

    List<RecordedRequest> atRegistry = requests(registry);
    assertEquals(
        "Bearer " + TOKEN, atRegistry.get(atRegistry.size() - 1).getHeaders().get("Authorization"));
    RecordedRequest redirected = requests(elsewhere).get(0);
    assertEquals("GET", redirected.getMethod());
    assertNull(redirected.getHeaders().get("Authorization"), "no credentials for another host");
    assertTrue(
        debug.stream()
            .anyMatch(l -> l.startsWith("redirect " + code) && l.contains("another origin")),
        debug.toString());
    assertTrue(debug.stream().noneMatch(l -> l.contains("sig123")), "signatures are redacted");
  }

  @ParameterizedTest
  @ValueSource(ints = {307, 308})
  void aPutRedirectedWith307Or308KeepsItsMethodAndBytes(int code) throws Exception {
    String location = elsewhere.url("/v2/team/app/manifests/2.0").toString();
    registry(registry, r -> redirect(code, location));
    elsewhere.enqueue(
        new MockResponse.Builder()
            .code(201)
            .setHeader("Docker-Content-Digest", image.digest().toString())
            .build());

    try (DistributionBackend backend = open(registry, true, null)) {
      Digest stored = backend.put(ref(registry).withTag("2.0"), image.manifest());
      assertEquals(image.digest(), stored);
    }

    RecordedRequest put = requests(elsewhere).get(0);
    assertEquals("PUT", put.getMethod());
    assertArrayEquals(image.bytes(), put.getBody().toByteArray());
    assertEquals(image.manifest().mediaType(), put.getHeaders().get("Content-Type"));
    assertNull(put.getHeaders().get("Authorization"));
  }

  @Test
  void aRedirectWithinTheRegistryKeepsTheCredentials() throws Exception {
    registry(
        registry,
        r ->
            r.getUrl().encodedPath().endsWith("/1.0")
                ? redirect(307, "/v2/team/app/manifests/moved")
                : manifest());

    try (DistributionBackend backend = open(registry, true, null)) {
      assertArrayEquals(image.bytes(), backend.fetch(ref(registry)).bytes());
    }
    RecordedRequest moved =
        requests(registry).stream()
            .filter(r -> r.getUrl().encodedPath().endsWith("/moved"))
            .findFirst()
            .orElseThrow();
    assertEquals("Bearer " + TOKEN, moved.getHeaders().get("Authorization"));
  }

  @Test
  void aRedirectFromHttpsToHttpIsRefusedAndNothingGoesThere() throws Exception {
    TestCertificates certs = TestCertificates.forHosts("127.0.0.1", "localhost");
    MockWebServer tls = new MockWebServer();
    tls.useHttps(certs.serverSocketFactory());
    tls.start(InetAddress.getLoopbackAddress(), 0);
    try {
      registry(tls, r -> redirect(302, elsewhere.url("/blobs/m").toString()));
      Path ca = certs.writeCa(temp.resolve("ca.pem"));

      try (DistributionBackend backend = open(tls, false, ca)) {
        OcitagException.Failed e =
            assertThrows(OcitagException.Failed.class, () -> backend.fetch(ref(tls)));
        assertTrue(e.getMessage().contains("from https to http"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + tls.getPort()), e.getMessage());
      }
      assertEquals(0, elsewhere.getRequestCount(), "nothing went out in clear text");
    } finally {
      tls.close();
    }
  }

  @Test
  void aRedirectFromHttpToHttpsIsFollowed() throws Exception {
    TestCertificates certs = TestCertificates.forHosts("127.0.0.1", "localhost");
    MockWebServer tls = new MockWebServer();
    tls.useHttps(certs.serverSocketFactory());
    tls.start(InetAddress.getLoopbackAddress(), 0);
    try {
      registry(registry, r -> redirect(302, tls.url("/blobs/m").toString()));
      tls.enqueue(manifest());
      Path ca = certs.writeCa(temp.resolve("ca.pem"));

      try (DistributionBackend backend = open(registry, true, ca)) {
        assertArrayEquals(image.bytes(), backend.fetch(ref(registry)).bytes());
      }
      RecordedRequest upgraded = requests(tls).get(0);
      assertNull(upgraded.getHeaders().get("Authorization"));
      assertTrue(upgraded.getHandshake() != null);
    } finally {
      tls.close();
    }
  }

  @Test
  void aBlobStreamRedirectedToStorageCarriesNoCredentials() throws Exception {
    byte[] blob = new byte[256 * 1024];
    new java.util.Random(9).nextBytes(blob);
    Descriptor descriptor = Descriptor.of(Digest.of(blob), blob.length);
    String location = elsewhere.url("/storage/b?X-Amz-Signature=sig456").toString();
    registry(registry, r -> redirect(307, location));
    elsewhere.enqueue(new MockResponse.Builder().code(200).body(new Buffer().write(blob)).build());

    try (DistributionBackend backend = open(registry, true, null);
        InputStream in = backend.openBlob(ref(registry), descriptor)) {
      assertArrayEquals(blob, in.readAllBytes());
    }

    List<RecordedRequest> atRegistry = requests(registry);
    RecordedRequest asked = atRegistry.get(atRegistry.size() - 1);
    assertEquals("/v2/team/app/blobs/" + descriptor.digest(), asked.getUrl().encodedPath());
    assertEquals("Bearer " + TOKEN, asked.getHeaders().get("Authorization"));
    RecordedRequest storage = requests(elsewhere).get(0);
    assertNull(storage.getHeaders().get("Authorization"), "no credentials for another host");
    assertEquals("identity", storage.getHeaders().get("Accept-Encoding"), "bytes as stored");
    assertTrue(debug.stream().noneMatch(l -> l.contains("sig456")), "signatures are redacted");
  }

  @Test
  void anUploadLocationOnAnotherHostGetsTheBytesButNoCredentials() throws Exception {
    byte[] blob = new byte[100 * 1024];
    new java.util.Random(10).nextBytes(blob);
    Descriptor descriptor = Descriptor.of(Digest.of(blob), blob.length);
    registry(
        registry,
        r ->
            new MockResponse.Builder()
                .code(202)
                .setHeader("Location", elsewhere.url("/uploads/u1?state=1").toString())
                .build());
    elsewhere.enqueue(
        new MockResponse.Builder()
            .code(201)
            .setHeader("Docker-Content-Digest", descriptor.digest().toString())
            .build());

    try (DistributionBackend backend = open(registry, true, null)) {
      backend.pushBlob(ref(registry), descriptor, new ByteArrayInputStream(blob));
    }

    List<RecordedRequest> atRegistry = requests(registry);
    assertEquals("POST", atRegistry.get(atRegistry.size() - 1).getMethod());
    List<RecordedRequest> there = requests(elsewhere);
    assertEquals(1, there.size(), there::toString);
    assertEquals("PUT", there.get(0).getMethod());
    assertArrayEquals(blob, there.get(0).getBody().toByteArray());
    assertEquals("/uploads/u1", there.get(0).getUrl().encodedPath());
    assertEquals("state=1&digest=" + descriptor.digest(), there.get(0).getUrl().encodedQuery());
    for (RecordedRequest r : there) {
      assertNull(r.getHeaders().get("Authorization"), r.getMethod() + " carried credentials");
    }
  }
}
