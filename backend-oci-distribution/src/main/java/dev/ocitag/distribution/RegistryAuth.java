package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Answers a registry's authentication challenge, once per request: a request goes out anonymously
 * until the registry has challenged, then with Basic credentials or a Bearer token for the scope
 * the request needs. A 401 with a token in hand drops that token and fetches one new token; a
 * second 401 is returned as it is (the backend reports it as denied), so there is no 401 loop.
 *
 * <p>Tokens are cached per scope until shortly before they expire. Tokens for different scopes are
 * fetched at the same time; requests that need the same one wait for a single fetch. A token fetch
 * shares the deadline of the request that needed it. Token realms must be https unless the registry
 * is on loopback or {@code --insecure} is set: a realm receives the password.
 *
 * <p>Only requests to the registry's own host and port carry its credentials: a blob upload goes on
 * at whatever {@code Location} the registry answers, which may be another host (redirects are
 * OkHttp's, which drops the header itself). A request whose streamed body was already read is not
 * sent again after a 401: its answer stands.
 */
final class RegistryAuth implements Transport {

  /** The spec's default when a token response has no expires_in. */
  private static final Duration DEFAULT_TOKEN_LIFE = Duration.ofSeconds(60);

  private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

  private final Transport next;
  private final RegistryEndpoint endpoint;
  private final Supplier<Optional<Credentials>> credentials;
  private final Transport tokenClient;
  private final boolean insecure;
  private final Consumer<String> debug;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Token>> fetching = new ConcurrentHashMap<>();
  private volatile Challenge challenge;

  private record Token(String value, Instant expires) {}

  RegistryAuth(
      Transport next,
      RegistryEndpoint endpoint,
      Supplier<Optional<Credentials>> credentials,
      Transport tokenClient,
      boolean insecure,
      Consumer<String> debug,
      Clock clock) {
    this.next = next;
    this.endpoint = endpoint;
    this.credentials = credentials;
    this.tokenClient = tokenClient;
    this.insecure = insecure;
    this.debug = debug == null ? line -> {} : debug;
    this.clock = clock;
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    if (!toRegistry(request.url())) {
      return next.send(request); // an upload Location elsewhere: no credentials go there
    }
    Scope scope = request.scope();
    HttpRequest first = authorize(request, scope == null ? null : scope.toString(), null);
    HttpAnswer answer = next.send(first);
    if (answer.code() != 401 || request.spent()) {
      return answer; // a streamed body already read cannot be sent again
    }
    Challenge c = Challenge.pick(answer.headers("WWW-Authenticate"));
    if (c == null || !(c.scheme().equals("bearer") || c.scheme().equals("basic"))) {
      return answer; // nothing we can answer: reported as denied with the registry's words
    }
    String sent = first.header("Authorization");
    if (sent != null && c.scheme().equals("basic")) {
      return answer; // the password was refused; asking again would not change that
    }
    challenge = c;
    String tokenScope = c.param("scope") != null ? c.param("scope") : String.valueOf(scope);
    String refused = sent != null && sent.startsWith("Bearer ") ? sent.substring(7) : null;
    return next.send(authorize(request, tokenScope, refused));
  }

  /**
   * Whether the URL is the registry's own host and port: only those requests carry its credentials.
   * All but one kind are built from the endpoint; a blob upload goes on at the {@code Location} the
   * registry names, which may be elsewhere.
   */
  private boolean toRegistry(URI url) {
    String host = url.getHost();
    if (host == null) {
      return false;
    }
    String apiHost = endpoint.apiHost();
    String registryHost = RegistryEndpoint.hostOf(apiHost);
    if (!host.replace("[", "").replace("]", "").equalsIgnoreCase(registryHost)) {
      return false;
    }
    int defaultPort = "http".equalsIgnoreCase(url.getScheme()) ? 80 : 443;
    int port = url.getPort() < 0 ? defaultPort : url.getPort();
    int close = apiHost.lastIndexOf(']');
    int colon = apiHost.lastIndexOf(':');
    if (colon <= close) {
      return port == defaultPort; // no port named: the scheme's
    }
    return apiHost.substring(colon + 1).equals(Integer.toString(port));
  }

  /**
   * Adds an Authorization header when a challenge is known; {@code refused} is a token the registry
   * just turned down, not to be used again.
   */
  private HttpRequest authorize(HttpRequest request, String scope, String refused)
      throws IOException {
    Challenge c = challenge;
    if (c == null) {
      return request;
    }
    if (c.scheme().equals("basic")) {
      Credentials creds = requireCredentials();
      if (creds.isIdentityToken()) {
        throw new OcitagException.Denied(
            endpoint.registry()
                + " asks for Basic authentication but "
                + creds.source()
                + " holds only an identity token");
      }
      return request.header("Authorization", basic(creds));
    }
    return request.header(
        "Authorization", "Bearer " + token(c, scope, refused, request.deadline()));
  }

  private static String basic(Credentials creds) {
    String pair = creds.username() + ":" + creds.password();
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  private Credentials requireCredentials() {
    return credentials
        .get()
        .orElseThrow(
            () ->
                new OcitagException.Denied(
                    endpoint.registry()
                        + " requires authentication and the docker config has no credentials"
                        + " for it (log in with docker/skopeo login, or pass --docker-config DIR)"));
  }

  private String token(Challenge c, String scope, String refused, Deadline deadline)
      throws IOException {
    String key = scope == null ? "" : scope;
    if (refused != null) {
      tokens.computeIfPresent(key, (k, t) -> t.value().equals(refused) ? null : t);
      tokens.computeIfPresent(key + ",push", (k, t) -> t.value().equals(refused) ? null : t);
    }
    Token cached = cached(key);
    if (cached != null) {
      return cached.value();
    }
    CompletableFuture<Token> mine = new CompletableFuture<>();
    CompletableFuture<Token> running = fetching.putIfAbsent(key, mine);
    if (running != null) {
      return Deadline.await(running, deadline)
          .value(); // another request is fetching this very token
    }
    try {
      Token fresh = cached(key); // fetched while this request looked
      if (fresh == null) {
        fresh = fetchToken(c, scope, deadline);
        tokens.put(key, fresh);
      }
      mine.complete(fresh);
      return fresh.value();
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e); // an Error too: the requests waiting for it must wake
      throw e;
    } finally {
      fetching.remove(key, mine);
    }
  }

  /** A token for the scope that is still good, or null; a push token also pulls. */
  private Token cached(String key) {
    Instant now = clock.instant();
    Token token = tokens.get(key);
    if (token == null && key.endsWith(":pull")) {
      token = tokens.get(key + ",push");
    }
    return token != null && now.isBefore(token.expires()) ? token : null;
  }

  private Token fetchToken(Challenge c, String scope, Deadline deadline) throws IOException {
    String realm = c.param("realm");
    URI realmUrl = realm == null ? null : parseRealm(realm);
    if (realmUrl == null) {
      throw new OcitagException.Failed(
          endpoint.registry() + " sent a Bearer challenge without a usable realm");
    }
    // the realm gets the password: plain HTTP only where the realm itself is on this machine
    if (!realmUrl.getScheme().equalsIgnoreCase("https")
        && !RegistryEndpoint.isLoopback(RegistryEndpoint.hostOf(hostPort(realmUrl)))
        && !insecure) {
      throw new OcitagException.Denied(
          "the token service of "
              + endpoint.registry()
              + " ("
              + DebugLog.redact(realmUrl)
              + ") is not https: refusing to send credentials in clear text"
              + " (pass --insecure to allow it)");
    }
    Optional<Credentials> creds = credentials.get();
    String service = c.param("service");
    StringBuilder params = new StringBuilder();
    HttpRequest request;
    if (creds.isPresent() && creds.get().isIdentityToken()) {
      addParam(params, "grant_type", "refresh_token");
      addParam(params, "refresh_token", creds.get().identityToken());
      addParam(params, "client_id", "ocitag");
      addParam(params, "service", service);
      addParam(params, "scope", scope);
      request =
          HttpRequest.of("POST", realmUrl)
              .body(
                  params.toString().getBytes(StandardCharsets.UTF_8),
                  "application/x-www-form-urlencoded");
    } else {
      addParam(params, "service", service);
      if (scope != null) {
        for (String s : scope.split(" ")) {
          addParam(params, "scope", s);
        }
      }
      creds.ifPresent(x -> addParam(params, "account", x.username()));
      request = HttpRequest.of("GET", withQuery(realmUrl, params.toString()));
      if (creds.isPresent()) {
        request = request.header("Authorization", basic(creds.get()));
      }
    }
    request =
        request
            .header("User-Agent", DistributionBackend.USER_AGENT)
            .header("Accept", "application/json")
            .deadline(deadline);
    debug.accept(
        "auth: token for "
            + scope
            + " from "
            + DebugLog.redact(realmUrl)
            + (creds.isPresent() ? " with " + creds.get() : " anonymously"));
    HttpAnswer response = tokenClient.send(request);
    byte[] bytes = response.body();
    if (!response.isSuccessful()) {
      RegistryError error = RegistryError.parse(response.code(), bytes);
      String who = creds.map(x -> " the credentials of " + x).orElse(" anonymous access");
      if (response.code() == 401 || response.code() == 403) {
        throw new OcitagException.Denied(
            "the token service of "
                + endpoint.registry()
                + " refused"
                + who
                + " for "
                + scope
                + ": "
                + error.describe());
      }
      throw error.toException("token for " + scope + " from " + endpoint.registry());
    }
    JsonNode json;
    try {
      json = Json.read(bytes);
    } catch (IOException e) {
      throw new OcitagException.Failed(
          "the token service of " + endpoint.registry() + " answered something not JSON");
    }
    String token = json.path("token").asText("");
    if (token.isEmpty()) {
      token = json.path("access_token").asText("");
    }
    if (token.isEmpty()) {
      throw new OcitagException.Failed(
          "the token service of " + endpoint.registry() + " answered no token");
    }
    long seconds = json.path("expires_in").asLong(0);
    Duration life = seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_TOKEN_LIFE;
    Instant expires = clock.instant().plus(life).minus(EXPIRY_MARGIN);
    return new Token(token, expires);
  }

  /**
   * An absolute http(s) URL with a host and a port a connection can go to, or null. The host and
   * port are read from the authority: {@link URI} leaves them unset for a host name it does not
   * take, such as a compose service's {@code auth_server}, which a request can reach; and it takes
   * ports past 65535, which no request can.
   */
  static URI parseRealm(String realm) {
    try {
      URI uri = new URI(realm.strip());
      String scheme = uri.getScheme();
      boolean http = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
      if (!http || uri.getRawAuthority() == null) {
        return null;
      }
      String hostPort = hostPort(uri);
      int colon = hostPort.lastIndexOf(':');
      String port = colon > hostPort.lastIndexOf(']') ? hostPort.substring(colon + 1) : null;
      boolean portOk =
          port == null
              || port.matches("[0-9]{1,5}")
                  && Integer.parseInt(port) >= 1
                  && Integer.parseInt(port) <= 65535;
      return !RegistryEndpoint.hostOf(hostPort).isEmpty() && portOk ? uri : null;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  /** The authority without user information. */
  private static String hostPort(URI uri) {
    String authority = uri.getRawAuthority();
    return authority.substring(authority.lastIndexOf('@') + 1);
  }

  private static void addParam(StringBuilder params, String name, String value) {
    if (value != null) {
      params.append(params.length() == 0 ? "" : "&").append(name).append('=');
      params.append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }

  private static URI withQuery(URI url, String params) {
    if (params.isEmpty()) {
      return url;
    }
    String s = url.toString();
    int hash = s.indexOf('#');
    if (hash >= 0) {
      s = s.substring(0, hash);
    }
    return URI.create(s + (url.getRawQuery() == null ? "?" : "&") + params);
  }

  /** For tests and debug: how many tokens are cached. */
  int cachedTokens() {
    return tokens.size();
  }
}
