package dev.ocitag.examples.javaapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import dev.ocitag.api.Ocitag;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.Skopeo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ocitag's Java API as a program uses it. A build makes an image with Jib core and pushes it to a
 * development registry; then, in the same JVM, {@link #promote} puts it in production: a release
 * candidate tag where it is, the production registry (which wants credentials), and an OCI layout
 * for an air-gapped site. The image must arrive byte for byte: every copy has the digest Jib
 * reported, and skopeo, another client, reads the same manifest bytes in both registries.
 *
 * <p>The README's "Use from Java" shows {@link #promote}, between the README markers; {@link
 * ReadmeTest} keeps the two the same.
 */
class PromoteWithJavaApiTest {
  @RegisterExtension static final RealRegistry DEV = RealRegistry.open();
  @RegisterExtension static final RealRegistry PROD = RealRegistry.basic();

  @TempDir Path work;

  // README begin
  /** Promotes a release; throws unless every target now has the image. */
  static TagReport promote(String source, String prod, String airgap, Path dockerConfig) {
    try (Ocitag ocitag =
        Ocitag.builder()
            .dockerConfig(dockerConfig) // registry credentials, as `docker login` stores them
            .timeout(Duration.ofSeconds(30))
            .build()) {
      // a bare tag is the source's repository; a full reference may be anywhere
      TagReport report = ocitag.tag(source, "1.0-rc", prod, airgap);
      for (TagResult result : report.results()) {
        System.out.println(
            result.outcome().label() + " " + result.target() + " " + result.digest());
        if (result.outcome() == Outcome.FAILED || result.outcome() == Outcome.BLOCKED) {
          throw new IllegalStateException(result.target() + ": " + result.reason());
        }
      }
      return report;
    }
  }

  // README end

  @Test
  void promotesWhatJibBuiltByteForByte() throws Exception {
    Skopeo.require();
    String source = DEV.host() + "/team/app:1.0";
    Digest built = buildWithJib(source);
    Path dockerConfig =
        PROD.writeDockerConfig(work.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD);
    String prod = PROD.host() + "/team/app:1.0";
    String airgap = "oci:" + work.resolve("airgap") + ":app-1.0";

    TagReport report = promote(source, prod, airgap, dockerConfig);

    assertEquals(built, report.manifest().digest());
    for (TagResult result : report.results()) {
      assertEquals(Outcome.CREATED, result.outcome(), result.target().toString());
      assertEquals(built, result.digest());
    }
    // the config and the layer, streamed from dev into prod and into the layout
    assertEquals(2, report.results().get(1).transfer().copied());
    assertEquals(2, report.results().get(2).transfer().copied());

    List<String> debug = new CopyOnWriteArrayList<>();
    try (Ocitag ocitag = Ocitag.builder().dockerConfig(dockerConfig).debug(debug::add).build()) {
      assertEquals(built, ocitag.digest(DEV.host() + "/team/app:1.0-rc"));
      assertEquals(built, ocitag.digest(prod));
      assertEquals(built, ocitag.digest(airgap));
      assertEquals(List.of("1.0"), ocitag.tags(PROD.host() + "/team/app"));
    }
    assertFalse(debug.isEmpty());
    assertFalse(debug.stream().anyMatch(line -> line.contains(RealRegistry.PASSWORD)));

    // another client: prod serves the bytes dev serves, and they hash to Jib's digest
    byte[] inProd = Skopeo.inspectRaw(PROD, ImageRef.parse(prod));
    assertArrayEquals(Skopeo.inspectRaw(DEV, ImageRef.parse(source)), inProd);
    assertEquals(built.toString(), Skopeo.sha256sum(inProd));

    // run again: everything is there, nothing is written
    for (TagResult result : promote(source, prod, airgap, dockerConfig).results()) {
      assertEquals(Outcome.UNCHANGED, result.outcome(), result.target().toString());
    }
  }

  /** A Java build's image: Jib core makes it from scratch and pushes it; Jib's digest for it. */
  private Digest buildWithJib(String reference) throws Exception {
    Path greeting = Files.writeString(work.resolve("greeting.txt"), "hello from the example\n");
    JibContainer image =
        Jib.fromScratch()
            .addLayer(List.of(greeting), AbsoluteUnixPath.get("/app"))
            .setEntrypoint("/bin/cat", "/app/greeting.txt")
            .containerize(
                Containerizer.to(RegistryImage.named(reference))
                    .setAllowInsecureRegistries(true) // the dev registry speaks plain HTTP
                    .setBaseImageLayersCache(work.resolve("jib-cache"))
                    .setApplicationLayersCache(work.resolve("jib-cache")));
    return Digest.parse(image.getDigest().toString());
  }
}
