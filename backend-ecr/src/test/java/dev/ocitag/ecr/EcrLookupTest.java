package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.InvalidParameterException;
import software.amazon.awssdk.services.ecr.model.ListImagesResponse;
import software.amazon.awssdk.services.ecr.model.TagStatus;

/**
 * How few calls learn the source and where its targets point: one BatchGetImage for both when they
 * fit in 100 image ids, else the source alone and a bounded ListImages. Every count is exact.
 */
class EcrLookupTest {
  private static final TestImage SRC = TestImages.ociImage("lookup-src");
  private static final TestImage OTHER = TestImages.dockerImage("lookup-other");
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
    backend = EcrTesting.open(fake);
  }

  @AfterEach
  void close() {
    backend.close();
    fake.deny("ListImages", false);
    fake.alterServedManifests(false);
  }

  private static String repo(String mutability) {
    String name = EcrTesting.newRepositoryName("lookup");
    fake.createRepository(name, mutability);
    fake.seed(name, SRC, "src");
    fake.seed(name, OTHER, null);
    fake.resetCounts();
    return name;
  }

  private TagReport tag(boolean dryRun, String source, List<String> targets) {
    ImageRef src = ImageRef.parse(source);
    List<ImageRef> refs = targets.stream().map(src::withTag).toList();
    fake.resetCounts();
    return new TagEngine(backend, new TagEngine.Options(dryRun, false, 8)).tag(src, refs);
  }

  private static Map<String, Outcome> outcomes(TagReport report) {
    Map<String, Outcome> out = new LinkedHashMap<>();
    report.results().forEach(r -> out.put(r.target().tag(), r.outcome()));
    return out;
  }

  private static List<String> names(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> String.format("%s%04d", prefix, i)).toList();
  }

  @Test
  void aSourceAndAFewTargetsCostOneBatchGetImage() {
    String repo = repo("MUTABLE");
    fake.seed(repo, SRC, "same");
    fake.seed(repo, OTHER, "old");

    TagReport report = tag(false, "ecr:" + repo + ":src", List.of("same", "old", "new", "src"));

    assertEquals(
        List.of(Outcome.UNCHANGED, Outcome.MOVED, Outcome.CREATED, Outcome.UNCHANGED),
        List.copyOf(outcomes(report).values()));
    assertEquals(OTHER.digest(), report.results().get(1).previousDigest());
    assertEquals(
        Map.of("BatchGetImage", 1, "DescribeRepositories", 1, "PutImage", 2), fake.counts());
    assertArrayEquals(SRC.bytes(), report.manifest().bytes());
    assertArrayEquals(SRC.bytes(), fake.manifestBytes(repo, "old"));
    assertArrayEquals(SRC.bytes(), fake.manifestBytes(repo, "new"));
  }

  @Test
  void ninetyNineTargetsFitInTheSourcesCallAndAHundredDoNot() {
    String repo = repo("MUTABLE");

    assertEquals(99, tag(true, "ecr:" + repo + ":src", names("n", 99)).results().size());
    assertEquals(Map.of("BatchGetImage", 1), fake.counts());

    // A listing would cost as many calls as the one BatchGetImage it replaces: not worth it.
    assertEquals(100, tag(true, "ecr:" + repo + ":src", names("n", 100)).results().size());
    assertEquals(Map.of("BatchGetImage", 2), fake.counts());
  }

  @Test
  void aSourceByDigestIsFetchedWithItsTargetsAndChecked() {
    String repo = repo("MUTABLE");
    fake.seed(repo, SRC, "b");
    String source = "ecr:" + repo + "@" + SRC.digest();

    TagReport report = tag(false, source, List.of("a", "b"));

    assertEquals(Map.of("a", Outcome.CREATED, "b", Outcome.UNCHANGED), outcomes(report));
    assertEquals(Map.of("BatchGetImage", 1, "PutImage", 1), fake.counts());
    assertArrayEquals(SRC.bytes(), fake.manifestBytes(repo, "a"));

    TagReport many = tag(true, source, names("m", 150));
    assertEquals(SRC.digest(), many.manifest().digest());
    assertEquals(Map.of("BatchGetImage", 1, "ListImages", 1), fake.counts());
  }

  @Test
  void aMissingSourceIsNotFoundAndNothingElseIsAsked() {
    String repo = repo("MUTABLE");
    String absent = "sha256:" + "0".repeat(64);
    for (String source : List.of(":nope", "@" + absent)) {
      for (int n : new int[] {2, 150}) {
        assertThrows(
            OcitagException.NotFound.class,
            () -> tag(false, "ecr:" + repo + source, names("t", n)),
            source + " with " + n + " targets");
        assertEquals(Map.of("BatchGetImage", 1), fake.counts(), source + " with " + n);
      }
    }
  }

  @Test
  void bytesThatDoNotHashToTheDigestEcrReportsAreRefused() {
    String repo = repo("MUTABLE");
    fake.alterServedManifests(true);
    for (String source : List.of(":src", "@" + SRC.digest())) {
      for (int n : new int[] {1, 150}) {
        OcitagException e =
            assertThrows(
                OcitagException.Failed.class,
                () -> tag(false, "ecr:" + repo + source, names("t", n)));
        assertTrue(e.getMessage().contains("hashes to"), e.getMessage());
      }
    }
    assertNull(fake.tagDigest(repo, "t0000"), "nothing was written");
  }

  @Test
  void aListingThatHasNotEndedWithinItsBudgetLeavesTheUnseenTargetsToBatchGetImage() {
    String repo = repo("MUTABLE");
    List<String> existing = names("a", 2500); // 3 pages of 1000, with src
    for (int i = 0; i < existing.size(); i++) {
      fake.seed(repo, i % 2 == 0 ? SRC : OTHER, existing.get(i));
    }
    // 300 targets: a budget of 2 pages (a0000..a1999), which show 100 of them.
    List<String> targets = new ArrayList<>();
    Map<String, Outcome> expected = new LinkedHashMap<>();
    for (int i = 0; i < 2500; i += i < 2000 ? 20 : 5) {
      targets.add(existing.get(i));
      expected.put(existing.get(i), i % 2 == 0 ? Outcome.UNCHANGED : Outcome.MOVED);
    }
    for (String t : names("z", 100)) {
      targets.add(t);
      expected.put(t, Outcome.CREATED);
    }
    assertEquals(300, targets.size());

    assertEquals(expected, outcomes(tag(true, "ecr:" + repo + ":src", targets)));
    Map<String, Integer> lookup = Map.of("BatchGetImage", 1 + 2, "ListImages", 2);
    assertEquals(with(lookup, "DescribeRepositories", 1), fake.counts());

    assertEquals(expected, outcomes(tag(false, "ecr:" + repo + ":src", targets)));
    int changed = (int) expected.values().stream().filter(o -> o != Outcome.UNCHANGED).count();
    assertEquals(150, changed);
    assertEquals(with(lookup, "PutImage", changed), fake.counts(), "the policy is kept");
    for (String t : targets) {
      assertArrayEquals(SRC.bytes(), fake.manifestBytes(repo, t), t);
    }

    TagReport again = tag(false, "ecr:" + repo + ":src", targets);
    assertTrue(again.results().stream().allMatch(r -> r.outcome() == Outcome.UNCHANGED));
    assertEquals(lookup, fake.counts());
  }

  @Test
  void aListingStopsOnceEveryTargetIsSeen() {
    String repo = repo("MUTABLE");
    List<String> existing = names("a", 2500);
    existing.forEach(t -> fake.seed(repo, OTHER, t));

    TagReport report = tag(true, "ecr:" + repo + ":src", existing.subList(0, 300));

    assertTrue(report.results().stream().allMatch(r -> r.outcome() == Outcome.MOVED));
    assertEquals(
        Map.of("BatchGetImage", 1, "ListImages", 1, "DescribeRepositories", 1), fake.counts());
  }

  @Test
  void withoutListImagesPermissionTheTargetsGoToBatchGetImage() {
    String repo = repo("MUTABLE");
    fake.seed(repo, OTHER, "t0007");
    fake.deny("ListImages", true);

    TagReport report = tag(true, "ecr:" + repo + ":src", names("t", 250));

    assertEquals(Outcome.MOVED, outcomes(report).get("t0007"));
    assertEquals(
        249, report.results().stream().filter(r -> r.outcome() == Outcome.CREATED).count());
    assertEquals(
        Map.of("BatchGetImage", 1 + 3, "ListImages", 1, "DescribeRepositories", 1), fake.counts());
  }

  @Test
  void anImmutableRepositoryBlocksAndLeavesUnchangedAsBeforeWhenListed() {
    String repo = repo("IMMUTABLE");
    Map<String, Outcome> expected = new LinkedHashMap<>();
    for (String t : names("t", 150)) {
      int i = Integer.parseInt(t.substring(1));
      if (i % 3 == 0) {
        fake.seed(repo, SRC, t);
        expected.put(t, Outcome.UNCHANGED);
      } else if (i % 3 == 1) {
        fake.seed(repo, OTHER, t);
        expected.put(t, Outcome.BLOCKED);
      } else {
        expected.put(t, Outcome.CREATED);
      }
    }
    List<String> targets = List.copyOf(expected.keySet());

    TagReport report = tag(false, "ecr:" + repo + ":src", targets);

    assertEquals(expected, outcomes(report));
    assertEquals(
        Map.of("BatchGetImage", 1, "ListImages", 1, "DescribeRepositories", 1, "PutImage", 50),
        fake.counts());
    TagResult blocked = report.results().get(1);
    assertEquals(OTHER.digest(), blocked.digest());
    assertEquals(OTHER.digest(), fake.tagDigest(repo, "t0001"));
    assertArrayEquals(SRC.bytes(), fake.manifestBytes(repo, "t0002"));
  }

  @Test
  void theFakesListImagesPagesByMaxResultsAndFiltersByTagStatus() {
    String repo = repo("MUTABLE"); // src on SRC, OTHER untagged
    names("a", 1500).forEach(t -> fake.seed(repo, SRC, t));
    try (EcrClient raw = EcrTesting.rawClient(fake)) {
      ListImagesResponse first =
          raw.listImages(
              b ->
                  b.repositoryName(repo)
                      .filter(f -> f.tagStatus(TagStatus.TAGGED))
                      .maxResults(1000));
      assertEquals(1000, first.imageIds().size());
      assertTrue(first.imageIds().stream().allMatch(id -> id.imageTag() != null));
      ListImagesResponse second =
          raw.listImages(
              b ->
                  b.repositoryName(repo)
                      .filter(f -> f.tagStatus(TagStatus.TAGGED))
                      .maxResults(1000)
                      .nextToken(first.nextToken()));
      assertEquals(501, second.imageIds().size(), "one id per tag: 1500 and src");
      assertNull(second.nextToken());
      assertEquals(100, raw.listImages(b -> b.repositoryName(repo)).imageIds().size());
      ListImagesResponse untagged =
          raw.listImages(b -> b.repositoryName(repo).filter(f -> f.tagStatus(TagStatus.UNTAGGED)));
      assertEquals(
          List.of(OTHER.digest().toString()),
          untagged.imageIds().stream().map(i -> i.imageDigest()).toList());
      assertThrows(
          InvalidParameterException.class,
          () -> raw.listImages(b -> b.repositoryName(repo).maxResults(1001)));
    }
    assertEquals(5, fake.calls("ListImages"));
  }

  private static Map<String, Integer> with(Map<String, Integer> counts, String op, int n) {
    Map<String, Integer> out = new LinkedHashMap<>(counts);
    out.put(op, n);
    return out;
  }
}
