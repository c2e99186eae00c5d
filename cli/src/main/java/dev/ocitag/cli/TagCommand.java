package dev.ocitag.cli;

import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "tag",
    mixinStandardHelpOptions = true,
    description = {
      "Put one or more tags on the image SRC names, keeping its manifest byte for byte.",
      "A bare TAG means SRC's repository; a full REF must be in the same repository."
    })
final class TagCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(index = "0", paramLabel = "SRC", description = "The image to tag, by tag or digest")
  String source;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "TAG|REF", description = "Tags to put")
  List<String> targets;

  @Option(names = "--dry-run", description = "Decide and print every outcome, write nothing")
  boolean dryRun;

  @Option(names = "--no-overwrite", description = "Block tags that point at another image")
  boolean noOverwrite;

  @Option(
      names = {"-j", "--jobs"},
      paramLabel = "N",
      description = "Tags written at once (default: ${DEFAULT-VALUE})")
  int jobs = 8;

  @Override
  public Integer call() {
    ImageRef src = ImageRef.parse(source);
    List<ImageRef> plan =
        TagEngine.plan(src, targets.stream().map(t -> ImageRef.target(src, t)).toList());
    try (TagBackend backend = Backends.open(src, main.backendOptions(jobs))) {
      TagReport report =
          new TagEngine(backend, new TagEngine.Options(dryRun, noOverwrite, jobs)).tag(src, plan);
      main.verbose("fetched " + src + ": " + report.manifest());
      ReportPrinter.print(report, main.output, main.out);
      return ExitCode.of(report);
    }
  }
}
