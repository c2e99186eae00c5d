package dev.ocitag.cli;

import dev.ocitag.cli.Args.Option;
import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.util.List;

final class TagCommand implements Command {
  static final Option DRY_RUN =
      Option.flag("Decide and print every outcome, write nothing", "--dry-run");
  static final Option NO_OVERWRITE =
      Option.flag("Block tags that point at another image", "--no-overwrite");
  static final Option JOBS = Option.value("N", "Tags written at once (default: 8)", "-j", "--jobs");
  static final Spec SPEC =
      new Spec(
          "tag",
          List.of(
              "Put one or more tags on the image SRC names, keeping its manifest byte for byte.",
              "A bare TAG means SRC's repository; a full REF must be in the same repository."),
          List.of(DRY_RUN, NO_OVERWRITE, JOBS),
          new Params("SRC TAG|REF...", 2, -1, "the image (by tag or digest), then the tags"));

  @Override
  public int run(Main main, Args args) {
    int jobs = args.positive(JOBS, 8);
    List<String> params = args.params();
    ImageRef src = ImageRef.parse(params.get(0));
    List<ImageRef> plan =
        TagEngine.plan(
            src,
            params.subList(1, params.size()).stream().map(t -> ImageRef.target(src, t)).toList());
    try (TagBackend backend = Backends.open(src, main.backendOptions(jobs))) {
      TagEngine.Options options =
          new TagEngine.Options(args.flag(DRY_RUN), args.flag(NO_OVERWRITE), jobs);
      TagReport report = new TagEngine(backend, options).tag(src, plan);
      main.verbose("fetched " + src + ": " + report.manifest());
      ReportPrinter.print(report, main.output, main.out);
      return ExitCode.of(report);
    }
  }
}
