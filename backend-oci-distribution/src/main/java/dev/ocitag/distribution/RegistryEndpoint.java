package dev.ocitag.distribution;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where a registry's API answers: the host a reference names (Docker Hub's {@code docker.io} is
 * served by {@code registry-1.docker.io}) and the scheme, HTTP for loopback hosts and with {@code
 * --plain-http}, HTTPS otherwise.
 *
 * @param registry the registry as the reference names it (used for credentials)
 * @param apiHost the host[:port] requests go to
 * @param base {@code scheme://apiHost/v2/}
 * @param loopback whether the host is on this machine (127.0.0.0/8, localhost, [::1])
 */
public record RegistryEndpoint(String registry, String apiHost, URI base, boolean loopback) {

  public static final String DOCKER_HUB_API = "registry-1.docker.io";

  public static RegistryEndpoint of(ImageRef ref, boolean plainHttp) {
    String registry = ref.registry();
    String apiHost = registry.equals(ImageRef.DOCKER_HUB) ? DOCKER_HUB_API : registry;
    boolean loopback = isLoopback(hostOf(apiHost));
    String scheme = plainHttp || loopback ? "http" : "https";
    URI base;
    try {
      base = new URI(scheme + "://" + apiHost + "/v2/");
    } catch (URISyntaxException e) {
      base = null;
    }
    if (base == null || base.getHost() == null) {
      throw new OcitagException.InvalidInput("registry '" + registry + "' is not a valid host");
    }
    return new RegistryEndpoint(registry, apiHost, base, loopback);
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
    return base.getScheme().equals("https");
  }

  /**
   * {@code /v2/<name>/<rest>} as a URL. The reference grammar allows no character in a name, tag or
   * digest that a path must escape.
   */
  URI url(String repository, String... rest) {
    StringBuilder s = new StringBuilder(base.toString()).append(repository);
    for (String segment : rest) {
      s.append('/').append(segment);
    }
    return URI.create(s.toString());
  }
}
