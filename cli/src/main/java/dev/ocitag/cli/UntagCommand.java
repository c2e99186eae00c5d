package dev.ocitag.cli;

import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import java.util.ArrayList;
import java.util.List;

final class UntagCommand implements Command {
  static final Args.Spec SPEC =
      new Args.Spec(
          "untag",
          List.of("Remove tags. The images stay, and so do their other tags."),
          List.of(),
          new Args.Params("REF...", 1, -1, "tags to remove, as REPO:TAG"));

  /** One tag's outcome: removed, or the error that kept it. */
  record Untagged(ImageRef ref, OcitagException error) {}

  @Override
  public int run(Main main, Args args) {
    List<ImageRef> parsed = new ArrayList<>();
    for (String text : args.params()) {
      ImageRef ref = ImageRef.parse(text);
      if (ref.tag() == null || ref.digest() != null) {
        throw new OcitagException.InvalidInput(
            "untag takes tags: '" + text + "' must be REPO:TAG (without a digest)");
      }
      parsed.add(ref);
    }
    List<Untagged> results = new ArrayList<>();
    int code = ExitCode.OK;
    for (ImageRef ref : parsed) {
      try (TagBackend backend = Backends.open(ref, main.backendOptions(1))) {
        backend.untag(ref);
        results.add(new Untagged(ref, null));
      } catch (OcitagException e) {
        results.add(new Untagged(ref, e));
        code = ExitCode.worst(code, ExitCode.of(e));
      }
    }
    ReportPrinter.printUntagged(results, main.output, main.out);
    return code;
  }
}
