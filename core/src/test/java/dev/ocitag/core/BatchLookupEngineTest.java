package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.CountingBackend;
import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine over a store that resolves many tags in one call ({@link BatchTagging}, as ECR does)
 * and over stores that fail in ways the engine must contain: where each target points is learnt in
 * the source's fetch for the targets of the source's repository, one by one for the others; a
 * lookup that fails for the targets falls back to the source alone; a store that cannot be opened,
 * or breaks with an unexpected exception, fails its targets only.
 */
class BatchLookupEngineTest {
  private static final ImageRef SOURCE = ImageRef.parseDocker("batch.test/app:src");

  private final TestImage image = TestImages.ociImage("batch");
  private final TestImage other = TestImages.ociImage("batch-other");
  private final BatchStore store = new BatchStore();

  /** An in-memory store that also resolves in batches, and logs each batch call's targets. */
  static final class BatchStore implements TagBackend, BatchTagging, BlobTransfer {
    final InMemoryBackend memory = new InMemoryBackend();
    final List<List<ImageRef>> lookups = new CopyOnWriteArrayList<>();
    final List<ImageRef> fetches = new CopyOnWriteArrayList<>();
    final List<ImageRef> resolves = new CopyOnWriteArrayList<>();
    volatile OcitagException failLookupsWithTargets;

    @Override
    public Map<ImageRef, Optional<Digest>> resolveAll(List<ImageRef> targets) {
      Map<ImageRef, Optional<Digest>> found = new LinkedHashMap<>();
      targets.forEach(t -> found.put(t, memory.resolve(t)));
      return found;
    }

    @Override
    public Lookup fetchAndResolve(ImageRef source, List<ImageRef> targets) {
      lookups.add(List.copyOf(targets));
      if (!targets.isEmpty() && failLookupsWithTargets != null) {
        throw failLookupsWithTargets;
      }
      return BatchTagging.super.fetchAndResolve(source, targets);
    }

    @Override
    public Manifest fetch(ImageRef ref) {
      fetches.add(ref);
      return memory.fetch(ref);
    }

    @Override
    public Optional<Digest> resolve(ImageRef ref) {
      resolves.add(ref);
      return memory.resolve(ref);
    }

    @Override
    public Digest put(ImageRef target, Manifest manifest) {
      return memory.put(target, manifest);
    }

    @Override
    public Stream<String> tags(ImageRef repository) {
      return memory.tags(repository);
    }

    @Override
    public void untag(ImageRef ref) {
      memory.untag(ref);
    }

    @Override
    public boolean hasBlob(ImageRef repository, Descriptor blob) {
      return memory.hasBlob(repository, blob);
    }

    @Override
    public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
      return memory.mountBlob(repository, blob, from);
    }

    @Override
    public InputStream openBlob(ImageRef repository, Descriptor blob) {
      return memory.openBlob(repository, blob);
    }

    @Override
    public void pushBlob(ImageRef repository, Descriptor blob, InputStream body) {
      memory.pushBlob(repository, blob, body);
    }
  }

  private static ImageRef ref(String text) {
    return ImageRef.parseDocker(text);
  }

  private static List<Outcome> outcomes(TagReport report) {
    return report.results().stream().map(TagResult::outcome).toList();
  }

  private void seed() {
    store.memory.seed(SOURCE.repositoryRef(), image, "src");
    store.memory.seed(SOURCE.repositoryRef(), image, "same");
    store.memory.seed(SOURCE.repositoryRef(), other, "moved");
    store.memory.seed(ref("batch.test/copy"), other, "moved");
  }

  @Test
  void aTagRunLearnsWhereTheSourceRepositorysTargetsPointInTheFetch() {
    seed();
    List<ImageRef> targets =
        List.of(
            ref("batch.test/app:same"),
            ref("batch.test/app:moved"),
            ref("batch.test/app:new"),
            ref("batch.test/copy:moved"));

    TagReport report = new TagEngine(store, TagEngine.Options.defaults()).tag(SOURCE, targets);

    assertEquals(
        List.of(Outcome.UNCHANGED, Outcome.MOVED, Outcome.CREATED, Outcome.MOVED),
        outcomes(report));
    assertEquals(List.of(targets.subList(0, 3)), store.lookups, "one lookup, this repository's");
    assertEquals(List.of(ref("batch.test/copy:moved")), store.resolves, "the other one by one");
    assertEquals(Optional.of(image.digest()), store.memory.resolve(ref("batch.test/copy:moved")));
    assertTrue(report.any(Outcome.MOVED));
    assertFalse(report.any(Outcome.FAILED));
    assertEquals("moved", Outcome.MOVED.label());
  }

  @Test
  void aBatchLearnsTheSameWayAndATargetInAnotherStoreIsResolvedThere() {
    seed();
    InMemoryBackend elsewhere = new InMemoryBackend();
    elsewhere.seed(ref("else.test/app"), image, "same");
    Function<ImageRef, TagBackend> stores =
        r -> r.registry().equals("batch.test") ? store : elsewhere;
    Map<ImageRef, List<ImageRef>> retags = new LinkedHashMap<>();
    retags.put(
        SOURCE,
        List.of(
            ref("batch.test/app:same"), ref("batch.test/app:moved"), ref("else.test/app:same")));

    List<TagReport> reports =
        new TagEngine(stores, TagEngine.Options.defaults(), TagEngine.Listener.NONE).batch(retags);

    assertEquals(
        List.of(Outcome.UNCHANGED, Outcome.MOVED, Outcome.UNCHANGED), outcomes(reports.get(0)));
    assertEquals(
        List.of(List.of(ref("batch.test/app:same"), ref("batch.test/app:moved"))),
        store.lookups,
        "another store's target is not in this store's lookup");
    assertEquals(List.of(), store.resolves);
  }

  @Test
  void aLookupThatFailsForTheTargetsFallsBackToTheSourceAloneAndEachTargetSaysWhy() {
    seed();
    store.failLookupsWithTargets = new OcitagException.Denied("no DescribeImages here");
    Map<ImageRef, List<ImageRef>> retags =
        Map.of(SOURCE, List.of(ref("batch.test/app:same"), ref("batch.test/app:new")));

    TagReport report = new TagEngine(store, TagEngine.Options.defaults()).batch(retags).get(0);

    assertEquals(List.of(Outcome.UNCHANGED, Outcome.CREATED), outcomes(report));
    assertEquals(image.digest(), report.manifest().digest());
    assertEquals(2, store.lookups.size(), "the failed lookup, then the source alone");
    assertEquals(List.of(), store.lookups.get(1));
    assertEquals(
        List.of(ref("batch.test/app:new"), ref("batch.test/app:same")),
        store.resolves.stream().sorted(java.util.Comparator.comparing(Object::toString)).toList());
  }

  @Test
  void aMissingSourceInABatchStoreIsAskedForOnce() {
    seed();
    ImageRef missing = ref("batch.test/app:missing");

    TagReport report =
        new TagEngine(store, TagEngine.Options.defaults())
            .batch(Map.of(missing, List.of(ref("batch.test/app:x"))))
            .get(0);

    assertEquals(List.of(Outcome.FAILED), outcomes(report));
    assertNull(report.manifest());
    assertEquals(1, store.lookups.size());
  }

  @Test
  void aStoreThatCannotBeOpenedFailsItsTargetsOnly() {
    InMemoryBackend source = new InMemoryBackend();
    source.seed(ref("a.test/app"), image, "src");
    Function<ImageRef, TagBackend> stores =
        r -> {
          if (r.registry().equals("a.test")) {
            return source;
          }
          throw new OcitagException.InvalidInput("cannot open " + r.registry());
        };
    Map<ImageRef, List<ImageRef>> retags = new LinkedHashMap<>();
    retags.put(
        ref("a.test/app:src"),
        List.of(ref("a.test/app:ok"), ref("nowhere.test/app:x"), ref("a.test/app:ok2")));
    List<TagResult> heard = new CopyOnWriteArrayList<>();
    TagEngine.Listener listener =
        new TagEngine.Listener() {
          @Override
          public void targetDone(TagResult result) {
            heard.add(result);
          }
        };

    TagReport report =
        new TagEngine(stores, TagEngine.Options.defaults(), listener).batch(retags).get(0);

    assertEquals(List.of(Outcome.CREATED, Outcome.FAILED, Outcome.CREATED), outcomes(report));
    assertEquals("cannot open nowhere.test", report.results().get(1).reason());
    assertInstanceOf(OcitagException.InvalidInput.class, report.results().get(1).error());
    assertEquals(3, heard.size());
    assertEquals(Optional.of(image.digest()), source.resolve(ref("a.test/app:ok2")));
  }

  @Test
  void anUnexpectedExceptionOfAStoreFailsTheTargetWithItsWords() {
    InMemoryBackend memory = new InMemoryBackend();
    memory.seed(ref("a.test/app"), image, "src");
    TagBackend broken =
        new CountingBackend(memory) {
          @Override
          public Digest put(ImageRef target, Manifest manifest) {
            throw new IllegalStateException("disk on fire");
          }
        };

    TagResult r =
        new TagEngine(broken, TagEngine.Options.defaults())
            .tag(ref("a.test/app:src"), List.of(ref("a.test/app:v1")))
            .results()
            .get(0);

    assertEquals(Outcome.FAILED, r.outcome());
    assertEquals("java.lang.IllegalStateException: disk on fire", r.reason());
    assertInstanceOf(OcitagException.Failed.class, r.error());
    assertInstanceOf(IllegalStateException.class, r.error().getCause());
  }
}
