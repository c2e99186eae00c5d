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
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults a real registry seldom shows on demand, served by mockwebserver3 over real HTTP: each ends
 * in its documented outcome, in bounded time and requests, and no partial write is reported as
 * success. The server is a loopback one that speaks plain HTTP, reached as a user would: HTTPS
 * first, then HTTP. The TLS probe reaches mockwebserver as one request it cannot parse (and does
 * not answer); the counts below are of the HTTP requests it served.
 */
@Timeout(60)
class FaultInjectionTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(3, Duration.ofMillis(20), Duration.ofSeconds(5))
          .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));

  private final TestImage image = TestImages.ociImage("faults");
  private MockWebServer server;
  private DistributionBackend backend;
  private ImageRef repo;
  private final List<String> debug = new ArrayList<>();
  private final List<RecordedRequest> taken = new ArrayList<>();
  private int probes;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.start(java.net.InetAddress.getLoopbackAddress(), 0);
    repo = ImageRef.parse("127.0.0.1:" + server.getPort() + "/team/app");
    BackendOptions options = BackendOptions.defaults().withParallelism(4).withDebug(debug::add);
    backend = DistributionBackend.open(repo, options, FAST);
  }

  @AfterEach
  void stop() {
    backend.close();
    server.close();
  }

  private MockResponse manifest(TestImage img) {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", img.manifest().mediaType())
        .setHeader("Docker-Content-Digest", img.digest().toString())
        .body(new Buffer().write(img.bytes()))
        .build();
  }

  private static MockResponse status(int code, String body) {
    MockResponse.Builder b = new MockResponse.Builder().code(code);
    if (body != null) {
      b.setHeader("Content-Type", "application/json").body(body);
    }
    return b.build();
  }

  private static String error(String code, String message) {
    return "{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}";
  }

  /**
   * Answers by method and path ("GET /v2/team/app/manifests/1.0"), each key's answers in turn: the
   * engine sends a source's GET and its targets' HEADs at once, in no fixed order.
   */
  private void route(Map<String, List<MockResponse>> answers) {
    Map<String, Deque<MockResponse>> left = new ConcurrentHashMap<>();
    answers.forEach((key, list) -> left.put(key, new ConcurrentLinkedDeque<>(list)));
    server.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            Deque<MockResponse> queue =
                left.get(request.getMethod() + " " + request.getUrl().encodedPath());
            MockResponse next = queue == null ? null : queue.poll();
            return next != null ? next : status(599, "unexpected request");
          }
        });
  }

  private String path(String tag) {
    return "/v2/team/app/manifests/" + tag;
  }

  /** The HTTP requests the server answered (or was told to drop), in order. */
  private List<RecordedRequest> requests() throws InterruptedException {
    for (int i = server.getRequestCount() - taken.size() - probes; i > 0; i--) {
      RecordedRequest r = server.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS);
      if (r.getFailure() != null) {
        probes++; // a TLS ClientHello, which is no HTTP request
      } else {
        taken.add(r);
      }
    }
    return List.copyOf(taken);
  }

  private int served() throws InterruptedException {
    return requests().size();
  }

  @Test
  void a500IsRetriedAndThenTheBytesArrive() throws Exception {
    server.enqueue(status(500, error("UNKNOWN", "boom")));
    server.enqueue(manifest(image));

    assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("1.0")).bytes());
    assertEquals(2, served());
    List<RecordedRequest> sent = requests();
    assertEquals(String.join(", ", MediaTypes.ALL), sent.get(0).getHeaders().get("Accept"));
  }

  @Test
  void a429WithRetryAfterIsWaitedFor() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", "1")
            .body(error("TOOMANYREQUESTS", "slow down"))
            .build());
    server.enqueue(manifest(image));

    long start = System.nanoTime();
    assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("1.0")).bytes());
    long ms = (System.nanoTime() - start) / 1_000_000;

    assertTrue(ms >= 900, "waited " + ms + "ms for Retry-After: 1");
    assertEquals(2, served());
  }

  @Test
  void aRetryAfterBeyondTheLimitFailsAsTransientWithTheRegistrysWords() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .code(429)
            .setHeader("Retry-After", "3600")
            .body(error("TOOMANYREQUESTS", "pull rate limit exceeded"))
            .build());

    OcitagException.Transient e =
        assertThrows(OcitagException.Transient.class, () -> backend.fetch(repo.withTag("1.0")));

    assertTrue(
        e.getMessage().contains("TOOMANYREQUESTS: pull rate limit exceeded"), e.getMessage());
    assertEquals(1, served());
  }

  @Test
  void aDroppedConnectionIsRetried() throws Exception {
    server.enqueue(
        new MockResponse.Builder().onRequestStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(manifest(image));

    assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("1.0")).bytes());
  }

  @Test
  void connectionsThatAlwaysDropEndAsTransientAfterBoundedAttempts() throws Exception {
    for (int i = 0; i < 20; i++) {
      server.enqueue(
          new MockResponse.Builder().onRequestStart(new SocketEffect.CloseSocket()).build());
    }

    assertThrows(OcitagException.Transient.class, () -> backend.fetch(repo.withTag("1.0")));

    // each attempt at a loopback registry that drops every connection asks three times how to
    // talk to it (a TLS hello probe, a TLS request, a plain one): 3 attempts, 9 connections
    assertTrue(served() <= 9, "requests: " + served());
  }

  @Test
  void persistent5xxEndsAsTransientAfterExactlyMaxAttempts() throws Exception {
    for (int i = 0; i < 10; i++) {
      server.enqueue(status(503, null)); // answers to HEAD carry no body (RFC 9110, 9.3.2)
    }

    OcitagException e =
        assertThrows(OcitagException.Transient.class, () -> backend.resolve(repo.withTag("x")));

    assertTrue(e.getMessage().contains("503"), e.getMessage());
    assertEquals(3, served());
  }

  @Test
  void aWrongDockerContentDigestOnPutIsAFailedOutcome() throws Exception {
    Digest wrong = Digest.of("something else".getBytes(StandardCharsets.UTF_8));
    route(
        Map.of(
            "GET " + path("1.0"), List.of(manifest(image)),
            "HEAD " + path("stable"), List.of(status(404, null)),
            "PUT " + path("stable"),
                List.of(
                    new MockResponse.Builder()
                        .code(201)
                        .setHeader("Docker-Content-Digest", wrong.toString())
                        .build())));

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(repo.withTag("1.0"), List.of(repo.withTag("stable")));

    TagResult result = report.results().get(0);
    assertEquals(Outcome.FAILED, result.outcome());
    assertTrue(result.reason().contains("digest mismatch"), result.reason());
    List<RecordedRequest> sent = requests();
    assertEquals(3, sent.size());
    RecordedRequest put = sent.get(2); // after the GET and the HEAD, whichever went first
    assertEquals("PUT", put.getMethod());
    assertArrayEquals(image.bytes(), put.getBody().toByteArray());
    assertEquals(image.manifest().mediaType(), put.getHeaders().get("Content-Type"));
  }

  @Test
  void servedBytesThatDoNotMatchTheirDigestAreRefused() {
    TestImage other = TestImages.ociImage("other");
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .setHeader("Content-Type", MediaTypes.OCI_MANIFEST)
            .setHeader("Docker-Content-Digest", image.digest().toString())
            .body(new Buffer().write(other.bytes()))
            .build());
    server.enqueue(manifest(other));

    assertThrows(OcitagException.Failed.class, () -> backend.fetch(repo.withTag("1.0")));
    assertThrows(
        OcitagException.Failed.class, () -> backend.fetch(repo.withDigest(image.digest())));
  }

  @Test
  void aFiveMebibyteManifestIsInvalidInputAndNothingIsPut() throws Exception {
    byte[] huge = new byte[5 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) ' ');
    huge[0] = '{';
    huge[huge.length - 1] = '}';
    route(
        Map.of(
            "GET " + path("big"),
                List.of(
                    new MockResponse.Builder()
                        .code(200)
                        .setHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                        .body(new Buffer().write(huge))
                        .build(),
                    new MockResponse.Builder()
                        .code(200)
                        .setHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                        .chunkedBody(new Buffer().write(huge), 64 * 1024)
                        .build()),
            "HEAD " + path("copy"), List.of(status(404, null))));

    TagEngine engine = new TagEngine(backend, TagEngine.Options.defaults());
    OcitagException.InvalidInput sized =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> engine.tag(repo.withTag("big"), List.of(repo.withTag("copy"))));
    OcitagException.InvalidInput chunked =
        assertThrows(OcitagException.InvalidInput.class, () -> backend.fetch(repo.withTag("big")));

    assertTrue(sized.getMessage().contains("limit"), sized.getMessage());
    assertTrue(chunked.getMessage().contains("limit"), chunked.getMessage());
    assertTrue(requests().stream().noneMatch(r -> r.getMethod().equals("PUT")));
  }

  @Test
  void a401LoopIsDeniedAfterBoundedRequests() throws Exception {
    String realm = "http://127.0.0.1:" + server.getPort() + "/token";
    server.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getUrl().encodedPath().equals("/token")) {
              return status(200, "{\"token\":\"t-" + System.nanoTime() + "\",\"expires_in\":300}");
            }
            return new MockResponse.Builder()
                .code(401)
                .setHeader(
                    "WWW-Authenticate",
                    "Bearer realm=\""
                        + realm
                        + "\",service=\"mock\",scope=\"repository:team/app:pull\"")
                .body(error("UNAUTHORIZED", "authentication required"))
                .build();
          }
        });

    OcitagException.Denied e =
        assertThrows(OcitagException.Denied.class, () -> backend.fetch(repo.withTag("1.0")));

    assertTrue(e.getMessage().contains("UNAUTHORIZED"), e.getMessage());
    // anonymous 401, token, 401 with the token: then it stops
    assertEquals(3, served());
    List<RecordedRequest> sent = requests();
    assertNull(sent.get(0).getHeaders().get("Authorization"));
    assertTrue(sent.get(2).getHeaders().get("Authorization").startsWith("Bearer t-"));
    assertTrue(debug.stream().noneMatch(l -> l.contains("Bearer t-")), String.valueOf(debug));
  }

  @Test
  void anImmutableTagIsBlockedNotFailed() {
    TestImage other = TestImages.ociImage("older");
    route(
        Map.of(
            "GET " + path("1.0"), List.of(manifest(image)),
            "HEAD " + path("stable"),
                List.of(
                    new MockResponse.Builder()
                        .code(200)
                        .setHeader("Docker-Content-Digest", other.digest().toString())
                        .build()), // on another image
            "PUT " + path("stable"),
                List.of(
                    status(
                        400,
                        error(
                            "TAG_INVALID",
                            "The image tag 'stable' already exists in the 'team/app' repository"
                                + " and cannot be overwritten because the repository is"
                                + " immutable.")))));

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(repo.withTag("1.0"), List.of(repo.withTag("stable")));

    assertEquals(Outcome.BLOCKED, report.results().get(0).outcome());
    assertTrue(report.results().get(0).reason().contains("immutable"));
  }

  @Test
  void everyErrorTheRegistryNamesIsInTheOneLineAndTheFirstDecides() {
    // docker-registry 2.x answers an index whose child it cannot read while another client
    // rewrites it with two errors, and the second is the cause
    server.enqueue(
        status(
            400,
            "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not"
                + " match uploaded content\"},{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":"
                + "\"blob unknown to registry\",\"detail\":\"sha256:"
                + "cd".repeat(32)
                + "\"},{\"detail\":\"neither code nor message\"}]}"));

    OcitagException e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backend.put(repo.withTag("x"), image.manifest()));

    assertTrue(
        e.getMessage()
            .contains(
                "400 DIGEST_INVALID: provided digest did not match uploaded content (also:"
                    + " MANIFEST_BLOB_UNKNOWN: blob unknown to registry)"),
        e.getMessage());
    assertTrue(e.getMessage().indexOf('\n') < 0, "one line");
  }

  @Test
  void specErrorCodesMapToTheCoresExceptionsWithTheRegistrysMessage() {
    server.enqueue(
        status(
            400,
            "{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown to"
                + " registry\",\"detail\":\"sha256:"
                + "ab".repeat(32)
                + "\"}]}"));
    server.enqueue(status(403, error("DENIED", "requested access to the resource is denied")));
    server.enqueue(status(404, error("NAME_UNKNOWN", "repository name not known to registry")));
    server.enqueue(status(400, error("MANIFEST_INVALID", "manifest invalid")));

    OcitagException blob =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backend.put(repo.withTag("x"), image.manifest()));
    OcitagException denied =
        assertThrows(
            OcitagException.Denied.class, () -> backend.put(repo.withTag("x"), image.manifest()));
    OcitagException name =
        assertThrows(OcitagException.NotFound.class, () -> backend.fetch(repo.withTag("x")));
    OcitagException invalid =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backend.put(repo.withTag("x"), image.manifest()));

    assertTrue(blob.getMessage().contains("sha256:" + "ab".repeat(32)), blob.getMessage());
    assertTrue(blob.getMessage().contains("MANIFEST_BLOB_UNKNOWN"), blob.getMessage());
    assertTrue(denied.getMessage().contains("requested access to the resource is denied"));
    assertTrue(name.getMessage().contains("NAME_UNKNOWN"));
    assertTrue(invalid.getMessage().contains("MANIFEST_INVALID: manifest invalid"));
    assertTrue(blob.getMessage().indexOf('\n') < 0, "one line");
  }

  @Test
  void oneConnectionServesAnswersWithAndWithoutBodiesErrorsIncluded() throws Exception {
    server.enqueue(status(404, null)); // HEAD: absent
    server.enqueue(status(404, error("MANIFEST_UNKNOWN", "manifest unknown"))); // GET: error body
    server.enqueue(manifest(image)); // GET
    server.enqueue(status(200, "{\"name\":\"team/app\",\"tags\":[\"1.0\"]}")); // tags

    assertEquals(Optional.empty(), backend.resolve(repo.withTag("x")));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(repo.withTag("y")));
    assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("1.0")).bytes());
    assertEquals(List.of("1.0"), backend.tags(repo).toList());

    // every body was read to its end, so the connection went back for the next request
    List<Integer> connections = requests().stream().map(r -> r.getConnectionIndex()).toList();
    assertEquals(4, connections.size());
    assertEquals(1, Set.copyOf(connections).size(), "one connection: " + connections);
    // the TLS hello probe (TlsProbe), then at most one TLS try: mockwebserver ends the probe's
    // connection without the 400 a registry answers (UntagAndPagesTest: registry:2 answers it, and
    // no TLS try follows); after that, plain HTTP for the rest
    assertTrue(probes >= 1 && probes <= 2, "probes: " + probes);
  }

  @Test
  void headNotAllowedFallsBackToGet() {
    server.enqueue(status(405, null));
    server.enqueue(manifest(image));

    assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("1.0")));
  }

  @Test
  void tagsFollowRelativeLinkHeadersToTheEnd() throws Exception {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .setHeader("Link", "</v2/team/app/tags/list?last=b&n=2>; rel=\"next\"")
            .body("{\"name\":\"team/app\",\"tags\":[\"a\",\"b\"]}")
            .build());
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .setHeader(
                "Link",
                "<http://127.0.0.1:"
                    + server.getPort()
                    + "/v2/team/app/tags/list?last=d&n=2>;"
                    + " rel=\"next\"")
            .body("{\"name\":\"team/app\",\"tags\":[\"c\",\"d\"]}")
            .build());
    server.enqueue(status(200, "{\"name\":\"team/app\",\"tags\":[\"e\"]}"));

    assertEquals(List.of("a", "b", "c", "d", "e"), backend.tags(repo).toList());
    List<RecordedRequest> sent = requests();
    assertEquals("/v2/team/app/tags/list?last=b&n=2", sent.get(1).getTarget());
  }

  @Test
  void aBlobGetIsRetriedOnlyUntilItsStreamIsHandedOut() throws Exception {
    byte[] blob = new byte[300 * 1024];
    new java.util.Random(7).nextBytes(blob);
    Descriptor descriptor = Descriptor.of(Digest.of(blob), blob.length);
    route(
        Map.of(
            "GET /v2/team/app/blobs/" + descriptor.digest(),
            List.of(
                status(503, error("UNAVAILABLE", "busy")),
                new MockResponse.Builder().code(200).body(new Buffer().write(blob)).build())));

    try (InputStream in = backend.openBlob(repo, descriptor)) {
      assertArrayEquals(blob, in.readAllBytes());
    }
    assertEquals(2, served());
  }

  @Test
  void anUploadWhoseBytesWereSentIsNotSentAgainAndIsCancelled() throws Exception {
    byte[] blob = new byte[200 * 1024];
    new java.util.Random(8).nextBytes(blob);
    Descriptor descriptor = Descriptor.of(Digest.of(blob), blob.length);
    String upload = "/v2/team/app/blobs/uploads/u1";
    route(
        Map.of(
            "POST /v2/team/app/blobs/uploads/",
            List.of(new MockResponse.Builder().code(202).setHeader("Location", upload).build()),
            "PUT " + upload,
            List.of(status(500, error("UNKNOWN", "disk hiccup")), status(201, null)),
            "DELETE " + upload,
            List.of(status(204, null))));

    OcitagException.Transient e =
        assertThrows(
            OcitagException.Transient.class,
            () -> backend.pushBlob(repo, descriptor, new ByteArrayInputStream(blob)));

    assertTrue(e.getMessage().contains("500 UNKNOWN: disk hiccup"), e.getMessage());
    List<RecordedRequest> sent = requests();
    assertEquals(
        List.of("POST", "PUT", "DELETE"), sent.stream().map(RecordedRequest::getMethod).toList());
    RecordedRequest put = sent.get(1);
    assertArrayEquals(blob, put.getBody().toByteArray());
    assertEquals("digest=" + descriptor.digest(), put.getUrl().encodedQuery());
    assertEquals(Integer.toString(blob.length), put.getHeaders().get("Content-Length"));
    assertEquals("application/octet-stream", put.getHeaders().get("Content-Type"));
  }
}
