package dev.ocitag.distribution.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.core.Digest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain-HTTP proxy on 127.0.0.1 in front of an open {@link RealRegistry} ({@code registry:2},
 * distribution 2.8, which has no referrers API), in one of two modes:
 *
 * <ul>
 *   <li>{@link #withApi}: the proxy adds the OCI 1.1 referrers API as a registry that has it does.
 *       Every manifest PUT that succeeds and carries a {@code subject} is indexed from its bytes
 *       (media type, digest, size, {@code artifactType} or the config's media type, annotations)
 *       and answered with {@code OCI-Subject}; {@code GET /v2/<name>/referrers/<digest>} answers an
 *       OCI index of what was indexed for that name and digest, {@link #PAGE} per page with a
 *       {@code Link} to the next, filtered by {@code ?artifactType=} with {@code
 *       OCI-Filters-Applied}. Everything else passes to the registry.
 *   <li>{@link #conditional}: no API (the registry's 404 passes through), but manifest PUTs honour
 *       {@code If-Match} and {@code If-None-Match: *} against the registry's ETag ({@code
 *       "<digest>"}), answering 412 when they do not hold; and once {@link #interfereOnce} is
 *       armed, the next conditional PUT to a referrers tag first has another writer add an entry to
 *       that tag's index, as a concurrent client would.
 * </ul>
 *
 * Requests are logged ({@link #requests}) as {@code METHOD path?query}.
 */
public final class ReferrersProxy implements AutoCloseable {
  /** Descriptors per page of the referrers API. */
  public static final int PAGE = 2;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([^/]+)");
  private static final Pattern REFERRERS = Pattern.compile("/v2/(.+)/referrers/([^/?]+)");
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "host",
          "connection",
          "content-length",
          "transfer-encoding",
          "keep-alive",
          "upgrade",
          "expect");

  private final RealRegistry registry;
  private final boolean api;
  private final HttpServer server;
  private final HttpClient client =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /** Per repository and subject digest, the descriptors of its referrers, in push order. */
  private final Map<String, List<ObjectNode>> indexed = new ConcurrentHashMap<>();

  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final AtomicBoolean interfere = new AtomicBoolean();

  /** The digest of what another writer added, once it has. */
  private volatile Digest interloper;

  private volatile byte[] theirs;
  private volatile String theirType;

  private ReferrersProxy(RealRegistry registry, boolean api) throws IOException {
    this.registry = registry;
    this.api = api;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  /** A registry with the referrers API: {@code registry} behind this proxy. */
  public static ReferrersProxy withApi(RealRegistry registry) throws IOException {
    return new ReferrersProxy(registry, true);
  }

  /** A registry without it whose manifest PUTs honour conditions. */
  public static ReferrersProxy conditional(RealRegistry registry) throws IOException {
    return new ReferrersProxy(registry, false);
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Every request so far, as {@code METHOD path?query}. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  /**
   * Arms the other writer (see {@link #conditional}): before the next conditional PUT to a
   * referrers tag, it stores {@code manifest} by digest (its blobs must be there: distribution
   * refuses an index that names a manifest it lacks) and adds it, of {@code artifactType}, to that
   * tag's index.
   */
  public void interfereOnce(byte[] manifest, String artifactType) {
    theirs = manifest.clone();
    theirType = artifactType;
    interfere.set(true);
  }

  /** What the other writer added to the referrers tag's index, once it has. */
  public Optional<Digest> interloper() {
    return Optional.ofNullable(interloper);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      URI uri = exchange.getRequestURI();
      String path = uri.getRawPath();
      requests.add(
          method + " " + path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      byte[] body = exchange.getRequestBody().readAllBytes();
      Matcher referrers = REFERRERS.matcher(path);
      if (api && method.equals("GET") && referrers.matches()) {
        answerReferrers(exchange, referrers.group(1), referrers.group(2), uri.getRawQuery());
        return;
      }
      Matcher manifest = MANIFEST.matcher(path);
      if (!api && method.equals("PUT") && manifest.matches()) {
        String tag = manifest.group(2);
        if (tag.startsWith("sha256-") && interfere.getAndSet(false)) {
          anotherWriter(manifest.group(1), tag);
        }
        if (!conditionsHold(exchange, manifest.group(1), tag)) {
          send(exchange, 412, Map.of(), new byte[0]);
          return;
        }
      }
      HttpResponse<byte[]> answer = forward(exchange, method, uri, body);
      Map<String, List<String>> headers = new java.util.LinkedHashMap<>(answer.headers().map());
      if (api && method.equals("PUT") && manifest.matches() && answer.statusCode() == 201) {
        index(manifest.group(1), body, exchange.getRequestHeaders().getFirst("Content-Type"))
            .ifPresent(subject -> headers.put("OCI-Subject", List.of(subject)));
      }
      send(exchange, answer.statusCode(), headers, answer.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpResponse<byte[]> forward(HttpExchange exchange, String method, URI uri, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(registry.url(uri.getRawPath() + query(uri)))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body))
            // upload Locations name the proxy, so that the client comes back here
            .header("X-Forwarded-Host", host())
            .header("X-Forwarded-Proto", "http");
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
              }
            });
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String query(URI uri) {
    return uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
  }

  private static void send(
      HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
      throws IOException {
    headers.forEach(
        (name, values) -> {
          if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))
              && !name.startsWith(":")) {
            exchange.getResponseHeaders().put(name, new ArrayList<>(values));
          }
        });
    boolean noBody = exchange.getRequestMethod().equals("HEAD") || body.length == 0;
    exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
    if (!noBody) {
      exchange.getResponseBody().write(body);
    }
  }

  /** Indexes a pushed manifest that has a subject; returns the subject's digest. */
  private Optional<String> index(String name, byte[] bytes, String contentType) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      return Optional.empty();
    }
    JsonNode subject = root.path("subject").path("digest");
    if (!subject.isTextual()) {
      return Optional.empty();
    }
    ObjectNode d = JSON.createObjectNode();
    String mediaType =
        root.path("mediaType").isTextual() ? root.get("mediaType").asText() : contentType;
    d.put("mediaType", mediaType);
    d.put("digest", Digest.of(bytes).toString());
    d.put("size", bytes.length);
    String artifactType =
        root.path("artifactType").isTextual()
            ? root.get("artifactType").asText()
            : root.path("config").path("mediaType").asText(null);
    if (artifactType != null) {
      d.put("artifactType", artifactType);
    }
    if (root.path("annotations").isObject()) {
      d.set("annotations", root.get("annotations"));
    }
    List<ObjectNode> list =
        indexed.computeIfAbsent(name + "@" + subject.asText(), k -> new CopyOnWriteArrayList<>());
    synchronized (list) {
      if (list.stream().noneMatch(e -> e.get("digest").equals(d.get("digest")))) {
        list.add(d);
      }
    }
    return Optional.of(subject.asText());
  }

  private void answerReferrers(HttpExchange exchange, String name, String digest, String query)
      throws IOException {
    Map<String, String> params = params(query);
    String type = params.get("artifactType");
    List<ObjectNode> all =
        indexed.getOrDefault(name + "@" + digest, List.of()).stream()
            .filter(d -> type == null || type.equals(d.path("artifactType").asText(null)))
            .toList();
    int from = Integer.parseInt(params.getOrDefault("from", "0"));
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    all.subList(Math.min(from, all.size()), Math.min(from + PAGE, all.size()))
        .forEach(manifests::add);
    Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
    headers.put("Content-Type", List.of(OCI_INDEX));
    if (type != null) {
      headers.put("OCI-Filters-Applied", List.of("artifactType"));
    }
    if (from + PAGE < all.size()) {
      String next =
          "/v2/"
              + name
              + "/referrers/"
              + digest
              + "?from="
              + (from + PAGE)
              + (type == null
                  ? ""
                  : "&artifactType=" + java.net.URLEncoder.encode(type, StandardCharsets.UTF_8));
      headers.put("Link", List.of("<" + next + ">; rel=\"next\""));
    }
    send(exchange, 200, headers, JSON.writeValueAsBytes(index));
  }

  private static Map<String, String> params(String query) {
    Map<String, String> params = new java.util.HashMap<>();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(
              pair.substring(0, eq),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return params;
  }

  /** Whether If-Match / If-None-Match hold against what the tag holds at the registry now. */
  private boolean conditionsHold(HttpExchange exchange, String name, String tag)
      throws IOException, InterruptedException {
    String ifMatch = exchange.getRequestHeaders().getFirst("If-Match");
    String ifNoneMatch = exchange.getRequestHeaders().getFirst("If-None-Match");
    if (ifMatch == null && ifNoneMatch == null) {
      return true;
    }
    HttpResponse<Void> head =
        client.send(
            HttpRequest.newBuilder(registry.url("/v2/" + name + "/manifests/" + tag))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", OCI_INDEX)
                .build(),
            HttpResponse.BodyHandlers.discarding());
    Optional<String> etag =
        head.statusCode() == 200
            ? head.headers().firstValue("Docker-Content-Digest").map(d -> "\"" + d + "\"")
            : Optional.empty();
    if (ifNoneMatch != null && ifNoneMatch.strip().equals("*") && etag.isPresent()) {
      return false;
    }
    return ifMatch == null || etag.map(ifMatch.strip()::equals).orElse(false);
  }

  /** Another client adds a descriptor of its own to the tag's index, as the spec's steps say. */
  private void anotherWriter(String name, String tag) throws IOException, InterruptedException {
    URI url = registry.url("/v2/" + name + "/manifests/" + tag);
    HttpResponse<byte[]> current =
        client.send(
            HttpRequest.newBuilder(url).header("Accept", OCI_INDEX).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    ObjectNode index;
    if (current.statusCode() == 200) {
      index = (ObjectNode) JSON.readTree(current.body());
    } else {
      index = JSON.createObjectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", OCI_INDEX);
      index.putArray("manifests");
    }
    HttpResponse<byte[]> stored =
        client.send(
            HttpRequest.newBuilder(registry.url("/v2/" + name + "/manifests/" + Digest.of(theirs)))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(theirs))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (stored.statusCode() != 201) {
      throw new IOException("the other writer's manifest got " + stored.statusCode());
    }
    interloper = Digest.of(theirs);
    ObjectNode d = ((ArrayNode) index.get("manifests")).addObject();
    d.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    d.put("digest", interloper.toString());
    d.put("size", theirs.length);
    d.put("artifactType", theirType);
    HttpResponse<byte[]> put =
        client.send(
            HttpRequest.newBuilder(url)
                .header("Content-Type", OCI_INDEX)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(index)))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (put.statusCode() != 201) {
      throw new IOException("the other writer's PUT got " + put.statusCode());
    }
  }
}
