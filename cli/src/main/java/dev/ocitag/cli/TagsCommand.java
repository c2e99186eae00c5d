package dev.ocitag.cli;

import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import java.util.List;

final class TagsCommand implements Command {
  static final Spec SPEC =
      new Spec(
          "tags",
          List.of("List every tag of a repository, one per line."),
          List.of(),
          new Params("REPO", 1, 1, "a repository (a tag or digest on it is ignored)"));

  @Override
  public int run(Main main, Args args) {
    ImageRef repo = ImageRef.parse(args.params().get(0)).repositoryRef();
    try (TagBackend backend = Backends.open(repo, main.backendOptions(1))) {
      if (main.output == Main.Format.json) {
        ReportPrinter.printTags(repo, backend.tags(repo).toList(), main.out);
      } else {
        backend.tags(repo).forEach(main.out::println);
      }
    }
    return ExitCode.OK;
  }
}
