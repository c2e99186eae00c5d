package dev.ocitag.distribution.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLSocketFactory;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;

/**
 * A private CA and a server certificate it signed, made in memory for a test (okhttp-tls): the
 * server side of mockwebserver3's TLS, and the CA as a PEM file for {@code --ca-file} or certs.d.
 */
public final class TestCertificates {
  public final HeldCertificate ca;
  public final HeldCertificate server;

  private TestCertificates(HeldCertificate ca, HeldCertificate server) {
    this.ca = ca;
    this.server = server;
  }

  /** A new CA, and a server certificate for the given host names and IP literals. */
  public static TestCertificates forHosts(String... names) {
    HeldCertificate ca =
        new HeldCertificate.Builder()
            .certificateAuthority(0)
            .commonName("ocitag test CA " + System.nanoTime())
            .build();
    HeldCertificate.Builder server = new HeldCertificate.Builder().commonName(names[0]);
    for (String name : names) {
      server.addSubjectAlternativeName(name);
    }
    return new TestCertificates(ca, server.signedBy(ca).build());
  }

  /** For {@code MockWebServer.useHttps}: the server certificate and its CA. */
  public SSLSocketFactory serverSocketFactory() {
    return new HandshakeCertificates.Builder()
        .heldCertificate(server, ca.certificate())
        .build()
        .sslSocketFactory();
  }

  /** The same, trusting client certificates that {@code clientCa} signed (mutual TLS). */
  public SSLSocketFactory serverSocketFactoryTrusting(X509Certificate clientCa) {
    return new HandshakeCertificates.Builder()
        .heldCertificate(server, ca.certificate())
        .addTrustedCertificate(clientCa)
        .build()
        .sslSocketFactory();
  }

  /** Writes the CA's certificate as PEM. */
  public Path writeCa(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.writeString(file, ca.certificatePem());
  }
}
