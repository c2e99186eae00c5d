package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.BatchGetImageResponse;

/**
 * Against an endpoint that answers BatchGetImage as moto and LocalStack do (each image names the
 * tag stored last on it, not the one asked), every read still finds its image: the source, the
 * targets, a batch, digest, manifest, tags and untag.
 */
class EcrMotoEchoTest {
  private static final TestImage SRC = TestImages.ociImage("moto-src");
  private static final TestImage OTHER = TestImages.dockerImage("moto-other");
  private static FakeEcr fake;
  private EcrBackend backend;
  private String repo;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    fake.echoLikeMoto(true);
    EcrTesting.useFakeCredentials();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void open() {
    backend = EcrTesting.open(fake);
    repo = EcrTesting.newRepositoryName("moto");
    fake.createRepository(repo);
    fake.seed(repo, SRC, "v1");
  }

  @AfterEach
  void close() {
    backend.close();
  }

  private ImageRef ref(String tag) {
    return ImageRef.parse("ecr:" + repo + ":" + tag);
  }

  private TagReport tag(String source, String... targets) {
    fake.resetCounts();
    return new TagEngine(backend, TagEngine.Options.defaults())
        .tag(ref(source), List.of(targets).stream().map(this::ref).toList());
  }

  private static Map<String, Outcome> outcomes(TagReport report) {
    Map<String, Outcome> out = new LinkedHashMap<>();
    report.results().forEach(r -> out.put(r.target().tag(), r.outcome()));
    return out;
  }

  @Test
  void theFakeEchoesTheTagStoredLastNotTheOneAsked() {
    fake.seed(repo, SRC, "a");
    fake.seed(repo, SRC, "c");
    try (EcrClient raw = EcrTesting.rawClient(fake)) {
      BatchGetImageResponse r =
          raw.batchGetImage(
              b ->
                  b.repositoryName(repo)
                      .acceptedMediaTypes(MediaTypes.ALL)
                      .imageIds(
                          i -> i.imageTag("v1"),
                          i -> i.imageDigest("sha256:" + "0".repeat(64)),
                          i -> i.imageTag("nope")));
      assertEquals("c", r.images().get(0).imageId().imageTag());
      assertEquals(SRC.digest().toString(), r.images().get(0).imageId().imageDigest());
      assertEquals(
          List.of("null", "nope"), r.failures().stream().map(f -> f.imageId().imageTag()).toList());
    }
  }

  @Test
  void aSourceWithSeveralTagsIsReadByEachOfThem() {
    assertEquals(
        Map.of("a", Outcome.CREATED, "b", Outcome.CREATED, "c", Outcome.CREATED),
        outcomes(tag("v1", "a", "b", "c")));

    for (String t : List.of("v1", "a", "b", "c")) {
      fake.resetCounts();
      assertArrayEquals(SRC.bytes(), backend.fetch(ref(t)).bytes(), t);
      assertEquals(Optional.of(SRC.digest()), backend.resolve(ref(t)), t);
      assertEquals(Map.of("BatchGetImage", 2), fake.counts(), "one answer each, no second ask");
    }
    assertEquals(Optional.empty(), backend.resolve(ref("nope")));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(ref("nope")));
  }

  @Test
  void retagsFromASourceWithSeveralTagsDecideEveryOutcome() {
    tag("v1", "a", "b", "c");

    TagReport same = tag("a", "v1", "b", "new", "a");

    assertEquals(
        Map.of(
            "v1",
            Outcome.UNCHANGED,
            "b",
            Outcome.UNCHANGED,
            "new",
            Outcome.CREATED,
            "a",
            Outcome.UNCHANGED),
        outcomes(same));
    assertEquals(1, fake.calls("BatchGetImage"), "one image answers all: certain in one call");

    fake.seed(repo, OTHER, "old");
    fake.seed(repo, OTHER, "older");
    TagReport mixed = tag("a", "old", "v1");

    assertEquals(Map.of("old", Outcome.MOVED, "v1", Outcome.UNCHANGED), outcomes(mixed));
    assertEquals(OTHER.digest(), mixed.results().get(0).previousDigest());
    assertEquals(SRC.digest(), mixed.manifest().digest());
    // two images among three ids that none of them names: ambiguous, so each is asked alone
    assertEquals(1 + 3, fake.calls("BatchGetImage"));
    assertEquals(SRC.digest(), fake.tagDigest(repo, "old"));
    assertEquals(OTHER.digest(), fake.tagDigest(repo, "older"));
  }

  @Test
  void answersForTwoImagesThatNameNeitherIdAskedAreAskedAlone() {
    fake.seed(repo, SRC, "a"); // SRC: v1, a (echoes a)
    fake.seed(repo, OTHER, "b");
    fake.seed(repo, OTHER, "y"); // OTHER: b, y (echoes y)

    TagReport report = tag("v1", "b");

    assertEquals(Map.of("b", Outcome.MOVED), outcomes(report));
    TagResult moved = report.results().get(0);
    assertEquals(OTHER.digest(), moved.previousDigest(), "b's own image, not v1's");
    assertEquals(SRC.digest(), moved.digest());
    assertEquals(3, fake.calls("BatchGetImage"), "both together, then each alone");
    assertEquals(SRC.digest(), fake.tagDigest(repo, "b"));
  }

  @Test
  void aSourceByDigestAndItsTargetsAreAttributedByTheDigestAndByElimination() {
    fake.seed(repo, SRC, "z");
    fake.seed(repo, OTHER, "old");
    ImageRef source = ImageRef.parse("ecr:" + repo + "@" + SRC.digest());

    fake.resetCounts();
    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(source, List.of(ref("v1"), ref("old"), ref("new")));

    assertEquals(
        Map.of("v1", Outcome.UNCHANGED, "old", Outcome.MOVED, "new", Outcome.CREATED),
        outcomes(report));
    assertEquals(
        Map.of("BatchGetImage", 1, "DescribeRepositories", 1, "PutImage", 2), fake.counts());

    ImageRef absent = ImageRef.parse("ecr:" + repo + "@sha256:" + "0".repeat(64));
    fake.resetCounts();
    assertThrows(
        OcitagException.NotFound.class,
        () ->
            new TagEngine(backend, TagEngine.Options.defaults())
                .tag(absent, List.of(ref("v1"), ref("x"))));
    assertEquals(Map.of("BatchGetImage", 1), fake.counts(), "its failure, by elimination");
  }

  @Test
  void aBatchOfManyTargetsAndResolveAllFindEveryDigest() {
    List<String> targets = IntStream.range(0, 150).mapToObj(i -> "t" + i).toList();
    for (int i = 0; i < 150; i += 3) {
      fake.seed(repo, i % 2 == 0 ? SRC : OTHER, targets.get(i));
    }

    TagReport report = tag("v1", targets.toArray(String[]::new));

    for (int i = 0; i < 150; i++) {
      Outcome expected =
          i % 3 != 0 ? Outcome.CREATED : i % 2 == 0 ? Outcome.UNCHANGED : Outcome.MOVED;
      assertEquals(expected, report.results().get(i).outcome(), targets.get(i));
    }
    assertEquals(1, fake.calls("BatchGetImage"), "the source; the targets from ListImages");

    fake.resetCounts();
    Map<ImageRef, Optional<Digest>> all =
        backend.resolveAll(targets.subList(0, 99).stream().map(this::ref).toList());
    assertTrue(all.values().stream().allMatch(d -> d.equals(Optional.of(SRC.digest()))));
    assertEquals(Map.of("BatchGetImage", 1), fake.counts());
  }

  @Test
  void tagsAndUntagKeepTheImageAndItsOtherTagsReadable() {
    tag("v1", "a", "b", "c");

    assertEquals(Set.of("v1", "a", "b", "c"), Set.copyOf(backend.tags(ref("v1")).toList()));
    backend.untag(ref("c")); // the tag moto echoed last
    backend.untag(ref("v1"));

    assertEquals(Set.of("a", "b"), Set.copyOf(backend.tags(ref("a")).toList()));
    assertEquals(Optional.empty(), backend.resolve(ref("c")));
    assertEquals(Optional.empty(), backend.resolve(ref("v1")));
    assertEquals(Optional.of(SRC.digest()), backend.resolve(ref("a")));
    assertArrayEquals(SRC.bytes(), backend.fetch(ref("b")).bytes());
    assertEquals(
        Map.of("v1", Outcome.CREATED, "a", Outcome.UNCHANGED), outcomes(tag("b", "v1", "a")));
  }
}
