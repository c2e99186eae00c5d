package dev.ocitag.distribution;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * A registry's answer, its body read whole (see {@link HttpRequest#bodyLimit()}), or, for a
 * successful answer to a request that asked for it ({@link HttpRequest#streamAnswer()}), unread.
 *
 * @param headers by name, looked up without regard to case; values in the order received
 * @param body the body read whole; empty when it is a stream
 * @param url the URL that answered: the request's, or where its redirects (or the plain-HTTP
 *     fallback of a loopback registry) led
 * @param stream the body, unread, which holds the connection until whoever received the answer
 *     closes it; null when the body was read whole
 */
record HttpAnswer(
    int code, Map<String, List<String>> headers, byte[] body, URI url, InputStream stream) {

  HttpAnswer(int code, Map<String, List<String>> headers, byte[] body, URI url) {
    this(code, headers, body, url, null);
  }

  boolean isSuccessful() {
    return code >= 200 && code < 300;
  }

  /** The first value of a header, or null. */
  String header(String name) {
    List<String> values = headers(name);
    return values.isEmpty() ? null : values.get(0);
  }

  /** Every value of a header. */
  List<String> headers(String name) {
    List<String> values = headers.get(name);
    return values == null ? List.of() : values;
  }
}
