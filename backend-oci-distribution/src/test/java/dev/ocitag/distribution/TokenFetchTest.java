package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tokens for different scopes are fetched at the same time, and one token is fetched once however
 * many requests wait for it: against a token service that takes a second to answer.
 */
@Timeout(60)
class TokenFetchTest {
  private static final long TOKEN_MS = 1000;

  private final TestImage image = TestImages.ociImage("tokens");
  private final Map<String, AtomicInteger> fetched = new ConcurrentHashMap<>();
  private MockWebServer server;
  private ExecutorService pool;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    String realm = "http://127.0.0.1:%d/token";
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            if (request.getUrl().encodedPath().equals("/token")) {
              String scope = request.getUrl().queryParameter("scope");
              fetched.computeIfAbsent(scope, s -> new AtomicInteger()).incrementAndGet();
              Thread.sleep(TOKEN_MS);
              return new MockResponse.Builder()
                  .code(200)
                  .body("{\"token\":\"t-" + scope + "\",\"expires_in\":300}")
                  .build();
            }
            String auth = request.getHeaders().get("Authorization");
            if (auth == null) {
              return new MockResponse.Builder()
                  .code(401)
                  .setHeader(
                      "WWW-Authenticate",
                      "Bearer realm=\""
                          + String.format(realm, server.getPort())
                          + "\",service=\"mock\"")
                  .build();
            }
            return new MockResponse.Builder()
                .code(200)
                .setHeader("Content-Type", image.manifest().mediaType())
                .body(new Buffer().write(image.bytes()))
                .build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
    pool = Executors.newFixedThreadPool(8);
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    server.close();
  }

  private DistributionBackend open() {
    String host = "127.0.0.1:" + server.getPort();
    BackendOptions options = BackendOptions.defaults().with(RegistryOptions.PLAIN_HTTP, true);
    return DistributionBackend.open(
        new RegistryEndpoint(host, host, true, true),
        options,
        Settings.defaults().withRetries(1, Duration.ofMillis(10), Duration.ofSeconds(1)),
        Map.of());
  }

  private ImageRef ref(String repository) {
    return ImageRef.parse("127.0.0.1:" + server.getPort() + "/" + repository + ":1.0");
  }

  /** Fetches the references at once; returns the milliseconds it took. */
  private long fetchAtOnce(DistributionBackend backend, List<ImageRef> refs) throws Exception {
    List<Callable<byte[]>> tasks = new ArrayList<>();
    refs.forEach(r -> tasks.add(() -> backend.fetch(r).bytes()));
    long start = System.nanoTime();
    for (Future<byte[]> f : pool.invokeAll(tasks)) {
      assertArrayEquals(image.bytes(), f.get());
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void tokensForTwoScopesAreFetchedAtTheSameTime() throws Exception {
    try (DistributionBackend backend = open()) {
      long ms = fetchAtOnce(backend, List.of(ref("team/a"), ref("team/b")));

      assertTrue(ms < TOKEN_MS * 2 - 200, "two slow token fetches took " + ms + " ms together");
    }
    assertEquals(1, fetched.get("repository:team/a:pull").get());
    assertEquals(1, fetched.get("repository:team/b:pull").get());
  }

  @Test
  void requestsThatNeedTheSameTokenWaitForOneFetch() throws Exception {
    try (DistributionBackend backend = open()) {
      List<ImageRef> same = List.of(ref("team/a"), ref("team/a"), ref("team/a"), ref("team/a"));
      long ms = fetchAtOnce(backend, same);

      assertTrue(ms < TOKEN_MS * 2 - 200, "took " + ms + " ms");
      assertEquals(Map.of("repository:team/a:pull", 1), counts());
      fetchAtOnce(backend, same); // cached now
    }
    assertEquals(Map.of("repository:team/a:pull", 1), counts());
  }

  private Map<String, Integer> counts() {
    Map<String, Integer> m = new java.util.TreeMap<>();
    fetched.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }
}
