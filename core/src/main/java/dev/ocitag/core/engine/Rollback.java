package dev.ocitag.core.engine;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Undoes what a run wrote. Each written result ({@link Outcome#CREATED}, {@link Outcome#MOVED},
 * {@link Outcome#REMOVED}) took its tag from the previous digest (none for created) to the digest
 * (none for removed); undoing it takes the tag back:
 *
 * <ul>
 *   <li>where the tag points at what the run set: back to the previous digest, whose manifest is
 *       fetched by digest from the tag's own repository and put by tag byte for byte (a failure
 *       naming the digest when it is gone), or removed ({@link TagBackend#untag}) when there was
 *       none. The result says what this wrote, as a run's results do: {@code moved}, {@code
 *       created} or {@code removed}, with the digest it set and the one it replaced, so a rollback
 *       can itself be rolled back;
 *   <li>where the tag is already where the run found it: {@link Outcome#UNCHANGED} (a rollback run
 *       again after an interruption);
 *   <li>anywhere else (someone moved it since): {@link Outcome#CONFLICT}, and the tag is left
 *       alone.
 * </ul>
 *
 * Results that wrote nothing (unchanged, blocked, failed, rolled-back, conflict, skipped) are
 * {@link Outcome#SKIPPED}. The newest result is undone first: a tag several results changed goes
 * back step by step, on one worker; different tags are undone in parallel. There is no
 * compare-and-set in the stores: a change made between the check and the write is overwritten.
 */
public final class Rollback {
  private final Function<ImageRef, TagBackend> stores;
  private final boolean dryRun;
  private final int parallelism;
  private final TagEngine.Listener listener;

  /**
   * @param stores the backend for a reference (as for {@link TagEngine})
   * @param dryRun decide every outcome (a previous manifest must still be there) but write nothing
   * @param parallelism how many tags are undone at once
   * @param listener hears each result as it ends, with a null source
   */
  public Rollback(
      Function<ImageRef, TagBackend> stores,
      boolean dryRun,
      int parallelism,
      TagEngine.Listener listener) {
    if (parallelism < 1) {
      throw new OcitagException.InvalidInput("parallelism must be at least 1");
    }
    this.stores = stores;
    this.dryRun = dryRun;
    this.parallelism = parallelism;
    this.listener = listener;
  }

  /** Whether a result wrote its tag, so that a rollback has something to undo. */
  public static boolean wrote(Outcome outcome) {
    return outcome == Outcome.CREATED || outcome == Outcome.MOVED || outcome == Outcome.REMOVED;
  }

  /**
   * Undoes these results.
   *
   * @param done results in the order they happened (a report's order, a report file's lines)
   * @return one result for each, newest first: the order they were undone in, so that rolling the
   *     returned results back in turn restores what these set
   */
  public List<TagResult> undo(List<TagResult> done) {
    int n = done.size();
    TagResult[] undone = new TagResult[n];
    Map<ImageRef, List<Integer>> steps = new LinkedHashMap<>(); // per tag, newest first
    for (int i = n - 1; i >= 0; i--) {
      TagResult r = done.get(i);
      if (wrote(r.outcome())) {
        steps.computeIfAbsent(r.target(), t -> new ArrayList<>()).add(i);
      } else {
        undone[i] = report(skipped(r));
      }
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(parallelism, steps.size())),
            r -> {
              Thread t = new Thread(r, "ocitag-rollback");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (List<Integer> tagSteps : steps.values()) {
        futures.add(pool.submit(() -> undoTag(done, tagSteps, undone)));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OcitagException.Failed("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("undoTag catches its failures", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    List<TagResult> newestFirst = new ArrayList<>(n);
    for (int i = n - 1; i >= 0; i--) {
      newestFirst.add(undone[i]);
    }
    return newestFirst;
  }

  /** One tag's steps, newest first, each checked against where the tag is after the one before. */
  private void undoTag(List<TagResult> done, List<Integer> steps, TagResult[] undone) {
    ImageRef target = done.get(steps.get(0)).target();
    TagBackend to;
    try {
      to = stores.apply(target);
    } catch (OcitagException e) {
      steps.forEach(i -> undone[i] = report(failed(target, null, e)));
      return;
    }
    Digest current = null;
    boolean known = false; // a dry run tracks where its own steps would have put the tag
    for (int s = 0; s < steps.size(); s++) {
      TagResult r = done.get(steps.get(s));
      Digest set = r.digest(); // null for removed
      Digest before = r.previousDigest(); // null for created
      TagResult result;
      try {
        if (!known) {
          current = to.resolve(target).orElse(null);
          known = true;
        }
        if (Objects.equals(current, set)) {
          result = restore(to, target, set, before);
          if (result.outcome() != Outcome.FAILED) {
            current = before;
          } else {
            known = dryRun;
          }
        } else if (backAlready(done, steps, s, current)) {
          result = new TagResult(target, Outcome.UNCHANGED, current, current, null, null);
        } else {
          result = conflict(target, current, set);
        }
      } catch (OcitagException e) {
        result = failed(target, set, e);
        known = known && dryRun;
      } catch (RuntimeException e) {
        result = failed(target, set, new OcitagException.Failed(String.valueOf(e), e));
        known = known && dryRun;
      }
      undone[steps.get(s)] = report(result);
    }
  }

  /**
   * Whether the tag is where this step, or an older step of the same tag, found it: that step and
   * the newer ones are undone already.
   */
  private static boolean backAlready(
      List<TagResult> done, List<Integer> steps, int from, Digest current) {
    for (int s = from; s < steps.size(); s++) {
      if (Objects.equals(done.get(steps.get(s)).previousDigest(), current)) {
        return true;
      }
    }
    return false;
  }

  /** Takes the tag from {@code set} back to {@code before}: put it back by digest, or remove it. */
  private TagResult restore(TagBackend to, ImageRef target, Digest set, Digest before) {
    if (before == null) {
      if (!dryRun) {
        to.untag(target);
      }
      return new TagResult(target, Outcome.REMOVED, null, set, null, null);
    }
    Outcome outcome = set == null ? Outcome.CREATED : Outcome.MOVED;
    ImageRef byDigest = target.withDigest(before);
    if (dryRun) {
      if (to.resolve(byDigest).isEmpty()) {
        throw gone(target, before, set);
      }
      return new TagResult(target, outcome, before, set, null, null);
    }
    Manifest manifest;
    try {
      manifest = to.fetch(byDigest);
    } catch (OcitagException.NotFound e) {
      throw gone(target, before, set);
    }
    if (!manifest.digest().equals(before)) {
      throw new OcitagException.Failed(
          "fetched " + byDigest + " but its bytes hash to " + manifest.digest());
    }
    Digest stored = to.put(target, manifest);
    if (!stored.equals(before)) {
      String reason =
          "digest mismatch: the store reports " + stored + " for the bytes of " + before;
      return new TagResult(
          target, Outcome.FAILED, stored, set, reason, new OcitagException.Failed(reason));
    }
    return new TagResult(target, outcome, before, set, null, null);
  }

  private static OcitagException gone(ImageRef target, Digest before, Digest set) {
    return new OcitagException.Failed(
        "cannot put "
            + target
            + " back: the manifest "
            + before
            + " it pointed at before is no longer in "
            + target.repositoryName()
            + "; the tag is left "
            + (set == null ? "absent" : "at " + set));
  }

  private static TagResult conflict(ImageRef target, Digest current, Digest set) {
    String now = current == null ? "no longer exists" : "now points at " + current;
    String ran = set == null ? "the run removed it" : "the run set " + set;
    return new TagResult(
        target,
        Outcome.CONFLICT,
        current,
        current,
        "the tag " + now + " (" + ran + "), changed since; left alone",
        null);
  }

  private static TagResult skipped(TagResult r) {
    return new TagResult(
        r.target(),
        Outcome.SKIPPED,
        null,
        null,
        "nothing to undo: the run left it " + r.outcome().label(),
        null);
  }

  private static TagResult failed(ImageRef target, Digest set, OcitagException e) {
    return new TagResult(target, Outcome.FAILED, set, set, e.getMessage(), e);
  }

  private TagResult report(TagResult result) {
    listener.targetDone(null, null, result);
    return result;
  }
}
