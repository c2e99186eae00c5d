package dev.ocitag.distribution;

import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The proxies the environment names, read as curl and docker read them: {@code HTTPS_PROXY} (or
 * {@code https_proxy}) for https URLs, {@code HTTP_PROXY} (or {@code http_proxy}) for http ones,
 * except for hosts {@code NO_PROXY} (or {@code no_proxy}) matches and for loopback hosts, which are
 * never proxied. A proxy URL is {@code [http://][user:password@]host[:port]} (port 80 when left
 * out, as docker does; curl says 1080); its user and password are sent as {@code
 * Proxy-Authorization: Basic}, also on a CONNECT, and never logged.
 *
 * <p>{@code NO_PROXY} is a comma-separated list: {@code *} (no proxy at all), a domain ({@code
 * example.com} or {@code .example.com}: that name and every name under it), an IP literal ({@code
 * 10.1.2.3}, {@code ::1}, {@code [::1]}) or a CIDR block ({@code 10.0.0.0/8}), each optionally with
 * {@code :port} (then only that port matches).
 */
final class Proxies extends ProxySelector {

  /** One proxy: where it listens, and its {@code Proxy-Authorization} value or null. */
  record Entry(Proxy proxy, String authorization, String shown) {}

  private final Entry https;
  private final Entry http;
  private final List<String> noProxy;

  private Proxies(Entry https, Entry http, List<String> noProxy) {
    this.https = https;
    this.http = http;
    this.noProxy = noProxy;
  }

  /** The proxies of {@code env} (production: {@link System#getenv()}); null when none is set. */
  static Proxies fromEnv(Map<String, String> env) {
    Entry https = parse(env, "HTTPS_PROXY", "https_proxy");
    Entry http = parse(env, "HTTP_PROXY", "http_proxy");
    if (https == null && http == null) {
      return null;
    }
    String list = first(env, "NO_PROXY", "no_proxy");
    List<String> rules = new ArrayList<>();
    if (list != null) {
      for (String rule : list.split(",")) {
        String r = rule.strip().toLowerCase(Locale.ROOT);
        if (!r.isEmpty()) {
          rules.add(r);
        }
      }
    }
    return new Proxies(https, http, List.copyOf(rules));
  }

  private static String first(Map<String, String> env, String upper, String lower) {
    String v = env.get(upper);
    if (v == null || v.isBlank()) {
      v = env.get(lower);
    }
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static Entry parse(Map<String, String> env, String upper, String lower) {
    String value = first(env, upper, lower);
    if (value == null) {
      return null;
    }
    String variable = env.get(upper) != null && !env.get(upper).isBlank() ? upper : lower;
    URI uri;
    try {
      uri = new URI(value.contains("://") ? value : "http://" + value);
    } catch (URISyntaxException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null) {
      throw new OcitagException.InvalidInput(
          variable + " is not a proxy URL ([http://][user:password@]host[:port])");
    }
    if (!"http".equalsIgnoreCase(uri.getScheme())) {
      throw new OcitagException.InvalidInput(
          variable
              + " names a "
              + uri.getScheme()
              + ":// proxy; ocitag speaks to http:// proxies only (CONNECT tunnels https)");
    }
    int port = uri.getPort() < 0 ? 80 : uri.getPort();
    Proxy proxy =
        new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(uri.getHost(), port));
    String authorization = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
      authorization =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
    String shown =
        "http://"
            + (userInfo == null ? "" : "<credentials>@")
            + uri.getRawAuthority().substring(uri.getRawAuthority().indexOf('@') + 1);
    return new Entry(proxy, authorization, shown);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public List<Proxy> select(URI uri) {
    Entry entry = entryFor(uri);
    return List.of(entry == null ? Proxy.NO_PROXY : entry.proxy());
  }

  /** The proxy for a URL, or null for a direct connection. */
  Entry entryFor(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    Entry entry = scheme.equals("https") ? https : scheme.equals("http") ? http : null;
    if (entry == null || uri.getHost() == null) {
      return null;
    }
    String host = uri.getHost();
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return bypassed(host.toLowerCase(Locale.ROOT), port) ? null : entry;
  }

  /** The proxy's {@code Proxy-Authorization} value, or null. */
  String authorizationFor(Proxy proxy) {
    for (Entry e : new Entry[] {https, http}) {
      if (e != null && e.proxy().equals(proxy)) {
        return e.authorization();
      }
    }
    return null;
  }

  /** For {@code --debug}: the proxies, without their credentials. */
  String describe() {
    return "proxies: https via "
        + (https == null ? "none" : https.shown())
        + ", http via "
        + (http == null ? "none" : http.shown())
        + (noProxy.isEmpty() ? "" : ", not for " + String.join(",", noProxy));
  }

  boolean bypassed(String host, int port) {
    if (RegistryEndpoint.isLoopback(host)) {
      return true; // as Go's (docker's) proxy rules: a proxy cannot reach our loopback anyway
    }
    for (String rule : noProxy) {
      if (rule.equals("*")) {
        return true;
      }
      String name = rule;
      int rulePort = -1;
      int colon = rule.lastIndexOf(':');
      if (rule.startsWith("[")) {
        int close = rule.indexOf(']');
        name = close < 0 ? rule.substring(1) : rule.substring(1, close);
        rulePort = close >= 0 && colon > close ? parsePort(rule.substring(colon + 1)) : -1;
      } else if (colon > 0 && rule.indexOf(':') == colon) {
        name = rule.substring(0, colon); // host:port; an IPv6 literal has several colons
        rulePort = parsePort(rule.substring(colon + 1));
      }
      if (rulePort >= 0 && rulePort != port) {
        continue;
      }
      if (matches(name, host)) {
        return true;
      }
    }
    return false;
  }

  private static int parsePort(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE; // matches no port
    }
  }

  private static boolean matches(String rule, String host) {
    int slash = rule.indexOf('/');
    if (slash > 0) {
      return inCidr(rule.substring(0, slash), rule.substring(slash + 1), host);
    }
    String domain = rule.startsWith(".") ? rule.substring(1) : rule;
    if (domain.isEmpty()) {
      return false;
    }
    if (isIpLiteral(domain) || isIpLiteral(host)) {
      return sameAddress(domain, host);
    }
    return host.equals(domain) || host.endsWith("." + domain);
  }

  /** An IPv6 literal (it has a colon) or a dotted quad. */
  private static boolean isIpLiteral(String s) {
    if (s.indexOf(':') >= 0) {
      return true;
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameAddress(String a, String b) {
    byte[] x = literal(a);
    byte[] y = literal(b);
    return x != null && y != null && java.util.Arrays.equals(x, y);
  }

  private static boolean inCidr(String network, String bits, String host) {
    byte[] net = literal(network);
    byte[] addr = literal(host);
    int prefix;
    try {
      prefix = Integer.parseInt(bits);
    } catch (NumberFormatException e) {
      return false;
    }
    if (net == null
        || addr == null
        || net.length != addr.length
        || prefix < 0
        || prefix > net.length * 8) {
      return false;
    }
    for (int i = 0; i < prefix; i++) {
      int mask = 0x80 >> (i % 8);
      if ((net[i / 8] & mask) != (addr[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** The bytes of an IP literal, without a DNS lookup; null for a name. */
  private static byte[] literal(String s) {
    if (!isIpLiteral(s)) {
      return null;
    }
    try {
      // a literal never causes a lookup: InetAddress parses it
      return java.net.InetAddress.getByName(s).getAddress();
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void connectFailed(URI uri, SocketAddress address, IOException e) {
    // nothing to learn: the request fails and the caller reports it
  }
}
