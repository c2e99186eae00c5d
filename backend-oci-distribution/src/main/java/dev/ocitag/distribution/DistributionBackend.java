package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.BlobTransfer;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.FallbackIndex;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;

/**
 * A registry reached through the OCI distribution API: manifests are fetched and put as their exact
 * bytes, never re-serialized. One backend holds one request path ({@link Transport}: retries,
 * authentication and its tokens, keep-alive connections) for the registry of the reference it was
 * opened for.
 *
 * <p>Requests: fetch is one GET, resolve one HEAD (a GET where HEAD is not allowed), put one PUT
 * (under a tag, or by digest), tags one GET per page. Untag deletes the tag where the registry can;
 * where it only deletes by digest, see {@link #untag}. Blobs ({@link BlobTransfer}): a HEAD, a
 * cross-repository mount, a streamed GET, and an upload streamed through a SHA-256 check before it
 * is committed; see {@link #pushBlob}. Referrers ({@link Referrers}): the referrers API where the
 * registry answers it, else the referrers tag schema, see {@link #referrers} and {@link
 * #putReferrer}.
 */
public final class DistributionBackend implements TagBackend, BlobTransfer, Referrers {
  static final String USER_AGENT = "ocitag/0.1";
  private static final String ACCEPT = String.join(", ", MediaTypes.ALL);
  private static final int MAX_TAG_PAGES = 100_000;
  static final String PLACEHOLDER_ANNOTATION = "dev.ocitag.untag-placeholder";

  /** How many times a referrers tag is read and merged again when another writer came between. */
  static final int FALLBACK_ATTEMPTS = 5;

  private final RegistryEndpoint endpoint;
  private final Transport client;
  private final Settings settings;
  private final TlsSetup tls;
  private final OkHttpTransport http;
  private final Consumer<String> debug;
  private final Duration timeout;

  /** Set once HEAD on a manifest failed where GET worked: {@link #resolve} GETs from then on. */
  private volatile boolean resolveByGet;

  /**
   * Whether this registry answers the referrers API: null until it has said. A registry answers it
   * for all its repositories or for none, so one answer spares the others a request.
   */
  private final AtomicReference<Boolean> referrersApi = new AtomicReference<>();

  private DistributionBackend(
      RegistryEndpoint endpoint,
      Transport client,
      Settings settings,
      TlsSetup tls,
      OkHttpTransport http,
      Consumer<String> debug,
      Duration timeout) {
    this.endpoint = endpoint;
    this.client = client;
    this.settings = settings;
    this.tls = tls;
    this.http = http;
    this.debug = debug;
    this.timeout = timeout;
  }

  /** Opens a backend for the registry of {@code ref}. */
  public static DistributionBackend open(ImageRef ref, BackendOptions options, Settings settings) {
    if (ref.registry().isEmpty()) {
      throw new OcitagException.InvalidInput(
          "'" + ref + "' is not a registry reference (the distribution backend serves those)");
    }
    return open(
        RegistryEndpoint.of(ref, options.get(RegistryOptions.PLAIN_HTTP)), options, settings);
  }

  /** Opens a backend for an endpoint given as it is (tests point it at their own servers). */
  static DistributionBackend open(
      RegistryEndpoint endpoint, BackendOptions options, Settings settings) {
    return open(endpoint, options, settings, null);
  }

  static DistributionBackend open(
      RegistryEndpoint endpoint,
      BackendOptions options,
      Settings settings,
      Map<String, String> env) {
    return open(endpoint, options, settings, env, null);
  }

  /**
   * The request path: {@link OkHttpTransport} → {@link DebugLog} → {@link PlainHttpFallback}
   * (loopback registries) → {@link RegistryAuth} → {@link Retry}. {@code env} names the proxies and
   * the certs.d directories, and is where credential helpers are looked up (tests give their own);
   * null for the process's. {@code given} credentials replace the docker config's; null: look them
   * up there.
   */
  static DistributionBackend open(
      RegistryEndpoint endpoint,
      BackendOptions options,
      Settings settings,
      Map<String, String> env,
      Credentials given) {
    Consumer<String> debug = options.debug() == null ? null : options::debug;
    Map<String, String> environment = env == null ? System.getenv() : env;
    List<String> hostDirs =
        endpoint.apiHost().equals(endpoint.registry())
            ? List.of(endpoint.apiHost())
            : List.of(endpoint.apiHost(), endpoint.registry());
    TlsSetup tls =
        TlsSetup.of(
            hostDirs,
            options.get(RegistryOptions.INSECURE),
            options.get(RegistryOptions.CA_FILE),
            environment);
    Proxies proxies = Proxies.fromEnv(environment);
    if (debug != null) {
      if (!tls.filesRead().isEmpty()) {
        debug.accept("tls: also trusting and presenting what " + tls.filesRead() + " hold");
      }
      if (proxies != null) {
        debug.accept(proxies.describe());
      }
    }
    OkHttpTransport http = new OkHttpTransport(settings, tls, proxies, debug);
    Transport network = http;
    if (debug != null) {
      network = new DebugLog(network, debug);
    }
    Transport registry =
        endpoint.loopback() && !endpoint.plainHttp()
            ? new PlainHttpFallback(network, endpoint, debug)
            : network;
    Path dockerConfigDir = options.get(RegistryOptions.DOCKER_CONFIG);
    // looked up when a registry first asks for credentials, never for anonymous registries
    Lazy<Optional<Credentials>> credentials =
        new Lazy<>(
            () ->
                DockerConfig.lookup(
                    dockerConfigDir,
                    environment,
                    endpoint.registry(),
                    DockerConfig.timeout(),
                    debug));
    Lazy<Optional<Credentials>> used =
        given == null ? credentials : new Lazy<>(() -> Optional.of(given));
    // one breaker for the registry: its requests and its token fetches alike
    Breaker breaker =
        new Breaker(endpoint.apiHost(), settings.breakerThreshold(), settings.breakerCoolDown());
    Transport tokens =
        new Retry(network, settings, options.get(RegistryOptions.TIMEOUT), debug, breaker);
    RegistryAuth auth =
        new RegistryAuth(
            registry,
            endpoint,
            used,
            tokens,
            options.get(RegistryOptions.INSECURE),
            debug,
            Clock.systemUTC());
    Transport client =
        new Retry(auth, settings, options.get(RegistryOptions.TIMEOUT), debug, breaker);
    return new DistributionBackend(
        endpoint, client, settings, tls, http, debug, options.get(RegistryOptions.TIMEOUT));
  }

  /**
   * Opens a backend for the registry at {@code endpoint} ({@code https://host[:port]}, or {@code
   * http://host[:port]} for plain HTTP; any path is ignored) that answers its Basic challenge with
   * this user name and password instead of what the docker config holds: for a registry whose
   * password another service hands out, such as ECR's registry endpoint with the {@code AWS}
   * password from GetAuthorizationToken. The password appears in no message and no debug line.
   */
  public static DistributionBackend open(
      URI endpoint, String username, String password, BackendOptions options) {
    String scheme =
        endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(java.util.Locale.ROOT);
    String authority = endpoint.getRawAuthority();
    if (!(scheme.equals("https") || scheme.equals("http"))
        || endpoint.getHost() == null
        || authority == null
        || authority.contains("@")) {
      // not the URL itself: user info in it would be a secret
      throw new OcitagException.InvalidInput(
          "registry endpoint (scheme '"
              + scheme
              + "', host '"
              + endpoint.getHost()
              + "') is not an http(s)://host[:port] URL");
    }
    RegistryEndpoint registry =
        new RegistryEndpoint(
            authority,
            authority,
            RegistryEndpoint.isLoopback(RegistryEndpoint.hostOf(authority)),
            scheme.equals("http"));
    Credentials credentials =
        new Credentials(username, password, null, "the caller (for " + authority + ")");
    return open(registry, options, Settings.defaults(), null, credentials);
  }

  RegistryEndpoint endpoint() {
    return endpoint;
  }

  TlsSetup tls() {
    return tls;
  }

  @Override
  public Manifest fetch(ImageRef ref) {
    String what = "fetch " + ref;
    HttpRequest request =
        request("GET", manifestUrl(ref, ref.reference())).bodyLimit(Manifest.MAX_BYTES);
    HttpAnswer response = call(request, what);
    if (!response.isSuccessful()) {
      throw failure(response, what);
    }
    byte[] bytes = response.body();
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

  private static OcitagException tooLarge(String what, long length) {
    return new OcitagException.InvalidInput(
        what
            + ": the manifest is "
            + (length >= 0 ? length + " bytes" : "larger")
            + ", over the "
            + Manifest.MAX_BYTES
            + "-byte limit");
  }

  /**
   * One HEAD, or, where the registry refuses HEAD on manifests (403, 405, 501) or answers it
   * without a digest, one GET whose bytes are hashed. What a registry does with HEAD is learnt
   * once: after a GET has worked where HEAD did not, this backend resolves by GET alone.
   */
  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    String what = "resolve " + ref;
    String headFailed = null;
    if (!resolveByGet) {
      HttpAnswer response = call(request("HEAD", manifestUrl(ref, ref.reference())), what);
      if (response.code() == 404) {
        return Optional.empty();
      }
      if (response.isSuccessful()) {
        String header = response.header("Docker-Content-Digest");
        if (header != null && !header.isBlank()) {
          return Optional.of(parseDigest(header, what));
        }
        headFailed = "answers HEAD on manifests without Docker-Content-Digest";
      } else if (response.code() == 403 || response.code() == 405 || response.code() == 501) {
        headFailed = "refuses HEAD on manifests (" + response.code() + ")";
      } else {
        throw failure(response, what);
      }
    }
    Optional<Digest> fetched;
    try {
      fetched = Optional.of(fetch(ref).digest());
    } catch (OcitagException.NotFound e) {
      fetched = Optional.empty();
    }
    if (headFailed != null && !resolveByGet) {
      resolveByGet = true; // GET works where HEAD did not: from now on, GET alone
      debug(endpoint.apiHost() + " " + headFailed + "; resolving with GET from now on");
    }
    return fetched;
  }

  /**
   * PUTs the manifest's bytes at {@code /v2/<name>/manifests/<tag>}, or, for a target with a digest
   * and no tag (an index's child, written before the index), at {@code .../manifests/<digest>}; a
   * digest the bytes do not hash to is refused before any request.
   */
  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    if (target.tag() != null) {
      return putManifest(target.withTag(target.tag()), manifest.bytes(), manifest.mediaType());
    }
    if (target.digest() == null) {
      throw new OcitagException.InvalidInput(
          "put " + target + ": the target must name a tag or a digest");
    }
    if (!target.digest().matches(manifest.bytes())) {
      throw new OcitagException.InvalidInput(
          "put "
              + target
              + ": the manifest's bytes hash to "
              + manifest.digest()
              + ", not to the target's digest");
    }
    return putManifest(target, manifest.bytes(), manifest.mediaType());
  }

  /** PUTs the bytes at {@code at}'s tag or digest (it names one of them). */
  private Digest putManifest(ImageRef at, byte[] bytes, String mediaType) {
    return storedDigest(at, sendManifest(at, bytes, mediaType));
  }

  /** The PUT of the bytes, answered with success. */
  private HttpAnswer sendManifest(ImageRef at, byte[] bytes, String mediaType) {
    String what = "put " + at;
    if (bytes.length > Manifest.MAX_BYTES) {
      throw tooLarge(what, bytes.length);
    }
    HttpRequest request = request("PUT", manifestUrl(at, at.reference())).body(bytes, mediaType);
    HttpAnswer response = call(request, what);
    if (!response.isSuccessful()) {
      throw failure(response, what);
    }
    return response;
  }

  /** The digest the answer to a manifest PUT names, or failing that what {@code at} now holds. */
  private Digest storedDigest(ImageRef at, HttpAnswer response) {
    String what = "put " + at;
    String header = response.header("Docker-Content-Digest");
    if (header != null && !header.isBlank()) {
      return parseDigest(header, what);
    }
    String location = response.header("Location");
    int cut =
        location == null ? -1 : Math.max(location.lastIndexOf('/'), location.lastIndexOf('@'));
    if (cut >= 0 && location.substring(cut + 1).startsWith("sha")) {
      return parseDigest(location.substring(cut + 1), what);
    }
    // no digest in the answer: ask for what the tag (or digest) now holds
    return resolve(at)
        .orElseThrow(
            () ->
                new OcitagException.Failed(
                    what + ": the registry accepted the manifest but it does not resolve"));
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    String what = "list tags of " + repository.repositoryName();
    URI url = endpoint.url(repository.repository(), "tags", "list");
    if (settings.tagsPageSize() > 0) {
      url = URI.create(url + "?n=" + settings.tagsPageSize());
    }
    List<String> tags = new ArrayList<>();
    Set<URI> seen = new HashSet<>();
    while (url != null) {
      if (!seen.add(url) || seen.size() > MAX_TAG_PAGES) {
        throw new OcitagException.Failed(what + ": the registry's Link pages loop at " + url);
      }
      HttpAnswer response = call(request("GET", url), what);
      if (!response.isSuccessful()) {
        throw listingFailure(response, what);
      }
      JsonNode page;
      try {
        page = Json.read(response.body());
      } catch (IOException e) {
        throw new OcitagException.Failed(
            what + ": the tag list is not JSON: " + RegistryError.oneLine(e.toString()));
      }
      JsonNode list = page == null ? null : page.get("tags");
      if (list != null && list.isArray()) {
        list.forEach(t -> tags.add(t.asText()));
      }
      url = nextPage(url, response.url(), response.headers("Link"));
    }
    return tags.stream().distinct();
  }

  /**
   * A refused tag list says so: a registry may let a client pull and push yet not list (403), or
   * not list tags at all (405, 501, UNSUPPORTED).
   */
  private OcitagException listingFailure(HttpAnswer response, String what) {
    RegistryError error = RegistryError.parse(response.code(), response.body());
    String code = error.code() == null ? "" : error.code();
    if (response.code() == 403) {
      return new OcitagException.Denied(
          what + ": the registry refuses to list its tags (" + error.describe() + ")");
    }
    if (response.code() == 405 || response.code() == 501 || code.equals("UNSUPPORTED")) {
      return new OcitagException.Failed(
          what + ": the registry does not list tags (" + error.describe() + ")");
    }
    return failure(response, what);
  }

  /**
   * The {@code rel="next"} target of RFC 8288 Link headers, resolved against the URL that answered
   * as RFC 3986 says (a query-only reference keeps the page's path); null when there is none. A
   * next page on another origin than the one that answered, or on another host and port than the
   * page asked for, or one that is not an http(s) URL, is not followed: requests carry the
   * registry's credentials, and a list cut short silently would be wrong. Nor is one on another
   * path: the next page of a tag list is the same list with another query, and a request elsewhere
   * would go with this repository's token scope, or not to the registry's API at all.
   */
  static URI nextPage(URI asked, URI page, List<String> links) {
    for (String header : links) {
      for (String link : header.split(",(?=\\s*<)")) {
        int open = link.indexOf('<');
        int close = link.indexOf('>', open + 1);
        if (open < 0 || close < 0) {
          continue;
        }
        String params = link.substring(close + 1).replace(" ", "");
        if (params.contains("rel=\"next\"") || params.contains("rel=next")) {
          URI next = resolveNext(page, link.substring(open + 1, close).strip());
          if (!asked.getRawAuthority().equalsIgnoreCase(next.getRawAuthority())) {
            throw new OcitagException.Failed(
                "the registry's next page, <"
                    + DebugLog.redact(next)
                    + ">, is not on "
                    + asked.getRawAuthority()
                    + "; not following it");
          }
          if (!asked.getRawPath().equals(next.getRawPath())) {
            throw new OcitagException.Failed(
                "the registry's next page of tags, <"
                    + DebugLog.redact(next)
                    + ">, is not "
                    + asked.getRawPath()
                    + " with another query; not following it");
          }
          return next;
        }
      }
    }
    return null;
  }

  private static URI resolveNext(URI page, String reference) {
    URI next;
    try {
      next =
          reference.startsWith("?")
              ? new URI(
                  page.getScheme() + "://" + page.getRawAuthority() + page.getRawPath() + reference)
              : page.resolve(new URI(reference));
    } catch (URISyntaxException | IllegalArgumentException e) {
      next = null;
    }
    if (next == null
        || !page.getScheme().equalsIgnoreCase(next.getScheme())
        || !page.getRawAuthority().equalsIgnoreCase(String.valueOf(next.getRawAuthority()))) {
      throw new OcitagException.Failed(
          "the registry's next page, <"
              + RegistryError.oneLine(reference)
              + ">, is not a URL on "
              + page.getRawAuthority()
              + "; not following it");
    }
    return next;
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
    HttpAnswer deleted = call(request("DELETE", manifestUrl(ref, ref.tag())), what);
    if (deleted.isSuccessful()) {
      return;
    }
    RegistryError refused = RegistryError.parse(deleted.code(), deleted.body());
    if (!tagDeletionUnsupported(refused)) {
      throw refused.toException(what);
    }
    debug("untag: the registry does not delete tags (" + refused.describe() + ")");
    byte[] placeholder = placeholder(ref);
    Digest placeholderDigest = Digest.of(placeholder);
    ImageRef byDigest = ref.withDigest(placeholderDigest);
    HttpAnswer probe =
        call(request("DELETE", manifestUrl(ref, placeholderDigest.toString())), what);
    if (probe.code() != 404) {
      RegistryError error = RegistryError.parse(probe.code(), probe.body());
      if (probe.code() == 405 || "UNSUPPORTED".equals(error.code())) {
        throw new OcitagException.Refused(
            what
                + ": the registry deletes neither tags nor manifests ("
                + error.describe()
                + "); on distribution/registry set storage.delete.enabled. The tag is kept,"
                + " as deleting its image would also remove every other tag on it");
      }
      if (!probe.isSuccessful()) {
        throw error.toException(what);
      }
    }
    Digest stored;
    try {
      stored = putManifest(ref, placeholder, MediaTypes.OCI_INDEX);
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
    HttpAnswer removed =
        call(request("DELETE", manifestUrl(ref, placeholderDigest.toString())), what);
    if (!removed.isSuccessful() && removed.code() != 404) {
      throw new OcitagException.Failed(
          what
              + ": the tag was moved to the placeholder "
              + byDigest
              + " but deleting it failed: "
              + RegistryError.parse(removed.code(), removed.body()).describe());
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

  /**
   * {@code GET /v2/<name>/referrers/<digest>} (every page, {@code ?artifactType=} when one type is
   * asked for), where the registry answers the referrers API with an OCI index. Where it does not
   * (404 without {@code NAME_UNKNOWN}, 400, 405, 406, 501, or an answer that is no OCI index), the
   * index under the referrers tag schema's tag, as the distribution spec says; a tag that is
   * missing or holds no OCI index means none. A missing repository has none either way.
   */
  @Override
  public List<Descriptor> referrers(ImageRef repository, Digest subject, Set<String> types) {
    String what = "list the referrers of " + subject + " in " + repository.repositoryName();
    if (!Boolean.FALSE.equals(referrersApi.get())) {
      Optional<List<Descriptor>> listed = referrersApi(repository, subject, types, what);
      if (listed.isPresent()) {
        return Referrers.select(listed.get(), types);
      }
    }
    Manifest index = fallbackIndex(repository, subject, what).index();
    if (index == null || !MediaTypes.OCI_INDEX.equals(index.mediaType())) {
      return List.of();
    }
    return Referrers.select(index.children(), types);
  }

  /** The API's answer, every page; empty when the registry does not answer the API. */
  private Optional<List<Descriptor>> referrersApi(
      ImageRef repository, Digest subject, Set<String> types, String what) {
    URI url = endpoint.url(repository.repository(), "referrers", subject.toString());
    if (types.size() == 1) { // several: asked for all, chosen here
      String type = types.iterator().next();
      url = URI.create(url + "?artifactType=" + URLEncoder.encode(type, StandardCharsets.UTF_8));
    }
    List<Descriptor> listed = new ArrayList<>();
    Set<URI> seen = new HashSet<>();
    while (url != null) {
      if (!seen.add(url) || seen.size() > MAX_TAG_PAGES) {
        throw new OcitagException.Failed(what + ": the registry's Link pages loop at " + url);
      }
      HttpAnswer answer =
          call(
              request("GET", url)
                  .header("Accept", MediaTypes.OCI_INDEX)
                  .bodyLimit(Manifest.MAX_BYTES),
              what);
      boolean index =
          answer.code() == 200
              && MediaTypes.OCI_INDEX.equals(MediaTypes.base(answer.header("Content-Type")));
      if (!index && listed.isEmpty() && seen.size() == 1 && noReferrersApi(answer)) {
        return Optional.empty();
      }
      if (!index) {
        throw answer.isSuccessful()
            ? new OcitagException.Failed(
                what
                    + ": the registry answered a page of "
                    + RegistryError.oneLine(String.valueOf(answer.header("Content-Type")))
                    + " instead of an OCI index")
            : failure(answer, what);
      }
      referrersApi.set(true);
      listed.addAll(Manifest.of(answer.body(), MediaTypes.OCI_INDEX).children());
      url = nextPage(url, answer.url(), answer.headers("Link"));
    }
    return Optional.of(listed);
  }

  /**
   * Whether the first answer says the registry has no referrers API, which it then remembers. A
   * missing repository (NAME_UNKNOWN) says nothing about the API, so that is not remembered.
   */
  private boolean noReferrersApi(HttpAnswer answer) {
    int code = answer.code();
    if (code == 200) {
      debug("referrers: the registry's answer is no OCI index; using the referrers tag schema");
      referrersApi.set(false);
      return true;
    }
    if (code != 404 && code != 400 && code != 405 && code != 406 && code != 501) {
      return false;
    }
    RegistryError error = RegistryError.parse(code, answer.body());
    if (!"NAME_UNKNOWN".equals(error.code())) {
      debug("referrers: no referrers API (" + error.describe() + "); the referrers tag schema");
      referrersApi.set(false);
    }
    return true;
  }

  /**
   * The index under the referrers tag, with the ETag it was served with; null index: none. {@code
   * other} says what the tag holds when that is no manifest ocitag reads, else null.
   */
  private record Fallback(Manifest index, String etag, String other) {}

  /**
   * {@code GET /v2/<name>/manifests/sha256-<hex>}: a 404 is no index; a tag that holds no manifest
   * at all counts as none, as the spec says.
   */
  private Fallback fallbackIndex(ImageRef repository, Digest subject, String what) {
    ImageRef tag = repository.withTag(FallbackIndex.tag(subject));
    HttpAnswer answer =
        call(request("GET", manifestUrl(tag, tag.tag())).bodyLimit(Manifest.MAX_BYTES), what);
    if (answer.code() == 404) {
      return new Fallback(null, null, null);
    }
    if (!answer.isSuccessful()) {
      throw failure(answer, what);
    }
    try {
      return new Fallback(
          Manifest.of(answer.body(), answer.header("Content-Type")), answer.header("ETag"), null);
    } catch (OcitagException.InvalidInput e) {
      debug("referrers: the tag " + tag.tag() + " holds no manifest (" + e.getMessage() + ")");
      return new Fallback(null, answer.header("ETag"), e.getMessage());
    }
  }

  /**
   * PUTs the referrer by digest. A registry with the referrers API says with {@code OCI-Subject}
   * that it lists it. Otherwise ocitag adds it to the index under the referrers tag schema's tag:
   * read, add if absent, PUT back with {@code If-Match} on the ETag it was read with ({@code
   * If-None-Match: *} when there was none), so that a registry that honours conditions refuses the
   * write (412) when another writer came between, and the merge starts over. Then the tag is looked
   * at again: if it holds another index than the one written, another writer came after, and the
   * merge starts over until the tag lists the referrer. A registry that ignores conditions
   * (distribution 2.x) can still lose an entry to a writer who read before this write and wrote
   * after the look (the spec leaves that race to clients; a registry with the API has none). A tag
   * that holds something other than an OCI index is left alone: Failed.
   */
  @Override
  public Digest putReferrer(ImageRef repository, Manifest referrer) {
    Digest subject =
        referrer
            .subject()
            .orElseThrow(
                () ->
                    new OcitagException.InvalidInput(
                        "manifest " + referrer.digest() + " has no subject: not a referrer"))
            .digest();
    ImageRef at = repository.withDigest(referrer.digest());
    HttpAnswer answer = sendManifest(at, referrer.bytes(), referrer.mediaType());
    Digest stored = storedDigest(at, answer);
    String indexed = answer.header("OCI-Subject");
    if (indexed != null && !indexed.isBlank()) {
      referrersApi.set(true);
      return stored;
    }
    addToFallback(repository, subject, Referrers.descriptorOf(referrer));
    return stored;
  }

  private void addToFallback(ImageRef repository, Digest subject, Descriptor referrer) {
    ImageRef tag = repository.withTag(FallbackIndex.tag(subject));
    String what = "add referrer " + referrer.digest() + " to " + tag;
    for (int attempt = 1; ; attempt++) {
      Fallback current = fallbackIndex(repository, subject, what);
      if (current.other() != null) {
        throw new OcitagException.Failed(
            what
                + ": the tag holds no OCI image index ("
                + current.other()
                + "); leaving it alone");
      }
      if (current.index() != null && FallbackIndex.lists(current.index(), referrer.digest())) {
        return;
      }
      Manifest merged;
      try {
        merged = FallbackIndex.with(current.index(), referrer);
      } catch (OcitagException.Failed e) {
        throw new OcitagException.Failed(what + ": " + e.getMessage(), e);
      }
      HttpRequest put =
          request("PUT", manifestUrl(tag, tag.tag())).body(merged.bytes(), MediaTypes.OCI_INDEX);
      put =
          current.etag() != null
              ? put.header("If-Match", current.etag())
              : current.index() == null ? put.header("If-None-Match", "*") : put;
      HttpAnswer answer = call(put, what);
      if (answer.code() != 412) {
        if (!answer.isSuccessful()) {
          throw failure(answer, what);
        }
        if (resolve(tag).map(merged.digest()::equals).orElse(false)) {
          return;
        }
      }
      debug("referrers: " + tag.tag() + " changed under another writer; merging again");
      if (attempt >= FALLBACK_ATTEMPTS) {
        throw new OcitagException.Transient(
            what
                + ": another writer changed the referrers tag each time, "
                + FALLBACK_ATTEMPTS
                + " times");
      }
    }
  }

  /** {@code HEAD /v2/<name>/blobs/<digest>}: 200 is there, 404 is not; anything else fails. */
  @Override
  public boolean hasBlob(ImageRef repository, Descriptor blob) {
    String what = "check blob " + blob.digest() + " in " + repository.repositoryName();
    HttpAnswer answer =
        call(blobRequest("HEAD", blobUrl(repository, blob.digest()), pull(repository)), what);
    if (answer.code() == 404) {
      return false;
    }
    if (answer.isSuccessful()) {
      return true;
    }
    throw failure(answer, what);
  }

  /**
   * {@code POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>}, with a token for pushing
   * here and pulling there, only when {@code from} is in this same registry (else false without a
   * request). 201 means mounted. 202 means the registry started an ordinary upload instead (it does
   * not mount, or {@code from} lacks the blob): that upload is cancelled and the answer is false.
   */
  @Override
  public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
    if (from.transport() != repository.transport()
        || !from.registry().equals(repository.registry())
        || !from.registry().equals(endpoint.registry())) {
      return false;
    }
    String what =
        "mount blob "
            + blob.digest()
            + " from "
            + from.repositoryName()
            + " into "
            + repository.repositoryName();
    URI url =
        URI.create(
            uploadsUrl(repository) + "?mount=" + blob.digest() + "&from=" + from.repository());
    Scope scope = push(repository).and(pull(from));
    HttpAnswer answer = call(blobRequest("POST", url, scope), what);
    if (answer.code() == 201) {
      checkServedDigest(answer, blob, what);
      return true;
    }
    if (answer.code() == 202) {
      String location = answer.header("Location");
      if (location != null && !location.isBlank()) {
        cancelUpload(resolveLocation(answer, location, what), repository);
      }
      return false;
    }
    throw failure(answer, what);
  }

  /**
   * {@code GET /v2/<name>/blobs/<digest>} as a stream, following the registry's redirect to its
   * storage (S3, a CDN), where its credentials are not sent. A missing blob is {@link
   * OcitagException.NotFound} naming the digest; an answer whose length is not the descriptor's
   * size is refused before any byte is read. Reading the stream may take longer than {@code
   * --timeout}: that bounds each wait for the next bytes, not the whole read (see {@link
   * OkHttpTransport}). A read that fails says so in an {@link IOException} naming the blob and the
   * registry.
   */
  @Override
  public InputStream openBlob(ImageRef repository, Descriptor blob) {
    String what = "read blob " + blob.digest() + " from " + repository.repositoryName();
    HttpRequest request =
        blobRequest("GET", blobUrl(repository, blob.digest()), pull(repository))
            // OkHttp would otherwise ask for gzip and unzip what it got: the bytes must be as
            // stored
            .header("Accept-Encoding", "identity")
            .answerAsStream();
    HttpAnswer answer = call(request, what);
    if (!answer.isSuccessful()) {
      throw failure(answer, what);
    }
    InputStream stream = answer.stream();
    String length = answer.header("Content-Length");
    if (length != null && blob.size() >= 0 && !length.strip().equals(Long.toString(blob.size()))) {
      closeQuietly(stream);
      throw new OcitagException.Failed(
          what
              + ": the registry serves "
              + RegistryError.oneLine(length)
              + " bytes, but the blob's descriptor says "
              + blob.size());
    }
    return new BlobStream(stream, blob.digest() + " from " + endpoint.apiHost());
  }

  /**
   * Uploads {@code blob.size()} bytes read from {@code body}, checked before they are committed:
   * {@code POST /v2/<name>/blobs/uploads/} opens an upload at a {@code Location}; one {@code PUT
   * <location>?digest=<digest>} streams the bytes ({@code Content-Length} the blob's size) and
   * commits them, and the registry checks the digest once more. The bytes are hashed as they go and
   * the last chunk is held back until they hash to {@code blob.digest()} ({@link StreamedBody}):
   * when they do not, the PUT breaks off short of its length, so the registry commits nothing, and
   * the upload is cancelled ({@code DELETE <location>}). A digest mismatch or a source that ends
   * early is {@link OcitagException.Failed}; a connection that breaks (to the registry, or the
   * source's) is {@link OcitagException.Transient}, after which the caller starts the blob over.
   * (The same check with a {@code PATCH} of the bytes and an empty committing {@code PUT}, as
   * docker pushes, costs a request a blob, and a registry's time on each.)
   *
   * <p>The blob is never held in memory: the bytes pass through in 64 KiB chunks. {@code --timeout}
   * bounds each wait for progress rather than the whole PUT, so a large blob that keeps moving is
   * not cut off (see {@link OkHttpTransport}); a stalled one fails as transient after that long.
   */
  @Override
  public void pushBlob(ImageRef repository, Descriptor blob, InputStream body) {
    Digest digest = blob.digest();
    String what = "push blob " + digest + " to " + repository.repositoryName();
    if (blob.size() < 0) {
      throw new OcitagException.InvalidInput(what + ": the blob's size is " + blob.size());
    }
    Scope scope = push(repository);
    HttpAnswer started = call(blobRequest("POST", uploadsUrl(repository), scope), what);
    if (started.code() != 202) {
      throw started.isSuccessful()
          ? new OcitagException.Failed(
              what
                  + ": the registry answered "
                  + started.code()
                  + " instead of 202 to a new upload")
          : failure(started, what);
    }
    URI location = uploadLocation(started, null, what);
    boolean committed = false;
    try {
      StreamedBody bytes =
          new StreamedBody(body, blob.size(), digest.algorithm(), digest.toString());
      commitUpload(location, repository, blob, bytes, scope, what);
      committed = true;
    } finally {
      if (!committed) {
        cancelUpload(location, repository);
      }
    }
  }

  /** The wait an answer asks for ({@code Retry-After}), or null: none, or longer than we wait. */
  private Duration retryAfter(HttpAnswer answer) {
    String header = answer.header("Retry-After");
    Duration asked = header == null ? null : Retry.parseRetryAfter(header);
    return asked == null || asked.compareTo(settings.maxRetryAfter()) > 0 ? null : asked;
  }

  /**
   * {@code --timeout}: a blob whose upload the registry turned away, or whose connection broke, is
   * started over for as long as one request is retried.
   */
  @Override
  public Duration retryWithin() {
    return timeout;
  }

  /**
   * Why an upload failed, told apart: bytes that are not the blob, the source's fault, or the
   * connection to the registry's.
   */
  private OcitagException uploadBrokeOff(OcitagException e, StreamedBody bytes, String what) {
    String progress = " after " + bytes.read() + " of " + bytes.length() + " bytes";
    if (bytes.mismatch()) {
      return new OcitagException.Failed(
          what
              + ": the "
              + bytes.read()
              + " bytes read hash to "
              + bytes.digest()
              + ", not to "
              + bytes.expected()
              + "; the upload was cancelled and nothing is stored under "
              + bytes.expected());
    }
    if (bytes.sourceFailure() != null) {
      return new OcitagException.Transient(
          what
              + ": reading the blob from its source failed"
              + progress
              + " ("
              + RegistryError.oneLine(String.valueOf(bytes.sourceFailure().getMessage()))
              + "); nothing was committed",
          bytes.sourceFailure());
    }
    if (bytes.sourceEnded()) {
      return new OcitagException.Failed(
          what + ": the source ended" + progress + "; nothing was committed", e);
    }
    if (bytes.started() && (e instanceof OcitagException.Transient)) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return new OcitagException.Transient(
          what
              + ": the upload to "
              + endpoint.apiHost()
              + " broke off"
              + progress
              + " ("
              + RegistryError.oneLine(cause.toString())
              + "); nothing was committed",
          cause);
    }
    return e;
  }

  /**
   * {@code PUT <location>?digest=<digest>} with the bytes: the registry stores them under the
   * digest, which it checks. The bytes cannot be sent twice, so a 401 here (credentials that
   * expired since the POST) is transient: starting over fetches new ones. When the answer is lost
   * and a retry finds the upload gone, the blob being there is success.
   */
  private void commitUpload(
      URI location,
      ImageRef repository,
      Descriptor blob,
      StreamedBody bytes,
      Scope scope,
      String what) {
    String query = location.getRawQuery();
    URI url = URI.create(location + (query == null ? "?" : "&") + "digest=" + blob.digest());
    HttpRequest put = blobRequest("PUT", url, scope).upload(bytes, "application/octet-stream");
    HttpAnswer answer;
    try {
      answer = call(put, what);
    } catch (OcitagException e) {
      throw uploadBrokeOff(e, bytes, what);
    }
    if (!answer.isSuccessful()) {
      if (answer.code() == 401) {
        throw new OcitagException.Transient(
            what
                + ": the registry no longer took the upload's credentials ("
                + RegistryError.parse(answer.code(), answer.body()).describe()
                + "); nothing was committed");
      }
      if (answer.code() == 404 && hasBlob(repository, blob)) {
        return;
      }
      OcitagException e = failure(answer, what);
      if (e instanceof OcitagException.Transient) { // 503, 429: the caller starts the blob over
        throw new OcitagException.Transient(e.getMessage(), e.getCause(), retryAfter(answer));
      }
      throw e;
    }
    checkServedDigest(answer, blob, what);
  }

  /** {@code DELETE <location>}, best effort: a registry also purges abandoned uploads itself. */
  private void cancelUpload(URI location, ImageRef repository) {
    try {
      HttpAnswer answer =
          call(
              blobRequest("DELETE", location, Scope.forMethod(repository.repository(), "DELETE")),
              "cancel upload");
      if (!answer.isSuccessful()) {
        debug(
            "upload to "
                + repository.repositoryName()
                + " not cancelled (the registry purges it later): "
                + RegistryError.parse(answer.code(), answer.body()).describe());
      }
    } catch (OcitagException e) {
      debug("upload to " + repository.repositoryName() + " not cancelled: " + e.getMessage());
    }
  }

  /** The answer's upload Location as an absolute URL; {@code current} when it names none. */
  private URI uploadLocation(HttpAnswer answer, URI current, String what) {
    String location = answer.header("Location");
    if (location == null || location.isBlank()) {
      if (current != null) {
        return current;
      }
      throw new OcitagException.Failed(
          what + ": the registry answered " + answer.code() + " without an upload Location");
    }
    return resolveLocation(answer, location, what);
  }

  /**
   * A Location relative to the URL that answered. Refused when it would take the blob (and the
   * credentials a later request carries) from https to http.
   */
  private URI resolveLocation(HttpAnswer answer, String location, String what) {
    URI url;
    try {
      url = answer.url().resolve(new URI(location.strip()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      url = null;
    }
    if (url == null
        || url.getRawAuthority() == null
        || !("https".equalsIgnoreCase(url.getScheme())
            || "http".equalsIgnoreCase(url.getScheme()))) {
      throw new OcitagException.Failed(
          what
              + ": the registry's upload Location <"
              + RegistryError.oneLine(location)
              + "> is not a URL");
    }
    if ("https".equalsIgnoreCase(answer.url().getScheme())
        && "http".equalsIgnoreCase(url.getScheme())) {
      throw new OcitagException.Failed(
          what
              + ": the registry answered over https with an upload Location over http, <"
              + DebugLog.redact(url)
              + ">; not sending the blob in clear text");
    }
    return url;
  }

  /** A Docker-Content-Digest other than the blob's, where the registry sends one, is a failure. */
  private static void checkServedDigest(HttpAnswer answer, Descriptor blob, String what) {
    String served = answer.header("Docker-Content-Digest");
    if (served != null && !served.isBlank() && !parseDigest(served, what).equals(blob.digest())) {
      throw new OcitagException.Failed(
          what + ": the registry says it stored " + RegistryError.oneLine(served));
    }
  }

  private URI blobUrl(ImageRef repository, Digest digest) {
    return endpoint.url(repository.repository(), "blobs", digest.toString());
  }

  private URI uploadsUrl(ImageRef repository) {
    return endpoint.url(repository.repository(), "blobs", "uploads/");
  }

  private static Scope pull(ImageRef repository) {
    return new Scope(repository.repository(), "pull");
  }

  private static Scope push(ImageRef repository) {
    return new Scope(repository.repository(), "pull,push");
  }

  /** A blob request: its scope given (an upload Location need not name the repository). */
  private static HttpRequest blobRequest(String method, URI url, Scope scope) {
    return HttpRequest.of(method, url).scope(scope).header("User-Agent", USER_AGENT);
  }

  private static void closeQuietly(InputStream stream) {
    try {
      stream.close();
    } catch (IOException e) {
      // the answer is refused anyway
    }
  }

  /**
   * A blob's bytes as the registry streams them: a read that fails names the blob, the registry and
   * how far it got, for the message of whoever reads it.
   */
  private static final class BlobStream extends FilterInputStream {
    private final String what;
    private long read;

    BlobStream(InputStream in, String what) {
      super(in);
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      try {
        int b = super.read();
        read += b < 0 ? 0 : 1;
        return b;
      } catch (IOException e) {
        throw brokeOff(e);
      }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      try {
        int n = super.read(buffer, offset, length);
        read += Math.max(n, 0);
        return n;
      } catch (IOException e) {
        throw brokeOff(e);
      }
    }

    private IOException brokeOff(IOException e) {
      return new IOException(
          "reading blob " + what + " broke off after " + read + " bytes: " + e, e);
    }
  }

  private URI manifestUrl(ImageRef ref, String reference) {
    return endpoint.url(ref.repository(), "manifests", reference);
  }

  /** A request with its token scope: the repository and what the method does to it. */
  private HttpRequest request(String method, URI url) {
    return HttpRequest.of(method, url)
        .scope(Scope.forMethod(repositoryOf(url), method))
        .header("User-Agent", USER_AGENT)
        .header("Accept", ACCEPT);
  }

  private HttpAnswer call(HttpRequest request, String what) {
    try {
      return client.send(request);
    } catch (BodyTooLarge e) {
      if (request.bodyLimit() == Manifest.MAX_BYTES) {
        throw tooLarge(what, e.length);
      }
      throw new OcitagException.Failed(
          what + ": the registry's answer is over the " + request.bodyLimit() + "-byte limit");
    } catch (SSLException e) {
      String why = RegistryError.oneLine(TlsSetup.reason(e));
      if (TlsSetup.serverSpokePlainText(e)) {
        throw new OcitagException.Failed(
            what
                + ": "
                + endpoint.apiHost()
                + " does not speak TLS ("
                + why
                + "); for a registry that serves plain HTTP pass --plain-http",
            e);
      }
      throw new OcitagException.Failed(
          what + ": TLS with " + endpoint.apiHost() + " failed (" + why + "); " + tls.remedies(),
          e);
    } catch (UnknownHostException e) {
      throw new OcitagException.Failed(
          what + ": unknown host " + endpoint.apiHost() + " (" + e.getMessage() + ")", e);
    } catch (TimedOut e) {
      throw new OcitagException.Transient(
          what
              + ": "
              + endpoint.apiHost()
              + " gave no complete answer within "
              + e.deadline.describe()
              + " (--timeout; "
              + e.attempts
              + (e.attempts == 1 ? " attempt" : " attempts")
              + ")",
          e);
    } catch (RedirectRefused e) {
      throw new OcitagException.Failed(what + ": " + e.getMessage(), e);
    } catch (Breaker.Unreachable e) {
      if (e.attempts == 0) {
        // the reason alone: a batch prints it after the target, once per target not tried
        throw new OcitagException.Failed("not attempted: " + e.getMessage(), e);
      }
      throw new OcitagException.Transient(
          what
              + ": "
              + e.getMessage()
              + ", after "
              + e.attempts
              + (e.attempts == 1 ? " attempt" : " attempts"),
          e);
    } catch (ConnectException e) {
      throw new OcitagException.Transient(
          what + ": cannot connect to " + endpoint.apiHost() + " (" + Breaker.describe(e) + ")", e);
    } catch (IOException e) {
      throw new OcitagException.Transient(
          what + ": " + endpoint.apiHost() + ": " + RegistryError.oneLine(e.toString()), e);
    }
  }

  /** The repository name in a {@code /v2/<name>/(manifests|tags|blobs|referrers)/...} URL. */
  static String repositoryOf(URI url) {
    String path = url.getRawPath();
    String name = path.substring(path.indexOf("/v2/") + 4);
    int end = -1;
    for (String kind : new String[] {"/manifests/", "/tags/", "/blobs/", "/referrers/"}) {
      end = Math.max(end, name.lastIndexOf(kind));
    }
    return end < 0 ? name : name.substring(0, end);
  }

  private OcitagException failure(HttpAnswer response, String what) {
    RegistryError error = RegistryError.parse(response.code(), response.body());
    if (response.code() == 401 && error.code() == null) {
      return new OcitagException.Denied(
          what + ": the registry answered 401 unauthorized" + challengeHint(response));
    }
    if (response.code() == 407) {
      return new OcitagException.Denied(
          what
              + ": the proxy answered 407 (proxy authentication required); give its user and"
              + " password in the proxy URL (HTTP_PROXY, HTTPS_PROXY: http://user:password@host:port)");
    }
    return error.toException(what);
  }

  private static String challengeHint(HttpAnswer response) {
    String c = response.header("WWW-Authenticate");
    return c == null ? "" : " (challenge " + RegistryError.oneLine(c) + ")";
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

  /**
   * Closes the idle connections of the process's OkHttp pool. Each HTTP/2 connection has a thread
   * blocked in a socket read, and the JVM's exit waits up to 300 ms for threads in native code: a
   * cold retag against an HTTP/2 registry (Go's, with TLS) took that much longer to exit.
   */
  @Override
  public void close() {
    http.releaseIdleConnections();
  }
}
