package dev.ocitag.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The bottom of the request path: the JDK's {@link HttpURLConnection}, which keeps connections
 * alive between requests (HTTP/1.1). Chosen over OkHttp for start-up: a cold retag loaded some 600
 * classes of OkHttp, Okio and Kotlin and spent a third of its time there (see the README's Speed).
 *
 * <p>A plain-HTTP endpoint sets up no TLS at all. {@code insecure} trusts any certificate and host
 * name. Redirects are followed within a scheme.
 */
final class JdkTransport implements Transport {

  static {
    // the JDK keeps at most 5 idle connections per host by default: a batch runs more at once
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "64");
    }
  }

  private final Settings settings;
  private final SSLSocketFactory insecureTls;

  JdkTransport(Settings settings, boolean insecure) {
    this.settings = settings;
    this.insecureTls = insecure ? trustEverything() : null;
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    HttpURLConnection c = (HttpURLConnection) request.url().toURL().openConnection();
    boolean done = false;
    try {
      if (insecureTls != null && c instanceof HttpsURLConnection tls) {
        tls.setSSLSocketFactory(insecureTls);
        tls.setHostnameVerifier((host, session) -> true);
      }
      c.setRequestMethod(request.method());
      c.setConnectTimeout(millis(settings.connectTimeout().toMillis()));
      c.setReadTimeout(millis(settings.readTimeout().toMillis()));
      c.setUseCaches(false);
      c.setInstanceFollowRedirects(true);
      for (Map.Entry<String, String> header : request.headers().entrySet()) {
        c.setRequestProperty(header.getKey(), header.getValue());
      }
      if (request.body() != null) {
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
          out.write(request.body());
        }
      }
      int code = c.getResponseCode();
      if (code < 0) {
        throw new IOException("the server's answer is not HTTP");
      }
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (int i = 1; ; i++) {
        String name = c.getHeaderFieldKey(i);
        String value = c.getHeaderField(i);
        if (name == null && value == null) {
          break;
        }
        if (name != null) {
          headers.computeIfAbsent(name, k -> new ArrayList<>(1)).add(value);
        }
      }
      byte[] body =
          request.method().equals("HEAD") ? new byte[0] : readBody(c, code, request.bodyLimit());
      done = true;
      return new HttpAnswer(code, headers, body);
    } finally {
      if (!done) {
        c.disconnect(); // a connection in an unknown state is not kept for the next request
      }
    }
  }

  /** Reads the whole body, so the connection goes back to the keep-alive cache. */
  private static byte[] readBody(HttpURLConnection c, int code, int limit) throws IOException {
    long length = c.getContentLengthLong();
    if (length > limit) {
      throw new BodyTooLarge(length);
    }
    try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
      if (in == null) {
        return new byte[0];
      }
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new BodyTooLarge(-1);
      }
      return bytes;
    }
  }

  private static int millis(long ms) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(0, ms));
  }

  private static SSLSocketFactory trustEverything() {
    X509TrustManager trustAll =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trustAll}, new SecureRandom());
      return tls.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM cannot set up TLS", e);
    }
  }
}
