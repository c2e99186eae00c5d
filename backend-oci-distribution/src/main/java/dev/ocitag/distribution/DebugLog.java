package dev.ocitag.distribution;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One line per request and per response, for {@code --debug}. Credentials never reach the line:
 * authorization headers and cookies show their scheme only, and query parameters that may carry a
 * secret are masked. Bodies are never logged.
 */
final class DebugLog implements Interceptor {
  private static final Set<String> SECRET_HEADERS =
      Set.of("authorization", "proxy-authorization", "cookie", "set-cookie");
  private static final Set<String> SECRET_PARAMS =
      Set.of("password", "refresh_token", "access_token", "token", "secret", "client_secret");
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

  private final Consumer<String> sink;

  DebugLog(Consumer<String> sink) {
    this.sink = sink;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    long start = System.nanoTime();
    sink.accept(
        "> "
            + request.method()
            + " "
            + redact(request.url())
            + headers(request.headers(), null)
            + " ("
            + chain.connection().protocol()
            + ")");
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException e) {
      sink.accept("< " + request.method() + " " + redact(request.url()) + " failed: " + e);
      throw e;
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    sink.accept(
        "< "
            + response.code()
            + " "
            + request.method()
            + " "
            + redact(request.url())
            + " "
            + ms
            + "ms"
            + headers(response.headers(), SHOWN_RESPONSE_HEADERS));
    return response;
  }

  static String redact(HttpUrl url) {
    HttpUrl.Builder b = url.newBuilder();
    if (!url.username().isEmpty() || !url.password().isEmpty()) {
      b.username("").password("");
    }
    for (String name : url.queryParameterNames()) {
      if (SECRET_PARAMS.contains(name.toLowerCase(Locale.ROOT))) {
        b.setQueryParameter(name, "<redacted>");
      }
    }
    return b.build().toString();
  }

  /** Header lines, secrets reduced to their scheme; only {@code shown} ones when not null. */
  static String headers(Headers headers, Set<String> shown) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < headers.size(); i++) {
      String name = headers.name(i);
      String lower = name.toLowerCase(Locale.ROOT);
      if (shown != null && !shown.contains(lower)) {
        continue;
      }
      String value = headers.value(i);
      if (SECRET_HEADERS.contains(lower)) {
        int space = value.indexOf(' ');
        value = (space > 0 ? value.substring(0, space) + " " : "") + "<redacted>";
      }
      s.append(" | ").append(name).append(": ").append(value);
    }
    return s.toString();
  }
}
