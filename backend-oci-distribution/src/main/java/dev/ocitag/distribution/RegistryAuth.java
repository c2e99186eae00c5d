package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.Credentials;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Answers a registry's authentication challenge, once per request: a request goes out anonymously
 * until the registry has challenged, then with Basic credentials or a Bearer token for the scope
 * the request needs. A 401 with a token in hand drops that token and fetches one new token; a
 * second 401 is returned as it is (the backend reports it as denied), so there is no 401 loop.
 *
 * <p>Tokens are cached per scope until shortly before they expire. Token realms must be https
 * unless the registry is on loopback or {@code --insecure} is set: a realm receives the password.
 */
final class RegistryAuth implements Interceptor {

  /** The spec's default when a token response has no expires_in. */
  private static final Duration DEFAULT_TOKEN_LIFE = Duration.ofSeconds(60);

  private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

  private final RegistryEndpoint endpoint;
  private final Supplier<Optional<dev.ocitag.distribution.Credentials>> credentials;
  private final OkHttpClient tokenClient;
  private final boolean insecure;
  private final Consumer<String> debug;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private volatile Challenge challenge;

  private record Token(String value, Instant expires) {}

  RegistryAuth(
      RegistryEndpoint endpoint,
      Supplier<Optional<dev.ocitag.distribution.Credentials>> credentials,
      OkHttpClient tokenClient,
      boolean insecure,
      Consumer<String> debug,
      Clock clock) {
    this.endpoint = endpoint;
    this.credentials = credentials;
    this.tokenClient = tokenClient;
    this.insecure = insecure;
    this.debug = debug == null ? line -> {} : debug;
    this.clock = clock;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Scope scope = request.tag(Scope.class);
    Request first = authorize(request, scope == null ? null : scope.toString(), false);
    Response response = chain.proceed(first);
    if (response.code() != 401) {
      return response;
    }
    Challenge c = Challenge.pick(response.headers("WWW-Authenticate"));
    if (c == null || !(c.scheme().equals("bearer") || c.scheme().equals("basic"))) {
      return response; // nothing we can answer: reported as denied with the registry's words
    }
    boolean hadAuthorization = first.header("Authorization") != null;
    if (hadAuthorization && c.scheme().equals("basic")) {
      return response; // the password was refused; asking again would not change that
    }
    challenge = c;
    String tokenScope = c.param("scope") != null ? c.param("scope") : String.valueOf(scope);
    response.close();
    Request second = authorize(request, tokenScope, hadAuthorization);
    return chain.proceed(second);
  }

  /** Adds an Authorization header when a challenge is known; refresh drops the cached token. */
  private Request authorize(Request request, String scope, boolean refresh) throws IOException {
    Challenge c = challenge;
    if (c == null) {
      return request;
    }
    try {
      if (c.scheme().equals("basic")) {
        dev.ocitag.distribution.Credentials creds = requireCredentials();
        if (creds.isIdentityToken()) {
          throw new OcitagException.Denied(
              endpoint.registry()
                  + " asks for Basic authentication but "
                  + creds.source()
                  + " holds only an identity token");
        }
        return request
            .newBuilder()
            .header(
                "Authorization",
                Credentials.basic(creds.username(), creds.password(), StandardCharsets.UTF_8))
            .build();
      }
      String token = token(c, scope, refresh);
      return request.newBuilder().header("Authorization", "Bearer " + token).build();
    } catch (OcitagException e) {
      throw new ReportedFailure(e);
    }
  }

  private dev.ocitag.distribution.Credentials requireCredentials() {
    return credentials
        .get()
        .orElseThrow(
            () ->
                new OcitagException.Denied(
                    endpoint.registry()
                        + " requires authentication and the docker config has no credentials"
                        + " for it (log in with docker/skopeo login, or pass --docker-config DIR)"));
  }

  private String token(Challenge c, String scope, boolean refresh) throws IOException {
    String key = scope == null ? "" : scope;
    Instant now = clock.instant();
    if (refresh) {
      tokens.remove(key);
    } else {
      Token cached = tokens.get(key);
      if (cached == null && key.endsWith(":pull")) {
        cached = tokens.get(key + ",push"); // a push token also pulls
      }
      if (cached != null && now.isBefore(cached.expires())) {
        return cached.value();
      }
    }
    synchronized (this) {
      Token again = tokens.get(key);
      if (!refresh && again != null && clock.instant().isBefore(again.expires())) {
        return again.value();
      }
      Token fresh = fetchToken(c, scope);
      tokens.put(key, fresh);
      return fresh.value();
    }
  }

  private Token fetchToken(Challenge c, String scope) throws IOException {
    String realm = c.param("realm");
    HttpUrl realmUrl = realm == null ? null : HttpUrl.parse(realm);
    if (realmUrl == null) {
      throw new OcitagException.Failed(
          endpoint.registry() + " sent a Bearer challenge without a usable realm");
    }
    if (!realmUrl.isHttps() && !endpoint.loopback() && !insecure) {
      throw new OcitagException.Denied(
          "the token service of "
              + endpoint.registry()
              + " ("
              + DebugLog.redact(realmUrl)
              + ") is not https: refusing to send credentials in clear text"
              + " (pass --insecure to allow it)");
    }
    Optional<dev.ocitag.distribution.Credentials> creds = credentials.get();
    String service = c.param("service");
    Request.Builder b;
    if (creds.isPresent() && creds.get().isIdentityToken()) {
      FormBody.Builder form =
          new FormBody.Builder()
              .add("grant_type", "refresh_token")
              .add("refresh_token", creds.get().identityToken())
              .add("client_id", "ocitag");
      if (service != null) {
        form.add("service", service);
      }
      if (scope != null) {
        form.add("scope", scope);
      }
      b = new Request.Builder().url(realmUrl).post(form.build());
    } else {
      HttpUrl.Builder url = realmUrl.newBuilder();
      if (service != null) {
        url.addQueryParameter("service", service);
      }
      if (scope != null) {
        for (String s : scope.split(" ")) {
          url.addQueryParameter("scope", s);
        }
      }
      b = new Request.Builder().url(url.build()).get();
      if (creds.isPresent()) {
        url.addQueryParameter("account", creds.get().username());
        b.url(url.build())
            .header(
                "Authorization",
                Credentials.basic(
                    creds.get().username(), creds.get().password(), StandardCharsets.UTF_8));
      }
    }
    b.header("User-Agent", DistributionBackend.USER_AGENT);
    debug.accept(
        "auth: token for "
            + scope
            + " from "
            + DebugLog.redact(realmUrl)
            + (creds.isPresent() ? " with " + creds.get() : " anonymously"));
    try (Response response = tokenClient.newCall(b.build()).execute()) {
      ResponseBody body = response.body();
      byte[] bytes = body.bytes();
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
  }

  /** For tests and debug: how many tokens are cached. */
  int cachedTokens() {
    return tokens.size();
  }
}
