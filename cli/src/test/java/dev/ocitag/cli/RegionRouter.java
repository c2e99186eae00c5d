package dev.ocitag.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.ecr.testing.FakeEcr;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One ECR API endpoint in front of several {@link FakeEcr}s, one per region (each fake is one
 * account): the CLI takes a single {@code --endpoint-url} for every ECR registry, so a promotion
 * from account A in one region to account B in another reaches both fakes through this. A request
 * goes to the fake of the region its SigV4 credential scope names, with its bytes as they came (the
 * Host header too: the signature covers it).
 */
final class RegionRouter implements AutoCloseable {
  private static final Pattern SCOPE = Pattern.compile("Credential=[^/,]+/\\d{8}/([^/]+)/");

  /** Request headers not passed on: this hop's own framing. */
  private static final Set<String> HOP =
      Set.of("connection", "content-length", "transfer-encoding", "expect");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, FakeEcr> byRegion;

  private RegionRouter(HttpServer server, ExecutorService executor, Map<String, FakeEcr> byRegion) {
    this.server = server;
    this.executor = executor;
    this.byRegion = Map.copyOf(byRegion);
  }

  static RegionRouter start(Map<String, FakeEcr> byRegion) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService executor =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "region-router");
              t.setDaemon(true);
              return t;
            });
    RegionRouter router = new RegionRouter(server, executor, byRegion);
    server.createContext("/", router::handle);
    server.setExecutor(executor);
    server.start();
    return router;
  }

  /** The URL for {@code --endpoint-url}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      Matcher m = SCOPE.matcher(authorization == null ? "" : authorization);
      FakeEcr fake = m.find() ? byRegion.get(m.group(1)) : null;
      if (fake == null) {
        byte[] why = ("no fake ECR for " + authorization).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(421, why.length);
        exchange.getResponseBody().write(why);
        return;
      }
      forward(exchange, body, fake.port());
    }
  }

  private static void forward(HttpExchange exchange, byte[] body, int port) throws IOException {
    try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port)) {
      StringBuilder head = new StringBuilder();
      head.append(exchange.getRequestMethod())
          .append(' ')
          .append(exchange.getRequestURI().getRawPath());
      if (exchange.getRequestURI().getRawQuery() != null) {
        head.append('?').append(exchange.getRequestURI().getRawQuery());
      }
      head.append(" HTTP/1.1\r\n");
      exchange
          .getRequestHeaders()
          .forEach(
              (name, values) -> {
                if (!HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                  values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n"));
                }
              });
      head.append("Content-Length: ").append(body.length).append("\r\n");
      head.append("Connection: close\r\n\r\n");
      OutputStream out = upstream.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();

      InputStream in = upstream.getInputStream();
      List<String> lines = headLines(in);
      int status = Integer.parseInt(lines.get(0).split(" ")[1]);
      long length = 0;
      for (String line : lines.subList(1, lines.size())) {
        int colon = line.indexOf(':');
        String name = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(value);
        } else if (!HOP.contains(name.toLowerCase(java.util.Locale.ROOT))
            && !name.equalsIgnoreCase("Date")) {
          exchange.getResponseHeaders().add(name, value);
        }
      }
      byte[] answer = in.readNBytes((int) length);
      exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) {
        exchange.getResponseBody().write(answer);
      }
    }
  }

  /** The status line and header lines of an HTTP answer, read up to the blank line. */
  private static List<String> headLines(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the fake ECR closed the connection before its answer's headers");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    return List.of(text.substring(0, text.length() - 4).split("\r\n"));
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
