package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.engine.AtomicRun;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.Rollback;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Undoing runs over two in-memory stores ({@code a.test}, {@code b.test}): tags go back step by
 * step, a rollback is undone by rolling it back, a tag changed since is left alone, and {@code
 * --atomic} leaves every tag as it was when one target fails.
 */
class RollbackTest {
  private static final ImageRef SOURCE = ImageRef.parseDocker("a.test/app:src");
  private static final ImageRef REPO = SOURCE.repositoryRef();

  private final InMemoryBackend a = new InMemoryBackend();
  private final InMemoryBackend b = new InMemoryBackend();
  private final TestImage image = TestImages.ociImage("rollback");
  private final TestImage old = TestImages.dockerImage("rollback-old");
  private final TestImage other = TestImages.ociImage("rollback-other");
  private final ConcurrentLinkedQueue<TagResult> heard = new ConcurrentLinkedQueue<>();
  private final TagEngine.Listener listener =
      new TagEngine.Listener() {
        @Override
        public void targetDone(TagResult result) {
          heard.add(result);
        }
      };

  private Function<ImageRef, TagBackend> stores() {
    return ref ->
        switch (ref.registry()) {
          case "a.test" -> a;
          case "b.test" -> b;
          default -> throw new OcitagException.InvalidInput("no store " + ref.registry());
        };
  }

  private static ImageRef ref(String text) {
    return ImageRef.parseDocker(text);
  }

  private List<TagResult> undo(List<TagResult> done, boolean dryRun) {
    return new Rollback(stores(), dryRun, 4, listener).undo(done);
  }

  private TagReport tag(ImageRef source, String... targets) {
    return new TagEngine(stores(), TagEngine.Options.defaults(), TagEngine.Listener.NONE)
        .tag(source, List.of(targets).stream().map(RollbackTest::ref).toList());
  }

  /** Every tag of the repositories these tests use, with its digest. */
  private Map<String, Digest> state() {
    Map<String, Digest> all = new LinkedHashMap<>();
    for (InMemoryBackend store : List.of(a, b)) {
      for (ImageRef repo : List.of(REPO, ref(store == a ? "a.test/other" : "b.test/prod"))) {
        store
            .tags(repo)
            .forEach(t -> all.put(repo + ":" + t, store.resolve(repo.withTag(t)).get()));
      }
    }
    return all;
  }

  @Test
  void movedGoesBackCreatedIsRemovedAndRollingTheRollbackBackRestoresTheRun() {
    a.seed(REPO, image, "src");
    a.seed(REPO, old, "stable");
    Map<String, Digest> before = state();
    TagReport run = tag(SOURCE, "a.test/app:stable", "a.test/app:v1", "b.test/prod:v1");
    Map<String, Digest> after = state();
    assertEquals(
        List.of(Outcome.MOVED, Outcome.CREATED, Outcome.CREATED),
        run.results().stream().map(TagResult::outcome).toList());

    List<TagResult> undone = undo(run.results(), false);

    assertEquals(before, state());
    assertEquals(3, heard.size(), "the listener hears every result");
    // newest first, each saying what it wrote: digest now, previousDigest what the run had set
    assertEquals(ref("b.test/prod:v1"), undone.get(0).target());
    assertEquals(Outcome.REMOVED, undone.get(0).outcome());
    assertNull(undone.get(0).digest());
    assertEquals(image.digest(), undone.get(0).previousDigest());
    TagResult moved = undone.get(2);
    assertEquals(Outcome.MOVED, moved.outcome());
    assertEquals(old.digest(), moved.digest());
    assertEquals(image.digest(), moved.previousDigest());
    assertArrayEquals(old.bytes(), a.fetch(ref("a.test/app:stable")).bytes());

    List<TagResult> redone = undo(undone, false);

    assertEquals(after, state());
    assertEquals(
        List.of(Outcome.MOVED, Outcome.CREATED, Outcome.CREATED),
        redone.stream().map(TagResult::outcome).toList());
  }

  @Test
  void aTagSeveralRunsChangedGoesBackStepByStepAndARerunIsUnchanged() {
    a.seed(REPO, image, "src");
    a.seed(REPO, other, "next");
    List<TagResult> history = new ArrayList<>(tag(SOURCE, "a.test/app:t").results());
    history.addAll(tag(ref("a.test/app:next"), "a.test/app:t").results()); // moved image → other

    List<TagResult> dry = undo(history, true);

    assertEquals(
        List.of(Outcome.MOVED, Outcome.REMOVED),
        dry.stream().map(TagResult::outcome).toList(),
        "a dry run follows where its own steps would have put the tag");
    assertEquals(Optional.of(other.digest()), a.resolve(ref("a.test/app:t")), "nothing written");

    List<TagResult> undone = undo(history, false);

    assertEquals(
        List.of(Outcome.MOVED, Outcome.REMOVED), undone.stream().map(TagResult::outcome).toList());
    assertEquals(Optional.empty(), a.resolve(ref("a.test/app:t")));
    a.clearOperations();

    List<TagResult> again = undo(history, false);

    assertEquals(
        List.of(Outcome.UNCHANGED, Outcome.UNCHANGED),
        again.stream().map(TagResult::outcome).toList(),
        "run again after an interruption, what is done is unchanged");
    assertEquals(List.of(), a.operations("put"));
  }

  @Test
  void aTagMovedSinceIsAConflictAndLeftAloneWhileTheOthersGoBack() {
    a.seed(REPO, image, "src");
    a.seed(REPO, other, "other");
    TagReport run = tag(SOURCE, "a.test/app:v1", "a.test/app:v2");
    tag(ref("a.test/app:other"), "a.test/app:v2"); // someone else moves v2

    List<TagResult> undone = undo(run.results(), false);

    TagResult conflict = undone.get(0);
    assertEquals(Outcome.CONFLICT, conflict.outcome());
    assertEquals(other.digest(), conflict.digest());
    assertTrue(conflict.reason().contains("now points at " + other.digest()), conflict.reason());
    assertEquals(Optional.of(other.digest()), a.resolve(ref("a.test/app:v2")));
    assertEquals(Outcome.REMOVED, undone.get(1).outcome());
    assertEquals(Optional.empty(), a.resolve(ref("a.test/app:v1")));
  }

  @Test
  void aPreviousManifestNoLongerThereFailsNamingItsDigestAndLeavesTheTag() {
    a.seed(REPO, image, "v1");
    TagResult moved =
        new TagResult(
            ref("a.test/app:v1"), Outcome.MOVED, image.digest(), old.digest(), null, null);

    for (boolean dryRun : List.of(true, false)) {
      TagResult r = undo(List.of(moved), dryRun).get(0);

      assertEquals(Outcome.FAILED, r.outcome());
      assertTrue(r.reason().contains(old.digest() + " it pointed at before"), r.reason());
      assertEquals(Optional.of(image.digest()), a.resolve(ref("a.test/app:v1")));
    }
  }

  @Test
  void resultsThatWroteNothingAreSkipped() {
    a.seed(REPO, image, "v1");
    List<TagResult> done = new ArrayList<>();
    for (Outcome o :
        List.of(Outcome.UNCHANGED, Outcome.BLOCKED, Outcome.FAILED, Outcome.ROLLED_BACK)) {
      done.add(new TagResult(ref("a.test/app:v1"), o, image.digest(), image.digest(), null, null));
    }

    List<TagResult> undone = undo(done, false);

    assertTrue(undone.stream().allMatch(r -> r.outcome() == Outcome.SKIPPED), undone::toString);
    assertEquals(List.of(), a.operations("put"));
    assertEquals(Optional.of(image.digest()), a.resolve(ref("a.test/app:v1")));
  }

  @Test
  void atomicWritesNothingWhenATargetWouldFail() {
    a.seed(REPO, image, "src");
    a.seed(REPO, old, "stable");
    Map<String, Digest> before = state();
    ConcurrentLinkedQueue<TagResult> ended = new ConcurrentLinkedQueue<>();

    TagReport report =
        new AtomicRun(
                stores(),
                TagEngine.Options.defaults(),
                new TagEngine.Listener() {
                  @Override
                  public void targetDone(TagResult result) {
                    ended.add(result);
                  }
                })
            .tag(
                SOURCE,
                List.of(ref("a.test/app:stable"), ref("a.test/app:v1"), ref("c.test/x:v1")));

    assertEquals(before, state());
    assertEquals(List.of(), a.operations("put"));
    List<TagResult> results = report.results();
    assertEquals(Outcome.ROLLED_BACK, results.get(0).outcome());
    assertEquals(old.digest(), results.get(0).digest(), "where the tag points");
    assertEquals(image.digest(), results.get(0).previousDigest(), "what the run would have set");
    assertEquals(Outcome.ROLLED_BACK, results.get(1).outcome());
    assertTrue(results.get(1).reason().contains("c.test/x:v1 failed"), results.get(1).reason());
    assertEquals(Outcome.FAILED, results.get(2).outcome());
    assertEquals(3, ended.size(), "each target ends once");
  }

  @Test
  void atomicRollsBackWhatItWroteWhenATargetFailsWhileWriting() {
    // every blob stream from the source breaks: only the copy to b.test finds out, after the plan
    a.seed(REPO, image, "src");
    a.seed(REPO, old, "stable");
    a.serveBlobsThrough(
        in ->
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("connection reset");
              }
            });
    Map<String, Digest> before = state();

    TagReport report =
        new AtomicRun(stores(), new TagEngine.Options(false, false, 1), TagEngine.Listener.NONE)
            .tag(
                SOURCE,
                List.of(ref("a.test/app:stable"), ref("a.test/app:v1"), ref("b.test/prod:v1")));

    assertEquals(before, state());
    assertEquals(3, a.operations("put").size(), "stable and v1 written, then stable put back");
    List<TagResult> results = report.results();
    assertEquals(Outcome.ROLLED_BACK, results.get(0).outcome());
    assertTrue(
        results.get(0).reason().startsWith("written, then rolled back"), results.get(0).reason());
    assertEquals(Outcome.ROLLED_BACK, results.get(1).outcome());
    assertNull(results.get(1).digest());
    assertEquals(Outcome.FAILED, results.get(2).outcome());
    assertTrue(results.get(2).reason().contains("connection reset"), results.get(2).reason());
  }
}
