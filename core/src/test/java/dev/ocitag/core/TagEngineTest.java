package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.CountingBackend;
import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class TagEngineTest {
  private final ImageRef repo = ImageRef.parse("mem.test/app");
  private final TestImage image = TestImages.ociImage("engine");
  private final TestImage other = TestImages.ociImage("other");

  private TagReport tag(InMemoryBackend backend, TagEngine.Options options, String... targets) {
    return new TagEngine(backend, options)
        .tag(repo.withTag("src"), List.of(targets).stream().map(repo::withTag).toList());
  }

  private static List<Outcome> outcomes(TagReport report) {
    return report.results().stream().map(TagResult::outcome).toList();
  }

  @Test
  void aStoreThatChangesTheBytesIsReportedAsFailedLoudly() {
    // Like a tool that re-serializes: same JSON, another formatting, another digest.
    UnaryOperator<byte[]> reserialize =
        b -> new String(b, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
    InMemoryBackend backend = new InMemoryBackend(false, reserialize);
    backend.seed(repo, image, "src");

    TagReport report = tag(backend, TagEngine.Options.defaults(), "v1");

    TagResult r = report.results().get(0);
    assertEquals(Outcome.FAILED, r.outcome());
    assertTrue(r.reason().startsWith("digest mismatch"), r.reason());
    assertTrue(r.reason().contains(image.digest().toString()), r.reason());
    assertInstanceOf(OcitagException.Failed.class, r.error());
  }

  @Test
  void anImmutableRepositoryBlocksMovesButCreatesAndLeavesSameDigestUnchanged() {
    InMemoryBackend backend = new InMemoryBackend(true, UnaryOperator.identity());
    backend.seed(repo, image, "src");
    backend.seed(repo, other, "elsewhere");
    backend.seed(repo, image, "same");
    CountingBackend counting = new CountingBackend(backend);

    TagReport report =
        new TagEngine(counting, TagEngine.Options.defaults())
            .tag(
                repo.withTag("src"),
                List.of(repo.withTag("new"), repo.withTag("elsewhere"), repo.withTag("same")));

    // counting hides TagPolicy, so the refusal comes from put itself and still ends blocked
    assertEquals(List.of(Outcome.CREATED, Outcome.BLOCKED, Outcome.UNCHANGED), outcomes(report));
    assertEquals(Optional.of(other.digest()), backend.resolve(repo.withTag("elsewhere")));

    TagReport preflight =
        tag(backend, new TagEngine.Options(true, false, 1), "new2", "elsewhere", "same");
    assertEquals(List.of(Outcome.CREATED, Outcome.BLOCKED, Outcome.UNCHANGED), outcomes(preflight));
    assertEquals("the repository's tags are immutable", preflight.results().get(1).reason());
    assertEquals(other.digest(), preflight.results().get(1).digest());
  }

  /** A store whose tag policy cannot be read (say, no permission to read it). */
  private static final class UnknownPolicy extends CountingBackend implements TagPolicy {
    final AtomicInteger asked = new AtomicInteger();

    UnknownPolicy(TagBackend delegate) {
      super(delegate);
    }

    @Override
    public Overwrite mayOverwrite(ImageRef target) {
      asked.incrementAndGet();
      return Overwrite.unknown("no permission to read it");
    }
  }

  @Test
  void anUnknownPolicyLetsTheWriteDecideAndADryRunSaysItIsUnknown() {
    InMemoryBackend immutable = new InMemoryBackend(true, UnaryOperator.identity());
    immutable.seed(repo, image, "src");
    immutable.seed(repo, other, "elsewhere");
    immutable.seed(repo, image, "same");
    UnknownPolicy store = new UnknownPolicy(immutable);
    List<ImageRef> targets =
        List.of(repo.withTag("new"), repo.withTag("elsewhere"), repo.withTag("same"));

    TagReport dry =
        new TagEngine(store, new TagEngine.Options(true, false, 2))
            .tag(repo.withTag("src"), targets);

    assertEquals(List.of(Outcome.CREATED, Outcome.MOVED, Outcome.UNCHANGED), outcomes(dry));
    String reason = dry.results().get(1).reason();
    assertTrue(reason.contains("tag policy is unknown (no permission to read it)"), reason);
    assertEquals(null, dry.results().get(0).reason(), "a new tag needs no policy");
    assertEquals(0, store.puts.get());

    TagReport real =
        new TagEngine(store, TagEngine.Options.defaults()).tag(repo.withTag("src"), targets);

    assertEquals(List.of(Outcome.CREATED, Outcome.BLOCKED, Outcome.UNCHANGED), outcomes(real));
    assertEquals(2, store.puts.get(), "the new tag and the refused move were written");
    assertEquals(Optional.of(other.digest()), immutable.resolve(repo.withTag("elsewhere")));
    assertEquals(2, store.asked.get(), "asked only for the tag that would move, once per run");

    InMemoryBackend mutable = new InMemoryBackend();
    mutable.seed(repo, image, "src");
    mutable.seed(repo, other, "elsewhere");
    TagReport moved =
        new TagEngine(new UnknownPolicy(mutable), TagEngine.Options.defaults())
            .tag(repo.withTag("src"), List.of(repo.withTag("elsewhere")));
    assertEquals(List.of(Outcome.MOVED), outcomes(moved));
    assertEquals(Optional.of(image.digest()), mutable.resolve(repo.withTag("elsewhere")));
  }

  @Test
  void aTargetInAnotherRepositoryOfAStoreThatCannotMoveBlobsFailsAndIsNotWritten() {
    InMemoryBackend backend = new InMemoryBackend();
    backend.seed(repo, image, "src");
    ImageRef elsewhere = ImageRef.parse("mem.test/other:v1");
    // the in-memory backend moves blobs; seen through the counting decorator it does not
    TagBackend cannotMove = new CountingBackend(backend);

    TagReport report =
        new TagEngine(cannotMove, TagEngine.Options.defaults())
            .tag(repo.withTag("src"), List.of(elsewhere, repo.withTag("here")));

    assertEquals(List.of(Outcome.FAILED, Outcome.CREATED), outcomes(report));
    assertTrue(
        report.results().get(0).reason().contains("does not move blobs"),
        report.results().get(0).reason());
    assertEquals(Optional.empty(), backend.resolve(elsewhere));
  }

  @Test
  void aTargetMustNameATagAndNoDigest() {
    assertThrows(
        OcitagException.InvalidInput.class,
        () -> TagEngine.plan(repo.withTag("src"), List.of(repo.withDigest(image.digest()))));
    assertThrows(
        OcitagException.InvalidInput.class, () -> TagEngine.plan(repo.withTag("src"), List.of()));
  }

  @Test
  void repeatedTargetsAreTaggedOnce() {
    InMemoryBackend backend = new InMemoryBackend();
    backend.seed(repo, image, "src");
    assertEquals(
        List.of(Outcome.CREATED), outcomes(tag(backend, TagEngine.Options.defaults(), "v", "v")));
  }

  @Test
  void aSourceByDigestIsFetchedByDigest() {
    InMemoryBackend backend = new InMemoryBackend();
    backend.seed(repo, image, null);

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(repo.withDigest(image.digest()), List.of(repo.withTag("named")));

    assertEquals(List.of(Outcome.CREATED), outcomes(report));
    assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("named")));
  }

  @Test
  void manyTargetsInParallelAllEndCorrectly() {
    InMemoryBackend backend = new InMemoryBackend();
    backend.seed(repo, image, "src");
    backend.seed(repo, other, "t7");
    String[] targets =
        java.util.stream.IntStream.range(0, 50).mapToObj(i -> "t" + i).toArray(String[]::new);

    TagReport report = tag(backend, new TagEngine.Options(false, false, 16), targets);

    assertEquals(50, report.results().size());
    assertEquals(Outcome.MOVED, report.results().get(7).outcome());
    assertEquals(other.digest(), report.results().get(7).previousDigest());
    assertEquals(49, report.results().stream().filter(r -> r.outcome() == Outcome.CREATED).count());
    for (int i = 0; i < 50; i++) {
      assertEquals("t" + i, report.results().get(i).target().tag(), "results keep the given order");
    }
  }

  @Test
  void targetsAreResolvedWhileTheSourceIsFetched() {
    InMemoryBackend store = new InMemoryBackend(false, UnaryOperator.identity());
    store.seed(repo, image, "src");
    CountDownLatch resolving = new CountDownLatch(1);
    TagBackend backend =
        new CountingBackend(store) {
          @Override
          public Manifest fetch(ImageRef ref) {
            try {
              // the first target's HEAD is under way before the source's GET answers
              assertTrue(resolving.await(10, TimeUnit.SECONDS), "no resolve during the fetch");
            } catch (InterruptedException e) {
              throw new AssertionError(e);
            }
            return super.fetch(ref);
          }

          @Override
          public Optional<Digest> resolve(ImageRef ref) {
            resolving.countDown();
            return super.resolve(ref);
          }
        };

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(repo.withTag("src"), List.of(repo.withTag("v1")));

    assertEquals(List.of(Outcome.CREATED), outcomes(report));
  }

  @Test
  void aSourceThatCannotBeFetchedFailsTheCommandAndWritesNothing() {
    InMemoryBackend store = new InMemoryBackend(false, UnaryOperator.identity());
    CountingBackend backend = new CountingBackend(store);

    assertThrows(
        OcitagException.NotFound.class,
        () ->
            new TagEngine(backend, TagEngine.Options.defaults())
                .tag(repo.withTag("missing"), List.of(repo.withTag("a"), repo.withTag("b"))));
    assertEquals(0, backend.puts.get());
  }

  @Test
  void aTargetThatCannotBeResolvedFailsAloneAndIsAskedOnce() {
    InMemoryBackend store = new InMemoryBackend(false, UnaryOperator.identity());
    store.seed(repo, image, "src");
    AtomicInteger asked = new AtomicInteger();
    TagBackend backend =
        new CountingBackend(store) {
          @Override
          public Optional<Digest> resolve(ImageRef ref) {
            if (ref.tag().equals("broken")) {
              asked.incrementAndGet();
              throw new OcitagException.Transient("HEAD " + ref + ": 503 after 4 attempts");
            }
            return super.resolve(ref);
          }
        };

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(repo.withTag("src"), List.of(repo.withTag("broken"), repo.withTag("fine")));

    assertEquals(List.of(Outcome.FAILED, Outcome.CREATED), outcomes(report));
    assertTrue(report.results().get(0).reason().contains("503"), report.results().get(0).reason());
    assertEquals(1, asked.get(), "a failed lookup is not repeated");
  }
}
