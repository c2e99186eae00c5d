package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
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
 * {@code --timeout}: one deadline for a whole request, from connect to the last byte, retries and
 * token fetches included. A registry that accepts and never answers, or one that trickles its
 * answer, ends in about the timeout, not in the socket's read timeout (60 s by default, which a
 * trickle never trips) nor in attempts times that.
 */
@Timeout(60)
class TimeoutTest {
  /** Many attempts and a long read timeout: only the deadline can end these requests early. */
  private static final Settings PATIENT =
      Settings.defaults()
          .withRetries(10, Duration.ofMillis(50), Duration.ofSeconds(30))
          .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(60));

  private final TestImage image = TestImages.ociImage("timeouts");
  private MockWebServer server;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private DistributionBackend open(Duration timeout) {
    String host = "127.0.0.1:" + server.getPort();
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.PLAIN_HTTP, true)
            .withParallelism(4)
            .with(RegistryOptions.TIMEOUT, timeout);
    return DistributionBackend.open(
        new RegistryEndpoint(host, host, true, true), options, PATIENT, Map.of());
  }

  private ImageRef ref() {
    return ImageRef.parse("127.0.0.1:" + server.getPort() + "/team/app:1.0");
  }

  private void answerAll(MockResponse response) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return response;
          }
        });
  }

  /** Runs the request and returns how long it took, asserting the one-line failure. */
  private long timedFailure(DistributionBackend backend, String expected) {
    long start = System.nanoTime();
    OcitagException.Transient e =
        assertThrows(OcitagException.Transient.class, () -> backend.fetch(ref()));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(e.getMessage().contains("127.0.0.1:" + server.getPort()), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
    return ms;
  }

  @Test
  void aRegistryThatAcceptsAndNeverAnswersEndsAtTheTimeout() {
    answerAll(new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());

    try (DistributionBackend backend = open(Duration.ofSeconds(2))) {
      long ms = timedFailure(backend, "within 2 s");
      assertTrue(ms >= 1900 && ms < 5000, "took " + ms + " ms");
    }
  }

  @Test
  void aRegistryThatTricklesItsAnswerEndsAtTheTimeout() {
    answerAll(
        new MockResponse.Builder()
            .code(200)
            .setHeader("Content-Type", image.manifest().mediaType())
            .body(new Buffer().write(image.bytes()))
            .throttleBody(1, 1, TimeUnit.SECONDS) // a byte a second: no read ever times out
            .build());

    try (DistributionBackend backend = open(Duration.ofSeconds(3))) {
      long ms = timedFailure(backend, "within 3 s");
      assertTrue(ms >= 2900 && ms < 6000, "took " + ms + " ms");
    }
  }

  @Test
  void retriesStopWhenTheTimeIsUp() {
    answerAll(new MockResponse.Builder().code(503).setHeader("Retry-After", "1").build());

    try (DistributionBackend backend = open(Duration.ofMillis(2500))) {
      long start = System.nanoTime();
      OcitagException.Transient e =
          assertThrows(OcitagException.Transient.class, () -> backend.fetch(ref()));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e.getMessage().contains("503"), e.getMessage());
      assertTrue(ms < 3000, "took " + ms + " ms");
    }
    // 0 s, 1 s, 2 s; a fourth attempt would start after the deadline
    assertEquals(3, server.getRequestCount());
  }

  @Test
  void aTokenServiceThatNeverAnswersIsBoundByTheSameTimeout() {
    String realm = server.url("/token").toString();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getUrl().encodedPath().equals("/token")) {
              return new MockResponse.Builder()
                  .onResponseStart(SocketEffect.Stall.INSTANCE)
                  .build();
            }
            return new MockResponse.Builder()
                .code(401)
                .setHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"x\"")
                .build();
          }
        });

    try (DistributionBackend backend = open(Duration.ofSeconds(2))) {
      long ms = timedFailure(backend, "within 2 s");
      assertTrue(ms >= 1900 && ms < 5000, "took " + ms + " ms");
    }
  }

  @Test
  void aQuickAnswerIsNotCutShortByALaterDeadline() {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .setHeader("Content-Type", image.manifest().mediaType())
            .body(new Buffer().write(image.bytes()))
            .throttleBody(image.bytes().length / 2 + 1, 300, TimeUnit.MILLISECONDS)
            .build());

    try (DistributionBackend backend = open(Duration.ofSeconds(5))) {
      assertArrayEquals(image.bytes(), backend.fetch(ref()).bytes());
    }
  }

  private static Descriptor blob(byte[] bytes) {
    return Descriptor.of(Digest.of(bytes), bytes.length);
  }

  @Test
  void aBlobStreamThatKeepsMovingIsNotCutOffAtTheTimeout() throws Exception {
    byte[] bytes = new byte[1024 * 1024];
    new java.util.Random(11).nextBytes(bytes);
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body(new Buffer().write(bytes))
            .throttleBody(64 * 1024, 200, TimeUnit.MILLISECONDS) // 16 steps: about 3 s
            .build());

    long start = System.nanoTime();
    try (DistributionBackend backend = open(Duration.ofSeconds(1));
        InputStream in = backend.openBlob(ref(), blob(bytes))) {
      assertArrayEquals(bytes, in.readAllBytes());
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms > 2000, "took " + ms + " ms: longer than the 1 s timeout, and not cut off");
  }

  @Test
  void aBlobStreamThatStallsFailsAfterTheTimeoutNamingTheBlob() throws Exception {
    byte[] bytes = new byte[64 * 1024];
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body(new Buffer().write(bytes))
            .bodyDelay(20, TimeUnit.SECONDS) // headers, then nothing
            .build());

    try (DistributionBackend backend = open(Duration.ofSeconds(1));
        InputStream in = backend.openBlob(ref(), blob(bytes))) {
      long start = System.nanoTime();
      IOException e = assertThrows(IOException.class, in::readAllBytes);
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= 900 && ms < 5000, "took " + ms + " ms");
      assertTrue(e.getMessage().contains(Digest.of(bytes).toString()), e.getMessage());
      assertTrue(e.getMessage().contains("after 0 bytes"), e.getMessage());
    }
  }

  @Test
  void aBlobStreamNobodyReadsForLongerThanTheTimeoutGoesOnWhenReadAgain() throws Exception {
    byte[] bytes = new byte[4 * 1024 * 1024];
    new java.util.Random(12).nextBytes(bytes);
    server.enqueue(new MockResponse.Builder().code(200).body(new Buffer().write(bytes)).build());

    try (DistributionBackend backend = open(Duration.ofSeconds(1));
        InputStream in = backend.openBlob(ref(), blob(bytes))) {
      byte[] first = in.readNBytes(64 * 1024);
      // the other end of a copy may be slow: time when nothing waits on the source is not idleness
      Thread.sleep(2500);
      byte[] rest = in.readAllBytes();
      byte[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
      System.arraycopy(rest, 0, all, first.length, rest.length);
      assertArrayEquals(bytes, all);
    }
  }

  /** An upload: POST answered with a location, then the PUT that carries the bytes answered so. */
  private void uploads(MockResponse put) {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getMethod().equals("POST")) {
              return new MockResponse.Builder()
                  .code(202)
                  .setHeader("Location", "/v2/team/app/blobs/uploads/u1")
                  .build();
            }
            if (request.getMethod().equals("PUT")) {
              return put;
            }
            return new MockResponse.Builder().code(204).build(); // the cancelling DELETE
          }
        });
  }

  /** Pushes a blob of zeros, more than the sockets' buffers hold, and returns how long it took. */
  private long timedPushFailure(DistributionBackend backend) throws Exception {
    int size = 48 * 1024 * 1024;
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    byte[] zeros = new byte[1024 * 1024];
    for (int i = 0; i < size / zeros.length; i++) {
      sha.update(zeros);
    }
    Digest digest = new Digest("sha256", java.util.HexFormat.of().formatHex(sha.digest()));
    InputStream body =
        new InputStream() {
          long left = size;

          @Override
          public int read() {
            return left-- > 0 ? 0 : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
          }
        };
    long start = System.nanoTime();
    OcitagException e =
        assertThrows(
            OcitagException.Transient.class,
            () -> backend.pushBlob(ref(), Descriptor.of(digest, size), body));
    assertTrue(e.getMessage().contains(digest.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("timeout"), e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'), e.getMessage());
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails too
  void anUploadTheRegistryStopsReadingFailsAfterTheTimeout() throws Exception {
    // the upload's location: a server that reads the PUT's headers, then nothing more
    try (java.net.ServerSocket deaf =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  java.net.Socket socket = deaf.accept();
                  accepted.add(socket);
                  InputStream in = socket.getInputStream();
                  int last = 0;
                  for (int c; (c = in.read()) >= 0; ) { // up to the blank line after the headers
                    last = (last << 8 | c) & 0xffffffff;
                    if (last == 0x0d0a0d0a) {
                      break;
                    }
                  }
                } catch (java.io.IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      server.setDispatcher(
          new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
              return request.getMethod().equals("POST")
                  ? new MockResponse.Builder()
                      .code(202)
                      .setHeader(
                          "Location",
                          "http://127.0.0.1:"
                              + deaf.getLocalPort()
                              + "/v2/team/app/blobs/uploads/u1")
                      .build()
                  : new MockResponse.Builder().code(204).build(); // the cancelling DELETE
            }
          });
      try (DistributionBackend backend = open(Duration.ofSeconds(1))) {
        long ms = timedPushFailure(backend);
        assertTrue(ms >= 900 && ms < 10_000, "took " + ms + " ms");
      } finally {
        for (java.net.Socket socket : accepted) {
          socket.close();
        }
      }
      assertEquals(1, accepted.size());
    }
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang fails too
  void anUploadWhoseAnswerNeverComesFailsAfterTheTimeout() throws Exception {
    uploads(
        new MockResponse.Builder().code(201).onResponseStart(SocketEffect.Stall.INSTANCE).build());
    try (DistributionBackend backend = open(Duration.ofSeconds(1))) {
      long ms = timedPushFailure(backend);
      assertTrue(ms >= 900 && ms < 10_000, "took " + ms + " ms");
    }
  }
}
