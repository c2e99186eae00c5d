package dev.ocitag.cli;

import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Stores;
import dev.ocitag.core.engine.AtomicRun;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

final class BatchCommand implements Command {
  static final Args.Option JOBS =
      Args.Option.value("N", "Requests under way at once (default: 16)", "-j", "--jobs");
  static final Args.Spec SPEC =
      new Args.Spec(
          "batch",
          List.of(
              "Run many retags and promotions from FILE (or - for standard input), to any store.",
              "Text: one retag per line, SOURCE TARGET... (# starts a comment).",
              "JSON: [{\"source\": \"REF\", \"targets\": [\"TAG|REF\", ...]}, ...].",
              "Every line is checked before anything is written. Run it again after an interruption:",
              "what was done is reported unchanged and the rest is finished.",
              "--report FILE records each result as it happens; 'ocitag rollback FILE' undoes the",
              "run. --atomic: all or nothing across every line (see 'ocitag tag --help')."),
          List.of(
              TagCommand.DRY_RUN,
              TagCommand.NO_OVERWRITE,
              JOBS,
              TagCommand.REFERRERS,
              TagCommand.REFERRERS_TYPE,
              TagCommand.REPORT,
              TagCommand.ATOMIC),
          new Args.Params("FILE", 1, 1, "the retags, or - for standard input"));

  @Override
  public int run(Main main, Args args) throws Exception {
    boolean dryRun = args.flag(TagCommand.DRY_RUN);
    boolean noOverwrite = args.flag(TagCommand.NO_OVERWRITE);
    int jobs = args.positive(JOBS, 16);
    BatchFile batch = BatchFile.parse(read(args.params().get(0)));
    long started = System.nanoTime();
    TagEngine.Options engineOptions =
        TagCommand.withReferrers(args, new TagEngine.Options(dryRun, noOverwrite, jobs));
    boolean atomic = args.flag(TagCommand.ATOMIC);
    try (Stores stores = new Stores(main.backendOptions(jobs));
        Progress progress = Progress.start(batch.targetCount(), main.err, main.output);
        ReportFile file =
            ReportFile.open(args.value(TagCommand.REPORT), "batch", dryRun, atomic, progress)) {
      TagEngine.Listener listener = file != null ? file : progress;
      List<TagReport> reports =
          atomic
              ? new AtomicRun(stores, engineOptions, listener).batch(batch.retags())
              : new TagEngine(stores, engineOptions, listener).batch(batch.retags());
      progress.close();
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
      return ReportFile.check(file, code, main);
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
      if (o.compareTo(Outcome.FAILED) > 0 && !counts.containsKey(o)) {
        continue; // rolled-back and conflict (--atomic) only when there are any
      }
      s.append(' ').append(counts.getOrDefault(o, 0)).append(' ').append(o.label()).append(',');
    }
    return s.substring(0, s.length() - 1);
  }
}
