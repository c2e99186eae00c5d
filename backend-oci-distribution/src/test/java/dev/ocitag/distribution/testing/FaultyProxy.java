package dev.ocitag.distribution.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A registry with faults: an HTTP/1.1 proxy on 127.0.0.1 in front of a real one on this machine,
 * which answers some requests itself, and drops some connections.
 *
 * <p>Overload, as a registry's load balancer shows it ({@link #overloading}): for each request, at
 * random, the connection is dropped (half of those before the request reaches the registry, half
 * after, so that the registry acted and its answer is lost), else the proxy answers 503, or 429
 * (half of them with {@code Retry-After: 1}), else the request goes to the registry. Partial
 * permissions ({@link #refusing}): requests whose line matches a pattern get a status of the
 * proxy's, with the spec's {@code DENIED} error.
 *
 * <p>Each connection carries one request ({@code Connection: close}). A connection that does not
 * start with an HTTP request (a TLS hello) is passed through untouched.
 */
public final class FaultyProxy implements AutoCloseable {
  private record Refusal(Pattern requestLine, int status) {}

  private final ServerSocket server;
  private final int targetPort;
  private volatile double drop;
  private volatile double unavailable;
  private volatile double throttled;
  private final List<Refusal> refusals = new CopyOnWriteArrayList<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final AtomicInteger answered503 = new AtomicInteger();
  private final AtomicInteger answered429 = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private FaultyProxy(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
  }

  /** A proxy to 127.0.0.1:{@code targetPort}, passing everything until faults are set. */
  public static FaultyProxy start(int targetPort) throws IOException {
    ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    FaultyProxy proxy = new FaultyProxy(server, targetPort);
    daemon("faulty-accept", proxy::accept);
    return proxy;
  }

  /**
   * Drops {@code drop} of the connections, and of the others answers {@code unavailable} with 503
   * and {@code throttled} with 429.
   */
  public FaultyProxy overloading(double drop, double unavailable, double throttled) {
    this.drop = drop;
    this.unavailable = unavailable;
    this.throttled = throttled;
    return this;
  }

  /**
   * Answers {@code status} (with a {@code DENIED} error body) to requests whose line ({@code HEAD
   * /v2/team/app/manifests/1.0 HTTP/1.1}) matches {@code regex} at its start.
   */
  public FaultyProxy refusing(String regex, int status) {
    refusals.add(new Refusal(Pattern.compile(regex), status));
    return this;
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** What happened so far, for messages. */
  public String counts() {
    return forwarded.get()
        + " forwarded, "
        + dropped.get()
        + " dropped, "
        + answered503.get()
        + " answered 503, "
        + answered429.get()
        + " answered 429, "
        + refused.get()
        + " refused";
  }

  /** How many requests were refused by {@link #refusing} rules. */
  public int refused() {
    return refused.get();
  }

  public int dropped() {
    return dropped.get();
  }

  public int answered503() {
    return answered503.get();
  }

  public int answered429() {
    return answered429.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        sockets.add(client);
        daemon("faulty-conn", () -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      int first = in.read();
      if (first < 0) {
        return;
      }
      if (first < 'A' || first > 'Z') {
        passThrough(client, first);
        return;
      }
      byte[] head = readHead(in, first);
      String text = new String(head, StandardCharsets.ISO_8859_1);
      String method = text.substring(0, text.indexOf(' '));
      String requestLine = text.substring(0, text.indexOf('\r'));
      long length = contentLength(text);
      for (Refusal refusal : refusals) {
        if (refusal.requestLine().matcher(requestLine).lookingAt()) {
          refused.incrementAndGet();
          in.skipNBytes(length);
          answer(out, method, refusal.status() + " Refused", null, "DENIED", "not allowed here");
          return;
        }
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      if (random.nextDouble() < drop) {
        dropped.incrementAndGet();
        if (random.nextBoolean()) {
          reset(client); // before the registry saw it
        } else {
          forward(head, in, length, OutputStream.nullOutputStream()); // the registry acted
          reset(client); // and its answer is lost
        }
        return;
      }
      double r = random.nextDouble();
      if (r < unavailable) {
        answered503.incrementAndGet();
        in.skipNBytes(length);
        answer(out, method, "503 Service Unavailable", null, "UNAVAILABLE", "overloaded");
      } else if (r < unavailable + throttled) {
        answered429.incrementAndGet();
        in.skipNBytes(length);
        String retryAfter = random.nextBoolean() ? "Retry-After: 1\r\n" : null;
        answer(out, method, "429 Too Many Requests", retryAfter, "TOOMANYREQUESTS", "slow down");
      } else {
        forwarded.incrementAndGet();
        forward(head, in, length, out);
      }
    } catch (IOException e) {
      // the client or the registry went away: so does this connection
    } finally {
      sockets.remove(client);
    }
  }

  /** The request line and headers, up to the empty line, with that line. */
  private static byte[] readHead(InputStream in, int first) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write(first);
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request ended in its headers");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 64 * 1024) {
        throw new IOException("request headers over 64 KiB");
      }
    }
    return head.toByteArray();
  }

  private static long contentLength(String head) throws IOException {
    for (String line : head.split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("transfer-encoding:")) {
        throw new IOException("chunked requests are not proxied: " + line);
      }
      if (lower.startsWith("content-length:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    return 0;
  }

  /**
   * Sends the request to the registry with {@code Connection: close} and copies its answer to
   * {@code out} until the registry closes the connection.
   */
  private void forward(byte[] head, InputStream body, long length, OutputStream out)
      throws IOException {
    StringBuilder rewritten = new StringBuilder();
    for (String line : new String(head, StandardCharsets.ISO_8859_1).split("\r\n")) {
      if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
        rewritten.append(line).append("\r\n");
      }
    }
    rewritten.append("Connection: close\r\n\r\n");
    try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
      sockets.add(upstream);
      OutputStream up = upstream.getOutputStream();
      up.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
      byte[] buffer = new byte[64 * 1024];
      for (long left = length; left > 0; ) {
        int n = body.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException("the request body ended early");
        }
        up.write(buffer, 0, n);
        left -= n;
      }
      up.flush();
      upstream.getInputStream().transferTo(out);
      out.flush();
    }
  }

  private static void answer(
      OutputStream out, String method, String status, String extra, String code, String message)
      throws IOException {
    byte[] body =
        method.equals("HEAD")
            ? new byte[0]
            : ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + "\r\n"
            + (extra == null ? "" : extra)
            + "Content-Type: application/json\r\n"
            + "Content-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  /** Not HTTP (a TLS hello): both ways, untouched, until either side closes. */
  private void passThrough(Socket client, int first) throws IOException {
    try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
      sockets.add(upstream);
      upstream.getOutputStream().write(first);
      Thread up =
          daemon(
              "faulty-up",
              () -> {
                try {
                  client.getInputStream().transferTo(upstream.getOutputStream());
                  upstream.shutdownOutput();
                } catch (IOException e) {
                  // either side closed
                }
              });
      upstream.getInputStream().transferTo(client.getOutputStream());
      up.interrupt();
    }
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // RST, as a dropped connection shows
      socket.close();
    } catch (IOException e) {
      // gone already
    }
  }

  private static Thread daemon(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
