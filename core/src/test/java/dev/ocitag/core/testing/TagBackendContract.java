package dev.ocitag.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link TagBackend} must do, run against a real store. A backend's test extends this
 * class and says how to open the backend, make a fresh repository and seed an image into it by its
 * own means (not through {@link TagBackend#put}), so that put is checked independently.
 */
public abstract class TagBackendContract {

  /** Opens the backend under test; closed after each test. */
  protected abstract TagBackend openBackend() throws Exception;

  /** A repository no other test uses, existing but empty where the store needs that. */
  protected abstract ImageRef newRepository() throws Exception;

  /**
   * Stores the image's blobs and manifest bytes in the repository without the backend's put; under
   * {@code tag} when it is not null, else by digest only. For an index the children are seeded (by
   * digest) first.
   */
  protected abstract void seed(ImageRef repository, TestImage image, String tag) throws Exception;

  /** How many tags {@link #tagsListsEveryTag()} creates; large enough to cross a page. */
  protected int manyTags() {
    return 120;
  }

  private TagBackend backend;
  private ImageRef repo;

  @BeforeEach
  void openContract() throws Exception {
    backend = openBackend();
    repo = newRepository();
  }

  @AfterEach
  void closeContract() throws Exception {
    if (backend != null) {
      backend.close();
    }
  }

  protected TagBackend backend() {
    return backend;
  }

  protected ImageRef repo() {
    return repo;
  }

  static Stream<TestImage> kinds() {
    return TestImages.allKinds("contract").stream();
  }

  private static TagEngine engine(TagBackend backend, boolean dryRun, boolean noOverwrite) {
    return new TagEngine(backend, new TagEngine.Options(dryRun, noOverwrite, 4));
  }

  private TagReport tag(TagBackend on, String source, String... targets) {
    return tag(on, false, false, source, targets);
  }

  private TagReport tag(
      TagBackend on, boolean dryRun, boolean noOverwrite, String source, String... targets) {
    List<ImageRef> refs = Stream.of(targets).map(repo::withTag).toList();
    return engine(on, dryRun, noOverwrite).tag(repo.withTag(source), refs);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void fetchReturnsTheExactBytesByTagAndByDigest(TestImage image) throws Exception {
    seed(repo, image, "src");

    Manifest byTag = backend.fetch(repo.withTag("src"));
    Manifest byDigest = backend.fetch(repo.withDigest(image.digest()));

    assertArrayEquals(image.bytes(), byTag.bytes());
    assertEquals(image.manifest().mediaType(), byTag.mediaType());
    assertEquals(image.digest(), byTag.digest());
    assertArrayEquals(image.bytes(), byDigest.bytes());
    assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("src")));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void tagKeepsTheBytesAndTheDigest(TestImage image) throws Exception {
    seed(repo, image, "src");

    TagReport report = tag(backend, "src", "v1", "v2");

    assertEquals(
        List.of(Outcome.CREATED, Outcome.CREATED),
        report.results().stream().map(r -> r.outcome()).toList(),
        () -> String.valueOf(report.results()));
    for (String t : List.of("v1", "v2")) {
      Manifest tagged = backend.fetch(repo.withTag(t));
      assertArrayEquals(image.bytes(), tagged.bytes(), t);
      assertEquals(image.manifest().mediaType(), tagged.mediaType(), t);
      assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag(t)));
    }
  }

  @Test
  void anIndexStaysAnIndexWithItsChildren() throws Exception {
    TestImage index = TestImages.ociIndex("stays");
    seed(repo, index, "multi");

    tag(backend, "multi", "multi-copy");

    Manifest copy = backend.fetch(repo.withTag("multi-copy"));
    assertTrue(copy.isIndex());
    assertArrayEquals(index.bytes(), copy.bytes());
    for (TestImage child : index.children()) {
      assertArrayEquals(child.bytes(), backend.fetch(repo.withDigest(child.digest())).bytes());
    }
  }

  @Test
  void anUnchangedTagCostsNoWrite() throws Exception {
    TestImage image = TestImages.ociImage("unchanged");
    seed(repo, image, "src");
    tag(backend, "src", "same");
    CountingBackend counting = new CountingBackend(backend);

    TagReport again = tag(counting, "src", "same", "src");

    assertEquals(0, counting.puts.get());
    assertTrue(again.results().stream().allMatch(r -> r.outcome() == Outcome.UNCHANGED));
    assertEquals(image.digest(), again.results().get(0).digest());
  }

  @Test
  void aTagOnAnotherImageIsMovedAndReportsThePreviousDigest() throws Exception {
    TestImage first = TestImages.ociImage("first");
    TestImage second = TestImages.dockerImage("second");
    seed(repo, first, "one");
    seed(repo, second, "two");
    tag(backend, "one", "moving");

    TagReport report = tag(backend, "two", "moving");

    assertEquals(Outcome.MOVED, report.results().get(0).outcome());
    assertEquals(first.digest(), report.results().get(0).previousDigest());
    assertEquals(Optional.of(second.digest()), backend.resolve(repo.withTag("moving")));
    assertArrayEquals(second.bytes(), backend.fetch(repo.withTag("moving")).bytes());
  }

  @Test
  void noOverwriteBlocksATagOnAnotherImageAndLeavesIt() throws Exception {
    TestImage first = TestImages.ociImage("keep");
    TestImage second = TestImages.ociImage("other");
    seed(repo, first, "one");
    seed(repo, second, "two");
    tag(backend, "one", "kept");

    TagReport report = tag(backend, false, true, "two", "kept", "fresh");

    assertEquals(Outcome.BLOCKED, report.results().get(0).outcome());
    assertEquals(Outcome.CREATED, report.results().get(1).outcome());
    assertEquals(Optional.of(first.digest()), backend.resolve(repo.withTag("kept")));
  }

  @Test
  void dryRunDecidesEveryOutcomeAndWritesNothing() throws Exception {
    TestImage first = TestImages.ociImage("dry1");
    TestImage second = TestImages.ociImage("dry2");
    seed(repo, first, "one");
    seed(repo, second, "two");
    CountingBackend counting = new CountingBackend(backend);

    TagReport report = tag(counting, true, false, "one", "new", "two", "one");

    assertTrue(report.dryRun());
    assertEquals(
        List.of(Outcome.CREATED, Outcome.MOVED, Outcome.UNCHANGED),
        report.results().stream().map(r -> r.outcome()).toList());
    assertEquals(0, counting.puts.get());
    assertEquals(Optional.empty(), backend.resolve(repo.withTag("new")));
    assertEquals(Optional.of(second.digest()), backend.resolve(repo.withTag("two")));
  }

  @Test
  void untagRemovesOnlyTheTag() throws Exception {
    TestImage image = TestImages.ociImage("untag");
    seed(repo, image, "src");
    tag(backend, "src", "a", "b");

    backend.untag(repo.withTag("a"));

    assertEquals(Optional.empty(), backend.resolve(repo.withTag("a")));
    assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("b")));
    assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("src")));
    assertArrayEquals(image.bytes(), backend.fetch(repo.withDigest(image.digest())).bytes());
    assertEquals(Set.of("src", "b"), backend.tags(repo).collect(Collectors.toSet()));
  }

  @Test
  void tagsListsEveryTag() throws Exception {
    TestImage image = TestImages.ociImage("many");
    seed(repo, image, "src");
    String[] targets = IntStream.range(0, manyTags()).mapToObj(i -> "t" + i).toArray(String[]::new);
    tag(backend, "src", targets);

    Set<String> listed = new TreeSet<>(backend.tags(repo).toList());

    Set<String> expected = new TreeSet<>(List.of(targets));
    expected.add("src");
    assertEquals(expected, listed);
    assertEquals(expected.size(), backend.tags(repo).count(), "no tag listed twice");
  }

  @Test
  void missingThingsAreNotFound() throws Exception {
    TestImage image = TestImages.ociImage("present");
    seed(repo, image, "src");
    Digest absent = Digest.of("absent".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(repo.withTag("nope")));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(repo.withDigest(absent)));
    assertThrows(OcitagException.NotFound.class, () -> backend.untag(repo.withTag("nope")));
    assertEquals(Optional.empty(), backend.resolve(repo.withTag("nope")));
    assertEquals(Optional.empty(), backend.resolve(repo.withDigest(absent)));
    assertThrows(
        OcitagException.NotFound.class,
        () -> engine(backend, false, false).tag(repo.withTag("nope"), List.of(repo.withTag("x"))));
  }

  @Test
  void aManifestWhoseBlobsAreMissingIsRefusedAndNotTagged() throws Exception {
    TestImage stored = TestImages.ociImage("stored");
    seed(repo, stored, "src");
    TestImage orphan = TestImages.ociImage("orphan-blobs-never-stored");

    OcitagException e =
        assertThrows(
            OcitagException.class, () -> backend.put(repo.withTag("orphan"), orphan.manifest()));

    assertTrue(
        e instanceof OcitagException.InvalidInput || e instanceof OcitagException.NotFound,
        () -> "got " + e.getClass().getSimpleName() + ": " + e.getMessage());
    assertEquals(Optional.empty(), backend.resolve(repo.withTag("orphan")));
  }
}
