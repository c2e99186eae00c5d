package dev.ocitag.ecr;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.OcitagException;
import dev.ocitag.distribution.RegistryOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.GetAuthorizationTokenResponse;

/**
 * The Basic credentials of an ECR registry endpoint, from GetAuthorizationToken: the {@code
 * proxyEndpoint} it names and its token, which decodes to {@code AWS:password}. The password is in
 * no message, no debug line and no {@code toString}.
 *
 * @param endpoint where the registry answers the distribution API, as ECR returned it
 * @param refreshAt when to ask for a new token: shortly before this one expires
 */
record RegistryLogin(URI endpoint, String username, String password, Instant refreshAt) {

  /** A token is replaced this long before it expires (ECR's live 12 hours). */
  static final Duration MARGIN = Duration.ofMinutes(5);

  /**
   * How long a token is kept whose expiry is missing or already past when it arrives: moto's
   * expired in 2015, and a skewed clock may make any look expired. It is the one at hand either
   * way.
   */
  static final Duration UNDATED_LIFE = Duration.ofMinutes(15);

  /**
   * Asks ECR for a token for the registry of this account (null: the caller's own) in the client's
   * region.
   */
  @SuppressWarnings("deprecation") // registryIds: still how a token names another account's host
  static RegistryLogin fetch(
      EcrClient client, String registryId, Instant now, BackendOptions options) {
    String account = registryId == null ? "the caller's account" : "account " + registryId;
    String what = "GetAuthorizationToken for " + account;
    GetAuthorizationTokenResponse response;
    try {
      response =
          client.getAuthorizationToken(
              b -> {
                if (registryId != null) {
                  b.registryIds(registryId);
                }
              });
    } catch (SdkException e) {
      throw EcrErrors.map(what, e);
    }
    if (!response.hasAuthorizationData() || response.authorizationData().isEmpty()) {
      throw new OcitagException.Failed(what + ": ECR returned no authorization data");
    }
    AuthorizationData data = response.authorizationData().get(0);
    URI endpoint = endpointOf(what, data.proxyEndpoint(), options);
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(String.valueOf(data.authorizationToken()).strip()),
              StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      decoded = "";
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new OcitagException.Failed(
          what + ": the token ECR returned is not base64 of user:password");
    }
    Instant expires = data.expiresAt();
    Instant refreshAt;
    if (expires == null || !expires.isAfter(now)) {
      refreshAt = now.plus(UNDATED_LIFE);
      options.debug(
          what
              + ": the token "
              + (expires == null ? "has no expiry" : "expired at " + expires + " already")
              + " (an emulator, or a skewed clock); kept for "
              + UNDATED_LIFE.toMinutes()
              + " minutes");
    } else {
      Duration left = Duration.between(now, expires);
      refreshAt =
          expires.minus(left.compareTo(MARGIN.multipliedBy(2)) > 0 ? MARGIN : left.dividedBy(2));
    }
    RegistryLogin login =
        new RegistryLogin(
            endpoint, decoded.substring(0, colon), decoded.substring(colon + 1), refreshAt);
    options.debug(what + ": " + login + (expires == null ? "" : ", token expires " + expires));
    return login;
  }

  /**
   * The registry endpoint ECR named. HTTPS, or plain HTTP only on loopback (a test's registry) or
   * with {@code --plain-http}: the password goes with every request.
   */
  private static URI endpointOf(String what, String text, BackendOptions options) {
    URI uri;
    try {
      uri = new URI(String.valueOf(text).strip());
    } catch (URISyntaxException e) {
      uri = null;
    }
    String scheme = uri == null || uri.getScheme() == null ? "" : uri.getScheme();
    scheme = scheme.toLowerCase(Locale.ROOT);
    if (uri == null
        || uri.getHost() == null
        || uri.getRawUserInfo() != null
        || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new OcitagException.Failed(
          what + ": the proxyEndpoint ECR returned is not an http(s)://host[:port] URL");
    }
    if (scheme.equals("http")
        && !isLoopback(uri.getHost())
        && !options.get(RegistryOptions.PLAIN_HTTP)) {
      throw new OcitagException.Refused(
          what
              + ": the registry endpoint "
              + uri.getRawAuthority()
              + " is plain http; refusing to send its password in clear text (--plain-http"
              + " allows it)");
    }
    return uri;
  }

  private static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT).replace("[", "").replace("]", "");
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
  }

  boolean fresh(Instant now) {
    return now.isBefore(refreshAt);
  }

  /** Never the password. */
  @Override
  public String toString() {
    return "registry endpoint " + endpoint + " as " + username + ", renewed after " + refreshAt;
  }
}
