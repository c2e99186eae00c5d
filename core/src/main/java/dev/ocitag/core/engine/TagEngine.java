package dev.ocitag.core.engine;

import dev.ocitag.core.BatchTagging;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.NativeCrypto;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Puts tags on source images: fetch each source once, learn where each target points now, decide
 * its outcome, and write only what must change. A target in the source's repository is one manifest
 * write; a target anywhere else (another repository, registry or transport) first gets what the
 * image needs (blobs, then child manifests by digest, see {@link ContentCopy}) and its tag last, so
 * a tag never names anything missing. Every digest a store reports is checked. With {@link
 * Options#referrers}, the image's referrers (signatures, SBOMs, ...) follow its content there,
 * before its tag ({@link ReferrerCopy}); a referrer that cannot be copied fails the target
 * untagged.
 *
 * <p>The engine works over stores: a function from a reference to the backend that serves it (the
 * same backend for references of one store). {@link #tag} serves one source, {@link #batch} many;
 * both are what the CLI runs.
 */
public final class TagEngine {

  /**
   * @param dryRun decide every outcome but write nothing
   * @param noOverwrite block a tag that already points at another image
   * @param parallelism how many targets are written at once, and how many blobs move at once
   * @param referrers carry the image's referrers to targets in other repositories ({@link
   *     ReferrerCopy})
   * @param referrerTypes with {@code referrers}, only those of these artifact types (and what
   *     refers to them); all when empty
   */
  public record Options(
      boolean dryRun,
      boolean noOverwrite,
      int parallelism,
      boolean referrers,
      Set<String> referrerTypes) {
    public Options {
      if (parallelism < 1) {
        throw new OcitagException.InvalidInput("parallelism must be at least 1");
      }
      referrerTypes = Set.copyOf(referrerTypes);
    }

    public Options(boolean dryRun, boolean noOverwrite, int parallelism) {
      this(dryRun, noOverwrite, parallelism, false, Set.of());
    }

    public static Options defaults() {
      return new Options(false, false, 8);
    }

    /** These options, carrying referrers of these artifact types (all when empty). */
    public Options withReferrers(Set<String> types) {
      return new Options(dryRun, noOverwrite, parallelism, true, types);
    }
  }

  /**
   * Hears of progress: each target as it ends, each blob put in place, and blob bytes as they
   * stream. Thread-safe.
   */
  public interface Listener {
    Listener NONE = new Listener() {};

    default void targetDone(TagResult result) {}

    /**
     * A target has ended, with the source it was tagged from ({@code sourceDigest} null when the
     * source could not be fetched, or for a rollback's results, see {@link Rollback}). The engine
     * calls this one; by default it hands the result to {@link #targetDone(TagResult)}.
     */
    default void targetDone(ImageRef source, Digest sourceDigest, TagResult result) {
      targetDone(result);
    }

    default void bytes(long n) {}

    /** A blob is in place at a target: copied, mounted or found there. */
    default void blobDone() {}
  }

  private final Function<ImageRef, TagBackend> stores;
  private final Options options;
  private final Listener listener;

  /** An engine over one backend: every reference is served by it. */
  public TagEngine(TagBackend backend, Options options) {
    this(ref -> backend, options, Listener.NONE);
  }

  /**
   * @param stores the backend for a reference; must return the same backend for references of one
   *     store (mounts and shared lookups happen within one backend)
   */
  public TagEngine(Function<ImageRef, TagBackend> stores, Options options, Listener listener) {
    this.stores = stores;
    this.options = options;
    this.listener = listener;
  }

  /**
   * Checks the plan before anything is read or written: there is a target, and every target names a
   * tag and no digest. Duplicates are dropped. Throws {@link OcitagException.InvalidInput}.
   */
  public static List<ImageRef> plan(ImageRef source, List<ImageRef> targets) {
    if (targets.isEmpty()) {
      throw new OcitagException.InvalidInput("no target tag given for " + source);
    }
    List<ImageRef> plan = new ArrayList<>(new LinkedHashSet<>(targets));
    for (ImageRef target : plan) {
      if (target.tag() == null || target.digest() != null) {
        throw new OcitagException.InvalidInput(
            "target '" + target + "' must name a tag (and no digest)");
      }
    }
    return plan;
  }

  /**
   * Fetches the source and tags it; per-target failures end up in the report, not thrown (a source
   * that cannot be fetched is thrown). Targets the source's store resolves one by one are resolved
   * while the source is fetched, so one retag waits for two round trips (GET and HEAD at once, then
   * PUT), not three.
   */
  public TagReport tag(ImageRef source, List<ImageRef> targets) {
    List<ImageRef> plan = plan(source, targets);
    prepareForBlobs(source, plan);
    TagBackend backend = stores.apply(source);
    CompletableFuture<Manifest> fetched = new CompletableFuture<>();
    Map<ImageRef, Optional<Digest>> known = Map.of();
    if (backend instanceof BatchTagging) { // the source and its targets in the same few calls
      BatchTagging.Lookup lookup = fetchAndResolve(backend, source, plan);
      fetched.complete(lookup.source());
      known = lookup.current();
    }
    Map<ImageRef, Optional<Digest>> current = known;
    ExecutorService pool = pool(plan.size(), "ocitag-tag");
    ExecutorService blobs = pool(options.parallelism(), "ocitag-blob");
    ContentCopy copy = new ContentCopy(blobs, listener);
    List<Future<TagResult>> futures = new ArrayList<>(plan.size());
    try {
      for (ImageRef target : plan) {
        futures.add(
            pool.submit(
                () -> {
                  TagBackend to = open(target);
                  Optional<Digest> k = current.get(target);
                  Supplier<Optional<Digest>> now = k != null ? () -> k : resolved(to, target);
                  Manifest m = fetched.join();
                  return done(source, m, decide(m, source, backend, target, to, now, copy));
                }));
      }
      if (!fetched.isDone()) {
        fetched.complete(fetchAndResolve(backend, source, List.of()).source());
      }
      return new TagReport(source, fetched.join(), collect(futures), options.dryRun());
    } finally {
      fetched.cancel(false); // when the fetch failed: the waiting targets give up
      pool.shutdownNow();
      blobs.shutdownNow();
    }
  }

  /**
   * Has BoringSSL loaded on the side ({@link NativeCrypto#warmUp()}) when a target lies outside the
   * source's repository: its blobs may then stream, hashed (and, from a registry, encrypted) there.
   */
  private void prepareForBlobs(ImageRef source, List<ImageRef> plan) {
    if (options.dryRun()) {
      return;
    }
    for (ImageRef target : plan) {
      if (!target.sameRepository(source)) {
        NativeCrypto.warmUp();
        return;
      }
    }
  }

  /**
   * Runs many retags: every source is fetched once (learning where batch-capable stores' targets
   * point in the same few calls), then every target is decided and written on one bounded pool,
   * round robin over the sources. A source that cannot be fetched fails its targets, with the
   * reason, and the run goes on. Reports come in the order of the sources, failed ones last.
   */
  public List<TagReport> batch(Map<ImageRef, List<ImageRef>> retags) {
    Map<ImageRef, List<ImageRef>> plans = new LinkedHashMap<>();
    retags.forEach((source, targets) -> plans.put(source, plan(source, targets)));
    plans.forEach(this::prepareForBlobs);
    ExecutorService pool = pool(options.parallelism(), "ocitag-batch");
    ExecutorService blobs = pool(options.parallelism(), "ocitag-blob");
    ContentCopy copy = new ContentCopy(blobs, listener);
    try {
      Map<ImageRef, Future<BatchTagging.Lookup>> lookups = new LinkedHashMap<>();
      plans.forEach(
          (source, targets) -> lookups.put(source, pool.submit(() -> lookup(source, targets))));
      Map<ImageRef, BatchTagging.Lookup> found = new LinkedHashMap<>();
      List<TagReport> failedSources = new ArrayList<>();
      for (Map.Entry<ImageRef, List<ImageRef>> retag : plans.entrySet()) {
        try {
          found.put(retag.getKey(), lookups.get(retag.getKey()).get());
        } catch (ExecutionException e) {
          failedSources.add(sourceFailed(retag.getKey(), retag.getValue(), e.getCause()));
        }
      }
      // Round robin over the sources, so the pool spreads over repositories instead of sending
      // every worker to one (registries serialize, and some race, on writes to one repository).
      Map<ImageRef, List<Future<TagResult>>> pending = new LinkedHashMap<>();
      found.keySet().forEach(source -> pending.put(source, new ArrayList<>()));
      for (int i = 0; ; i++) {
        boolean any = false;
        for (Map.Entry<ImageRef, BatchTagging.Lookup> e : found.entrySet()) {
          List<ImageRef> targets = plans.get(e.getKey());
          if (i >= targets.size()) {
            continue;
          }
          any = true;
          ImageRef source = e.getKey();
          ImageRef target = targets.get(i);
          Manifest manifest = e.getValue().source();
          Optional<Digest> k = e.getValue().current().get(target);
          pending
              .get(source)
              .add(
                  pool.submit(
                      () -> {
                        TagBackend from = stores.apply(source);
                        TagBackend to = open(target);
                        Supplier<Optional<Digest>> now =
                            k != null ? () -> k : () -> to.resolve(target);
                        return done(
                            source,
                            manifest,
                            decide(manifest, source, from, target, to, now, copy));
                      }));
        }
        if (!any) {
          break;
        }
      }
      List<TagReport> reports = new ArrayList<>();
      pending.forEach(
          (source, futures) ->
              reports.add(
                  new TagReport(
                      source, found.get(source).source(), collect(futures), options.dryRun())));
      reports.addAll(failedSources);
      return reports;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OcitagException.Failed("interrupted", e);
    } finally {
      pool.shutdownNow();
      blobs.shutdownNow();
    }
  }

  /**
   * A batch source, with where its targets in the same store point where the store tells that in
   * the same few calls. A lookup shared with the targets may fail for one of them: then the source
   * alone, and each target says why; a missing source, or a store that fetched it alone anyway, is
   * not asked twice.
   */
  private BatchTagging.Lookup lookup(ImageRef source, List<ImageRef> targets) {
    TagBackend backend = stores.apply(source);
    try {
      return fetchAndResolve(backend, source, targets);
    } catch (OcitagException e) {
      if (!(backend instanceof BatchTagging) || e instanceof OcitagException.NotFound) {
        throw e;
      }
      return fetchAndResolve(backend, source, List.of());
    }
  }

  private TagReport sourceFailed(ImageRef source, List<ImageRef> targets, Throwable cause) {
    OcitagException why =
        cause instanceof OcitagException o
            ? o
            : new OcitagException.Failed(String.valueOf(cause), cause);
    String message = String.valueOf(why.getMessage()).replaceAll("\\s*\\R\\s*", " ").strip();
    String reason = "source " + source + ": " + message;
    List<TagResult> results = new ArrayList<>();
    for (ImageRef t : targets) {
      results.add(done(source, null, new TagResult(t, Outcome.FAILED, null, null, reason, why)));
    }
    return new TagReport(source, null, results, options.dryRun());
  }

  /**
   * The target's store; when it cannot be opened (a bad option, say), a backend whose every call
   * fails the same way, so the target fails with the reason and the others go on.
   */
  private TagBackend open(ImageRef target) {
    try {
      return stores.apply(target);
    } catch (OcitagException e) {
      return new Unopened(e);
    }
  }

  /** The stand-in for a store that could not be opened. */
  private record Unopened(OcitagException why) implements TagBackend {
    @Override
    public Manifest fetch(ImageRef ref) {
      throw why;
    }

    @Override
    public Optional<Digest> resolve(ImageRef ref) {
      throw why;
    }

    @Override
    public Digest put(ImageRef target, Manifest manifest) {
      throw why;
    }

    @Override
    public java.util.stream.Stream<String> tags(ImageRef repository) {
      throw why;
    }

    @Override
    public void untag(ImageRef ref) {
      throw why;
    }
  }

  /** Resolves now; the answer, or the failure, is handed to {@link #decide} when it runs. */
  private static Supplier<Optional<Digest>> resolved(TagBackend backend, ImageRef target) {
    try {
      Optional<Digest> current = backend.resolve(target);
      return () -> current;
    } catch (RuntimeException e) {
      return () -> {
        throw e;
      };
    }
  }

  /**
   * Fetches the source (checking that a source by digest hashes to it) and, where the store
   * resolves many tags in few calls ({@link BatchTagging}), learns where the targets in the
   * source's repository point, with the fetch where it can; other targets are resolved one by one.
   */
  private BatchTagging.Lookup fetchAndResolve(
      TagBackend backend, ImageRef source, List<ImageRef> plan) {
    List<ImageRef> local =
        plan.stream().filter(t -> t.sameRepository(source) && stores.apply(t) == backend).toList();
    BatchTagging.Lookup lookup =
        backend instanceof BatchTagging batch
            ? batch.fetchAndResolve(source, local)
            : new BatchTagging.Lookup(backend.fetch(source), Map.of());
    Digest fetched = lookup.source().digest();
    if (source.digest() != null && !source.digest().equals(fetched)) {
      throw new OcitagException.Failed("fetched " + source + " but its bytes hash to " + fetched);
    }
    return lookup;
  }

  private ExecutorService pool(int tasks, String name) {
    int threads = Math.max(1, Math.min(options.parallelism(), tasks));
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  private static List<TagResult> collect(List<Future<TagResult>> futures) {
    List<TagResult> results = new ArrayList<>(futures.size());
    try {
      for (Future<TagResult> f : futures) {
        results.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OcitagException.Failed("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("decide catches its failures", e.getCause());
    }
    return results;
  }

  private TagResult done(ImageRef source, Manifest manifest, TagResult result) {
    listener.targetDone(source, manifest == null ? null : manifest.digest(), result);
    return result;
  }

  /**
   * Decides one target's outcome and writes it if it must change: for a target outside the source's
   * repository (or store), the content first. Failures end up in the result, never thrown.
   */
  private TagResult decide(
      Manifest manifest,
      ImageRef source,
      TagBackend from,
      ImageRef target,
      TagBackend to,
      Supplier<Optional<Digest>> current,
      ContentCopy copy) {
    Digest wanted = manifest.digest();
    Digest previous = null;
    try {
      previous = current.get().orElse(null);
      boolean elsewhere = from != to || !target.sameRepository(source);
      boolean referrers = options.referrers() && elsewhere; // in one repository they are there
      if (wanted.equals(previous)) {
        Transfer transfer = null;
        if (referrers && !options.dryRun()) { // referrers added at the source since still come
          transfer = referrerCopy(copy).copy(from, source, manifest, to, target);
        }
        return new TagResult(
            target,
            Outcome.UNCHANGED,
            wanted,
            previous,
            null,
            null,
            transfer == null || transfer.referrers() == 0 ? null : transfer);
      }
      if (previous != null && options.noOverwrite()) {
        return blocked(target, previous, "tag exists on another image and --no-overwrite is set");
      }
      String unknownPolicy = null;
      if (previous != null && to instanceof TagPolicy policy) {
        TagPolicy.Overwrite answer = policy.mayOverwrite(target);
        if (answer.verdict() == TagPolicy.Overwrite.Verdict.NO) {
          return blocked(target, previous, "the repository's tags are immutable");
        }
        if (answer.verdict() == TagPolicy.Overwrite.Verdict.UNKNOWN) {
          // Not known in advance: the write decides, and a refusal still ends as blocked.
          unknownPolicy =
              "the repository's tag policy is unknown ("
                  + answer.why()
                  + "); the write decides whether the tag may move";
        }
      }
      Outcome outcome = previous == null ? Outcome.CREATED : Outcome.MOVED;
      if (elsewhere) { // before the dry run returns: it must fail where the real run would
        ContentCopy.checkCapable(from, source, to, target);
      }
      if (referrers) {
        ReferrerCopy.checkCapable(from, source, to, target);
      }
      if (options.dryRun()) {
        return new TagResult(target, outcome, wanted, previous, unknownPolicy, null);
      }
      Transfer transfer = null;
      if (elsewhere) {
        transfer = copy.copy(from, source, manifest, to, target);
      }
      if (referrers) { // after the image's content, before its tag: a failure leaves no tag
        transfer = transfer.plus(referrerCopy(copy).copy(from, source, manifest, to, target));
      }
      Digest stored = to.put(target, manifest);
      if (!wanted.equals(stored)) {
        String reason =
            "digest mismatch: the store reports " + stored + " for the bytes of " + wanted;
        return new TagResult(
            target,
            Outcome.FAILED,
            stored,
            previous,
            reason,
            new OcitagException.Failed(reason),
            transfer);
      }
      return new TagResult(target, outcome, wanted, previous, null, null, transfer);
    } catch (OcitagException.Refused e) {
      return blocked(target, previous, e.getMessage());
    } catch (OcitagException e) {
      return new TagResult(target, Outcome.FAILED, null, previous, e.getMessage(), e);
    } catch (RuntimeException e) {
      OcitagException wrapped = new OcitagException.Failed(String.valueOf(e), e);
      return new TagResult(target, Outcome.FAILED, null, previous, wrapped.getMessage(), wrapped);
    }
  }

  private ReferrerCopy referrerCopy(ContentCopy copy) {
    return new ReferrerCopy(copy, options.referrerTypes());
  }

  private static TagResult blocked(ImageRef target, Digest current, String reason) {
    return new TagResult(target, Outcome.BLOCKED, current, current, reason, null);
  }
}
