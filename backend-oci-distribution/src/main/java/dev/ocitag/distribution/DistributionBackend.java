package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionPool;
import okhttp3.ConnectionSpec;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * A registry reached through the OCI distribution API: manifests are fetched and put as their exact
 * bytes, never re-serialized. One backend holds one OkHttp client (one connection pool, HTTP/2
 * where the registry offers it over TLS) for the registry of the reference it was opened for.
 *
 * <p>Requests: fetch is one GET, resolve one HEAD (a GET where HEAD is not allowed), put one PUT,
 * tags one GET per page. Untag deletes the tag where the registry can; where it only deletes by
 * digest, see {@link #untag}.
 */
public final class DistributionBackend implements TagBackend {
  static final String USER_AGENT = "ocitag/0.1 (+okhttp)";
  private static final String ACCEPT = String.join(", ", MediaTypes.ALL);
  private static final int MAX_TAG_PAGES = 100_000;
  static final String PLACEHOLDER_ANNOTATION = "dev.ocitag.untag-placeholder";

  private final RegistryEndpoint endpoint;
  private final OkHttpClient client;
  private final Settings settings;
  private final Consumer<String> debug;

  private DistributionBackend(
      RegistryEndpoint endpoint, OkHttpClient client, Settings settings, Consumer<String> debug) {
    this.endpoint = endpoint;
    this.client = client;
    this.settings = settings;
    this.debug = debug;
  }

  /** Opens a backend for the registry of {@code ref}. */
  public static DistributionBackend open(ImageRef ref, BackendOptions options, Settings settings) {
    if (ref.transport() != ImageRef.Transport.DISTRIBUTION
        && ref.transport() != ImageRef.Transport.ECR) {
      throw new OcitagException.InvalidInput(
          "'" + ref + "' is not a registry reference (the distribution backend serves those)");
    }
    return open(RegistryEndpoint.of(ref, options.plainHttp()), options, settings);
  }

  /** Opens a backend for an endpoint given as it is (tests point it at their own servers). */
  static DistributionBackend open(
      RegistryEndpoint endpoint, BackendOptions options, Settings settings) {
    Consumer<String> debug = options.debug() == null ? null : options::debug;
    OkHttpClient.Builder base =
        new OkHttpClient.Builder()
            .connectTimeout(settings.connectTimeout())
            .readTimeout(settings.readTimeout())
            .writeTimeout(settings.readTimeout())
            .callTimeout(settings.callTimeout())
            .connectionPool(
                new ConnectionPool(Math.max(5, options.parallelism()), 5, TimeUnit.MINUTES))
            .followRedirects(true);
    if (!endpoint.base().isHttps()) {
      // plain HTTP: no TLS set-up at all (it costs a cold CLI a few hundred milliseconds)
      base.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
    } else if (options.insecure()) {
      trustEverything(base);
    }
    if (debug != null) {
      base.addNetworkInterceptor(new DebugLog(debug));
    }
    OkHttpClient shared = base.build();
    OkHttpClient tokenClient =
        shared.newBuilder().addInterceptor(new RetryInterceptor(settings, debug)).build();
    Path dockerConfigDir = options.dockerConfig();
    Lazy<Optional<Credentials>> credentials =
        new Lazy<>(
            () -> {
              DockerConfig config = DockerConfig.load(dockerConfigDir, System.getenv());
              Optional<Credentials> found = config.credentialsFor(endpoint.registry());
              if (debug != null) {
                debug.accept(
                    "auth: "
                        + found.map(String::valueOf).orElse("no credentials")
                        + " for "
                        + endpoint.registry()
                        + " in "
                        + config.file());
              }
              return found;
            });
    OkHttpClient client =
        shared
            .newBuilder()
            .addInterceptor(new RetryInterceptor(settings, debug))
            .addInterceptor(
                new RegistryAuth(
                    endpoint,
                    credentials,
                    tokenClient,
                    options.insecure(),
                    debug,
                    Clock.systemUTC()))
            .build();
    return new DistributionBackend(endpoint, client, settings, debug);
  }

  private static void trustEverything(OkHttpClient.Builder b) {
    X509TrustManager trustAll =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trustAll}, new SecureRandom());
      b.sslSocketFactory(tls.getSocketFactory(), trustAll).hostnameVerifier((host, s) -> true);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the JVM cannot set up TLS", e);
    }
  }

  RegistryEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public Manifest fetch(ImageRef ref) {
    String what = "fetch " + ref;
    Request request = request(manifestUrl(ref, ref.reference()), ref).get().build();
    try (Response response = call(request, what)) {
      if (!response.isSuccessful()) {
        throw failure(response, what);
      }
      byte[] bytes = readManifest(response, what);
      Manifest manifest = Manifest.of(bytes, response.header("Content-Type"));
      if (ref.digest() != null && !ref.digest().matches(bytes)) {
        throw new OcitagException.Failed(
            what + ": the registry served bytes that do not hash to " + ref.digest());
      }
      String served = response.header("Docker-Content-Digest");
      if (served != null && !served.isBlank()) {
        Digest claimed = parseDigest(served, what);
        if (!claimed.matches(bytes)) {
          throw new OcitagException.Failed(
              what
                  + ": the registry says Docker-Content-Digest "
                  + claimed
                  + " but the bytes it served hash to "
                  + manifest.digest());
        }
      }
      return manifest;
    }
  }

  private static byte[] readManifest(Response response, String what) {
    long length = response.body().contentLength();
    if (length > Manifest.MAX_BYTES) {
      throw tooLarge(what, length);
    }
    try {
      BufferedSource source = response.body().source();
      if (source.request(Manifest.MAX_BYTES + 1L)) {
        throw tooLarge(what, -1);
      }
      return source.readByteArray();
    } catch (IOException e) {
      throw new OcitagException.Transient(
          what + ": reading the manifest failed: " + RegistryError.oneLine(e.toString()), e);
    }
  }

  private static OcitagException tooLarge(String what, long length) {
    return new OcitagException.InvalidInput(
        what
            + ": the manifest is "
            + (length >= 0 ? length + " bytes" : "larger")
            + ", over the "
            + Manifest.MAX_BYTES
            + "-byte limit");
  }

  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    String what = "resolve " + ref;
    Request request = request(manifestUrl(ref, ref.reference()), ref).head().build();
    try (Response response = call(request, what)) {
      if (response.code() == 404) {
        return Optional.empty();
      }
      if (response.isSuccessful()) {
        String header = response.header("Docker-Content-Digest");
        if (header != null && !header.isBlank()) {
          return Optional.of(parseDigest(header, what));
        }
      } else if (response.code() != 405) {
        throw failure(response, what);
      }
    }
    // HEAD not allowed, or no digest in its answer: GET and hash the bytes
    try {
      return Optional.of(fetch(ref).digest());
    } catch (OcitagException.NotFound e) {
      return Optional.empty();
    }
  }

  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    if (target.tag() == null) {
      throw new OcitagException.InvalidInput("put " + target + ": the target must name a tag");
    }
    return putManifest(target, target.tag(), manifest.bytes(), manifest.mediaType());
  }

  private Digest putManifest(ImageRef target, String reference, byte[] bytes, String mediaType) {
    String what = "put " + target.repositoryName() + ":" + reference;
    if (bytes.length > Manifest.MAX_BYTES) {
      throw tooLarge(what, bytes.length);
    }
    RequestBody body = RequestBody.create(bytes, MediaType.get(mediaType));
    Request request = request(manifestUrl(target, reference), target).put(body).build();
    try (Response response = call(request, what)) {
      if (!response.isSuccessful()) {
        throw failure(response, what);
      }
      String header = response.header("Docker-Content-Digest");
      if (header != null && !header.isBlank()) {
        return parseDigest(header, what);
      }
      String location = response.header("Location");
      int at =
          location == null ? -1 : Math.max(location.lastIndexOf('/'), location.lastIndexOf('@'));
      if (at >= 0 && location.substring(at + 1).startsWith("sha")) {
        return parseDigest(location.substring(at + 1), what);
      }
    }
    // no digest in the answer: ask for what the tag now holds
    return resolve(target.withTag(reference))
        .orElseThrow(
            () ->
                new OcitagException.Failed(
                    what + ": the registry accepted the manifest but the tag does not resolve"));
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    String what = "list tags of " + repository.repositoryName();
    HttpUrl url = endpoint.url(repository.repository(), "tags", "list");
    if (settings.tagsPageSize() > 0) {
      url =
          url.newBuilder().addQueryParameter("n", String.valueOf(settings.tagsPageSize())).build();
    }
    List<String> tags = new ArrayList<>();
    Set<HttpUrl> seen = new HashSet<>();
    while (url != null) {
      if (!seen.add(url) || seen.size() > MAX_TAG_PAGES) {
        throw new OcitagException.Failed(what + ": the registry's Link pages loop at " + url);
      }
      Request request = request(url, repository).get().build();
      try (Response response = call(request, what)) {
        if (!response.isSuccessful()) {
          throw failure(response, what);
        }
        JsonNode page;
        try {
          page = Json.read(response.body().bytes());
        } catch (IOException e) {
          throw new OcitagException.Failed(
              what + ": the tag list is not JSON: " + RegistryError.oneLine(e.toString()));
        }
        JsonNode list = page == null ? null : page.get("tags");
        if (list != null && list.isArray()) {
          list.forEach(t -> tags.add(t.asText()));
        }
        url = nextPage(url, response.headers("Link"));
      }
    }
    return tags.stream().distinct();
  }

  /** The {@code rel="next"} target of RFC 8288 Link headers, resolved against the page's URL. */
  static HttpUrl nextPage(HttpUrl page, List<String> links) {
    for (String header : links) {
      for (String link : header.split(",(?=\\s*<)")) {
        int open = link.indexOf('<');
        int close = link.indexOf('>', open + 1);
        if (open < 0 || close < 0) {
          continue;
        }
        String params = link.substring(close + 1).replace(" ", "");
        if (params.contains("rel=\"next\"") || params.contains("rel=next")) {
          return page.resolve(link.substring(open + 1, close).strip());
        }
      }
    }
    return null;
  }

  /**
   * Removes a tag and never an image: the image stays, and so do its other tags.
   *
   * <p>A registry that implements tag deletion (OCI distribution 1.1, distribution v3, Harbor, Zot,
   * ...) gets {@code DELETE /v2/<name>/manifests/<tag>}. distribution/registry 2.x deletes only by
   * digest, and deleting the image's digest would remove it with all its tags. There the tag is
   * first moved to a placeholder that nothing else can share (an empty OCI index carrying a random
   * nonce), and the placeholder is deleted by its digest, which takes this one tag with it. Before
   * the tag is touched, a DELETE of the placeholder's (not yet stored) digest checks that the
   * registry deletes at all: where it does not (distribution with {@code storage.delete} off) untag
   * is refused and the tag stays where it was. Between the two writes another reader may see the
   * tag on the placeholder for a moment.
   */
  @Override
  public void untag(ImageRef ref) {
    if (ref.tag() == null || ref.digest() != null) {
      throw new OcitagException.InvalidInput(
          "untag " + ref + ": give a tag (untag removes tags, not images by digest)");
    }
    String what = "untag " + ref;
    if (resolve(ref).isEmpty()) {
      throw new OcitagException.NotFound(what + ": no such tag");
    }
    Request delete = request(manifestUrl(ref, ref.tag()), ref).delete().build();
    try (Response response = call(delete, what)) {
      if (response.isSuccessful()) {
        return;
      }
      RegistryError error = RegistryError.parse(response.code(), bodyBytes(response));
      if (!tagDeletionUnsupported(error)) {
        throw error.toException(what);
      }
      debug("untag: the registry does not delete tags (" + error.describe() + ")");
    }
    byte[] placeholder = placeholder(ref);
    Digest placeholderDigest = Digest.of(placeholder);
    ImageRef byDigest = ref.withDigest(placeholderDigest);
    Request probe = request(manifestUrl(ref, placeholderDigest.toString()), ref).delete().build();
    try (Response response = call(probe, what)) {
      if (response.code() != 404) {
        RegistryError error = RegistryError.parse(response.code(), bodyBytes(response));
        if (response.code() == 405 || "UNSUPPORTED".equals(error.code())) {
          throw new OcitagException.Refused(
              what
                  + ": the registry deletes neither tags nor manifests ("
                  + error.describe()
                  + "); on distribution/registry set storage.delete.enabled. The tag is kept,"
                  + " as deleting its image would also remove every other tag on it");
        }
        if (!response.isSuccessful()) {
          throw error.toException(what);
        }
      }
    }
    Digest stored;
    try {
      stored = putManifest(ref, ref.tag(), placeholder, MediaTypes.OCI_INDEX);
    } catch (OcitagException.InvalidInput e) {
      throw new OcitagException.Failed(
          what
              + ": the registry deletes manifests only by digest and refused the placeholder"
              + " that would let ocitag remove just this tag ("
              + e.getMessage()
              + "); the tag is unchanged",
          e);
    }
    if (!stored.equals(placeholderDigest)) {
      throw new OcitagException.Failed(
          what
              + ": the registry stored the placeholder as "
              + stored
              + " instead of "
              + placeholderDigest
              + "; the tag now points at that placeholder");
    }
    Request remove = request(manifestUrl(ref, placeholderDigest.toString()), ref).delete().build();
    try (Response response = call(remove, what)) {
      if (!response.isSuccessful() && response.code() != 404) {
        throw new OcitagException.Failed(
            what
                + ": the tag was moved to the placeholder "
                + byDigest
                + " but deleting it failed: "
                + RegistryError.parse(response.code(), bodyBytes(response)).describe());
      }
    }
  }

  private static boolean tagDeletionUnsupported(RegistryError error) {
    String code = error.code() == null ? "" : error.code();
    return switch (error.status()) {
      case 405 -> true;
      case 400 -> code.isEmpty() || code.equals("DIGEST_INVALID") || code.equals("UNSUPPORTED");
      // the tag was just resolved: a 404 means the registry took the tag for a digest
      case 404 -> code.isEmpty() || code.equals("MANIFEST_UNKNOWN");
      default -> code.equals("UNSUPPORTED");
    };
  }

  /** An empty OCI index no other image can share: a random nonce is in it. */
  static byte[] placeholder(ImageRef ref) {
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_INDEX
            + "\",\"manifests\":[],\"annotations\":{\""
            + PLACEHOLDER_ANNOTATION
            + "\":\"removing tag "
            + ref.tag()
            + "\",\"dev.ocitag.nonce\":\""
            + UUID.randomUUID()
            + "\"}}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private HttpUrl manifestUrl(ImageRef ref, String reference) {
    return endpoint.url(ref.repository(), "manifests", reference);
  }

  private Request.Builder request(HttpUrl url, ImageRef ref) {
    return new Request.Builder().url(url).header("User-Agent", USER_AGENT).header("Accept", ACCEPT);
  }

  private Response call(Request request, String what) {
    // the scope is known only once the method is: tag the request with it now
    Scope scope = Scope.forMethod(repositoryOf(request.url()), request.method());
    Request tagged = request.newBuilder().tag(Scope.class, scope).build();
    try {
      return client.newCall(tagged).execute();
    } catch (ReportedFailure e) {
      throw e.error;
    } catch (SSLException e) {
      throw new OcitagException.Failed(
          what
              + ": TLS with "
              + endpoint.apiHost()
              + " failed ("
              + RegistryError.oneLine(e.getMessage())
              + "); for a self-signed or private certificate pass --insecure, for a registry"
              + " that serves plain HTTP pass --plain-http",
          e);
    } catch (UnknownHostException e) {
      throw new OcitagException.Failed(
          what + ": unknown host " + endpoint.apiHost() + " (" + e.getMessage() + ")", e);
    } catch (ConnectException e) {
      throw new OcitagException.Transient(
          what
              + ": cannot connect to "
              + endpoint.apiHost()
              + " after "
              + settings.maxAttempts()
              + " attempts ("
              + RegistryError.oneLine(String.valueOf(e.getMessage()))
              + ")",
          e);
    } catch (IOException e) {
      throw new OcitagException.Transient(
          what
              + ": "
              + RegistryError.oneLine(e.toString())
              + " (after up to "
              + settings.maxAttempts()
              + " attempts)",
          e);
    }
  }

  /** The repository name in a {@code /v2/<name>/(manifests|tags|blobs)/...} URL. */
  private static String repositoryOf(HttpUrl url) {
    List<String> segments = url.pathSegments();
    int end = segments.size();
    for (int i = segments.size() - 1; i > 0; i--) {
      String s = segments.get(i);
      if (s.equals("manifests") || s.equals("tags") || s.equals("blobs")) {
        end = i;
        break;
      }
    }
    return String.join("/", segments.subList(1, end));
  }

  private OcitagException failure(Response response, String what) {
    RegistryError error = RegistryError.parse(response.code(), bodyBytes(response));
    if (response.code() == 401 && error.code() == null) {
      return new OcitagException.Denied(
          what + ": the registry answered 401 unauthorized" + challengeHint(response));
    }
    return error.toException(what);
  }

  private static String challengeHint(Response response) {
    String c = response.header("WWW-Authenticate");
    return c == null ? "" : " (challenge " + RegistryError.oneLine(c) + ")";
  }

  private static byte[] bodyBytes(Response response) {
    try {
      BufferedSource source = response.body().source();
      source.request(64 * 1024);
      return source.getBuffer().snapshot().toByteArray();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static Digest parseDigest(String text, String what) {
    try {
      return Digest.parse(text.strip());
    } catch (OcitagException.InvalidInput e) {
      throw new OcitagException.Failed(
          what + ": the registry answered a malformed digest: " + e.getMessage());
    }
  }

  private void debug(String line) {
    if (debug != null) {
      debug.accept(line);
    }
  }

  @Override
  public void close() {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}
