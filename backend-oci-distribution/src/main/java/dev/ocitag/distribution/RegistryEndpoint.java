package dev.ocitag.distribution;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.util.Locale;
import okhttp3.HttpUrl;

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
public record RegistryEndpoint(String registry, String apiHost, HttpUrl base, boolean loopback) {

  public static final String DOCKER_HUB_API = "registry-1.docker.io";

  public static RegistryEndpoint of(ImageRef ref, boolean plainHttp) {
    String registry = ref.registry();
    String apiHost = registry.equals(ImageRef.DOCKER_HUB) ? DOCKER_HUB_API : registry;
    boolean loopback = isLoopback(hostOf(apiHost));
    String scheme = plainHttp || loopback ? "http" : "https";
    HttpUrl base = HttpUrl.parse(scheme + "://" + apiHost + "/v2/");
    if (base == null) {
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

  /** {@code /v2/<name>/<rest>} as a URL; each path segment of the name stays a segment. */
  HttpUrl url(String repository, String... rest) {
    HttpUrl.Builder b = base.newBuilder();
    for (String segment : repository.split("/")) {
      b.addPathSegment(segment);
    }
    for (String segment : rest) {
      b.addPathSegment(segment);
    }
    return b.build();
  }
}
