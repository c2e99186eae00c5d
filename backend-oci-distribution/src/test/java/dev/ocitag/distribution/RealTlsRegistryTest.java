package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real registry ({@code registry:2}) serving HTTPS on loopback with a certificate from a test CA:
 * ocitag goes there over TLS first, trusts the CA from {@code --ca-file} or the registry's certs.d
 * directory, shows the client certificate from there when the registry demands one, and never falls
 * back to plain HTTP.
 */
class RealTlsRegistryTest {
  @RegisterExtension static final RealRegistry TLS = RealRegistry.open().tls();
  @RegisterExtension static final RealRegistry MUTUAL = RealRegistry.open().mutualTls();

  @TempDir Path temp;
  private final List<String> debug = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void fresh() {
    RegistryEndpoint.forgetSchemes(); // a plain server of another test may have had the port
  }

  private DistributionBackend open(RealRegistry registry, Path caFile, Path certsD) {
    BackendOptions options =
        BackendOptions.defaults()
            .withParallelism(4)
            .withDebug(debug::add)
            .with(RegistryOptions.CA_FILE, caFile);
    return DistributionBackend.open(
        RegistryEndpoint.of(registry.ref("any:x"), false),
        options,
        Settings.defaults(),
        Map.of(TlsSetup.CERTS_D_VARIABLE, certsD.toString()));
  }

  private static TagReport retag(DistributionBackend backend, ImageRef repo) {
    return new TagEngine(backend, TagEngine.Options.defaults())
        .tag(repo.withTag("src"), List.of(repo.withTag("copy")));
  }

  @Test
  void aRetagOverHttpsWithTheCaFromCaFile() throws Exception {
    ImageRef repo = TLS.newRepository("tls");
    TestImage image = TestImages.ociImage("real-tls");
    RegistrySeeder.seed(TLS, repo, image, "src");

    try (DistributionBackend backend = open(TLS, TLS.caPem(), temp.resolve("none"))) {
      assertEquals(Outcome.CREATED, retag(backend, repo).results().get(0).outcome());
      assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("copy")).bytes());
      assertTrue(!backend.tls().platformTrustLoaded(), "the test CA vouched: cacerts not read");
    }
    assertTrue(debug.stream().anyMatch(l -> l.startsWith("< 201 PUT https://")), debug.toString());
    assertTrue(debug.stream().noneMatch(l -> l.contains("http://")), "no plain HTTP: " + debug);
  }

  @Test
  void withoutItsCaTheRegistryIsRefusedAndNotAskedOverPlainHttp() throws Exception {
    ImageRef repo = TLS.newRepository("untrusted");
    Path certsD = temp.resolve("certs.d");
    try (DistributionBackend backend = open(TLS, null, certsD)) {
      OcitagException.Failed e =
          assertThrows(OcitagException.Failed.class, () -> backend.fetch(repo.withTag("src")));
      assertTrue(e.getMessage().contains("--ca-file"), e.getMessage());
      assertTrue(
          e.getMessage().contains(certsD.resolve(TLS.host()).resolve("ca.crt").toString()),
          e.getMessage());
      assertTrue(e.getMessage().contains("--insecure"), e.getMessage());
    }
    assertTrue(debug.stream().noneMatch(l -> l.contains("http://")), debug.toString());
  }

  @Test
  void mutualTlsWithTheCaAndClientCertificateOfCertsD() throws Exception {
    ImageRef repo = MUTUAL.newRepository("mtls");
    TestImage image = TestImages.dockerImage("real-mtls");
    RegistrySeeder.seed(MUTUAL, repo, image, "src");
    Path certsD = temp.resolve("certs.d");
    Path dir = Files.createDirectories(certsD.resolve(MUTUAL.host()));
    Files.copy(MUTUAL.caPem(), dir.resolve("ca.crt"));

    try (DistributionBackend noClientCertificate = open(MUTUAL, null, certsD)) {
      assertThrows(OcitagException.class, () -> noClientCertificate.fetch(repo.withTag("src")));
    }
    Files.copy(MUTUAL.clientCertificatePem(), dir.resolve("client.cert"));
    Files.copy(MUTUAL.clientKeyPem(), dir.resolve("client.key"));
    try (DistributionBackend backend = open(MUTUAL, null, certsD)) {
      assertEquals(Outcome.CREATED, retag(backend, repo).results().get(0).outcome());
      assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("copy")).bytes());
    }
  }
}
