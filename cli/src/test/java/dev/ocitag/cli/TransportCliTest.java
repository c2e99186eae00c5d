package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.TestCertificates;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against registries that misbehave at the transport: one that accepts and never answers,
 * one that trickles a byte a second, one whose TLS certificate nobody vouched for. Each ends with
 * exit 1 and one line naming the registry, within about --timeout.
 */
@Timeout(120)
class TransportCliTest {
  @TempDir Path temp;
  private final TestImage image = TestImages.ociImage("transport-cli");
  private MockWebServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private void serve(Supplier<MockResponse> answer, TestCertificates tls) throws Exception {
    server = new MockWebServer();
    if (tls != null) {
      server.useHttps(tls.serverSocketFactory());
    }
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return answer.get();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  private MockResponse.Builder manifest() {
    return new MockResponse.Builder()
        .code(200)
        .setHeader("Content-Type", image.manifest().mediaType())
        .body(new Buffer().write(image.bytes()));
  }

  /** Runs the CLI; returns the run after checking it failed in one line naming {@code host}. */
  private static CliRun failsInOneLine(String host, long maxMs, String... args) {
    long start = System.nanoTime();
    CliRun run = CliRun.of(args);
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(1, run.code(), run::toString);
    List<String> lines = run.stderr().strip().lines().toList();
    assertEquals(1, lines.size(), run::toString);
    assertTrue(lines.get(0).startsWith("ocitag: "), run::toString);
    assertTrue(lines.get(0).contains(host), run::toString);
    assertTrue(ms < maxMs, "took " + ms + " ms: " + run);
    return run;
  }

  @Test
  void aRegistryThatAcceptsAndNeverAnswersEndsWithinTheTimeout() throws Exception {
    serve(
        () -> new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build(),
        null);
    String host = "127.0.0.1:" + server.getPort();

    CliRun tag = failsInOneLine(host, 10_000, "--timeout", "3", "tag", host + "/app:1.0", "2.0");
    assertTrue(tag.stderr().contains("within 3 s"), tag::toString);
    failsInOneLine(host, 10_000, "--timeout", "3", "manifest", host + "/app:1.0");
  }

  @Test
  void aRegistryThatTricklesAByteASecondEndsWithinTheTimeout() throws Exception {
    serve(() -> manifest().throttleBody(1, 1, TimeUnit.SECONDS).build(), null);
    String host = "127.0.0.1:" + server.getPort();

    CliRun run = failsInOneLine(host, 15_000, "--timeout", "5", "manifest", host + "/app:1.0");
    assertTrue(run.stderr().contains("within 5 s"), run::toString);
  }

  @Test
  void anUntrustedCertificateNamesTheWaysOutAndEachWorks() throws Exception {
    // localhost, not 127.0.0.1: other tests' plain servers on 127.0.0.1 ports are remembered
    TestCertificates certs = TestCertificates.forHosts("localhost");
    serve(() -> manifest().build(), certs);
    String host = "localhost:" + server.getPort();

    CliRun refused = failsInOneLine(host, 30_000, "manifest", host + "/app:1.0");
    String line = refused.stderr();
    assertTrue(line.contains("signed by no CA ocitag trusts"), line);
    assertTrue(line.contains("--ca-file"), line);
    assertTrue(line.contains("/etc/docker/certs.d/" + host + "/ca.crt"), line);
    assertTrue(line.contains("--insecure"), line);

    Path ca = certs.writeCa(temp.resolve("ca.pem"));
    CliRun trusted = CliRun.of("--ca-file", ca.toString(), "manifest", host + "/app:1.0");
    assertEquals(0, trusted.code(), trusted::toString);
    assertArrayEquals(image.bytes(), trusted.stdoutBytes());

    CliRun insecure = CliRun.of("--insecure", "manifest", host + "/app:1.0");
    assertEquals(0, insecure.code(), insecure::toString);
    assertArrayEquals(image.bytes(), insecure.stdoutBytes());
  }

  @Test
  void aTimeoutThatIsNoNumberIsAUsageError() {
    CliRun run = CliRun.of("--timeout", "soon", "manifest", "127.0.0.1:1/app:1.0");
    assertEquals(2, run.code(), run::toString);
    assertTrue(run.stderr().contains("--timeout"), run::toString);
    assertEquals(2, CliRun.of("--timeout", "0", "manifest", "127.0.0.1:1/app:1.0").code());
  }
}
