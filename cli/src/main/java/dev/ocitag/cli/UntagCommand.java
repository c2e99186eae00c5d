package dev.ocitag.cli;

import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "untag",
    mixinStandardHelpOptions = true,
    description = "Remove tags. The images stay, and so do their other tags.")
final class UntagCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(arity = "1..*", paramLabel = "REF", description = "Tags to remove, as REPO:TAG")
  List<String> refs;

  /** One tag's outcome: removed, or the error that kept it. */
  record Untagged(ImageRef ref, OcitagException error) {}

  @Override
  public Integer call() {
    List<ImageRef> parsed = new ArrayList<>();
    for (String text : refs) {
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
