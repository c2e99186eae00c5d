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
 *     sets it; for a streaming request (below) it bounds each wait for progress instead, see {@link
 *     OkHttpTransport}
 * @param upload a body read once from a stream (a blob), instead of {@code body}; or null. Once it
 *     has started to be read ({@link StreamedBody#started()}) no layer sends the request again
 * @param streamAnswer a successful answer's body is handed out as {@link HttpAnswer#stream()},
 *     unread, for the caller to read and close; other answers are read whole as usual
 */
record HttpRequest(
    String method,
    URI url,
    Map<String, String> headers,
    byte[] body,
    Scope scope,
    int bodyLimit,
    Deadline deadline,
    StreamedBody upload,
    boolean streamAnswer) {

  /** Answers of the registry API are small; a manifest has its own, lower limit. */
  static final int DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

  static HttpRequest of(String method, URI url) {
    return new HttpRequest(
        method, url, Map.of(), null, null, DEFAULT_BODY_LIMIT, null, null, false);
  }

  HttpRequest header(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.keySet().removeIf(name::equalsIgnoreCase);
    h.put(name, value);
    return new HttpRequest(method, url, h, body, scope, bodyLimit, deadline, upload, streamAnswer);
  }

  HttpRequest body(byte[] bytes, String contentType) {
    return new HttpRequest(
            method, url, headers, bytes, scope, bodyLimit, deadline, null, streamAnswer)
        .header("Content-Type", contentType);
  }

  /** Sends {@code stream}'s bytes as the body, with its length as Content-Length. */
  HttpRequest upload(StreamedBody stream, String contentType) {
    return new HttpRequest(
            method, url, headers, null, scope, bodyLimit, deadline, stream, streamAnswer)
        .header("Content-Type", contentType);
  }

  /** A successful answer's body comes as a stream: see {@link HttpAnswer#stream()}. */
  HttpRequest answerAsStream() {
    return new HttpRequest(method, url, headers, body, scope, bodyLimit, deadline, upload, true);
  }

  HttpRequest scope(Scope s) {
    return new HttpRequest(
        method, url, headers, body, s, bodyLimit, deadline, upload, streamAnswer);
  }

  HttpRequest bodyLimit(int limit) {
    return new HttpRequest(
        method, url, headers, body, scope, limit, deadline, upload, streamAnswer);
  }

  HttpRequest deadline(Deadline d) {
    return new HttpRequest(method, url, headers, body, scope, bodyLimit, d, upload, streamAnswer);
  }

  HttpRequest url(URI u) {
    return new HttpRequest(
        method, u, headers, body, scope, bodyLimit, deadline, upload, streamAnswer);
  }

  /** Whether the bytes or the answer of this request stream (a blob), rather than fit in memory. */
  boolean streams() {
    return upload != null || streamAnswer;
  }

  /**
   * Whether sending it again would send other bytes: its streamed body has begun to be read, and
   * what was read cannot be read again.
   */
  boolean spent() {
    return upload != null && upload.started();
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
