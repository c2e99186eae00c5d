package dev.ocitag.cli;

import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.TagBackend;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "manifest",
    mixinStandardHelpOptions = true,
    description = "Print the manifest REF names: its raw bytes, exactly as stored.")
final class ManifestCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(paramLabel = "REF", description = "An image, by tag or digest")
  String ref;

  @Override
  public Integer call() throws IOException {
    Manifest manifest = fetch(main, ref);
    manifest.writeTo(main.out);
    return ExitCode.OK;
  }

  static Manifest fetch(Main main, String text) {
    ImageRef ref = ImageRef.parse(text);
    try (TagBackend backend = Backends.open(ref, main.backendOptions(1))) {
      Manifest manifest = backend.fetch(ref);
      main.verbose("fetched " + ref + ": " + manifest);
      return manifest;
    }
  }
}
