package dev.ocitag.cli;

import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.TagBackend;
import java.io.IOException;
import java.util.List;

final class ManifestCommand implements Command {
  static final Spec SPEC =
      new Spec(
          "manifest",
          List.of("Print the manifest REF names: its raw bytes, exactly as stored."),
          List.of(),
          new Params("REF", 1, 1, "an image, by tag or digest"));

  @Override
  public int run(Main main, Args args) throws IOException {
    fetch(main, args.params().get(0)).writeTo(main.out);
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
