package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Against real Amazon ECR, which cannot be reached from CI: not part of the default test run (its
 * tag is excluded), so it is neither run nor reported as skipped there. Run it on purpose with
 * {@code mvn -pl backend-ecr -am verify -Plive-ecr} and {@code OCITAG_LIVE_ECR_REPO} naming an
 * existing image, e.g. {@code 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest} or {@code
 * ecr:app:latest} (with AWS_REGION); without it the test fails. Uses the SDK's default credentials;
 * puts one temporary tag and removes it.
 */
@Tag("live-ecr")
class EcrLiveTest {

  @Test
  void retagsARealImageByteForByte() {
    String image = System.getenv("OCITAG_LIVE_ECR_REPO");
    assertTrue(
        image != null && !image.isBlank(),
        "-Plive-ecr needs OCITAG_LIVE_ECR_REPO=<an ECR image with a tag>");
    ImageRef source = ImageRef.parse(image);
    BackendOptions options =
        BackendOptions.defaults()
            .with(EcrOptions.REGION, System.getenv("AWS_REGION"))
            .with(EcrOptions.PROFILE, System.getenv("AWS_PROFILE"))
            .withParallelism(4)
            .withDebug(System.out::println);
    String tag = "ocitag-live-" + System.currentTimeMillis();
    try (EcrBackend backend = EcrBackend.open(source, options)) {
      Manifest manifest = backend.fetch(source);
      ImageRef target = source.withTag(tag);
      TagReport report =
          new TagEngine(backend, TagEngine.Options.defaults()).tag(source, List.of(target));
      try {
        assertEquals(Outcome.CREATED, report.results().get(0).outcome(), report.toString());
        assertArrayEquals(manifest.bytes(), backend.fetch(target).bytes());
        assertEquals(Optional.of(manifest.digest()), backend.resolve(target));
        assertTrue(backend.tags(source.repositoryRef()).anyMatch(tag::equals));
        System.out.println(
            "live ECR: "
                + source
                + " mutability "
                + backend.mutabilityOf(source).map(TagMutability::describe).orElse("unknown"));
      } finally {
        backend.untag(target);
      }
      assertEquals(Optional.empty(), backend.resolve(target));
    }
  }
}
