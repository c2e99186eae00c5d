import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JVM's floor for bench/promote.sh: the least a JVM does to promote one image (an image
 * manifest, not an index) between two HTTPS registries with Basic auth, on the JDK alone (its TLS
 * and HttpsURLConnection): GET the manifest; per blob, at once, GET it from the source streamed
 * into a monolithic upload (POST for a location, one PUT with the bytes and the digest); then PUT
 * the manifest. No HEAD, no digest computed, no retry: what bench/promote-floor.py does, in a JVM.
 * With {@code -Dfloor.tls=boringssl} and Conscrypt's jar on the class path, its TLS is BoringSSL's
 * (as ocitag's blob streams are) instead of the JDK's.
 *
 * <p>Usage: {@code JvmPromoteFloor CA_PEM SRC_HOST:PORT DST_HOST:PORT USER:PASSWORD REPO:TAG}
 * (the same repository and tag on both; the same credentials for both)
 */
public final class JvmPromoteFloor {
  private static final String ACCEPT =
      "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json";
  private static final Pattern BLOB =
      Pattern.compile("\\{[^{}]*\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"[^{}]*\\}");

  private static String basic;

  public static void main(String[] args) throws Exception {
    if ("boringssl".equals(System.getProperty("floor.tls"))) {
      // Conscrypt (on the class path) first: its TLS, trust managers and digests, as ocitag's
      // blob streams have them
      java.security.Security.insertProviderAt(
          (java.security.Provider)
              Class.forName("org.conscrypt.Conscrypt").getMethod("newProvider").invoke(null),
          1);
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, factory.getTrustManagers(), null);
    HttpsURLConnection.setDefaultSSLSocketFactory(tls.getSocketFactory());
    basic = "Basic " + Base64.getEncoder().encodeToString(args[3].getBytes(StandardCharsets.UTF_8));
    String src = "https://" + args[1];
    String dst = "https://" + args[2];
    int colon = args[4].lastIndexOf(':');
    String repo = args[4].substring(0, colon);
    String tag = args[4].substring(colon + 1);

    HttpURLConnection get = open(src + "/v2/" + repo + "/manifests/" + tag, "GET");
    get.setRequestProperty("Accept", ACCEPT);
    byte[] manifest = read(get, 200);
    String type = get.getContentType();
    List<String> blobs = new ArrayList<>();
    Matcher m = BLOB.matcher(new String(manifest, StandardCharsets.UTF_8));
    while (m.find()) {
      blobs.add(m.group(1));
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, blobs.size()));
    List<Future<?>> copies = new ArrayList<>();
    for (String digest : blobs) {
      copies.add(
          pool.submit(
              () -> {
                copy(src + "/v2/" + repo + "/blobs/" + digest, dst, repo, digest);
                return null;
              }));
    }
    for (Future<?> copy : copies) {
      copy.get();
    }
    pool.shutdown();
    HttpURLConnection put = open(dst + "/v2/" + repo + "/manifests/" + tag, "PUT");
    put.setRequestProperty("Content-Type", type);
    put.setFixedLengthStreamingMode(manifest.length);
    put.setDoOutput(true);
    try (OutputStream out = put.getOutputStream()) {
      out.write(manifest);
    }
    read(put, 201);
    System.exit(0);
  }

  /** One blob: its GET streamed into an upload (POST, then one PUT with the bytes and digest). */
  private static void copy(String from, String dst, String repo, String digest) throws IOException {
    HttpURLConnection get = open(from, "GET");
    if (get.getResponseCode() != 200) {
      throw new IOException("GET " + from + ": " + get.getResponseCode());
    }
    long size = get.getContentLengthLong();
    HttpURLConnection post = open(dst + "/v2/" + repo + "/blobs/uploads/", "POST");
    read(post, 202);
    URI location = URI.create(dst + "/").resolve(post.getHeaderField("Location"));
    String at = location + (location.getRawQuery() == null ? "?" : "&") + "digest=" + digest;
    HttpURLConnection put = open(at, "PUT");
    put.setRequestProperty("Content-Type", "application/octet-stream");
    put.setFixedLengthStreamingMode(size);
    put.setDoOutput(true);
    try (InputStream in = get.getInputStream();
        OutputStream out = put.getOutputStream()) {
      in.transferTo(out);
    }
    read(put, 201);
  }

  private static HttpURLConnection open(String url, String method) throws IOException {
    HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
    c.setRequestMethod(method);
    c.setRequestProperty("Authorization", basic);
    return c;
  }

  private static byte[] read(HttpURLConnection c, int expected) throws IOException {
    int code = c.getResponseCode();
    if (code != expected) {
      throw new IOException(c.getRequestMethod() + " " + c.getURL() + ": " + code);
    }
    try (InputStream in = c.getInputStream()) {
      return in.readAllBytes();
    }
  }
}
