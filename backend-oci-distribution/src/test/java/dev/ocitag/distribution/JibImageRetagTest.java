package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.distribution.testing.JibImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.Skopeo;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ocitag retags what another producer built: Jib core builds and pushes real images (layers,
 * config, entrypoint) to real registries (open and htpasswd), ocitag gives them two more tags, and
 * skopeo, a third client, reads the manifests back: the same bytes at source and targets, hashing
 * (sha256sum) to the digest Jib reported.
 *
 * <p>The OCI index variant is not here: Jib core 0.28.1 builds a multi-platform image only as a
 * Docker manifest list ({@code ManifestListGenerator}: "Build an OCI image index is not yet
 * supported"). OCI indexes from another producer are covered by the skopeo-seeded contract tests.
 */
class JibImageRetagTest {
  @RegisterExtension static final RealRegistry OPEN = RealRegistry.open();
  @RegisterExtension static final RealRegistry BASIC = RealRegistry.basic();

  @TempDir Path temp;

  enum Kind {
    OCI_MANIFEST,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST
  }

  static Stream<Arguments> cases() {
    return Stream.of(Kind.values())
        .flatMap(kind -> Stream.of(Arguments.of("open", kind), Arguments.of("basic", kind)));
  }

  private static RealRegistry registry(String mode) {
    return mode.equals("open") ? OPEN : BASIC;
  }

  private BackendOptions options(RealRegistry registry) throws Exception {
    Path dir =
        registry.mode() == RealRegistry.Mode.OPEN
            ? temp.resolve("no-config")
            : registry.writeDockerConfig(
                temp.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD);
    return BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, dir);
  }

  @ParameterizedTest(name = "{0} registry, {1}")
  @MethodSource("cases")
  void jibsImagesAreRetaggedByteForByte(String mode, Kind kind) throws Exception {
    Skopeo.require();
    RealRegistry registry = registry(mode);
    ImageRef repo = registry.newRepository("jib");
    String salt = mode + "-" + kind;
    JibImages.Pushed pushed =
        switch (kind) {
          case OCI_MANIFEST ->
              JibImages.image(registry, repo.withTag("src"), ImageFormat.OCI, temp, salt);
          case DOCKER_MANIFEST ->
              JibImages.image(registry, repo.withTag("src"), ImageFormat.Docker, temp, salt);
          case DOCKER_MANIFEST_LIST ->
              JibImages.manifestList(registry, repo.withTag("src"), temp, salt);
        };

    // what Jib wrote, read by a third client, hashes to what Jib reported
    byte[] source = Skopeo.inspectRaw(registry, repo.withTag("src"));
    assertEquals(pushed.digest().toString(), Skopeo.sha256sum(source));
    Manifest asJibWroteIt = Manifest.of(source, null);
    String expectedType =
        switch (kind) {
          case OCI_MANIFEST -> MediaTypes.OCI_MANIFEST;
          case DOCKER_MANIFEST -> MediaTypes.DOCKER_MANIFEST;
          case DOCKER_MANIFEST_LIST -> MediaTypes.DOCKER_MANIFEST_LIST;
        };
    assertEquals(expectedType, asJibWroteIt.mediaType());
    if (kind != Kind.DOCKER_MANIFEST_LIST) {
      assertEquals(2, asJibWroteIt.layers().size(), "Jib's two layers");
      assertTrue(asJibWroteIt.config().isPresent(), "and its config");
    }

    // within the repository: ocitag does not copy blobs across repositories (yet)
    List<ImageRef> targets = List.of(repo.withTag("retagged"), repo.withTag("1.0.0"));
    try (TagBackend backend =
        DistributionBackend.open(repo, options(registry), Settings.defaults())) {
      TagReport report =
          new TagEngine(backend, TagEngine.Options.defaults()).tag(repo.withTag("src"), targets);
      for (TagResult r : report.results()) {
        assertEquals(Outcome.CREATED, r.outcome(), r.toString());
        assertEquals(pushed.digest(), r.digest(), r.toString());
      }
    }

    for (ImageRef target : targets) {
      byte[] retagged = Skopeo.inspectRaw(registry, target);
      assertArrayEquals(source, retagged, target + " holds other bytes than Jib wrote");
      assertEquals(Skopeo.sha256sum(source), Skopeo.sha256sum(retagged), target.toString());
    }
    if (kind == Kind.DOCKER_MANIFEST_LIST) {
      // the list names Jib's two platform images, each stored under the digest of its bytes
      List<String> children =
          asJibWroteIt.children().stream().map(d -> d.digest().toString()).toList();
      assertEquals(2, children.size(), children.toString());
      for (String child : children) {
        byte[] bytes =
            Skopeo.inspectRaw(registry, ImageRef.parse(repo.repositoryName() + "@" + child));
        assertEquals(child, Skopeo.sha256sum(bytes));
      }
    }
  }
}
