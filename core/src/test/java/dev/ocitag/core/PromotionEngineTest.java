package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.engine.Transfer;
import dev.ocitag.core.testing.CountingBackend;
import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.InMemoryBackend.Operation;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Promotion across repositories and stores: the engine over two in-memory stores ({@code a.test}
 * and {@code b.test}), whose logs show which blob calls and puts it made, in which order.
 */
class PromotionEngineTest {
  private static final ImageRef SOURCE = ImageRef.parseDocker("a.test/app:src");

  private final InMemoryBackend a = new InMemoryBackend();
  private final InMemoryBackend b = new InMemoryBackend();
  private final TestImage index = TestImages.ociIndex("promote");
  private final AtomicLong streamed = new AtomicLong();
  private final AtomicInteger blobsDone = new AtomicInteger();
  private final ConcurrentLinkedQueue<TagResult> heard = new ConcurrentLinkedQueue<>();
  private final TagEngine.Listener listener =
      new TagEngine.Listener() {
        @Override
        public void targetDone(TagResult result) {
          heard.add(result);
        }

        @Override
        public void bytes(long n) {
          streamed.addAndGet(n);
        }

        @Override
        public void blobDone() {
          blobsDone.incrementAndGet();
        }
      };

  private static ImageRef ref(String text) {
    return ImageRef.parseDocker(text);
  }

  /** a.test is served by {@code a}, b.test by {@code b}. */
  private static Function<ImageRef, TagBackend> stores(TagBackend a, TagBackend b) {
    return ref ->
        switch (ref.registry()) {
          case "a.test" -> a;
          case "b.test" -> b;
          default -> throw new OcitagException.InvalidInput("no store " + ref.registry());
        };
  }

  private TagEngine engine(TagEngine.Options options) {
    return new TagEngine(stores(a, b), options, listener);
  }

  private TagResult promote(TagEngine.Options options, ImageRef target) {
    return engine(options).tag(SOURCE, List.of(target)).results().get(0);
  }

  private static TagEngine.Options parallel() {
    return TagEngine.Options.defaults();
  }

  /** One target, and one blob, at a time: for tests whose counts depend on what ran first. */
  private static TagEngine.Options sequential() {
    return new TagEngine.Options(false, false, 1);
  }

  /** The blobs of an image and of its children, by digest. */
  private static Map<Digest, byte[]> blobsOf(TestImage image) {
    Map<Digest, byte[]> all = new LinkedHashMap<>();
    image.children().forEach(child -> all.putAll(blobsOf(child)));
    all.putAll(image.blobs());
    return all;
  }

  private static long sizeOf(Map<Digest, byte[]> blobs) {
    return blobs.values().stream().mapToLong(bytes -> bytes.length).sum();
  }

  private static long count(List<Operation> operations, Digest digest) {
    return operations.stream().filter(o -> o.digest().equals(digest)).count();
  }

  private static void assertCreated(TagResult r) {
    assertEquals(Outcome.CREATED, r.outcome(), () -> r.target() + ": " + r.reason());
  }

  /** The image and its children are in the repository, byte for byte, and so are their blobs. */
  private static void assertHolds(InMemoryBackend store, ImageRef tag, TestImage image) {
    Manifest fetched = store.fetch(tag);
    assertArrayEquals(image.bytes(), fetched.bytes());
    assertEquals(image.manifest().mediaType(), fetched.mediaType());
    for (TestImage child : image.children()) {
      assertArrayEquals(child.bytes(), store.fetch(tag.withDigest(child.digest())).bytes());
    }
    blobsOf(image)
        .forEach(
            (digest, bytes) ->
                assertArrayEquals(bytes, store.blob(tag, digest).orElseThrow(), digest::toString));
  }

  @Test
  void anIndexPromotedToAnotherStoreGetsItsBlobsThenItsChildrenThenItsTag() {
    a.seed(SOURCE, index, "src");
    ImageRef target = ref("b.test/prod/app:v1");
    Map<Digest, byte[]> blobs = blobsOf(index);
    assertEquals(4, blobs.size(), "two platforms, each a config and a layer");

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    assertEquals(new Transfer(4, 0, 0, 0, sizeOf(blobs), 2), r.transfer());
    assertEquals(sizeOf(blobs), streamed.get());
    assertEquals(4, blobsDone.get(), "progress hears of each blob in place");
    assertHolds(b, target, index);
    // The writes in order: every blob (in any order), the children by digest, the tag last.
    List<Operation> writes =
        b.operations().stream().filter(o -> !o.name().equals("hasBlob")).toList();
    assertEquals(7, writes.size(), writes::toString);
    assertEquals(
        blobs.keySet(),
        writes.subList(0, 4).stream()
            .filter(o -> o.name().equals("pushBlob"))
            .map(Operation::digest)
            .collect(Collectors.toSet()));
    ImageRef repo = target.repositoryRef();
    TestImage amd64 = index.children().get(0);
    TestImage arm64 = index.children().get(1);
    assertEquals(
        List.of(
            new Operation("put", repo.withDigest(amd64.digest()), amd64.digest()),
            new Operation("put", repo.withDigest(arm64.digest()), arm64.digest()),
            new Operation("put", target, index.digest())),
        writes.subList(4, 7));
    assertEquals(blobs.keySet(), Set.copyOf(digests(a.operations("openBlob"))));
    assertEquals(4, a.operations("openBlob").size(), "each blob read once");

    a.clearOperations();
    b.clearOperations();
    TagResult again = promote(parallel(), target);

    assertEquals(Outcome.UNCHANGED, again.outcome());
    assertNull(again.transfer());
    assertEquals(List.of(), a.operations(), "no blob read");
    assertEquals(List.of(), b.operations(), "no blob call, no put");
  }

  private static List<Digest> digests(List<Operation> operations) {
    return operations.stream().map(Operation::digest).toList();
  }

  @Test
  void withinOneStoreEveryBlobIsMountedAndNoneIsRead() {
    a.seed(SOURCE, index, "src");
    ImageRef target = ref("a.test/prod/app:v1");

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    assertEquals(new Transfer(0, 4, 0, 0, 0, 2), r.transfer());
    assertEquals(List.of(), a.operations("openBlob"));
    assertEquals(List.of(), a.operations("pushBlob"));
    assertEquals(4, a.operations("mountBlob").size());
    assertEquals(0, streamed.get());
    assertHolds(a, target, index);
  }

  @Test
  void aSecondRepositoryOfTheTargetStoreMountsFromTheFirst() {
    a.seed(SOURCE, index, "src");
    ImageRef first = ref("b.test/one:v1");
    ImageRef second = ref("b.test/two:v1");
    Map<Digest, byte[]> blobs = blobsOf(index);

    // In sequence: only a repository this run has already filled can be mounted from.
    List<TagResult> results = engine(sequential()).tag(SOURCE, List.of(first, second)).results();

    results.forEach(PromotionEngineTest::assertCreated);
    assertEquals(new Transfer(4, 0, 0, 0, sizeOf(blobs), 2), results.get(0).transfer());
    assertEquals(new Transfer(0, 4, 0, 0, 0, 2), results.get(1).transfer());
    assertEquals(blobs.size(), a.operations("openBlob").size(), "the source read once per blob");
    assertEquals(blobs.keySet(), Set.copyOf(digests(a.operations("openBlob"))));
    assertTrue(
        b.operations("mountBlob").stream().allMatch(o -> o.ref().sameRepository(second)),
        () -> b.operations("mountBlob").toString());
    // a blob this run streamed into the store is mounted straight away: no HEAD before it
    assertEquals(
        List.of(),
        b.operations("hasBlob").stream().filter(o -> o.ref().sameRepository(second)).toList());
    assertHolds(b, first, index);
    assertHolds(b, second, index);
  }

  @Test
  void twoTagsInOneOtherRepositoryCopyEachBlobOnce() {
    a.seed(SOURCE, index, "src");
    ImageRef v1 = ref("b.test/prod:v1");
    ImageRef v2 = ref("b.test/prod:v2");

    List<TagResult> results = engine(parallel()).tag(SOURCE, List.of(v1, v2)).results();

    results.forEach(PromotionEngineTest::assertCreated);
    assertEquals(4, b.operations("pushBlob").size(), () -> b.operations().toString());
    assertEquals(4, a.operations("openBlob").size());
    assertEquals(4, results.stream().mapToInt(r -> r.transfer().copied()).sum());
    // the other tag found each blob placed (skipped), or, when it looked after the first had put
    // the children, found those children complete and needed none of their blobs
    int skipped = results.stream().mapToInt(r -> r.transfer().skipped()).sum();
    assertTrue(skipped <= 4, () -> results.toString());
    assertHolds(b, v1, index);
    assertHolds(b, v2, index);
  }

  @Test
  void whatTheTargetHasAlreadyIsNeitherWalkedNorSent() {
    a.seed(SOURCE, index, "src");
    ImageRef target = ref("b.test/prod:v1");
    TestImage amd64 = index.children().get(0);
    TestImage arm64 = index.children().get(1);
    b.seed(target, amd64, null); // a child with its blobs: left as it is
    Descriptor armConfig = arm64.manifest().config().orElseThrow();
    b.pushBlob(target, armConfig, new ByteArrayInputStream(arm64.blobs().get(armConfig.digest())));
    b.clearOperations();

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    long layer = arm64.manifest().layers().get(0).size();
    assertEquals(new Transfer(1, 0, 1, 0, layer, 1), r.transfer());
    assertEquals(
        List.of(arm64.manifest().layers().get(0).digest()), digests(b.operations("pushBlob")));
    assertEquals(1, b.operations("put").stream().filter(o -> o.ref().tag() == null).count());
    assertHolds(b, target, index);
  }

  @Test
  void aSourceThatServesWrongBytesFailsItsTargetOnlyAndStoresNothingUnderTheDigest() {
    TestImage rotten = TestImages.ociImage("rotten");
    Digest layer = rotten.manifest().layers().get(0).digest();
    byte[] wrong = rotten.blobs().get(layer).clone();
    wrong[wrong.length - 1] ^= 1; // same size, another digest
    Map<Digest, byte[]> blobs = new LinkedHashMap<>(rotten.blobs());
    blobs.put(layer, wrong);
    ImageRef rottenSource = ref("a.test/rotten:src");
    a.seed(rottenSource, new TestImage(rotten.manifest(), blobs, List.of()), "src");
    TestImage good = TestImages.ociImage("good");
    ImageRef goodSource = ref("a.test/good:src");
    a.seed(goodSource, good, "src");
    ImageRef rottenTarget = ref("b.test/rotten:v1");
    ImageRef goodTarget = ref("b.test/good:v1");
    Map<ImageRef, List<ImageRef>> retags = new LinkedHashMap<>();
    retags.put(rottenSource, List.of(rottenTarget));
    retags.put(goodSource, List.of(goodTarget));

    List<TagReport> reports = engine(parallel()).batch(retags);

    TagResult failed = reports.get(0).results().get(0);
    assertEquals(Outcome.FAILED, failed.outcome());
    assertInstanceOf(OcitagException.Failed.class, failed.error());
    assertTrue(failed.reason().contains(layer.toString()), failed.reason());
    assertTrue(failed.reason().contains(Digest.of(wrong).toString()), failed.reason());
    assertEquals(Optional.empty(), b.resolve(rottenTarget));
    assertEquals(Optional.empty(), b.blob(rottenTarget, layer));
    assertTrue(
        b.operations("put").stream().noneMatch(o -> o.ref().sameRepository(rottenTarget)),
        () -> b.operations("put").toString());
    assertEquals(1, count(a.operations("openBlob"), layer), "a digest mismatch is not retried");

    assertCreated(reports.get(1).results().get(0));
    assertHolds(b, goodTarget, good);
  }

  /** How a stream breaks: an I/O error the push turns into a transient failure, or one itself. */
  enum Break {
    IO_ERROR,
    TRANSIENT
  }

  /** Serves {@code n} bytes of the stream, then breaks. */
  private static InputStream breakingAfter(InputStream in, int n, Break how) {
    return new FilterInputStream(in) {
      private int left = n;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        if (left == 0) {
          if (how == Break.IO_ERROR) {
            throw new IOException("connection reset");
          }
          throw new OcitagException.Transient("connection reset");
        }
        int read = super.read(buf, off, Math.min(len, left));
        left -= Math.max(read, 0);
        return read;
      }
    };
  }

  @ParameterizedTest
  @EnumSource(Break.class)
  void aStreamThatBreaksOnceIsStartedOverAndStoredOnce(Break how) {
    a.seed(SOURCE, index, "src");
    AtomicInteger opened = new AtomicInteger();
    a.serveBlobsThrough(in -> opened.getAndIncrement() == 0 ? breakingAfter(in, 10, how) : in);
    ImageRef target = ref("b.test/prod:v1");
    Map<Digest, byte[]> blobs = blobsOf(index);

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    assertEquals(new Transfer(4, 0, 0, 0, sizeOf(blobs), 2), r.transfer());
    assertEquals(5, a.operations("openBlob").size(), "one blob read twice");
    assertEquals(5, b.operations("pushBlob").size());
    assertHolds(b, target, index);
    // progress hears what went by, the broken attempt's 10 bytes too
    assertEquals(sizeOf(blobs) + 10, streamed.get());
  }

  /**
   * A target that is worth trying again for a while (a registry, for --timeout): a blob whose
   * attempts keep failing as transient is started over past the first three, with a backoff, until
   * it is stored.
   */
  @Test
  void aStreamThatBreaksSixTimesIsStartedOverWhileTheTargetAllows() {
    a.seed(SOURCE, index, "src");
    AtomicInteger opened = new AtomicInteger();
    a.serveBlobsThrough(
        in -> opened.getAndIncrement() < 6 ? breakingAfter(in, 10, Break.TRANSIENT) : in);
    b.retryWithin(Duration.ofSeconds(30));
    ImageRef target = ref("b.test/prod:v1");

    TagResult r = promote(sequential(), target);

    assertCreated(r);
    assertEquals(4 + 6, a.operations("openBlob").size(), "the first blob read seven times");
    assertHolds(b, target, index);
  }

  /** The wait a store asks for (Retry-After) comes before the next attempt. */
  @Test
  void theWaitTheTargetAskedForIsWaitedBeforeStartingOver() {
    a.seed(SOURCE, index, "src");
    AtomicInteger opened = new AtomicInteger();
    a.serveBlobsThrough(
        in ->
            opened.getAndIncrement() < 4
                ? new FilterInputStream(in) {
                  @Override
                  public int read(byte[] buf, int off, int len) {
                    throw new OcitagException.Transient(
                        "429 slow down", null, Duration.ofMillis(300));
                  }
                }
                : in);
    b.retryWithin(Duration.ofSeconds(30));

    long start = System.nanoTime();
    TagResult r = promote(sequential(), ref("b.test/prod:v1"));
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertCreated(r);
    assertTrue(millis >= 4 * 300, millis + " ms for four waits of 300 ms");
  }

  /**
   * Past the first three attempts, a target's time runs out: the blob fails as transient, with the
   * store's words, and nothing is tagged.
   */
  @Test
  void aStreamThatAlwaysBreaksEndsOnceTheTargetsTimeIsUp() {
    a.seed(SOURCE, index, "src");
    a.serveBlobsThrough(in -> breakingAfter(in, 10, Break.TRANSIENT));
    b.retryWithin(Duration.ofMillis(1500));
    ImageRef target = ref("b.test/prod:v1");

    long start = System.nanoTime();
    TagResult r = promote(sequential(), target);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(Outcome.FAILED, r.outcome());
    assertInstanceOf(OcitagException.Transient.class, r.error());
    assertTrue(millis < 1500 + 8000 + 1000, millis + " ms");
    assertTrue(a.operations("openBlob").size() > 3, () -> a.operations("openBlob").toString());
    assertEquals(Optional.empty(), b.resolve(target));
  }

  @Test
  void everyBlobStreamIsClosedOnceItsPushIsOverABrokenOneToo() {
    a.seed(SOURCE, index, "src");
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    a.serveBlobsThrough(
        in -> {
          InputStream served =
              opened.getAndIncrement() == 0 ? breakingAfter(in, 10, Break.TRANSIENT) : in;
          return new FilterInputStream(served) {
            @Override
            public void close() throws IOException {
              closed.incrementAndGet();
              super.close();
            }
          };
        });

    assertCreated(promote(parallel(), ref("b.test/prod:v1")));

    assertEquals(5, opened.get());
    assertEquals(5, closed.get());
  }

  /**
   * Targets in one repository of one run, from one index: each child is written once, by one of
   * them; the others wait for it and report it as not theirs.
   */
  @Test
  void targetsInOneRepositoryWriteEachChildOnce() {
    a.seed(SOURCE, index, "src");
    List<ImageRef> targets =
        List.of(ref("b.test/prod:v1"), ref("b.test/prod:v2"), ref("b.test/prod:v3"));

    TagReport report = engine(parallel()).tag(SOURCE, targets);

    for (TagResult r : report.results()) {
      assertCreated(r);
      assertHolds(b, r.target(), index);
    }
    for (TestImage child : index.children()) {
      assertEquals(1, count(b.operations("put"), child.digest()), child.digest()::toString);
    }
    assertEquals(2, report.results().stream().mapToInt(r -> r.transfer().manifests()).sum());
  }

  @Test
  void aChildListedTwiceIsFetchedAndWrittenOnce() {
    TestImage amd64 = index.children().get(0);
    String entry = descriptor(MediaTypes.OCI_MANIFEST, amd64.bytes(), "");
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_INDEX
            + "\",\"manifests\":["
            + entry
            + ","
            + entry
            + "]}";
    Manifest twice = Manifest.of(json.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_INDEX);
    a.seed(SOURCE, new TestImage(twice, Map.of(), List.of(amd64)), "src");
    ImageRef target = ref("b.test/prod:v1");

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    assertEquals(1, r.transfer().manifests());
    assertEquals(1, count(b.operations("put"), amd64.digest()));
    assertArrayEquals(twice.bytes(), b.fetch(target).bytes());
  }

  @ParameterizedTest
  @EnumSource(Break.class)
  void aStreamThatBreaksEveryTimeFailsAfterThreeAttemptsAndTagsNothing(Break how) {
    a.seed(SOURCE, index, "src");
    a.serveBlobsThrough(in -> breakingAfter(in, 10, how));
    ImageRef target = ref("b.test/prod:v1");
    Map<Digest, byte[]> blobs = blobsOf(index);

    TagResult r = promote(parallel(), target);

    assertEquals(Outcome.FAILED, r.outcome());
    assertInstanceOf(OcitagException.Transient.class, r.error());
    assertTrue(r.reason().contains("connection reset"), r.reason());
    assertEquals(Optional.empty(), b.resolve(target));
    assertEquals(List.of(), b.operations("put"));
    for (Digest digest : blobs.keySet()) {
      assertEquals(3, count(a.operations("openBlob"), digest), digest::toString);
      assertEquals(Optional.empty(), b.blob(target, digest));
    }
  }

  @Test
  void aMissingSourceBlobFailsTheTargetNamingItsDigest() {
    TestImage image = TestImages.ociImage("hole");
    Digest layer = image.manifest().layers().get(0).digest();
    Map<Digest, byte[]> blobs = new LinkedHashMap<>(image.blobs());
    blobs.remove(layer);
    a.seed(SOURCE, new TestImage(image.manifest(), blobs, List.of()), "src");
    ImageRef target = ref("b.test/prod:v1");

    TagResult r = promote(parallel(), target);

    assertEquals(Outcome.FAILED, r.outcome());
    assertInstanceOf(OcitagException.NotFound.class, r.error());
    assertTrue(r.reason().contains(layer.toString()), r.reason());
    assertEquals(Optional.empty(), b.resolve(target));
    assertEquals(List.of(), b.operations("put"));
    assertEquals(1, count(a.operations("openBlob"), layer), "a missing blob is not retried");
  }

  @Test
  void aForeignLayerIsLeftBehindAndCountedAndTheTagIsWritten() {
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"windows\"}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = TestImages.gzip("an ordinary layer\n");
    byte[] base = TestImages.gzip("a Windows base layer, never stored here\n");
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\n\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", config, "")
            + ",\n\"layers\":["
            + descriptor(
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                base,
                ",\"urls\":[\"https://example.com/base.tar.gz\"]")
            + ",\n"
            + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer, "")
            + "]}\n";
    Manifest manifest = Manifest.of(json.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST);
    assertTrue(manifest.layers().get(0).isForeign());
    a.seed(
        SOURCE,
        new TestImage(
            manifest, Map.of(Digest.of(config), config, Digest.of(layer), layer), List.of()),
        "src");
    ImageRef target = ref("b.test/win:v1");

    TagResult r = promote(parallel(), target);

    assertCreated(r);
    assertEquals(new Transfer(2, 0, 0, 1, config.length + layer.length, 0), r.transfer());
    assertEquals(3, blobsDone.get(), "the foreign layer is done too: left behind");
    assertArrayEquals(manifest.bytes(), b.fetch(target).bytes());
    assertEquals(Optional.empty(), b.blob(target, Digest.of(base)));
    assertEquals(0, count(a.operations("openBlob"), Digest.of(base)));
    assertEquals(0, count(b.operations(), Digest.of(base)), "not even asked for");
  }

  private static String descriptor(String mediaType, byte[] blob, String more) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + Digest.of(blob)
        + "\",\"size\":"
        + blob.length
        + more
        + "}";
  }

  @Test
  void aDryRunReportsCrossRepositoryTargetsCreatedAndWritesNothing() {
    a.seed(SOURCE, index, "src");
    ImageRef otherStore = ref("b.test/prod:v1");
    ImageRef sameStore = ref("a.test/prod:v1");

    TagReport report =
        engine(new TagEngine.Options(true, false, 4)).tag(SOURCE, List.of(otherStore, sameStore));

    assertTrue(report.dryRun());
    for (TagResult r : report.results()) {
      assertCreated(r);
      assertNull(r.transfer());
    }
    assertEquals(List.of(), a.operations());
    assertEquals(List.of(), b.operations());
    assertEquals(Optional.empty(), b.resolve(otherStore));
    assertEquals(Optional.empty(), a.resolve(sameStore));
    assertEquals(0, streamed.get());
  }

  @Test
  void aDryRunFailsATargetWhoseStoreCannotMoveBlobsAsTheRealRunWould() {
    a.seed(SOURCE, index, "src");
    // the in-memory backend moves blobs; seen through the counting decorator it does not (the
    // real run's failure: TagEngineTest.aTargetInAnotherRepositoryOfAStoreThatCannotMoveBlobs...)
    CountingBackend cannotMove = new CountingBackend(b);
    ImageRef target = ref("b.test/prod:v1");

    TagResult r =
        new TagEngine(stores(a, cannotMove), new TagEngine.Options(true, false, 4), listener)
            .tag(SOURCE, List.of(target))
            .results()
            .get(0);

    assertEquals(Outcome.FAILED, r.outcome());
    assertInstanceOf(OcitagException.InvalidInput.class, r.error());
    assertTrue(r.reason().contains("does not move blobs"), r.reason());
    assertEquals(0, cannotMove.puts.get());
    assertEquals(List.of(), a.operations());
  }

  @Test
  void aBatchFailsTheTargetsOfAMissingSourceAndPromotesTheOthers() {
    a.seed(SOURCE, index, "src");
    ImageRef mounted = ref("a.test/promoted:v1");
    ImageRef copied = ref("b.test/app:v1");
    ImageRef missing = ref("a.test/gone:src");
    List<ImageRef> orphans = List.of(ref("b.test/gone:v1"), ref("a.test/gone:v2"));
    Map<ImageRef, List<ImageRef>> retags = new LinkedHashMap<>();
    retags.put(missing, orphans);
    retags.put(SOURCE, List.of(mounted, copied));
    long size = sizeOf(blobsOf(index));

    List<TagReport> reports = engine(parallel()).batch(retags);

    assertEquals(List.of(SOURCE, missing), reports.stream().map(TagReport::source).toList());
    List<TagResult> promoted = reports.get(0).results();
    promoted.forEach(PromotionEngineTest::assertCreated);
    assertEquals(new Transfer(0, 4, 0, 0, 0, 2), promoted.get(0).transfer());
    assertEquals(new Transfer(4, 0, 0, 0, size, 2), promoted.get(1).transfer());
    assertHolds(a, mounted, index);
    assertHolds(b, copied, index);

    assertNull(reports.get(1).manifest());
    for (TagResult r : reports.get(1).results()) {
      assertEquals(Outcome.FAILED, r.outcome());
      assertTrue(r.reason().startsWith("source " + missing + ": "), r.reason());
      assertInstanceOf(OcitagException.NotFound.class, r.error());
    }
    assertEquals(Optional.empty(), b.resolve(orphans.get(0)));
    assertEquals(Optional.empty(), a.resolve(orphans.get(1)));

    List<ImageRef> seen = heard.stream().map(TagResult::target).toList();
    assertEquals(4, seen.size(), seen::toString);
    assertEquals(Set.of(mounted, copied, orphans.get(0), orphans.get(1)), new HashSet<>(seen));
    assertEquals(size, streamed.get(), "only the copy to the other store streams");
  }

  @ParameterizedTest(name = "immutable target: {0}")
  @ValueSource(booleans = {false, true})
  void aBlockedTargetCostsNoBlobTraffic(boolean immutable) {
    // --no-overwrite against a mutable store, or an immutable store without it
    InMemoryBackend target =
        immutable ? new InMemoryBackend(true, UnaryOperator.identity()) : new InMemoryBackend();
    a.seed(SOURCE, index, "src");
    TestImage other = TestImages.ociImage("already-there");
    ImageRef tag = ref("b.test/prod:v1");
    target.seed(tag, other, "v1");
    TagEngine.Options options = new TagEngine.Options(false, !immutable, 4);

    TagResult r =
        new TagEngine(stores(a, target), options, listener)
            .tag(SOURCE, List.of(tag))
            .results()
            .get(0);

    assertEquals(Outcome.BLOCKED, r.outcome());
    assertEquals(other.digest(), r.digest());
    assertTrue(r.reason().contains(immutable ? "immutable" : "--no-overwrite"), () -> r.reason());
    assertEquals(List.of(), a.operations());
    assertEquals(List.of(), target.operations());
    assertEquals(Optional.of(other.digest()), target.resolve(tag));
    assertEquals(0, streamed.get());
  }
}
