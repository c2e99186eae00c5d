package dev.ocitag.cli;

import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "tags",
    mixinStandardHelpOptions = true,
    description = "List every tag of a repository, one per line.")
final class TagsCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(paramLabel = "REPO", description = "A repository (a tag or digest on it is ignored)")
  String repository;

  @Override
  public Integer call() {
    ImageRef repo = ImageRef.parse(repository).repositoryRef();
    try (TagBackend backend = Backends.open(repo, main.backendOptions(1))) {
      if (main.output == Main.Format.json) {
        List<String> tags = backend.tags(repo).toList();
        ReportPrinter.printTags(repo, tags, main.out);
      } else {
        backend.tags(repo).forEach(main.out::println);
      }
    }
    return ExitCode.OK;
  }
}
