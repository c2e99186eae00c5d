package dev.ocitag.distribution.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import okhttp3.tls.HandshakeCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * RealRegistry's TLS modes serve what they say: HTTPS with a certificate from the test CA (and no
 * other), for the names it lists, and with mutual TLS only to a client showing the client
 * certificate; skopeo reads images through them with the CA from {@code --cert-dir}.
 */
class RealRegistryTlsTest {
  @RegisterExtension static final RealRegistry TLS = RealRegistry.basic().tls();
  @RegisterExtension static final RealRegistry MUTUAL = RealRegistry.open().mutualTls();

  @TempDir Path temp;

  private static int get(URI uri, SSLContext ssl, String authorization) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
    if (ssl != null) {
      ((HttpsURLConnection) c).setSSLSocketFactory(ssl.getSocketFactory());
    }
    if (authorization != null) {
      c.setRequestProperty("Authorization", authorization);
    }
    c.setConnectTimeout(5000);
    c.setReadTimeout(10000);
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  /** An SSL context that trusts the test CA only and shows no client certificate. */
  private static SSLContext caOnly(RealRegistry registry) throws Exception {
    X509Certificate ca;
    try (InputStream in = Files.newInputStream(registry.caPem())) {
      ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    return new HandshakeCertificates.Builder().addTrustedCertificate(ca).build().sslContext();
  }

  @Test
  void servesHttpsWithACertificateFromTheTestCa() throws Exception {
    assertEquals("https", TLS.url("/v2/").getScheme());
    SSLContext ca = caOnly(TLS);
    assertEquals(401, get(TLS.url("/v2/"), ca, null));
    assertEquals(
        200,
        get(
            TLS.url("/v2/"),
            ca,
            RealRegistry.basicHeader(RealRegistry.USER, RealRegistry.PASSWORD)));
    // by name too: the certificate holds localhost
    assertEquals(
        401, get(URI.create("https://localhost:" + TLS.port() + "/v2/"), TLS.sslContext(), null));
  }

  @Test
  void theJdksOwnRootsDoNotTrustIt() {
    assertThrows(
        SSLHandshakeException.class, () -> get(TLS.url("/v2/"), SSLContext.getDefault(), null));
  }

  @Test
  void plainHttpToItIsRefused() throws Exception {
    // Go's server answers a plain request on a TLS port with 400 "Client sent an HTTP request to
    // an HTTPS server", never with the registry's API
    assertEquals(400, get(URI.create("http://" + TLS.host() + "/v2/"), null, null));
  }

  @Test
  void theCertificateHoldsTheTestNameAndNoOther() throws Exception {
    handshake(TLS, RealRegistry.TLS_NAME);
    assertThrows(SSLHandshakeException.class, () -> handshake(TLS, "other.ocitag.test"));
  }

  /** A TLS handshake with 127.0.0.1 as if it were {@code name}, checking the name as HTTPS does. */
  private static void handshake(RealRegistry registry, String name) throws Exception {
    try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), registry.port());
        SSLSocket tls =
            (SSLSocket)
                registry
                    .sslContext()
                    .getSocketFactory()
                    .createSocket(plain, name, registry.port(), false)) {
      SSLParameters params = tls.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      tls.setSSLParameters(params);
      tls.startHandshake();
    }
  }

  @Test
  void skopeoReadsAnImageWithTheCaFromCertDir() throws Exception {
    Skopeo.require();
    ImageRef repo = TLS.newRepository("tls");
    TestImage image = TestImages.ociImage("over-tls");
    RegistrySeeder.seed(TLS, repo, image, "1.0");
    byte[] raw = Skopeo.inspectRaw(TLS, repo.withTag("1.0"));
    assertArrayEquals(image.bytes(), raw);
    assertEquals(image.digest().toString(), Skopeo.sha256sum(raw));
    // and without the CA skopeo refuses the certificate: the CA is what it verified against
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                run(
                    "skopeo",
                    "inspect",
                    "--raw",
                    "--creds",
                    RealRegistry.USER + ":" + RealRegistry.PASSWORD,
                    "--cert-dir",
                    Files.createDirectories(temp.resolve("empty")).toString(),
                    "docker://" + repo.withTag("1.0")));
    assertTrue(e.getMessage().contains("certificate"), e.getMessage());
  }

  @Test
  void mutualTlsTakesOnlyClientsWithTheClientCertificate() throws Exception {
    assertEquals(200, get(MUTUAL.url("/v2/"), MUTUAL.sslContext(), null));
    // the CA alone does not do: the registry wants a certificate (an alert in the handshake, or
    // at the first read with TLS 1.3)
    assertThrows(IOException.class, () -> get(MUTUAL.url("/v2/"), caOnly(MUTUAL), null));
    assertTrue(Files.readString(MUTUAL.clientKeyPem()).contains("PRIVATE KEY"));
  }

  @Test
  void skopeoReadsWithTheClientCertificateFromCertDir() throws Exception {
    Skopeo.require();
    ImageRef repo = MUTUAL.newRepository("mtls");
    TestImage image = TestImages.ociIndex("over-mtls");
    RegistrySeeder.seed(MUTUAL, repo, image, "1.0");
    assertArrayEquals(image.bytes(), Skopeo.inspectRaw(MUTUAL, repo.withTag("1.0")));
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(cmd[0] + " did not finish");
    }
    if (p.exitValue() != 0) {
      throw new IOException(out);
    }
  }
}
