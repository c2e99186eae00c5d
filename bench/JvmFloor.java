import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.security.KeyStore;
import java.security.cert.*;
import java.util.Base64;
import javax.net.ssl.*;

/**
 * The JVM's floor for bench/https-retag.sh: the least a JVM does for a retag over HTTPS with Basic
 * auth, on the JDK alone (its TLS and HttpsURLConnection): trust one CA, GET the manifest, PUT its
 * bytes under a new tag. No reference parsing, no credential lookup, no digest check, no OkHttp.
 *
 * <p>Usage: {@code JvmFloor BASE_URL REPOSITORY FROM_TAG TO_TAG CA_PEM USER:PASSWORD}
 */
public final class JvmFloor {
  public static void main(String[] a) throws Exception {
    String base = a[0], repo = a[1], from = a[2], to = a[3], ca = a[4], auth = a[5];
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(Path.of(ca))) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    HttpsURLConnection.setDefaultSSLSocketFactory(ctx.getSocketFactory());
    String basic = "Basic " + Base64.getEncoder().encodeToString(auth.getBytes());
    HttpURLConnection get = (HttpURLConnection) new URL(base + "/v2/" + repo + "/manifests/" + from).openConnection();
    get.setRequestProperty("Authorization", basic);
    get.setRequestProperty("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json");
    byte[] body;
    try (InputStream in = get.getInputStream()) { body = in.readAllBytes(); }
    String type = get.getContentType();
    HttpURLConnection put = (HttpURLConnection) new URL(base + "/v2/" + repo + "/manifests/" + to).openConnection();
    put.setRequestMethod("PUT");
    put.setDoOutput(true);
    put.setRequestProperty("Authorization", basic);
    put.setRequestProperty("Content-Type", type);
    try (OutputStream out = put.getOutputStream()) { out.write(body); }
    if (put.getResponseCode() != 201) throw new IOException("PUT " + put.getResponseCode());
    System.exit(0);
  }
}
