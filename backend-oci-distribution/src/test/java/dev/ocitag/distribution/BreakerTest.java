package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A registry that does not answer at all trips its backend's breaker: after a few connection
 * failures in a row every request fails at once, "not attempted", with no connection tried; one
 * that answers slowly or drops connections never does, and its requests are retried until they
 * pass. Real sockets: a port nobody listens on, a listener whose backlog is full, mockwebserver.
 */
@Timeout(60)
class BreakerTest {
  /** Short waits; retries bounded by the deadline (and the breaker) alone. */
  private static final Settings QUICK =
      Settings.defaults()
          .withBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
          .withTimeouts(Duration.ofMillis(300), Duration.ofMillis(300));

  private final TestImage image = TestImages.ociImage("breaker");
  private final List<String> debug = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private DistributionBackend open(String host, Settings settings) {
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.PLAIN_HTTP, true)
            .with(RegistryOptions.TIMEOUT, Duration.ofSeconds(20))
            .withParallelism(8)
            .withDebug(debug::add);
    DistributionBackend backend =
        DistributionBackend.open(
            new RegistryEndpoint(host, host, true, true), options, settings, Map.of());
    closing.add(backend);
    return backend;
  }

  private long sent(String method) {
    synchronized (debug) {
      return debug.stream().filter(l -> l.startsWith("> " + method + " ")).count();
    }
  }

  /** A loopback port nobody listens on: connections are refused. */
  private static int deadPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void aRefusingRegistryTripsTheBreakerAndLaterRequestsAreNotAttempted() throws Exception {
    String host = "127.0.0.1:" + deadPort();
    DistributionBackend backend = open(host, QUICK);
    ImageRef ref = ImageRef.parse(host + "/team/app:1.0");

    long start = System.nanoTime();
    OcitagException first = assertThrows(OcitagException.class, () -> backend.resolve(ref));
    long firstMillis = millisSince(start);

    assertTrue(first instanceof OcitagException.Transient, first.toString());
    assertTrue(
        first.getMessage().startsWith("resolve " + ref + ": " + host + " unreachable ("),
        first.getMessage());
    assertTrue(first.getMessage().contains("Connection refused"), first.getMessage());
    assertTrue(first.getMessage().endsWith("after 5 attempts"), first.getMessage());
    assertEquals(5, sent("HEAD"), "the threshold's attempts, then none");
    assertTrue(firstMillis < 5_000, firstMillis + " ms");

    start = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      ImageRef target = ref.withTag("t" + i);
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> backend.resolve(target));
      assertTrue(
          e.getMessage().startsWith("not attempted: " + host + " unreachable ("), e.getMessage());
      assertTrue(e.getMessage().contains("5 connection failures in a row"), e.getMessage());
      assertEquals(-1, e.getMessage().indexOf('\n'));
    }
    assertThrows(OcitagException.Failed.class, () -> backend.put(ref, image.manifest()));
    assertTrue(millisSince(start) < 1_000, "200 requests not attempted in " + millisSince(start));
    assertEquals(5, sent("HEAD"), "no request left after the breaker opened");
    assertEquals(0, sent("PUT"));
  }

  @Test
  void aRegistryThatAcceptsNoConnectionTripsItToo() throws Exception {
    // a listener that never accepts, its backlog filled: connects to it time out
    ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    closing.add(silent);
    for (int i = 0; i < 4; i++) {
      Socket s = new Socket();
      closing.add(s);
      try {
        s.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()), 200);
      } catch (IOException e) {
        break; // the backlog is full
      }
    }
    String host = "127.0.0.1:" + silent.getLocalPort();
    DistributionBackend backend = open(host, QUICK);
    ImageRef ref = ImageRef.parse(host + "/team/app:1.0");

    long start = System.nanoTime();
    OcitagException first = assertThrows(OcitagException.class, () -> backend.fetch(ref));
    assertTrue(first.getMessage().contains("timed out"), first.getMessage());
    assertTrue(first.getMessage().contains("unreachable"), first.getMessage());
    assertTrue(millisSince(start) < 10_000, millisSince(start) + " ms, not the 20 s --timeout");
    OcitagException.Failed next =
        assertThrows(OcitagException.Failed.class, () -> backend.fetch(ref.withTag("2")));
    assertTrue(next.getMessage().startsWith("not attempted: " + host), next.getMessage());
  }

  @Test
  void aSlowRegistryThatDropsConnectionsNeverTripsItAndEveryRequestPasses() throws Exception {
    MockWebServer server = new MockWebServer();
    server.start(InetAddress.getLoopbackAddress(), 0);
    closing.add(server);
    AtomicInteger seen = new AtomicInteger();
    // the first 24 answers are too slow (over the 300 ms read timeout) or dropped: eight requests
    // at once get three failures each, many more than the breaker's five in a row
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            int n = seen.incrementAndGet();
            if (n <= 24) {
              return n % 2 == 0
                  ? new MockResponse.Builder()
                      .onResponseStart(new SocketEffect.CloseSocket())
                      .build()
                  : new MockResponse.Builder()
                      .headersDelay(1, TimeUnit.SECONDS)
                      .setHeader("Content-Type", image.manifest().mediaType())
                      .setHeader("Docker-Content-Digest", image.digest().toString())
                      .body(new Buffer().write(image.bytes()))
                      .build();
            }
            return new MockResponse.Builder()
                .setHeader("Content-Type", image.manifest().mediaType())
                .setHeader("Docker-Content-Digest", image.digest().toString())
                .body(new Buffer().write(image.bytes()))
                .build();
          }
        });
    String host = "127.0.0.1:" + server.getPort();
    DistributionBackend backend = open(host, QUICK);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<byte[]>> fetched = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        ImageRef ref = ImageRef.parse(host + "/team/app:t" + i);
        fetched.add(pool.submit(() -> backend.fetch(ref).bytes()));
      }
      for (Future<byte[]> f : fetched) {
        assertArrayEquals(image.bytes(), f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(seen.get() > 24, "every request got through after the faults: " + seen);
  }

  @Test
  void aRegistryThatComesBackIsProbedAfterTheCoolDown() throws Exception {
    int port = deadPort();
    String host = "127.0.0.1:" + port;
    DistributionBackend backend = open(host, QUICK.withBreaker(2, Duration.ofMillis(500)));
    ImageRef ref = ImageRef.parse(host + "/team/app:1.0");
    assertThrows(OcitagException.Transient.class, () -> backend.resolve(ref));

    MockWebServer server = new MockWebServer();
    server.start(InetAddress.getLoopbackAddress(), port); // back, on the same port
    closing.add(server);
    for (int i = 0; i < 3; i++) {
      server.enqueue(
          new MockResponse.Builder()
              .code(200)
              .setHeader("Docker-Content-Digest", image.digest().toString())
              .build());
    }
    long start = System.nanoTime();
    OcitagException.Failed stillOpen =
        assertThrows(OcitagException.Failed.class, () -> backend.resolve(ref));
    assertTrue(stillOpen.getMessage().startsWith("not attempted"), stillOpen.getMessage());
    assertEquals(0, server.getRequestCount(), "nothing sent during the cool-down");

    Thread.sleep(Math.max(0, 600 - millisSince(start)));
    assertEquals(image.digest(), backend.resolve(ref).orElseThrow(), "the probe");
    assertEquals(image.digest(), backend.resolve(ref).orElseThrow(), "closed again");
    assertEquals(2, server.getRequestCount());
  }

  @Test
  void oneProbeAtATimeItsTokenFetchGoesThroughAndAProbeThatEndsOtherwiseFreesTheNext()
      throws Exception {
    Breaker breaker = new Breaker("registry.example", 2, Duration.ZERO);
    java.net.ConnectException refused = new java.net.ConnectException("Connection refused");
    breaker.failed(refused);
    breaker.before(); // one failure: still closed
    breaker.failed(refused);

    breaker.before(); // open, cool-down over: this thread probes
    breaker.before(); // and its token fetch goes through too
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      java.util.concurrent.Callable<Void> probe =
          () -> {
            breaker.before();
            return null;
          };
      Future<?> meanwhile = other.submit(probe);
      Breaker.Unreachable e =
          assertThrows(
              Breaker.Unreachable.class,
              () -> {
                try {
                  meanwhile.get();
                } catch (java.util.concurrent.ExecutionException x) {
                  throw x.getCause();
                }
              });
      assertEquals(
          "registry.example unreachable (Connection refused; 2 connection failures in a row)",
          e.getMessage());

      breaker.ended(); // the probe ended without an answer (missing credentials, say)
      other.submit(probe).get(); // the next one probes
      breaker.answered();
      breaker.before(); // closed
    } finally {
      other.shutdownNow();
    }
  }
}
