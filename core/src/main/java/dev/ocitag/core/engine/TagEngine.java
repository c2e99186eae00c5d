package dev.ocitag.core.engine;

import dev.ocitag.core.BatchTagging;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagPolicy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Puts tags on a source image: fetch the source once, learn where each target points now, decide
 * its outcome, write only what must change, and check the digest the store reports.
 */
public final class TagEngine {

  /**
   * @param dryRun decide every outcome but write nothing
   * @param noOverwrite block a tag that already points at another image
   * @param parallelism how many targets are written at once
   */
  public record Options(boolean dryRun, boolean noOverwrite, int parallelism) {
    public Options {
      if (parallelism < 1) {
        throw new OcitagException.InvalidInput("parallelism must be at least 1");
      }
    }

    public static Options defaults() {
      return new Options(false, false, 8);
    }
  }

  private final TagBackend backend;
  private final Options options;

  public TagEngine(TagBackend backend, Options options) {
    this.backend = backend;
    this.options = options;
  }

  /**
   * Checks the plan before anything is read or written: every target is a tag in the source's
   * repository. Throws {@link OcitagException.InvalidInput} otherwise.
   */
  public static List<ImageRef> plan(ImageRef source, List<ImageRef> targets) {
    if (targets.isEmpty()) {
      throw new OcitagException.InvalidInput("no target tag given");
    }
    List<ImageRef> plan = new ArrayList<>(new LinkedHashSet<>(targets));
    for (ImageRef target : plan) {
      if (target.tag() == null || target.digest() != null) {
        throw new OcitagException.InvalidInput(
            "target '" + target + "' must name a tag (and no digest)");
      }
      if (!target.sameRepository(source)) {
        throw new OcitagException.InvalidInput(
            "target '"
                + target
                + "' is in another repository than '"
                + source.repositoryName()
                + "': cross-repository copy (which copies blobs) is not supported yet");
      }
    }
    return plan;
  }

  /**
   * Fetches the source and tags it; per-target failures end up in the report, not thrown. Where the
   * backend resolves targets one by one, the first targets are resolved while the source is
   * fetched, so one retag waits for two round trips (GET and HEAD at once, then PUT), not three.
   */
  public TagReport tag(ImageRef source, List<ImageRef> targets) {
    List<ImageRef> plan = plan(source, targets);
    CompletableFuture<Manifest> fetched = new CompletableFuture<>();
    Map<ImageRef, Optional<Digest>> known = Map.of();
    if (backend instanceof BatchTagging) { // the source and the targets in the same few calls
      BatchTagging.Lookup lookup = fetchAndResolve(source, plan);
      fetched.complete(lookup.source());
      known = lookup.current();
    }
    Map<ImageRef, Optional<Digest>> current = known;
    List<Future<TagResult>> futures = new ArrayList<>(plan.size());
    ExecutorService pool = pool(plan.size());
    try {
      for (ImageRef target : plan) {
        futures.add(
            pool.submit(
                () -> {
                  Optional<Digest> k = current.get(target);
                  Supplier<Optional<Digest>> now = k != null ? () -> k : resolved(target);
                  return decide(fetched.join(), target, now);
                }));
      }
      if (!fetched.isDone()) {
        fetched.complete(fetchAndResolve(source, plan).source());
      }
      return new TagReport(source, fetched.join(), collect(futures), options.dryRun());
    } finally {
      fetched.cancel(false); // when the fetch failed: the waiting targets give up
      pool.shutdownNow();
    }
  }

  /** Resolves now; the answer, or the failure, is handed to {@link #decide} when it runs. */
  private Supplier<Optional<Digest>> resolved(ImageRef target) {
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
   * Fetches the source (checking that a source by digest hashes to it) and, where a backend
   * resolves many tags in few calls ({@link BatchTagging}), learns where every target points, with
   * the fetch where it can; else the map is empty and {@link #tagOne} resolves each target itself.
   */
  public BatchTagging.Lookup fetchAndResolve(ImageRef source, List<ImageRef> plan) {
    BatchTagging.Lookup lookup =
        backend instanceof BatchTagging batch
            ? batch.fetchAndResolve(source, plan)
            : new BatchTagging.Lookup(backend.fetch(source), Map.of());
    Digest fetched = lookup.source().digest();
    if (source.digest() != null && !source.digest().equals(fetched)) {
      throw new OcitagException.Failed("fetched " + source + " but its bytes hash to " + fetched);
    }
    return lookup;
  }

  private ExecutorService pool(int tasks) {
    return Executors.newFixedThreadPool(
        Math.max(1, Math.min(options.parallelism(), tasks)), TagEngine::daemon);
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
      throw new IllegalStateException("tagOne catches its failures", e.getCause());
    }
    return results;
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "ocitag-tag");
    t.setDaemon(true);
    return t;
  }

  /**
   * Decides one target's outcome and writes it if it must change. {@code knownCurrent} is where the
   * tag points now when already known (from {@link #fetchAndResolve}), or null to ask the backend.
   * Failures end up in the result, never thrown.
   */
  public TagResult tagOne(Manifest manifest, ImageRef target, Optional<Digest> knownCurrent) {
    return decide(
        manifest, target, () -> knownCurrent != null ? knownCurrent : backend.resolve(target));
  }

  private TagResult decide(Manifest manifest, ImageRef target, Supplier<Optional<Digest>> current) {
    Digest wanted = manifest.digest();
    Digest previous = null;
    try {
      previous = current.get().orElse(null);
      if (wanted.equals(previous)) {
        return new TagResult(target, Outcome.UNCHANGED, wanted, previous, null, null);
      }
      if (previous != null && options.noOverwrite()) {
        return blocked(target, previous, "tag exists on another image and --no-overwrite is set");
      }
      String unknownPolicy = null;
      if (previous != null && backend instanceof TagPolicy policy) {
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
      if (options.dryRun()) {
        return new TagResult(target, outcome, wanted, previous, unknownPolicy, null);
      }
      Digest stored = backend.put(target, manifest);
      if (!wanted.equals(stored)) {
        String reason =
            "digest mismatch: the store reports " + stored + " for the bytes of " + wanted;
        return new TagResult(
            target, Outcome.FAILED, stored, previous, reason, new OcitagException.Failed(reason));
      }
      return new TagResult(target, outcome, wanted, previous, null, null);
    } catch (OcitagException.Refused e) {
      return blocked(target, previous, e.getMessage());
    } catch (OcitagException e) {
      return new TagResult(target, Outcome.FAILED, null, previous, e.getMessage(), e);
    } catch (RuntimeException e) {
      OcitagException wrapped = new OcitagException.Failed(String.valueOf(e), e);
      return new TagResult(target, Outcome.FAILED, null, previous, wrapped.getMessage(), wrapped);
    }
  }

  private static TagResult blocked(ImageRef target, Digest current, String reason) {
    return new TagResult(target, Outcome.BLOCKED, current, current, reason, null);
  }
}
