package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the issue asks to see: exact bytes, indexes, immutability, batching, throttling. */
class EcrTaggingTest {
  private static FakeEcr fake;
  private EcrBackend backend;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    EcrTesting.useFakeCredentials();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void open() {
    fake.resetCounts();
    backend = EcrTesting.open(fake);
  }

  @AfterEach
  void close() {
    backend.close();
    fake.throttleEvery("PutImage", 0);
  }

  private static String repo(String mutability, String... filters) {
    String name = EcrTesting.newRepositoryName("tagging");
    fake.createRepository(name, mutability, filters);
    return name;
  }

  private TagReport tag(boolean dryRun, String repo, String source, String... targets) {
    ImageRef src = ImageRef.parse("ecr:" + repo + ":" + source);
    List<ImageRef> refs = Stream.of(targets).map(src::withTag).toList();
    return new TagEngine(backend, new TagEngine.Options(dryRun, false, 8)).tag(src, refs);
  }

  private static List<Outcome> outcomes(TagReport report) {
    return report.results().stream().map(TagResult::outcome).toList();
  }

  @Test
  void anOddlyFormattedManifestWithATrailingNewlineIsStoredByteIdentical() {
    String repo = repo("MUTABLE");
    TestImage image = TestImages.ociImage("odd");
    String text = new String(image.bytes(), StandardCharsets.UTF_8);
    assertTrue(text.endsWith("}\n") && text.contains("\t") && text.contains("   \""), text);
    fake.seed(repo, image, "src");

    TagReport report = tag(false, repo, "src", "copy");

    assertEquals(List.of(Outcome.CREATED), outcomes(report));
    assertArrayEquals(image.bytes(), fake.manifestBytes(repo, "copy"));
    assertEquals(image.digest(), fake.tagDigest(repo, "copy"));
    assertEquals(fake.tagDigest(repo, "src"), fake.tagDigest(repo, "copy"));
    assertEquals(MediaTypes.OCI_MANIFEST, fake.mediaType(repo, "copy"));
  }

  @Test
  void anOciManifestWithoutMediaTypeIsPutWithImageManifestMediaType() {
    String repo = repo("MUTABLE");
    TestImage image = TestImages.ociImageWithoutMediaType("nomt");
    fake.seed(repo, image, "src");

    assertEquals(List.of(Outcome.CREATED), outcomes(tag(false, repo, "src", "copy")));
    assertArrayEquals(image.bytes(), fake.manifestBytes(repo, "copy"));
    assertEquals(MediaTypes.OCI_MANIFEST, fake.mediaType(repo, "copy"));
  }

  @ParameterizedTest
  @ValueSource(strings = {MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST})
  void indexesStayIndexes(String mediaType) {
    String repo = repo("MUTABLE");
    TestImage index =
        mediaType.equals(MediaTypes.OCI_INDEX)
            ? TestImages.ociIndex("multi")
            : TestImages.dockerManifestList("multi");
    fake.seed(repo, index, "multi");

    TagReport report = tag(false, repo, "multi", "multi-copy");

    assertEquals(List.of(Outcome.CREATED), outcomes(report));
    assertEquals(mediaType, report.manifest().mediaType());
    assertEquals(mediaType, fake.mediaType(repo, "multi-copy"));
    assertArrayEquals(index.bytes(), fake.manifestBytes(repo, "multi-copy"));
    assertEquals(2, backend.fetch(ImageRef.parse("ecr:" + repo + ":multi-copy")).children().size());
  }

  @Test
  void theFakeConvertsLikeEcrWhenAcceptedMediaTypesIsLeftOut() {
    // The pitfall the backend avoids by listing every type: the default converts an index to
    // one platform's Docker v2 manifest, with another digest.
    String repo = repo("MUTABLE");
    TestImage index = TestImages.ociIndex("convert");
    fake.seed(repo, index, "multi");
    try (software.amazon.awssdk.services.ecr.EcrClient raw = EcrTesting.rawClient(fake)) {
      var image =
          raw.batchGetImage(b -> b.repositoryName(repo).imageIds(i -> i.imageTag("multi")))
              .images()
              .get(0);
      assertEquals(MediaTypes.DOCKER_MANIFEST, image.imageManifestMediaType());
      assertNotEquals(index.digest().toString(), image.imageId().imageDigest());
    }
    assertEquals(index.digest(), backend.fetch(ImageRef.parse("ecr:" + repo + ":multi")).digest());
  }

  @Test
  void immutableRepositoryCreatesBlocksAndLeavesUnchangedWithoutPuttingThem() {
    String repo = repo("IMMUTABLE");
    TestImage source = TestImages.ociImage("immutable-src");
    TestImage other = TestImages.dockerImage("immutable-other");
    fake.seed(repo, source, "src");
    fake.seed(repo, source, "same");
    fake.seed(repo, other, "taken");

    TagReport dry = tag(true, repo, "src", "new", "taken", "same");
    assertEquals(List.of(Outcome.CREATED, Outcome.BLOCKED, Outcome.UNCHANGED), outcomes(dry));
    assertEquals(0, fake.calls("PutImage"));
    assertEquals(1, fake.calls("DescribeRepositories"));

    fake.resetCounts();
    TagReport report = tag(false, repo, "src", "new", "taken", "same");

    assertEquals(List.of(Outcome.CREATED, Outcome.BLOCKED, Outcome.UNCHANGED), outcomes(report));
    assertEquals(1, fake.calls("PutImage"), "only the new tag is written");
    assertEquals(0, fake.calls("DescribeRepositories"), "the policy is kept per repository");
    assertEquals(1, fake.calls("BatchGetImage"), "the source and its targets in one call");
    assertEquals(0, fake.calls("ListImages"));
    TagResult blocked = report.results().get(1);
    assertEquals(other.digest(), blocked.digest());
    assertTrue(blocked.reason().contains("immutable"), blocked.reason());
    assertEquals(other.digest(), fake.tagDigest(repo, "taken"));
    assertEquals(source.digest(), fake.tagDigest(repo, "new"));
  }

  @Test
  void anImmutableTagRefusedByEcrItselfIsBlocked() {
    // Without the preflight (a race, or a policy changed since DescribeRepositories), ECR's
    // ImageTagAlreadyExistsException still ends as blocked, not as a raw error.
    String repo = repo("IMMUTABLE");
    TestImage source = TestImages.ociImage("race-src");
    fake.seed(repo, source, "src");
    fake.seed(repo, TestImages.ociImage("race-other"), "taken");

    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.ocitag.core.OcitagException.Refused.class,
            () -> backend.put(ImageRef.parse("ecr:" + repo + ":taken"), source.manifest()));
    assertTrue(e.getMessage().contains("immutable"), e.getMessage());
  }

  @Test
  void immutableWithExclusionLetsTheExcludedTagsMove() {
    String repo = repo("IMMUTABLE_WITH_EXCLUSION", "dev-*", "*-snapshot");
    TestImage source = TestImages.ociImage("iwe-src");
    TestImage other = TestImages.ociImage("iwe-other");
    fake.seed(repo, source, "src");
    for (String t : List.of("release", "dev-1", "nightly-snapshot", "dev1")) {
      fake.seed(repo, other, t);
    }

    List<Outcome> predicted =
        outcomes(tag(true, repo, "src", "release", "dev-1", "nightly-snapshot", "dev1", "fresh"));
    List<Outcome> actual =
        outcomes(tag(false, repo, "src", "release", "dev-1", "nightly-snapshot", "dev1", "fresh"));

    List<Outcome> expected =
        List.of(Outcome.BLOCKED, Outcome.MOVED, Outcome.MOVED, Outcome.BLOCKED, Outcome.CREATED);
    assertEquals(expected, predicted);
    assertEquals(expected, actual);
    assertEquals(other.digest(), fake.tagDigest(repo, "release"));
    assertEquals(source.digest(), fake.tagDigest(repo, "dev-1"));
    assertEquals(3, fake.calls("PutImage"));
  }

  @Test
  void mutableWithExclusionKeepsTheExcludedTags() {
    String repo = repo("MUTABLE_WITH_EXCLUSION", "v*.*");
    TestImage source = TestImages.ociImage("mwe-src");
    fake.seed(repo, source, "src");
    fake.seed(repo, TestImages.ociImage("mwe-other"), "v1.2");
    fake.seed(repo, TestImages.ociImage("mwe-other"), "latest");

    TagReport report = tag(false, repo, "src", "v1.2", "latest", "v2.0");

    assertEquals(List.of(Outcome.BLOCKED, Outcome.MOVED, Outcome.CREATED), outcomes(report));
    assertEquals(2, fake.calls("PutImage"));
  }

  @Test
  void withoutDescribeRepositoriesThePolicyIsUnknownAskedOnceAndPutImageDecides() {
    String repo = repo("IMMUTABLE_WITH_EXCLUSION", "dev-*");
    TestImage source = TestImages.ociImage("denied-src");
    TestImage other = TestImages.ociImage("denied-other");
    fake.seed(repo, source, "src");
    fake.seed(repo, source, "same");
    List<String> targets = new ArrayList<>(List.of("new", "same"));
    for (String t : List.of("taken-1", "taken-2", "taken-3", "dev-1", "dev-2")) {
      fake.seed(repo, other, t);
      targets.add(t);
    }
    fake.resetCounts();
    fake.deny("DescribeRepositories", true);
    try {
      TagReport dry = tag(true, repo, "src", targets.toArray(String[]::new));

      List<Outcome> predicted =
          List.of(
              Outcome.CREATED,
              Outcome.UNCHANGED,
              Outcome.MOVED,
              Outcome.MOVED,
              Outcome.MOVED,
              Outcome.MOVED,
              Outcome.MOVED);
      assertEquals(predicted, outcomes(dry));
      for (TagResult r : dry.results().subList(2, 7)) {
        assertTrue(
            r.reason().contains("tag policy is unknown (DescribeRepositories was denied"),
            r.reason());
      }
      assertEquals(0, fake.calls("PutImage"));
      assertEquals(1, fake.calls("DescribeRepositories"), "five moves, one denied question");

      TagReport report = tag(false, repo, "src", targets.toArray(String[]::new));

      List<Outcome> actual =
          List.of(
              Outcome.CREATED,
              Outcome.UNCHANGED,
              Outcome.BLOCKED,
              Outcome.BLOCKED,
              Outcome.BLOCKED,
              Outcome.MOVED,
              Outcome.MOVED);
      assertEquals(actual, outcomes(report));
      assertTrue(report.results().get(2).reason().contains("immutable"), report.toString());
      assertEquals(1, fake.calls("DescribeRepositories"), "the denial is kept too");
      assertEquals(6, fake.calls("PutImage"), "new, and each tag that would move");
      assertEquals(other.digest(), fake.tagDigest(repo, "taken-1"));
      assertEquals(source.digest(), fake.tagDigest(repo, "dev-2"));
      assertTrue(backend.mutabilityOf(ImageRef.parse("ecr:" + repo)).isEmpty());
    } finally {
      fake.deny("DescribeRepositories", false);
    }
  }

  @Test
  void aMutableTagAlreadyOnTheDigestIsImageAlreadyExistsAndReturnsTheDigest() {
    String repo = repo("MUTABLE");
    TestImage source = TestImages.ociImage("already");
    fake.seed(repo, source, "src");

    Digest stored = backend.put(ImageRef.parse("ecr:" + repo + ":src"), source.manifest());

    assertEquals(source.digest(), stored);
    assertEquals(1, fake.calls("PutImage"));
  }

  @Test
  void twoHundredFiftyTagsCostOneBatchGetImageAndOneListImagesEvenWhenThrottled() {
    String repo = repo("MUTABLE");
    TestImage source = TestImages.ociImage("many-src");
    TestImage other = TestImages.ociImage("many-other");
    fake.seed(repo, source, "src");
    Map<String, Outcome> expected = new LinkedHashMap<>();
    for (int i = 0; i < 250; i++) {
      String t = "t" + i;
      if (i % 5 == 0) {
        fake.seed(repo, source, t);
        expected.put(t, Outcome.UNCHANGED);
      } else if (i % 5 == 1) {
        fake.seed(repo, other, t);
        expected.put(t, Outcome.MOVED);
      } else {
        expected.put(t, Outcome.CREATED);
      }
    }
    fake.resetCounts();
    fake.throttleEvery("PutImage", 4);

    TagReport report = tag(false, repo, "src", expected.keySet().toArray(String[]::new));

    Map<String, Outcome> actual = new LinkedHashMap<>();
    report.results().forEach(r -> actual.put(r.target().tag(), r.outcome()));
    assertEquals(expected, actual);
    assertEquals(1, fake.calls("BatchGetImage"), "the source alone");
    assertEquals(1, fake.calls("ListImages"), "one page holds every tag of the repository");
    assertEquals(1, fake.calls("DescribeRepositories"), "one policy question for 50 moves");
    int changed = (int) expected.values().stream().filter(o -> o != Outcome.UNCHANGED).count();
    assertEquals(200, changed);
    assertTrue(fake.throttled("PutImage") > 0, "throttling was injected");
    assertEquals(changed, fake.calls("PutImage") - fake.throttled("PutImage"));
    for (String t : expected.keySet()) {
      assertEquals(source.digest(), fake.tagDigest(repo, t), t);
    }
  }

  @Test
  void tagsMissingFromABatchAnswerAreAskedAlone() {
    String repo = repo("IMMUTABLE");
    TestImage source = TestImages.ociImage("dedupe");
    fake.seed(repo, source, "src");
    fake.seed(repo, source, "a");
    fake.seed(repo, source, "b");
    fake.resetCounts();
    fake.dedupeBatchGetImage(true);
    try {
      TagReport report = tag(false, repo, "src", "a", "b", "c");
      assertEquals(
          List.of(Outcome.UNCHANGED, Outcome.UNCHANGED, Outcome.CREATED), outcomes(report));
      assertEquals(1, fake.calls("PutImage"));
      assertEquals(3, fake.calls("BatchGetImage"), "source and targets, then a and b alone");
    } finally {
      fake.dedupeBatchGetImage(false);
    }
  }

  @Test
  void manyTagsInAnImmutableRepositoryAskForThePolicyOnce() {
    String repo = repo("IMMUTABLE");
    TestImage source = TestImages.ociImage("policy-once");
    fake.seed(repo, source, "src");
    List<String> targets = new ArrayList<>();
    IntStream.range(0, 30)
        .forEach(
            i -> {
              fake.seed(repo, TestImages.ociImage("policy-other"), "o" + i);
              targets.add("o" + i);
            });

    TagReport report = tag(false, repo, "src", targets.toArray(String[]::new));

    assertTrue(report.results().stream().allMatch(r -> r.outcome() == Outcome.BLOCKED));
    assertEquals(1, fake.calls("DescribeRepositories"));
    assertEquals(0, fake.calls("PutImage"));
  }
}
