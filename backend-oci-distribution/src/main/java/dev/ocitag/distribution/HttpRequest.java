package dev.ocitag.distribution;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One request to a registry or its token service. Immutable: layers that add a header make a new
 * one.
 *
 * @param headers in the order they are sent; names as written
 * @param body the exact bytes to send, or null for none
 * @param scope the token scope the request needs, or null (the token service's own requests)
 * @param bodyLimit the most answer bytes read; a longer answer is {@link BodyTooLarge}
 * @param deadline when the whole request, retries included, must be done; null until {@link Retry}
 *     sets it
 */
record HttpRequest(
    String method,
    URI url,
    Map<String, String> headers,
    byte[] body,
    Scope scope,
    int bodyLimit,
    Deadline deadline) {

  /** Answers of the registry API are small; a manifest has its own, lower limit. */
  static final int DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

  static HttpRequest of(String method, URI url) {
    return new HttpRequest(method, url, Map.of(), null, null, DEFAULT_BODY_LIMIT, null);
  }

  HttpRequest header(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.keySet().removeIf(name::equalsIgnoreCase);
    h.put(name, value);
    return new HttpRequest(method, url, h, body, scope, bodyLimit, deadline);
  }

  HttpRequest body(byte[] bytes, String contentType) {
    return new HttpRequest(method, url, headers, bytes, scope, bodyLimit, deadline)
        .header("Content-Type", contentType);
  }

  HttpRequest scope(Scope s) {
    return new HttpRequest(method, url, headers, body, s, bodyLimit, deadline);
  }

  HttpRequest bodyLimit(int limit) {
    return new HttpRequest(method, url, headers, body, scope, limit, deadline);
  }

  HttpRequest deadline(Deadline d) {
    return new HttpRequest(method, url, headers, body, scope, bodyLimit, d);
  }

  HttpRequest url(URI u) {
    return new HttpRequest(method, u, headers, body, scope, bodyLimit, deadline);
  }

  String header(String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }
}
