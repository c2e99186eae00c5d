package dev.ocitag.cli;

import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Stores;
import dev.ocitag.core.engine.Rollback;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** {@code ocitag rollback REPORT}: undo a run from its report (see {@link Rollback}). */
final class RollbackCommand implements Command {
  static final Args.Option JOBS =
      Args.Option.value("N", "Tags undone at once (default: 8)", "-j", "--jobs");
  static final Args.Spec SPEC =
      new Args.Spec(
          "rollback",
          List.of(
              "Undo a run of tag, batch or rollback from its report (-o json output or --report file).",
              "Every run in a --report file is undone, newest result first. A moved tag goes back to",
              "its previous digest (that manifest, by digest, from the tag's own repository), a",
              "created tag is removed, a removed one is put back; only where the tag still points at",
              "what the run set, else it is left alone (conflict, exit 3). Results that wrote nothing",
              "are skipped. The rollback's own report can be rolled back in turn."),
          List.of(TagCommand.DRY_RUN, JOBS, TagCommand.REPORT),
          new Args.Params("REPORT", 1, 1, "the report, or - for standard input"));

  @Override
  public int run(Main main, Args args) throws Exception {
    String name = args.params().get(0);
    boolean dryRun = args.flag(TagCommand.DRY_RUN);
    int jobs = args.positive(JOBS, 8);
    ReportReader.Read read = ReportReader.read(name, read(name));
    read.warnings().forEach(w -> main.err.println("ocitag: warning: " + w));
    List<TagResult> done = read.results();
    if (done.isEmpty()) {
      main.err.println("ocitag: report " + name + " records no result; nothing to roll back");
    }
    try (Stores stores = new Stores(main.backendOptions(jobs));
        ReportFile file =
            ReportFile.open(
                args.value(TagCommand.REPORT),
                "rollback",
                dryRun,
                false,
                TagEngine.Listener.NONE)) {
      List<TagResult> results =
          new Rollback(stores, dryRun, jobs, file != null ? file : TagEngine.Listener.NONE)
              .undo(done);
      ReportPrinter.printRollback(name, results, dryRun, main.output, main.out);
      return ReportFile.check(file, ExitCode.of(results), main);
    }
  }

  private static byte[] read(String file) throws IOException {
    if (file.equals("-")) {
      return System.in.readAllBytes();
    }
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (NoSuchFileException e) {
      throw new OcitagException.NotFound("report '" + file + "' does not exist");
    }
  }
}
