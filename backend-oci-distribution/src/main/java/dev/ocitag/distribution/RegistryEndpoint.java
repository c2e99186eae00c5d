package dev.ocitag.distribution;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a registry's API answers: the host a reference names (Docker Hub's {@code docker.io} is
 * served by {@code registry-1.docker.io}) and the scheme: HTTPS, also for loopback hosts, unless
 * {@code --plain-http} says HTTP; a loopback registry found not to speak TLS ({@link
 * PlainHttpFallback}) is reached over HTTP for the rest of the process.
 *
 * @param registry the registry as the reference names it (used for credentials)
 * @param apiHost the host[:port] requests go to
 * @param loopback whether the host is on this machine (127.0.0.0/8, localhost, [::1])
 * @param plainHttp {@code --plain-http}: HTTP from the start, no TLS at all
 */
public record RegistryEndpoint(
    String registry, String apiHost, boolean loopback, boolean plainHttp) {

  public static final String DOCKER_HUB_API = "registry-1.docker.io";

  /**
   * Loopback registries by {@link #schemeKey}: true for those that spoke TLS, false for those that
   * answered plain HTTP to it.
   */
  private static final Map<String, Boolean> SPEAKS_TLS = new ConcurrentHashMap<>();

  public static RegistryEndpoint of(ImageRef ref, boolean plainHttp) {
    String registry = ref.registry();
    String apiHost = registry.equals(ImageRef.DOCKER_HUB) ? DOCKER_HUB_API : registry;
    URI base;
    try {
      base = new URI("https://" + apiHost + "/v2/");
    } catch (URISyntaxException e) {
      base = null;
    }
    if (base == null || base.getHost() == null) {
      throw new OcitagException.InvalidInput("registry '" + registry + "' is not a valid host");
    }
    return new RegistryEndpoint(registry, apiHost, isLoopback(hostOf(apiHost)), plainHttp);
  }

  /** {@code scheme://apiHost/v2/}: https unless HTTP was asked for or found. */
  public URI base() {
    return URI.create((isHttps() ? "https" : "http") + "://" + apiHost + "/v2/");
  }

  /** Remembers, for the rest of the process, whether a loopback registry speaks TLS. */
  static void rememberTls(String apiHost, boolean speaksTls) {
    SPEAKS_TLS.put(schemeKey(apiHost), speaksTls);
  }

  /** True or false once a request found out; null before. */
  static Boolean speaksTls(String apiHost) {
    return SPEAKS_TLS.get(schemeKey(apiHost));
  }

  /** Whether TLS to this host and port is yet to be tried (a loopback host not tried yet). */
  static boolean tlsUntried(String host, int port) {
    return isLoopback(host) && !SPEAKS_TLS.containsKey(schemeKey(host, port));
  }

  /** {@code host:port} of an https URL, lower case, the port always written. */
  private static String schemeKey(String apiHost) {
    int close = apiHost.lastIndexOf(']');
    int colon = apiHost.lastIndexOf(':');
    if (colon > close) {
      int port;
      try {
        port = Integer.parseInt(apiHost.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      return schemeKey(hostOf(apiHost), port);
    }
    return schemeKey(close > 0 ? apiHost.substring(1, close) : apiHost, 443);
  }

  private static String schemeKey(String host, int port) {
    String h = host.toLowerCase(Locale.ROOT);
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
  }

  static boolean speaksPlainHttp(String apiHost) {
    return Boolean.FALSE.equals(speaksTls(apiHost));
  }

  /** For tests, whose servers may reuse a port an earlier one answered on. */
  static void forgetSchemes() {
    SPEAKS_TLS.clear();
  }

  /** The host of {@code host[:port]} or {@code [v6][:port]}, without brackets or port. */
  static String hostOf(String hostPort) {
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      return end < 0 ? hostPort : hostPort.substring(1, end);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  /** 127.0.0.0/8, localhost (and *.localhost) and ::1, by name: no DNS lookup. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] quad = h.split("\\.", -1);
    if (quad.length != 4 || !quad[0].equals("127")) {
      return false;
    }
    for (String part : quad) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  boolean isHttps() {
    return !plainHttp && !speaksPlainHttp(apiHost);
  }

  /**
   * {@code /v2/<name>/<rest>} as a URL. The reference grammar allows no character in a name, tag or
   * digest that a path must escape.
   */
  URI url(String repository, String... rest) {
    StringBuilder s = new StringBuilder(base().toString()).append(repository);
    for (String segment : rest) {
      s.append('/').append(segment);
    }
    return URI.create(s.toString());
  }
}
