package dev.ocitag.cli;

import dev.ocitag.cli.Args.Option;
import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Stores;
import dev.ocitag.core.engine.AtomicRun;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import java.util.List;
import java.util.Set;

final class TagCommand implements Command {
  static final Option DRY_RUN =
      Option.flag("Decide and print every outcome, write nothing", "--dry-run");
  static final Option NO_OVERWRITE =
      Option.flag("Block tags that point at another image", "--no-overwrite");
  static final Option JOBS =
      Option.value("N", "Tags (and blobs) written at once (default: 8)", "-j", "--jobs");
  static final Option REFERRERS =
      Option.flag(
          "Copy the image's referrers too (signatures, SBOMs, ...; nested ones)", "--referrers");
  static final Option REFERRERS_TYPE =
      Option.value(
          "TYPE",
          "Only referrers of this artifactType (repeatable); on tag and batch, and what refers to"
              + " them, implying --referrers",
          "--referrers-type");
  static final Option REPORT =
      Option.value(
          "FILE",
          "Append each result to FILE as it happens, as JSON lines ('ocitag rollback' reads it)",
          "--report");
  static final Option ATOMIC =
      Option.flag(
          "All or nothing: when a target fails or is blocked, no tag is left changed", "--atomic");
  static final Spec SPEC =
      new Spec(
          "tag",
          List.of(
              "Put one or more tags on the image SRC names, keeping its manifest byte for byte.",
              "A bare TAG means SRC's repository. A full REF may be anywhere: another repository,",
              "registry, ECR or layout; the image is copied there first (blobs, then child",
              "manifests, then the tag), mounted within one registry, skipped where present.",
              "With --referrers, the manifests whose subject is the image or one of its children",
              "(and theirs) are copied before the tag; if one cannot be, the tag is not written.",
              "--report FILE records each result as it happens; 'ocitag rollback FILE' undoes the run.",
              "--atomic: all or nothing. When a target would fail or be blocked, nothing is written;",
              "when one fails while writing, the tags written are rolled back (reported rolled-back)."),
          List.of(DRY_RUN, NO_OVERWRITE, JOBS, REFERRERS, REFERRERS_TYPE, REPORT, ATOMIC),
          new Params("SRC TAG|REF...", 2, -1, "the image (by tag or digest), then the tags"));

  @Override
  public int run(Main main, Args args) throws Exception {
    int jobs = args.positive(JOBS, 8);
    List<String> params = args.params();
    ImageRef src = ImageRef.parse(params.get(0));
    List<ImageRef> plan =
        TagEngine.plan(
            src,
            params.subList(1, params.size()).stream().map(t -> ImageRef.target(src, t)).toList());
    boolean dryRun = args.flag(DRY_RUN);
    boolean atomic = args.flag(ATOMIC);
    TagEngine.Options options =
        withReferrers(args, new TagEngine.Options(dryRun, args.flag(NO_OVERWRITE), jobs));
    try (Stores stores = new Stores(main.backendOptions(jobs));
        Progress progress = Progress.start(plan.size(), main.err, main.output);
        ReportFile file = ReportFile.open(args.value(REPORT), "tag", dryRun, atomic, progress)) {
      TagEngine.Listener listener = file != null ? file : progress;
      TagReport report =
          atomic
              ? new AtomicRun(stores, options, listener).tag(src, plan)
              : new TagEngine(stores, options, listener).tag(src, plan);
      progress.close();
      main.verbose("fetched " + src + ": " + report.manifest());
      ReportPrinter.print(report, main.output, main.out);
      return ReportFile.check(file, ExitCode.of(report), main);
    }
  }

  /** The options, carrying referrers when --referrers or --referrers-type is given. */
  static TagEngine.Options withReferrers(Args args, TagEngine.Options options) {
    List<String> types = args.values(REFERRERS_TYPE);
    if (!args.flag(REFERRERS) && types.isEmpty()) {
      return options;
    }
    for (String type : types) {
      if (type.isBlank()) {
        throw new OcitagException.InvalidInput("--referrers-type needs an artifact type");
      }
    }
    return options.withReferrers(Set.copyOf(types));
  }
}
