package dev.ocitag.core.engine;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * All or nothing ({@code --atomic}): every target must end created, moved or unchanged, or the run
 * leaves every tag where it found it. A blocked target (an immutable tag, {@code --no-overwrite})
 * counts as a failure here: a release that cannot set one of its tags is not made.
 *
 * <p>In two steps. First every outcome is decided without a write (the engine's dry run: each
 * target resolved, its policy and its stores' abilities checked, so an unreachable store or a
 * blocked tag stops the run before anything is written); if any target would fail or be blocked, no
 * tag is written and the others are {@link Outcome#ROLLED_BACK}. Then the run writes; when a target
 * still fails (a blob that cannot be copied, a write the store refuses), the tags it wrote are
 * undone with {@link Rollback} and reported rolled-back, those moved since as {@link
 * Outcome#CONFLICT}, and a tag that could not be undone keeps its outcome (created, moved) with the
 * reason, so that {@code ocitag rollback} of the report finishes the job. A process killed between
 * a write and its rollback leaves the tags written: the report file ({@code --report}) records each
 * write as it happens, and {@code ocitag rollback} undoes them.
 */
public final class AtomicRun {
  private final Function<ImageRef, TagBackend> stores;
  private final TagEngine.Options options;
  private final TagEngine.Listener listener;

  /** As {@link TagEngine}'s; the listener hears every final result, rolled-back ones again. */
  public AtomicRun(
      Function<ImageRef, TagBackend> stores,
      TagEngine.Options options,
      TagEngine.Listener listener) {
    this.stores = stores;
    this.options = options;
    this.listener = listener;
  }

  /** {@link TagEngine#tag}, all or nothing. */
  public TagReport tag(ImageRef source, List<ImageRef> targets) {
    return run(engine -> List.of(engine.tag(source, targets))).get(0);
  }

  /** {@link TagEngine#batch}, all or nothing across every source. */
  public List<TagReport> batch(Map<ImageRef, List<ImageRef>> retags) {
    return run(engine -> engine.batch(retags));
  }

  private List<TagReport> run(Function<TagEngine, List<TagReport>> run) {
    TagEngine.Options plan =
        new TagEngine.Options(
            true,
            options.noOverwrite(),
            options.parallelism(),
            options.referrers(),
            options.referrerTypes());
    List<TagReport> planned = run.apply(new TagEngine(stores, plan, TagEngine.Listener.NONE));
    TagResult stop = firstFailure(planned);
    if (stop != null || options.dryRun()) {
      String why = stop == null ? null : "not written: " + describe(stop) + " (--atomic)";
      List<TagReport> reports = new ArrayList<>();
      for (TagReport report : planned) {
        List<TagResult> results = new ArrayList<>();
        for (TagResult r : report.results()) {
          results.add(why != null && wrote(r) ? rolledBack(r, why) : r);
        }
        reports.add(
            announce(new TagReport(report.source(), report.manifest(), results, options.dryRun())));
      }
      return reports;
    }
    List<TagReport> reports = run.apply(new TagEngine(stores, options, listener));
    stop = firstFailure(reports);
    if (stop == null) {
      return reports;
    }
    List<TagResult> written = new ArrayList<>();
    reports.forEach(
        report -> report.results().stream().filter(AtomicRun::wrote).forEach(written::add));
    List<TagResult> undone =
        new Rollback(stores, false, options.parallelism(), TagEngine.Listener.NONE).undo(written);
    Map<TagResult, TagResult> byWrite = new IdentityHashMap<>();
    for (int i = 0; i < written.size(); i++) {
      byWrite.put(written.get(i), undone.get(written.size() - 1 - i));
    }
    String why = "written, then rolled back: " + describe(stop) + " (--atomic)";
    List<TagReport> after = new ArrayList<>();
    for (TagReport report : reports) {
      List<TagResult> results = new ArrayList<>();
      for (TagResult r : report.results()) {
        TagResult u = byWrite.get(r);
        if (u == null) {
          results.add(r);
          continue;
        }
        TagResult end =
            switch (u.outcome()) {
              case CONFLICT ->
                  new TagResult(
                      r.target(),
                      Outcome.CONFLICT,
                      u.digest(),
                      r.digest(),
                      "written, not rolled back (--atomic): " + u.reason(),
                      null,
                      r.transfer());
              case FAILED ->
                  new TagResult(
                      r.target(),
                      r.outcome(),
                      r.digest(),
                      r.previousDigest(),
                      "written; rolling it back (--atomic) failed: " + u.reason(),
                      u.error(),
                      r.transfer());
              default -> rolledBack(r, why);
            };
        results.add(end);
        listener.targetDone(report.source(), digestOf(report), end);
      }
      after.add(new TagReport(report.source(), report.manifest(), results, report.dryRun()));
    }
    return after;
  }

  private TagReport announce(TagReport report) {
    report.results().forEach(r -> listener.targetDone(report.source(), digestOf(report), r));
    return report;
  }

  private static Digest digestOf(TagReport report) {
    return report.manifest() == null ? null : report.manifest().digest();
  }

  private static boolean wrote(TagResult r) {
    return r.outcome() == Outcome.CREATED || r.outcome() == Outcome.MOVED;
  }

  /** The first target that failed or was blocked, or null. */
  private static TagResult firstFailure(List<TagReport> reports) {
    for (Outcome worst : List.of(Outcome.FAILED, Outcome.BLOCKED)) {
      for (TagReport report : reports) {
        for (TagResult r : report.results()) {
          if (r.outcome() == worst) {
            return r;
          }
        }
      }
    }
    return null;
  }

  private static String describe(TagResult r) {
    return r.target() + " " + (r.outcome() == Outcome.FAILED ? "failed" : "was blocked");
  }

  /** Where the tag points now (where it was), and what the run set or would have set. */
  private static TagResult rolledBack(TagResult r, String why) {
    return new TagResult(
        r.target(), Outcome.ROLLED_BACK, r.previousDigest(), r.digest(), why, null, r.transfer());
  }
}
