package dev.ocitag.ecr.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.core.Digest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.testing.TestImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An in-process Amazon ECR API endpoint for tests: the JSON 1.1 wire protocol ({@code X-Amz-Target:
 * AmazonEC2ContainerRegistry_V20150921.<Operation>}, {@code application/x-amz-json-1.1}, errors as
 * HTTP 400 with {@code __type}), SigV4 signatures checked against {@link #ACCESS_KEY}/{@link
 * #SECRET_KEY}, and the behaviour that matters for tagging:
 *
 * <ul>
 *   <li>an image's digest is sha256 of the exact manifest bytes PutImage received;
 *   <li>{@code imageDigest} on PutImage is checked (ImageDigestDoesNotMatchException);
 *   <li>a manifest's config and layers must be blobs of that repository (LayersNotFoundException),
 *       an index's children images of it (ReferencedImagesNotFoundException). Blobs are those
 *       seeded, and those the registry behind the proxy endpoint holds ({@link #registry});
 *   <li>PutImage by digest alone (an index's children): an untagged image, which BatchGetImage and
 *       DescribeImages find by its digest;
 *   <li>GetAuthorizationToken: a token {@code AWS:password} for the registry endpoint, which a test
 *       points at a real registry ({@link #registry}); one fake is one account ({@link #start(int,
 *       String)}) and may insist on one region ({@link #requireRegion});
 *   <li>MUTABLE, IMMUTABLE and the {@code *_WITH_EXCLUSION} settings with wildcard filters; as real
 *       ECR does, an immutable tag is refused (ImageTagAlreadyExistsException) even when it already
 *       names the same digest; a mutable tag on the same digest is ImageAlreadyExistsException;
 *   <li>BatchGetImage converts a stored manifest whose type is not in {@code acceptedMediaTypes}
 *       (default: Docker v2), as ECR does, so callers that forget the list are caught;
 *   <li>the 4 MiB manifest limit, at most 100 image ids per batch call;
 *   <li>throttling and 5xx on demand, counters per operation;
 *   <li>on demand, moto's answers: BatchGetImage's {@code imageId} names the tag stored last on the
 *       image rather than the one asked, GetAuthorizationToken's token expired in 2015 ({@link
 *       #echoLikeMoto}).
 * </ul>
 *
 * Operations: BatchGetImage, PutImage, DescribeRepositories, ListImages, BatchDeleteImage,
 * CreateRepository, GetAuthorizationToken, DescribeImages. {@code GET /_fake/counts} returns the
 * counters as JSON; {@code POST /_fake/reset} zeroes them; {@code POST
 * /_fake/throttle?op=PutImage&every=4} throttles every 4th request of an operation ({@code every=0}
 * stops).
 */
public final class FakeEcr implements AutoCloseable {
  public static final String ACCESS_KEY = "AKIAOCITAGTESTKEY000";
  public static final String SECRET_KEY = "ocitag/test/secret/key/not/a/real/one0000";
  public static final String ACCOUNT = "123456789012";
  public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  /** The user of ECR's registry endpoint: GetAuthorizationToken's token is {@code AWS:password}. */
  public static final String REGISTRY_USER = "AWS";

  private static final String TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921.";
  private static final String JSON_TYPE = "application/x-amz-json-1.1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern AUTHORIZATION =
      Pattern.compile(
          "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request,"
              + "\\s*SignedHeaders=([^,]+),\\s*Signature=([0-9a-f]{64})");

  /** One stored image: the bytes exactly as put, their media type and digest. */
  public record StoredImage(byte[] bytes, String mediaType, Digest digest) {}

  /** A repository of the fake registry. */
  public static final class Repo {
    final String name;
    volatile String mutability;
    volatile List<String> exclusionFilters;
    final Set<Digest> blobs = ConcurrentHashMap.newKeySet();
    final Map<Digest, StoredImage> images = new ConcurrentHashMap<>();
    final Map<String, Digest> tags = new ConcurrentHashMap<>();
    // When each tag was stored (a sequence number): moto echoes an image's last stored tag.
    private final Map<String, Long> storedAt = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    final long createdAt = System.currentTimeMillis() / 1000;

    Repo(String name, String mutability, List<String> exclusionFilters) {
      this.name = name;
      this.mutability = mutability;
      this.exclusionFilters = List.copyOf(exclusionFilters);
    }

    void putTag(String tag, Digest digest) {
      tags.put(tag, digest);
      storedAt.put(tag, sequence.incrementAndGet());
    }

    void removeTag(String tag) {
      tags.remove(tag);
      storedAt.remove(tag);
    }

    /** The tag stored last among those on this image, or null: what moto's imageId carries. */
    String lastTagOn(Digest digest) {
      String last = null;
      long when = -1;
      for (Map.Entry<String, Digest> e : tags.entrySet()) {
        long at = storedAt.getOrDefault(e.getKey(), 0L);
        if (e.getValue().equals(digest) && at > when) {
          last = e.getKey();
          when = at;
        }
      }
      return last;
    }

    boolean immutable(String tag) {
      boolean excluded = exclusionFilters.stream().anyMatch(f -> wildcardMatches(f, tag));
      return switch (mutability) {
        case "IMMUTABLE" -> true;
        case "IMMUTABLE_WITH_EXCLUSION" -> !excluded;
        case "MUTABLE_WITH_EXCLUSION" -> excluded;
        default -> false;
      };
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> throttled = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> throttleNext = new ConcurrentHashMap<>();
  private final Map<String, Integer> throttleEvery = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failNext = new ConcurrentHashMap<>();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final Map<String, String> imageFailures = new ConcurrentHashMap<>();
  private final Set<String> regionsSeen = ConcurrentHashMap.newKeySet();
  private final Set<String> registryIdsSeen = ConcurrentHashMap.newKeySet();
  private final AtomicInteger badSignatures = new AtomicInteger();
  private volatile boolean credentialsExpired;
  private volatile int latencyMillis;
  private volatile int maxPageSize = 1000;
  private volatile boolean stripTrailingNewline;
  private volatile boolean dedupeBatchGetImage;
  private volatile boolean alterServedManifests;
  private volatile boolean echoLikeMoto;
  private final String account;
  private volatile String requiredRegion;
  private volatile URI registryEndpoint;
  private volatile String registryPassword;
  private volatile Duration tokenLife = Duration.ofHours(12);
  private final HttpClient registryClient =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  // Serializes writes, as ECR's per-repository consistency does for a tag.
  private final Object writeLock = new Object();

  private FakeEcr(HttpServer server, ExecutorService executor, String account) {
    this.server = server;
    this.executor = executor;
    this.account = account;
    this.registryPassword = account + "-auth-token"; // moto's
  }

  /** Starts on a free loopback port. */
  public static FakeEcr start() throws IOException {
    return start(0);
  }

  /** Starts on this loopback port (0: any free one). */
  public static FakeEcr start(int port) throws IOException {
    return start(port, ACCOUNT);
  }

  /**
   * Starts on this loopback port (0: any free one) as the registry of this account: another
   * account's registry, for cross-account copies (each fake is one account; the registryId of every
   * request must be its own).
   */
  public static FakeEcr start(int port, String account) throws IOException {
    // Without TCP_NODELAY the JDK server's split header/body writes meet delayed ACKs: 40 ms a
    // call.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    ExecutorService executor = Executors.newFixedThreadPool(16, FakeEcr::daemon);
    FakeEcr fake = new FakeEcr(server, executor, account);
    server.createContext("/", fake::handle);
    server.setExecutor(executor);
    server.start();
    return fake;
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "fake-ecr");
    t.setDaemon(true);
    return t;
  }

  /** The endpoint URL to pass as {@code --endpoint-url}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The account (registryId) this fake is the registry of. */
  public String account() {
    return account;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // --- the test side: set up state, inject failures, read counters

  /** Creates a mutable repository. */
  public Repo createRepository(String name) {
    return createRepository(name, "MUTABLE");
  }

  /** Creates a repository with this tag mutability and these wildcard exclusion filters. */
  public Repo createRepository(String name, String mutability, String... exclusionFilters) {
    String invalid = invalidFilters(List.of(exclusionFilters));
    if (invalid != null) {
      throw new IllegalArgumentException("ECR would refuse this repository: " + invalid);
    }
    Repo repo = new Repo(name, mutability, List.of(exclusionFilters));
    if (repos.putIfAbsent(name, repo) != null) {
      throw new IllegalStateException("repository " + name + " exists");
    }
    return repo;
  }

  /** Stores blobs (config, layers) in a repository, as a layer upload would. */
  public void seedBlobs(String repository, Iterable<Digest> digests) {
    digests.forEach(repo(repository).blobs::add);
  }

  /**
   * Stores an image (its children first, its blobs, its exact manifest bytes) without PutImage and
   * without any policy check; tags it when {@code tag} is not null.
   */
  public void seed(String repository, TestImage image, String tag) {
    Repo repo = repo(repository);
    for (TestImage child : image.children()) {
      seed(repository, child, null);
    }
    repo.blobs.addAll(image.blobs().keySet());
    StoredImage stored =
        new StoredImage(image.bytes(), image.manifest().mediaType(), image.digest());
    repo.images.put(stored.digest(), stored);
    if (tag != null) {
      repo.putTag(tag, stored.digest());
    }
  }

  /** The exact bytes a tag names, or null. */
  public byte[] manifestBytes(String repository, String tag) {
    Repo repo = repo(repository);
    Digest d = repo.tags.get(tag);
    return d == null ? null : repo.images.get(d).bytes().clone();
  }

  /** The exact bytes of the image with this digest (tagged or not), or null. */
  public byte[] manifestBytes(String repository, Digest digest) {
    StoredImage image = repo(repository).images.get(digest);
    return image == null ? null : image.bytes().clone();
  }

  /** The digest a tag names, or null. */
  public Digest tagDigest(String repository, String tag) {
    return repo(repository).tags.get(tag);
  }

  /** The stored media type of a tag's image, or null. */
  public String mediaType(String repository, String tag) {
    Repo repo = repo(repository);
    Digest d = repo.tags.get(tag);
    return d == null ? null : repo.images.get(d).mediaType();
  }

  public Set<String> tags(String repository) {
    return Set.copyOf(repo(repository).tags.keySet());
  }

  /** HTTP requests received for an operation, throttled and failed ones included. */
  public int calls(String operation) {
    AtomicInteger n = calls.get(operation);
    return n == null ? 0 : n.get();
  }

  /** Requests of an operation answered with ThrottlingException. */
  public int throttled(String operation) {
    AtomicInteger n = throttled.get(operation);
    return n == null ? 0 : n.get();
  }

  /** Every counter, per operation. */
  public Map<String, Integer> counts() {
    Map<String, Integer> out = new TreeMap<>();
    calls.forEach((op, n) -> out.put(op, n.get()));
    throttled.forEach((op, n) -> out.put(op + ".throttled", n.get()));
    return out;
  }

  public void resetCounts() {
    calls.clear();
    throttled.clear();
  }

  /** Answers the next {@code n} requests of an operation with ThrottlingException. */
  public void throttleNext(String operation, int n) {
    throttleNext.computeIfAbsent(operation, k -> new AtomicInteger()).addAndGet(n);
  }

  /** Answers every {@code k}-th request of an operation with ThrottlingException (0: stop). */
  public void throttleEvery(String operation, int k) {
    if (k <= 0) {
      throttleEvery.remove(operation);
    } else {
      throttleEvery.put(operation, k);
    }
  }

  /** Answers the next {@code n} requests of an operation with HTTP 500 ServerException. */
  public void failNext(String operation, int n) {
    failNext.computeIfAbsent(operation, k -> new AtomicInteger()).addAndGet(n);
  }

  /**
   * Answers an operation with AccessDeniedException, in IAM's wording, as for a role whose policy
   * lacks that permission (say ecr:DescribeRepositories).
   */
  public void deny(String operation, boolean deny) {
    if (deny) {
      denied.add(operation);
    } else {
      denied.remove(operation);
    }
  }

  /**
   * Answers BatchGetImage for this tag with an ImageFailure of this code (say KmsError), as ECR
   * does for an image it cannot serve; a null code stops.
   */
  public void failImage(String tag, String failureCode) {
    if (failureCode == null) {
      imageFailures.remove(tag);
    } else {
      imageFailures.put(tag, failureCode);
    }
  }

  /** From now on, answers every request with ExpiredTokenException (or stops doing so). */
  public void expireCredentials(boolean expired) {
    credentialsExpired = expired;
  }

  /** Adds this much latency to every answer, to model the network to a real region. */
  public void latency(int millis) {
    latencyMillis = millis;
  }

  /**
   * Models a client that loses the manifest's trailing newline on the way (as shell command
   * substitution does): PutImage then stores other bytes than were sent.
   */
  public void stripTrailingNewlineOnPut(boolean strip) {
    stripTrailingNewline = strip;
  }

  /** Returns one BatchGetImage entry per digest, dropping the other tags on it (not ECR's way). */
  public void dedupeBatchGetImage(boolean dedupe) {
    dedupeBatchGetImage = dedupe;
  }

  /**
   * Serves every manifest with a space appended but the stored imageDigest (a broken proxy, not
   * ECR's way), so that clients that do not check the bytes against the digest are caught.
   */
  public void alterServedManifests(boolean alter) {
    alterServedManifests = alter;
  }

  /**
   * Answers BatchGetImage as moto (and LocalStack, built on it) does, not as ECR: every image's
   * {@code imageId} carries the tag stored last on that image, whatever tag or digest was asked,
   * and a missing image's failure carries only {@code imageTag}: the tag asked, or the string
   * {@code "null"} for a digest. Images are still answered once per id asked. GetAuthorizationToken
   * answers, as moto does, a token whose {@code expiresAt} is 2015-01-01.
   */
  public void echoLikeMoto(boolean moto) {
    echoLikeMoto = moto;
  }

  /**
   * Puts a registry behind this fake, as ECR's registry endpoint is behind its API: the {@code
   * proxyEndpoint} GetAuthorizationToken returns (say {@code http://127.0.0.1:PORT} of a
   * RealRegistry started with htpasswd user {@value #REGISTRY_USER} and this password), and the
   * password its token carries. PutImage then also finds a manifest's config and layers there: for
   * every blob not in this fake's own set ({@link #seed}, {@link #seedBlobs}) it asks the registry
   * with {@code HEAD /v2/<repository>/blobs/<digest>} and the Basic credentials {@code
   * AWS:password}, as ECR's API and registry endpoint share one store. Manifests stay this fake's
   * own: the registry is asked for blobs only.
   */
  public void registry(URI proxyEndpoint, String password) {
    registryPassword = password;
    registryEndpoint = proxyEndpoint;
  }

  /** The password in the tokens GetAuthorizationToken hands out. */
  public String registryPassword() {
    return registryPassword;
  }

  /** How long a token GetAuthorizationToken hands out lives (ECR: 12 hours). */
  public void tokenLife(Duration life) {
    tokenLife = life;
  }

  /**
   * Answers only requests signed for this region, as a regional endpoint of AWS does; any other
   * gets InvalidSignatureException (null: every region, the default).
   */
  public void requireRegion(String region) {
    requiredRegion = region;
  }

  /** Caps ListImages pages below maxResults (ECR may return fewer), to test paging cheaply. */
  public void maxPageSize(int size) {
    maxPageSize = size;
  }

  /** The regions requests were signed for. */
  public Set<String> regionsSeen() {
    return Set.copyOf(regionsSeen);
  }

  /** The registryIds requests named (GetAuthorizationToken's registryIds too). */
  public Set<String> registryIdsSeen() {
    return Set.copyOf(registryIdsSeen);
  }

  public int badSignatures() {
    return badSignatures.get();
  }

  private Repo repo(String name) {
    Repo repo = repos.get(name);
    if (repo == null) {
      throw new IllegalArgumentException("no repository " + name);
    }
    return repo;
  }

  // --- the wire side

  /** A service error: HTTP status, {@code __type} and message. */
  static final class EcrError extends Exception {
    final int status;
    final String type;

    EcrError(int status, String type, String message) {
      super(message, null, false, false);
      this.status = status;
      this.type = type;
    }

    static EcrError of(String type, String message) {
      return new EcrError(400, type, message);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.startsWith("/_fake/")) {
        admin(exchange, path);
        return;
      }
      byte[] body = readAll(exchange.getRequestBody());
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String operation =
          target != null && target.startsWith(TARGET_PREFIX)
              ? target.substring(TARGET_PREFIX.length())
              : String.valueOf(target);
      int callNumber = calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis);
      }
      JsonNode answer;
      try {
        if (!"POST".equals(exchange.getRequestMethod())) {
          throw new EcrError(405, "UnknownOperationException", "ECR takes POST");
        }
        checkContentType(exchange);
        String region = checkSignature(exchange, body);
        String required = requiredRegion;
        if (required != null && !required.equals(region)) {
          throw new EcrError(
              403,
              "InvalidSignatureException",
              "Credential should be scoped to a valid region, not '" + region + "'. ");
        }
        injectFailures(operation, callNumber);
        JsonNode request = JSON.readTree(body);
        if (request == null || !request.isObject()) {
          throw EcrError.of("SerializationException", "the body is not a JSON object");
        }
        checkAllowed(operation, region, request);
        if (request.hasNonNull("registryId")) {
          String registryId = request.get("registryId").asText();
          registryIdsSeen.add(registryId);
          if (!account.equals(registryId)) {
            throw EcrError.of(
                "RepositoryNotFoundException",
                "The repository with name '"
                    + request.path("repositoryName").asText(null)
                    + "' does not exist in the registry with id '"
                    + registryId
                    + "'");
          }
        }
        answer =
            switch (operation) {
              case "BatchGetImage" -> batchGetImage(request);
              case "PutImage" -> putImage(request);
              case "DescribeRepositories" -> describeRepositories(request);
              case "ListImages" -> listImages(request);
              case "BatchDeleteImage" -> batchDeleteImage(request);
              case "CreateRepository" -> createRepository(request);
              case "GetAuthorizationToken" -> getAuthorizationToken(request, region);
              case "DescribeImages" -> describeImages(request);
              default ->
                  throw new EcrError(
                      400, "UnknownOperationException", "unknown operation " + operation);
            };
      } catch (EcrError e) {
        ObjectNode error = JSON.createObjectNode();
        error.put("__type", e.type);
        error.put("message", e.getMessage());
        send(exchange, e.status, error);
        return;
      }
      send(exchange, 200, answer);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      ObjectNode error = JSON.createObjectNode();
      error.put("__type", "ServerException");
      error.put("message", "fake ECR bug: " + e);
      send(exchange, 500, error);
    }
  }

  private void admin(HttpExchange exchange, String path) throws IOException {
    if (path.equals("/_fake/counts")) {
      send(exchange, 200, JSON.valueToTree(counts()));
    } else if (path.equals("/_fake/reset")) {
      resetCounts();
      send(exchange, 200, JSON.createObjectNode());
    } else if (path.equals("/_fake/throttle")) {
      // ?op=PutImage&every=4 (every=0 stops)
      Map<String, String> q = new LinkedHashMap<>();
      String query = exchange.getRequestURI().getQuery();
      for (String pair : (query == null ? "" : query).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          q.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
      throttleEvery(
          q.getOrDefault("op", "PutImage"), Integer.parseInt(q.getOrDefault("every", "0")));
      send(exchange, 200, JSON.createObjectNode());
    } else {
      exchange.sendResponseHeaders(404, -1);
    }
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", JSON_TYPE);
    exchange.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static void checkContentType(HttpExchange exchange) throws EcrError {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.startsWith(JSON_TYPE)) {
      throw EcrError.of("SerializationException", "Content-Type must be " + JSON_TYPE);
    }
  }

  private void injectFailures(String operation, int callNumber) throws EcrError {
    if (credentialsExpired) {
      throw new EcrError(
          400, "ExpiredTokenException", "The security token included in the request is expired");
    }
    AtomicInteger fail = failNext.get(operation);
    if (fail != null && fail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new EcrError(500, "ServerException", "injected server error");
    }
    AtomicInteger next = throttleNext.get(operation);
    boolean throttle = next != null && next.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    Integer every = throttleEvery.get(operation);
    if (!throttle && every != null && callNumber % every == 0) {
      throttle = true;
    }
    if (throttle) {
      throttled.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
      throw EcrError.of("ThrottlingException", "Rate exceeded");
    }
  }

  /**
   * IAM's refusal of an operation the caller's policy does not allow: AccessDeniedException, HTTP
   * 400, in IAM's wording. It is a common AWS error, not one of the ECR service model's shapes.
   */
  private void checkAllowed(String operation, String region, JsonNode request) throws EcrError {
    if (!denied.contains(operation)) {
      return;
    }
    String repository = request.path("repositoryName").asText(null);
    if (repository == null && request.path("repositoryNames").size() == 1) {
      repository = request.path("repositoryNames").path(0).asText();
    }
    String resource =
        repository == null
            ? ""
            : " on resource: arn:aws:ecr:" + region + ":" + account + ":repository/" + repository;
    throw EcrError.of(
        "AccessDeniedException",
        "User: arn:aws:iam::"
            + account
            + ":user/ocitag-test is not authorized to perform: ecr:"
            + operation
            + resource
            + " because no identity-based policy allows the ecr:"
            + operation
            + " action");
  }

  /**
   * Verifies the SigV4 signature the way AWS does, with the one key pair this fake knows; returns
   * the region it was signed for.
   */
  private String checkSignature(HttpExchange exchange, byte[] body) throws EcrError {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    Matcher m = authorization == null ? null : AUTHORIZATION.matcher(authorization);
    if (m == null || !m.matches()) {
      throw new EcrError(
          400,
          "MissingAuthenticationTokenException",
          "Missing Authentication Token (want AWS4-HMAC-SHA256)");
    }
    String accessKey = m.group(1);
    String date = m.group(2);
    String region = m.group(3);
    String service = m.group(4);
    List<String> signedHeaders = Arrays.asList(m.group(5).split(";"));
    if (!ACCESS_KEY.equals(accessKey)) {
      throw EcrError.of(
          "UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    if (!"ecr".equals(service)) {
      throw new EcrError(
          403, "InvalidSignatureException", "Credential should be scoped to correct service: ecr");
    }
    regionsSeen.add(region);
    String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
    if (amzDate == null || !amzDate.startsWith(date)) {
      throw new EcrError(403, "InvalidSignatureException", "X-Amz-Date missing or off scope");
    }
    StringBuilder canonical = new StringBuilder();
    canonical.append(exchange.getRequestMethod()).append('\n');
    String rawPath = exchange.getRequestURI().getRawPath();
    canonical.append(rawPath == null || rawPath.isEmpty() ? "/" : rawPath).append('\n');
    String query = exchange.getRequestURI().getRawQuery();
    canonical.append(query == null ? "" : query).append('\n');
    for (String name : signedHeaders) {
      List<String> values = exchange.getRequestHeaders().get(name);
      if (values == null) {
        throw new EcrError(403, "InvalidSignatureException", "signed header " + name + " absent");
      }
      canonical
          .append(name.toLowerCase(Locale.ROOT))
          .append(':')
          .append(
              String.join(",", values.stream().map(v -> v.trim().replaceAll("\\s+", " ")).toList()))
          .append('\n');
    }
    canonical.append('\n').append(String.join(";", signedHeaders)).append('\n');
    String payloadHash = exchange.getRequestHeaders().getFirst("X-Amz-Content-Sha256");
    String actualHash = hex(sha256(body));
    if (payloadHash != null && !payloadHash.equals(actualHash)) {
      throw new EcrError(403, "InvalidSignatureException", "payload hash does not match");
    }
    canonical.append(actualHash);
    String scope = date + "/" + region + "/" + service + "/aws4_request";
    String toSign =
        "AWS4-HMAC-SHA256\n"
            + amzDate
            + "\n"
            + scope
            + "\n"
            + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
    byte[] key = hmac(("AWS4" + SECRET_KEY).getBytes(StandardCharsets.UTF_8), date);
    key = hmac(key, region);
    key = hmac(key, service);
    key = hmac(key, "aws4_request");
    String expected = hex(hmac(key, toSign));
    if (!expected.equals(m.group(6))) {
      badSignatures.incrementAndGet();
      throw new EcrError(
          403,
          "InvalidSignatureException",
          "The request signature we calculated does not match the signature you provided.");
    }
    return region;
  }

  // --- operations

  private JsonNode batchGetImage(JsonNode request) throws EcrError {
    Repo repo = requireRepo(request);
    JsonNode ids = imageIds(request);
    List<String> accepted = new ArrayList<>();
    request.path("acceptedMediaTypes").forEach(t -> accepted.add(t.asText()));
    if (accepted.isEmpty()) {
      accepted.add(MediaTypes.DOCKER_MANIFEST);
    }
    ObjectNode response = JSON.createObjectNode();
    ArrayNode images = response.putArray("images");
    ArrayNode failures = response.putArray("failures");
    Set<Digest> returned = new HashSet<>();
    for (JsonNode id : ids) {
      String tag = id.path("imageTag").asText(null);
      String digestText = id.path("imageDigest").asText(null);
      Digest digest = null;
      if (tag == null && digestText == null) {
        failure(failures, id, "MissingDigestAndTag", "Missing digest and tag");
        continue;
      }
      if (digestText != null) {
        try {
          digest = Digest.parse(digestText);
        } catch (RuntimeException e) {
          failure(failures, id, "InvalidImageDigest", "Invalid image digest");
          continue;
        }
      }
      if (tag != null && imageFailures.containsKey(tag)) {
        failure(failures, id, imageFailures.get(tag), "injected failure");
        continue;
      }
      Digest byTag = tag == null ? null : repo.tags.get(tag);
      if (tag != null && digest != null && byTag != null && !byTag.equals(digest)) {
        failure(failures, id, "ImageTagDoesNotMatchDigest", "Image tag does not match digest");
        continue;
      }
      StoredImage image = repo.images.get(digest != null ? digest : byTag == null ? NONE : byTag);
      if (image == null || tag != null && byTag == null) {
        JsonNode echoed =
            echoLikeMoto ? JSON.createObjectNode().put("imageTag", tag == null ? "null" : tag) : id;
        failure(failures, echoed, "ImageNotFound", "Requested image not found");
        continue;
      }
      StoredImage served = accepted.contains(image.mediaType()) ? image : convert(repo, image);
      if (dedupeBatchGetImage && !returned.add(served.digest())) {
        continue;
      }
      ObjectNode out = images.addObject();
      out.put("registryId", account);
      out.put("repositoryName", repo.name);
      ObjectNode imageId = out.putObject("imageId");
      imageId.put("imageDigest", served.digest().toString());
      String echoedTag = echoLikeMoto ? repo.lastTagOn(image.digest()) : tag;
      if (echoedTag != null) {
        imageId.put("imageTag", echoedTag);
      }
      out.put(
          "imageManifest",
          new String(served.bytes(), StandardCharsets.UTF_8) + (alterServedManifests ? " " : ""));
      out.put("imageManifestMediaType", served.mediaType());
    }
    return response;
  }

  private static final Digest NONE = Digest.of(new byte[0]);

  /**
   * What ECR does when the stored type is not accepted: an index becomes its first child, an image
   * manifest is rewritten as Docker v2 (new bytes, new digest).
   */
  private static StoredImage convert(Repo repo, StoredImage image) throws EcrError {
    try {
      JsonNode root = JSON.readTree(image.bytes());
      if (MediaTypes.isIndex(image.mediaType())) {
        Digest first = Digest.parse(root.path("manifests").path(0).path("digest").asText());
        return convert(repo, repo.images.get(first));
      }
      if (image.mediaType().equals(MediaTypes.DOCKER_MANIFEST)) {
        return image;
      }
      ObjectNode docker = (ObjectNode) root.deepCopy();
      docker.put("mediaType", MediaTypes.DOCKER_MANIFEST);
      ((ObjectNode) docker.path("config"))
          .put("mediaType", "application/vnd.docker.container.image.v1+json");
      docker
          .path("layers")
          .forEach(
              l ->
                  ((ObjectNode) l)
                      .put("mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"));
      docker.remove("annotations");
      byte[] bytes = JSON.writeValueAsBytes(docker);
      return new StoredImage(bytes, MediaTypes.DOCKER_MANIFEST, Digest.of(bytes));
    } catch (IOException | RuntimeException e) {
      throw new EcrError(500, "ServerException", "cannot convert: " + e);
    }
  }

  private JsonNode putImage(JsonNode request) throws EcrError {
    Repo repo = requireRepo(request);
    JsonNode manifestNode = request.get("imageManifest");
    if (manifestNode == null || !manifestNode.isTextual() || manifestNode.asText().isEmpty()) {
      throw EcrError.of("InvalidParameterException", "imageManifest is required");
    }
    String text = manifestNode.asText();
    if (stripTrailingNewline && text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (manifestNode.asText().length() > MAX_MANIFEST_BYTES || bytes.length > MAX_MANIFEST_BYTES) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have"
              + " length less than or equal to "
              + MAX_MANIFEST_BYTES
              + "'");
    }
    Digest digest = Digest.of(bytes);
    String givenDigest = request.path("imageDigest").asText(null);
    if (givenDigest != null && !givenDigest.equals(digest.toString())) {
      throw EcrError.of(
          "ImageDigestDoesNotMatchException",
          "The digest of the image manifest "
              + digest
              + " does not match the provided digest "
              + givenDigest);
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw EcrError.of("InvalidParameterException", "Invalid parameter at 'imageManifest'");
    }
    String declared = root.path("mediaType").asText(null);
    String given = request.path("imageManifestMediaType").asText(null);
    if (given != null && declared != null && !given.equals(declared)) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'imageManifestMediaType': does not match the manifest's"
              + " mediaType");
    }
    String mediaType = given != null ? given : declared;
    if (mediaType == null || !MediaTypes.ALL.contains(mediaType)) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: a manifest"
              + " without mediaType needs imageManifestMediaType");
    }
    checkReferences(repo, root, mediaType);
    String tag = request.path("imageTag").asText(null);
    synchronized (writeLock) {
      if (tag != null) {
        Digest current = repo.tags.get(tag);
        if (current != null && repo.immutable(tag)) {
          throw EcrError.of(
              "ImageTagAlreadyExistsException",
              "The image tag '"
                  + tag
                  + "' already exists in the '"
                  + repo.name
                  + "' repository and cannot be overwritten because the repository is immutable.");
        }
        if (digest.equals(current)) {
          throw EcrError.of(
              "ImageAlreadyExistsException",
              "Image with digest '"
                  + digest
                  + "' and tag '"
                  + tag
                  + "' already exists in the repository with name '"
                  + repo.name
                  + "' in registry with id '"
                  + account
                  + "'");
        }
      } else if (repo.images.containsKey(digest)) {
        throw EcrError.of(
            "ImageAlreadyExistsException",
            "Image with digest '" + digest + "' already exists in the repository");
      }
      repo.images.putIfAbsent(digest, new StoredImage(bytes, mediaType, digest));
      if (tag != null) {
        repo.putTag(tag, digest);
      }
    }
    ObjectNode response = JSON.createObjectNode();
    ObjectNode image = response.putObject("image");
    image.put("registryId", account);
    image.put("repositoryName", repo.name);
    ObjectNode imageId = image.putObject("imageId");
    imageId.put("imageDigest", digest.toString());
    if (tag != null) {
      imageId.put("imageTag", tag);
    }
    image.put("imageManifest", text);
    image.put("imageManifestMediaType", mediaType);
    return response;
  }

  private void checkReferences(Repo repo, JsonNode root, String mediaType) throws EcrError {
    if (MediaTypes.isIndex(mediaType)) {
      List<String> missing = new ArrayList<>();
      for (JsonNode child : root.path("manifests")) {
        String d = child.path("digest").asText("");
        if (!repo.images.containsKey(parseOrNone(d))) {
          missing.add(d);
        }
      }
      if (!missing.isEmpty()) {
        throw EcrError.of(
            "ReferencedImagesNotFoundException",
            "Manifest list references images with digests '"
                + missing
                + "' that do not exist in the repository with name '"
                + repo.name
                + "'");
      }
      return;
    }
    List<String> missing = new ArrayList<>();
    List<JsonNode> blobs = new ArrayList<>();
    if (root.has("config")) {
      blobs.add(root.get("config"));
    }
    root.path("layers").forEach(blobs::add);
    for (JsonNode blob : blobs) {
      String d = blob.path("digest").asText("");
      if (!repo.blobs.contains(parseOrNone(d)) && !inRegistry(repo.name, d)) {
        missing.add(d);
      }
    }
    if (!missing.isEmpty()) {
      throw EcrError.of(
          "LayersNotFoundException",
          "Layers with digests '"
              + missing
              + "' required for pushing image into repository with name '"
              + repo.name
              + "' in the registry with id '"
              + account
              + "' do not exist");
    }
  }

  /**
   * Whether the registry behind the proxy endpoint ({@link #registry}) holds the blob in this
   * repository; false when there is none.
   */
  private boolean inRegistry(String repository, String digest) throws EcrError {
    URI registry = registryEndpoint;
    if (registry == null || parseOrNone(digest) == NONE) {
      return false;
    }
    HttpRequest head =
        HttpRequest.newBuilder(registry.resolve("/v2/" + repository + "/blobs/" + digest))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Basic " + base64(REGISTRY_USER + ":" + registryPassword))
            .timeout(Duration.ofSeconds(10))
            .build();
    int code;
    try {
      code = registryClient.send(head, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      throw new EcrError(500, "ServerException", "the registry behind the fake: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EcrError(500, "ServerException", "interrupted");
    }
    if (code == 200 || code == 404) {
      return code == 200;
    }
    throw new EcrError(
        500,
        "ServerException",
        "the registry behind the fake answered HEAD " + digest + ": " + code);
  }

  /**
   * One authorization datum per registryId asked (this account when none is): a token that decodes
   * to {@code AWS:<password>}, its expiry and the registry endpoint. A foreign account's endpoint
   * is its amazonaws.com host, as is this account's when no {@link #registry} is set. As moto's,
   * with {@link #echoLikeMoto}, the token expired on 2015-01-01.
   */
  private JsonNode getAuthorizationToken(JsonNode request, String region) throws EcrError {
    List<String> ids = new ArrayList<>();
    request.path("registryIds").forEach(id -> ids.add(id.asText()));
    if (request.has("registryIds") && (ids.isEmpty() || ids.size() > 10)) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must have"
              + " length between 1 and 10'");
    }
    for (String id : ids) {
      if (!id.matches("\\d{12}")) {
        throw EcrError.of(
            "InvalidParameterException",
            "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must satisfy"
                + " regular expression pattern: [0-9]{12}'");
      }
    }
    registryIdsSeen.addAll(ids);
    if (ids.isEmpty()) {
      ids.add(account);
    }
    double expiresAt =
        echoLikeMoto
            ? 1420070400 // moto: time.mktime(datetime(2015, 1, 1))
            : (System.currentTimeMillis() + tokenLife.toMillis()) / 1000.0;
    URI registry = registryEndpoint;
    ObjectNode response = JSON.createObjectNode();
    ArrayNode data = response.putArray("authorizationData");
    for (String id : ids) {
      ObjectNode d = data.addObject();
      d.put("authorizationToken", base64(REGISTRY_USER + ":" + registryPassword));
      d.put("expiresAt", expiresAt);
      d.put(
          "proxyEndpoint",
          id.equals(account) && registry != null
              ? registry.toString().replaceAll("/+$", "")
              : "https://" + id + ".dkr.ecr." + region + ".amazonaws.com");
    }
    return response;
  }

  /**
   * The images asked (each must exist: ImageNotFoundException), or every image of the repository,
   * filtered by tag status; one page.
   */
  private JsonNode describeImages(JsonNode request) throws EcrError {
    Repo repo = requireRepo(request);
    List<StoredImage> found = new ArrayList<>();
    if (request.has("imageIds")) {
      for (JsonNode id : imageIds(request)) {
        String tag = id.path("imageTag").asText(null);
        String digestText = id.path("imageDigest").asText(null);
        Digest byTag = tag == null ? null : repo.tags.get(tag);
        Digest digest = digestText == null ? byTag : parseOrNone(digestText);
        StoredImage image = digest == null ? null : repo.images.get(digest);
        if (image == null || tag != null && !digest.equals(byTag)) {
          throw EcrError.of(
              "ImageNotFoundException",
              "The image with imageId {imageDigest:'"
                  + digestText
                  + "', imageTag:'"
                  + tag
                  + "'} does not exist within the repository with name '"
                  + repo.name
                  + "' in the registry with id '"
                  + account
                  + "'");
        }
        found.add(image);
      }
    } else {
      String status = request.path("filter").path("tagStatus").asText("ANY");
      for (Digest d : new TreeMap<>(toStrings(repo.images.keySet())).values()) {
        boolean tagged = repo.tags.containsValue(d);
        if (status.equals("ANY") || tagged == status.equals("TAGGED")) {
          found.add(repo.images.get(d));
        }
      }
    }
    ObjectNode response = JSON.createObjectNode();
    ArrayNode details = response.putArray("imageDetails");
    for (StoredImage image : found) {
      ObjectNode detail = details.addObject();
      detail.put("registryId", account);
      detail.put("repositoryName", repo.name);
      detail.put("imageDigest", image.digest().toString());
      List<String> tags = new ArrayList<>();
      repo.tags.forEach(
          (t, d) -> {
            if (d.equals(image.digest())) {
              tags.add(t);
            }
          });
      if (!tags.isEmpty()) {
        ArrayNode list = detail.putArray("imageTags");
        tags.stream().sorted().forEach(list::add);
      }
      detail.put("imageManifestMediaType", image.mediaType());
    }
    return response;
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Digest parseOrNone(String digest) {
    try {
      return Digest.parse(digest);
    } catch (RuntimeException e) {
      return NONE;
    }
  }

  private JsonNode describeRepositories(JsonNode request) throws EcrError {
    List<Repo> found = new ArrayList<>();
    JsonNode names = request.path("repositoryNames");
    if (names.isArray() && names.size() > 0) {
      for (JsonNode name : names) {
        Repo repo = repos.get(name.asText());
        if (repo == null) {
          throw repositoryNotFound(name.asText());
        }
        found.add(repo);
      }
    } else {
      found.addAll(new TreeMap<>(repos).values());
    }
    ObjectNode response = JSON.createObjectNode();
    ArrayNode list = response.putArray("repositories");
    for (Repo repo : found) {
      ObjectNode r = list.addObject();
      r.put("repositoryArn", "arn:aws:ecr:us-east-1:" + account + ":repository/" + repo.name);
      r.put("registryId", account);
      r.put("repositoryName", repo.name);
      r.put("repositoryUri", account + ".dkr.ecr.us-east-1.amazonaws.com/" + repo.name);
      r.put("createdAt", repo.createdAt);
      r.put("imageTagMutability", repo.mutability);
      if (!repo.exclusionFilters.isEmpty()) {
        ArrayNode filters = r.putArray("imageTagMutabilityExclusionFilters");
        for (String f : repo.exclusionFilters) {
          ObjectNode filter = filters.addObject();
          filter.put("filterType", "WILDCARD");
          filter.put("filter", f);
        }
      }
      r.putObject("imageScanningConfiguration").put("scanOnPush", false);
      r.putObject("encryptionConfiguration").put("encryptionType", "AES256");
    }
    return response;
  }

  private JsonNode listImages(JsonNode request) throws EcrError {
    Repo repo = requireRepo(request);
    String status = request.path("filter").path("tagStatus").asText("ANY");
    int max = request.path("maxResults").asInt(100);
    if (max < 1 || max > 1000) {
      throw EcrError.of("InvalidParameterException", "maxResults must be 1 to 1000");
    }
    List<ObjectNode> all = new ArrayList<>();
    Set<Digest> tagged = new HashSet<>();
    if (!status.equals("UNTAGGED")) {
      for (Map.Entry<String, Digest> e : new TreeMap<>(repo.tags).entrySet()) {
        ObjectNode id = JSON.createObjectNode();
        id.put("imageDigest", e.getValue().toString());
        id.put("imageTag", e.getKey());
        all.add(id);
      }
    }
    tagged.addAll(repo.tags.values());
    if (!status.equals("TAGGED")) {
      for (Digest d : new TreeMap<>(toStrings(repo.images.keySet())).values()) {
        if (!tagged.contains(d)) {
          all.add(JSON.createObjectNode().put("imageDigest", d.toString()));
        }
      }
    }
    int from = 0;
    if (request.hasNonNull("nextToken")) {
      try {
        from = Integer.parseInt(request.get("nextToken").asText().substring("page-".length()));
      } catch (RuntimeException e) {
        throw EcrError.of("InvalidParameterException", "Invalid parameter at 'nextToken'");
      }
    }
    int to = Math.min(all.size(), from + Math.min(max, maxPageSize));
    ObjectNode response = JSON.createObjectNode();
    ArrayNode ids = response.putArray("imageIds");
    all.subList(Math.min(from, to), to).forEach(ids::add);
    if (to < all.size()) {
      response.put("nextToken", "page-" + to);
    }
    return response;
  }

  private static Map<String, Digest> toStrings(Set<Digest> digests) {
    Map<String, Digest> out = new LinkedHashMap<>();
    digests.forEach(d -> out.put(d.toString(), d));
    return out;
  }

  private JsonNode batchDeleteImage(JsonNode request) throws EcrError {
    Repo repo = requireRepo(request);
    JsonNode ids = imageIds(request);
    ObjectNode response = JSON.createObjectNode();
    ArrayNode deleted = response.putArray("imageIds");
    ArrayNode failures = response.putArray("failures");
    synchronized (writeLock) {
      for (JsonNode id : ids) {
        String tag = id.path("imageTag").asText(null);
        String digestText = id.path("imageDigest").asText(null);
        if (tag == null && digestText == null) {
          failure(failures, id, "MissingDigestAndTag", "Missing digest and tag");
          continue;
        }
        if (tag != null) {
          Digest d = repo.tags.get(tag);
          if (d == null || digestText != null && !digestText.equals(d.toString())) {
            failure(failures, id, "ImageNotFound", "Requested image not found");
            continue;
          }
          repo.removeTag(tag);
          // As ECR: an image whose last tag goes is deleted, unless an index still needs it.
          if (!repo.tags.containsValue(d) && !referencedByIndex(repo, d)) {
            repo.images.remove(d);
          }
          ObjectNode out = deleted.addObject();
          out.put("imageDigest", d.toString());
          out.put("imageTag", tag);
        } else {
          Digest d = parseOrNone(digestText);
          if (!repo.images.containsKey(d)) {
            failure(failures, id, "ImageNotFound", "Requested image not found");
            continue;
          }
          if (referencedByIndex(repo, d)) {
            failure(
                failures,
                id,
                "ImageReferencedByManifestList",
                "Requested image referenced by a manifest list");
            continue;
          }
          repo.images.remove(d);
          List<String> gone = new ArrayList<>();
          repo.tags.forEach(
              (t, v) -> {
                if (v.equals(d)) {
                  gone.add(t);
                }
              });
          gone.forEach(repo::removeTag);
          ObjectNode out = deleted.addObject();
          out.put("imageDigest", d.toString());
        }
      }
    }
    return response;
  }

  private static boolean referencedByIndex(Repo repo, Digest child) {
    for (StoredImage image : repo.images.values()) {
      if (MediaTypes.isIndex(image.mediaType())
          && new String(image.bytes(), StandardCharsets.UTF_8).contains(child.toString())) {
        return true;
      }
    }
    return false;
  }

  private JsonNode createRepository(JsonNode request) throws EcrError {
    String name = request.path("repositoryName").asText(null);
    if (name == null) {
      throw EcrError.of("InvalidParameterException", "repositoryName is required");
    }
    List<String> filters = new ArrayList<>();
    request
        .path("imageTagMutabilityExclusionFilters")
        .forEach(f -> filters.add(f.path("filter").asText()));
    String invalid = invalidFilters(filters);
    if (invalid != null) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: "
              + invalid);
    }
    Repo repo = new Repo(name, request.path("imageTagMutability").asText("MUTABLE"), filters);
    if (repos.putIfAbsent(name, repo) != null) {
      throw EcrError.of(
          "RepositoryAlreadyExistsException",
          "The repository with name '" + name + "' already exists");
    }
    ObjectNode wrapper = JSON.createObjectNode();
    ObjectNode describe =
        (ObjectNode)
            describeRepositories(
                JSON.createObjectNode().set("repositoryNames", JSON.createArrayNode().add(name)));
    wrapper.set("repository", describe.path("repositories").path(0));
    return wrapper;
  }

  // --- helpers

  private Repo requireRepo(JsonNode request) throws EcrError {
    String name = request.path("repositoryName").asText(null);
    if (name == null) {
      throw EcrError.of("InvalidParameterException", "repositoryName is required");
    }
    Repo repo = repos.get(name);
    if (repo == null) {
      throw repositoryNotFound(name);
    }
    return repo;
  }

  private EcrError repositoryNotFound(String name) {
    return EcrError.of(
        "RepositoryNotFoundException",
        "The repository with name '"
            + name
            + "' does not exist in the registry with id '"
            + account
            + "'");
  }

  private static JsonNode imageIds(JsonNode request) throws EcrError {
    JsonNode ids = request.path("imageIds");
    if (!ids.isArray() || ids.size() < 1 || ids.size() > 100) {
      throw EcrError.of(
          "InvalidParameterException",
          "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length"
              + " between 1 and 100'");
    }
    return ids;
  }

  private static void failure(ArrayNode failures, JsonNode id, String code, String reason) {
    ObjectNode f = failures.addObject();
    f.set("imageId", id.deepCopy());
    f.put("failureCode", code);
    f.put("failureReason", reason);
  }

  /**
   * ECR's WILDCARD filter: {@code *} stands for zero or more characters, any other character for
   * itself. Matched here character by character, apart from the backend's own matcher (which builds
   * a regular expression), so that each is held to ECR's documented examples on its own
   * (WildcardFilterDocumentedExamplesTest), not to the other.
   */
  public static boolean wildcardMatches(String filter, String tag) {
    int f = 0;
    int t = 0;
    int star = -1; // the last '*' seen in the filter
    int resume = 0; // where in the tag that '*' stops matching
    while (t < tag.length()) {
      if (f < filter.length() && filter.charAt(f) == '*') {
        star = f++;
        resume = t;
      } else if (f < filter.length() && filter.charAt(f) == tag.charAt(t)) {
        f++;
        t++;
      } else if (star >= 0) {
        f = star + 1; // let the '*' take one more character
        t = ++resume;
      } else {
        return false;
      }
    }
    while (f < filter.length() && filter.charAt(f) == '*') {
      f++;
    }
    return f == filter.length();
  }

  /** The filters ECR accepts: 1 to 5, each of 1 to 128 of {@code [0-9a-zA-Z._*-]}. */
  private static String invalidFilters(List<String> filters) {
    if (filters.size() > 5) {
      return "at most 5 imageTagMutabilityExclusionFilters";
    }
    for (String f : filters) {
      if (!VALID_FILTER.matcher(f).matches()) {
        return "filter '" + f + "' must match ^[0-9a-zA-Z._*-]{1,128}$";
      }
    }
    return null;
  }

  private static final Pattern VALID_FILTER = Pattern.compile("[0-9a-zA-Z._*-]{1,128}");

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
