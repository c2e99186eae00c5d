package dev.ocitag.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;

/**
 * Asks a loopback registry whether it speaks TLS before any TLS is set up: a TCP connection, one
 * TLS ClientHello record (fixed bytes: nothing is negotiated and no key is made), and the first
 * byte of the answer. A TLS server answers with a TLS record (a handshake, or an alert refusing
 * this hello); a plain HTTP server with {@code HTTP/1.x 400}. Anything else (silence, a closed
 * connection) leaves the question to the real handshake. A plain-HTTP loopback registry thus costs
 * no TLS set-up at all, which is most of what the JDK spends on a first handshake.
 */
final class TlsProbe {
  /** TLS record types a server may open its answer with: alert (21) and handshake (22). */
  private static final int ALERT = 21;

  private static final int HANDSHAKE = 22;

  /**
   * A TLS 1.2 ClientHello record with one cipher suite (ECDHE-RSA-AES128-GCM-SHA256), the null
   * compression method and no extensions: an answer is all that is asked for.
   */
  private static final byte[] CLIENT_HELLO = clientHello();

  private TlsProbe() {}

  private static byte[] clientHello() {
    int body = 2 + 32 + 1 + 2 + 2 + 1 + 1; // version, random, session id, suites, compression
    byte[] b = new byte[5 + 4 + body];
    int i = 0;
    b[i++] = HANDSHAKE;
    b[i++] = 3;
    b[i++] = 1; // record version TLS 1.0, as clients send for compatibility
    b[i++] = (byte) ((4 + body) >> 8);
    b[i++] = (byte) (4 + body);
    b[i++] = 1; // ClientHello
    b[i++] = 0;
    b[i++] = (byte) (body >> 8);
    b[i++] = (byte) body;
    b[i++] = 3;
    b[i++] = 3; // TLS 1.2
    // the random: zeros but for a line end and an empty line, so that a plain HTTP server has what
    // it waits for (a request line, the end of the headers) and answers it, not a request, with 400
    b[i] = '\r';
    b[i + 1] = '\n';
    b[i + 2] = '\r';
    b[i + 3] = '\n';
    i += 32;
    b[i++] = 0; // no session id
    b[i++] = 0;
    b[i++] = 2;
    b[i++] = (byte) 0xc0;
    b[i++] = (byte) 0x2f;
    b[i++] = 1;
    b[i] = 0; // compression: null
    return b;
  }

  /**
   * True when the server at the URL's host and port answered in TLS, false when it answered plain
   * HTTP, null when that cannot be told within {@code limit}.
   */
  static Boolean speaksTls(URI url, Duration limit) {
    int port = url.getPort() < 0 ? 443 : url.getPort();
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, limit.toMillis()));
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(url.getHost(), port), millis);
      socket.setSoTimeout(millis);
      OutputStream out = socket.getOutputStream();
      out.write(CLIENT_HELLO);
      out.flush();
      InputStream in = socket.getInputStream();
      int first = in.read();
      if (first == ALERT || first == HANDSHAKE) {
        return Boolean.TRUE;
      }
      if (first == 'H' && in.read() == 'T' && in.read() == 'T' && in.read() == 'P') {
        return Boolean.FALSE;
      }
      return null;
    } catch (IOException e) {
      return null; // refused, silent, reset: the real request tells
    }
  }
}
