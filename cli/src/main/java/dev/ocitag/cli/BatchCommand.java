package dev.ocitag.cli;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Backends;
import dev.ocitag.core.BatchTagging;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

final class BatchCommand implements Command {
  static final Args.Option JOBS =
      Args.Option.value("N", "Requests under way at once (default: 16)", "-j", "--jobs");
  static final Args.Spec SPEC =
      new Args.Spec(
          "batch",
          List.of(
              "Run many retags from FILE (or - for standard input), across repositories and registries.",
              "Text: one retag per line, SOURCE TARGET... (# starts a comment).",
              "JSON: [{\"source\": \"REF\", \"targets\": [\"TAG|REF\", ...]}, ...].",
              "Every line is checked before anything is written. Run it again after an interruption:",
              "what was done is reported unchanged and the rest is finished."),
          List.of(TagCommand.DRY_RUN, TagCommand.NO_OVERWRITE, JOBS),
          new Args.Params("FILE", 1, 1, "the retags, or - for standard input"));

  private Main main;
  private boolean dryRun;

  @Override
  public int run(Main main, Args args) throws Exception {
    this.main = main;
    this.dryRun = args.flag(TagCommand.DRY_RUN);
    boolean noOverwrite = args.flag(TagCommand.NO_OVERWRITE);
    int jobs = args.positive(JOBS, 16);
    BatchFile batch = BatchFile.parse(read(args.params().get(0)));
    long started = System.nanoTime();
    BackendOptions options = main.backendOptions(jobs);
    TagEngine.Options engineOptions = new TagEngine.Options(dryRun, noOverwrite, jobs);
    Map<String, TagBackend> backends = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(jobs, BatchCommand::daemon);
    Progress progress = Progress.start(batch.targetCount(), main.err, main.output);
    try {
      List<TagReport> reports = run(batch, backends, options, engineOptions, pool, progress);
      progress.stop();
      ReportPrinter.printBatch(reports, main.output, main.out);
      Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
      int code = ExitCode.OK;
      for (TagReport report : reports) {
        code = ExitCode.worst(code, ExitCode.of(report));
        report.results().forEach(r -> counts.merge(r.outcome(), 1, Integer::sum));
      }
      main.err.printf(
          "ocitag batch: %d tags on %d sources in %.2f s:%s%s%n",
          batch.targetCount(),
          batch.retags().size(),
          (System.nanoTime() - started) / 1e9,
          summary(counts),
          dryRun ? " (dry run, nothing written)" : "");
      return code;
    } finally {
      progress.stop();
      pool.shutdownNow();
      backends.values().forEach(TagBackend::close);
    }
  }

  private static byte[] read(String file) throws IOException {
    if (file.equals("-")) {
      return System.in.readAllBytes();
    }
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new OcitagException.NotFound("batch file '" + file + "' does not exist");
    }
  }

  private static String summary(Map<Outcome, Integer> counts) {
    StringBuilder s = new StringBuilder();
    for (Outcome o : Outcome.values()) {
      s.append(' ').append(counts.getOrDefault(o, 0)).append(' ').append(o.label()).append(',');
    }
    return s.substring(0, s.length() - 1);
  }

  /**
   * Fetches every source once, learning where batch-capable backends' targets point in the same few
   * calls, then decides and writes every target on one bounded pool.
   */
  private List<TagReport> run(
      BatchFile batch,
      Map<String, TagBackend> backends,
      BackendOptions options,
      TagEngine.Options engineOptions,
      ExecutorService pool,
      Progress progress)
      throws InterruptedException, ExecutionException {
    Map<ImageRef, Future<BatchTagging.Lookup>> lookups = new LinkedHashMap<>();
    batch
        .retags()
        .forEach(
            (source, targets) ->
                lookups.put(
                    source,
                    pool.submit(
                        () -> {
                          TagBackend backend = backend(backends, source, options);
                          TagEngine engine = new TagEngine(backend, engineOptions);
                          try {
                            return engine.fetchAndResolve(source, targets);
                          } catch (OcitagException e) {
                            // a lookup shared with the targets may fail for one of them: then the
                            // source alone, and each target says why; a missing source, or a store
                            // that fetched it alone anyway, is not asked twice
                            if (!(backend instanceof BatchTagging)
                                || e instanceof OcitagException.NotFound) {
                              throw e;
                            }
                            return engine.fetchAndResolve(source, List.of());
                          }
                        })));
    Map<ImageRef, Manifest> manifests = new LinkedHashMap<>();
    Map<ImageRef, TagEngine> engines = new LinkedHashMap<>();
    Map<ImageRef, Map<ImageRef, Optional<Digest>>> current = new LinkedHashMap<>();
    List<TagReport> failedSources = new ArrayList<>();
    for (Map.Entry<ImageRef, List<ImageRef>> retag : batch.retags().entrySet()) {
      ImageRef source = retag.getKey();
      try {
        BatchTagging.Lookup lookup = lookups.get(source).get();
        manifests.put(source, lookup.source());
        current.put(source, lookup.current());
        engines.put(source, engine(backends, source, options, engineOptions));
      } catch (ExecutionException e) {
        OcitagException why =
            e.getCause() instanceof OcitagException o
                ? o
                : new OcitagException.Failed(String.valueOf(e.getCause()), e.getCause());
        failedSources.add(sourceFailed(source, retag.getValue(), why));
        progress.advance(retag.getValue().size());
      }
    }
    // Round robin over the sources, so the pool spreads over repositories instead of sending
    // every worker to one (registries serialize, and some race, on writes to one repository).
    Map<ImageRef, List<Future<TagResult>>> pending = new LinkedHashMap<>();
    manifests.keySet().forEach(source -> pending.put(source, new ArrayList<>()));
    for (int i = 0; ; i++) {
      boolean any = false;
      for (ImageRef source : manifests.keySet()) {
        List<ImageRef> targets = batch.retags().get(source);
        if (i >= targets.size()) {
          continue;
        }
        any = true;
        ImageRef target = targets.get(i);
        TagEngine engine = engines.get(source);
        Manifest manifest = manifests.get(source);
        Optional<Digest> now = current.get(source).get(target);
        pending
            .get(source)
            .add(
                pool.submit(
                    () -> {
                      try {
                        return engine.tagOne(manifest, target, now);
                      } finally {
                        progress.advance(1);
                      }
                    }));
      }
      if (!any) {
        break;
      }
    }
    List<TagReport> reports = new ArrayList<>();
    for (Map.Entry<ImageRef, List<Future<TagResult>>> e : pending.entrySet()) {
      List<TagResult> results = new ArrayList<>();
      for (Future<TagResult> f : e.getValue()) {
        results.add(f.get());
      }
      reports.add(new TagReport(e.getKey(), manifests.get(e.getKey()), results, dryRun));
    }
    reports.addAll(failedSources);
    return reports;
  }

  private TagReport sourceFailed(ImageRef source, List<ImageRef> targets, OcitagException why) {
    String reason = "source " + source + ": " + Main.oneLine(why.getMessage());
    List<TagResult> results = new ArrayList<>();
    for (ImageRef t : targets) {
      results.add(new TagResult(t, Outcome.FAILED, null, null, reason, why));
    }
    return new TagReport(source, null, results, dryRun);
  }

  private static TagEngine engine(
      Map<String, TagBackend> backends,
      ImageRef source,
      BackendOptions options,
      TagEngine.Options engineOptions) {
    return new TagEngine(backend(backends, source, options), engineOptions);
  }

  /** One backend per store (registry, ECR account and region, layout), shared by every retag. */
  private static TagBackend backend(
      Map<String, TagBackend> backends, ImageRef ref, BackendOptions options) {
    String store =
        ref.transport()
            + " "
            + (ref.transport() == ImageRef.Transport.OCI_LAYOUT
                ? ref.repository()
                : ref.registry());
    return backends.computeIfAbsent(store, s -> Backends.open(ref, options));
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "ocitag-batch");
    t.setDaemon(true);
    return t;
  }

  /** A progress line on stderr, redrawn a few times a second, only for a person at a terminal. */
  static final class Progress {
    private final AtomicInteger done = new AtomicInteger();
    private final int total;
    private final java.io.PrintStream err;
    private final Thread painter;

    private Progress(int total, java.io.PrintStream err, boolean show) {
      this.total = total;
      this.err = err;
      this.painter = show ? new Thread(this::paint, "ocitag-progress") : null;
      if (painter != null) {
        painter.setDaemon(true);
        painter.start();
      }
    }

    static Progress start(int total, java.io.PrintStream err, Main.Format format) {
      return new Progress(total, err, System.console() != null && format == Main.Format.text);
    }

    void advance(int n) {
      done.addAndGet(n);
    }

    private void paint() {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          int d = done.get();
          int width = 30;
          int filled = total == 0 ? width : (int) ((long) d * width / total);
          err.print(
              "\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + d + "/" + total);
          err.flush();
          Thread.sleep(200);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void stop() {
      if (painter != null && painter.isAlive()) {
        painter.interrupt();
        try {
          painter.join(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        err.print("\r" + " ".repeat(60) + "\r");
        err.flush();
      }
    }
  }
}
