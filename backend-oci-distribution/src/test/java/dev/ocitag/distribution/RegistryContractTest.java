package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract suite and the skopeo byte check against a real registry; subclasses choose the
 * registry's auth mode and the backend's options.
 */
abstract class RegistryContractTest extends TagBackendContract {

  abstract RealRegistry registry();

  /** Backend options for this registry (credentials through a docker config where needed). */
  abstract BackendOptions options() throws Exception;

  Settings settings() {
    return Settings.defaults();
  }

  @Override
  protected TagBackend openBackend() throws Exception {
    return DistributionBackend.open(registry().ref("any:x"), options(), settings());
  }

  @Override
  protected ImageRef newRepository() {
    return registry().newRepository("contract");
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) throws Exception {
    RegistrySeeder.seed(registry(), repository, image, tag);
  }

  static BackendOptions withDockerConfig(Path dir) {
    BackendOptions d = BackendOptions.defaults();
    return BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, dir);
  }

  static Stream<TestImage> everyKind() {
    return TestImages.allKinds("skopeo").stream();
  }

  @ParameterizedTest
  @MethodSource("everyKind")
  void skopeoReadsTheRetaggedBytesUnchanged(TestImage image) throws Exception {
    Skopeo.require();
    seed(repo(), image, "src");

    TagReport report =
        new TagEngine(backend(), TagEngine.Options.defaults())
            .tag(repo().withTag("src"), List.of(repo().withTag("1.0.1"), repo().withTag("stable")));

    assertEquals(
        List.of(Outcome.CREATED, Outcome.CREATED),
        report.results().stream().map(r -> r.outcome()).toList(),
        () -> String.valueOf(report.results()));
    for (String tag : List.of("1.0.1", "stable")) {
      byte[] raw = Skopeo.inspectRaw(registry(), repo().withTag(tag));
      assertArrayEquals(image.bytes(), raw, tag);
      assertEquals(image.digest().toString(), Skopeo.sha256sum(raw), tag);
    }
  }
}
