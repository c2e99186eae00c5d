package dev.ocitag.distribution;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One line per request and per response, for {@code --debug}. Credentials never reach the line:
 * authorization headers and cookies show their scheme only, and query parameters that may carry a
 * secret are masked. Bodies are never logged.
 */
final class DebugLog implements Transport {
  private static final Set<String> SECRET_HEADERS =
      Set.of("authorization", "proxy-authorization", "cookie", "set-cookie");
  private static final Set<String> SECRET_PARAMS =
      Set.of(
          "password",
          "refresh_token",
          "access_token",
          "token",
          "secret",
          "client_secret",
          "signature", // pre-signed blob URLs a redirect leads to (S3, CloudFront, GCS, Azure)
          "sig",
          "x-amz-signature",
          "x-amz-security-token",
          "x-amz-credential",
          "x-goog-signature",
          "x-goog-credential");
  private static final Set<String> SHOWN_RESPONSE_HEADERS =
      Set.of(
          "content-type",
          "content-length",
          "docker-content-digest",
          "location",
          "link",
          "retry-after",
          "www-authenticate",
          "oci-subject");

  private final Transport next;
  private final Consumer<String> sink;

  DebugLog(Transport next, Consumer<String> sink) {
    this.next = next;
    this.sink = sink;
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    long start = System.nanoTime();
    String line = request.method() + " " + redact(request.url());
    sink.accept("> " + line + headers(singletons(request.headers()), null));
    HttpAnswer answer;
    try {
      answer = next.send(request);
    } catch (IOException | RuntimeException e) {
      long ms = (System.nanoTime() - start) / 1_000_000;
      sink.accept("< " + line + " failed after " + ms + "ms: " + e);
      throw e;
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    URI answered = answer.url();
    sink.accept(
        "< "
            + answer.code()
            + " "
            + line
            + " "
            + ms
            + "ms"
            + (answered == null || answered.equals(request.url())
                ? ""
                : " (answered by " + redact(answered) + ")")
            + headers(answer.headers(), SHOWN_RESPONSE_HEADERS));
    return answer;
  }

  private static Map<String, List<String>> singletons(Map<String, String> headers) {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    headers.forEach((name, value) -> lists.put(name, List.of(value)));
    return lists;
  }

  /** The URL without user info and with secret query parameters masked. */
  static String redact(URI url) {
    StringBuilder s = new StringBuilder().append(url.getScheme()).append("://");
    s.append(url.getRawAuthority().substring(url.getRawAuthority().indexOf('@') + 1));
    s.append(url.getRawPath());
    String query = url.getRawQuery();
    if (query != null) {
      s.append('?');
      String sep = "";
      for (String param : query.split("&", -1)) {
        int eq = param.indexOf('=');
        String name = eq < 0 ? param : param.substring(0, eq);
        boolean secret = SECRET_PARAMS.contains(name.toLowerCase(Locale.ROOT));
        s.append(sep).append(secret && eq >= 0 ? name + "=<redacted>" : param);
        sep = "&";
      }
    }
    return s.toString();
  }

  /** Header lines, secrets reduced to their scheme; only {@code shown} ones when not null. */
  static String headers(Map<String, List<String>> headers, Set<String> shown) {
    StringBuilder s = new StringBuilder();
    headers.forEach(
        (name, values) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          if (shown == null || shown.contains(lower)) {
            for (String value : values) {
              s.append(" | ").append(name).append(": ");
              s.append(SECRET_HEADERS.contains(lower) ? redactSecret(value) : value);
            }
          }
        });
    return s.toString();
  }

  /** {@code Bearer <redacted>}: an authorization scheme is shown, nothing else of the value. */
  private static String redactSecret(String value) {
    int space = value.indexOf(' ');
    String scheme = space > 0 ? value.substring(0, space) : "";
    return (scheme.chars().allMatch(Character::isLetter) && !scheme.isEmpty() ? scheme + " " : "")
        + "<redacted>";
  }
}
