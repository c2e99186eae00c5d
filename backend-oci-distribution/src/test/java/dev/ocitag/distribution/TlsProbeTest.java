package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.distribution.testing.TestCertificates;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

/** The TLS hello probe, against a TLS server, a plain HTTP one, a silent one and a closed port. */
class TlsProbeTest {
  private static final Duration LIMIT = Duration.ofSeconds(2);

  private static URI at(ServerSocket server) {
    return URI.create("https://127.0.0.1:" + server.getLocalPort() + "/v2/");
  }

  /** Serves one connection on a thread: {@code answer} gets the accepted socket. */
  private interface Answer {
    void on(Socket s) throws Exception;
  }

  private static Thread serveOnce(ServerSocket server, Answer answer) {
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                answer.on(s);
              } catch (Exception e) {
                // the probe hung up: fine
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void aTlsServerAnswersInTls() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.useHttps(TestCertificates.forHosts("127.0.0.1").serverSocketFactory());
      server.start(InetAddress.getLoopbackAddress(), 0);
      URI url = URI.create("https://127.0.0.1:" + server.getPort() + "/v2/");
      assertEquals(Boolean.TRUE, TlsProbe.speaksTls(url, LIMIT));
    }
  }

  @Test
  void aPlainHttpServerAnswers400ToTheHelloLine() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      serveOnce(
          server,
          s -> {
            // as Go's and nginx's servers do: read a line, find no request line, answer 400
            new BufferedReader(
                    new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))
                .readLine();
            s.getOutputStream()
                .write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          });
      assertEquals(Boolean.FALSE, TlsProbe.speaksTls(at(server), LIMIT));
    }
  }

  @Test
  void aSilentServerOrAClosedPortTellsNothingWithinTheLimit() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      serveOnce(server, s -> Thread.sleep(10_000));
      long start = System.nanoTime();
      assertNull(TlsProbe.speaksTls(at(server), Duration.ofMillis(300)));
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "bounded");
    }
    int closed;
    try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = gone.getLocalPort();
    }
    assertNull(TlsProbe.speaksTls(URI.create("https://127.0.0.1:" + closed + "/v2/"), LIMIT));
  }
}
