package dev.ocitag.cli;

import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.Manifest;
import java.util.List;

final class DigestCommand implements Command {
  static final Spec SPEC =
      new Spec(
          "digest",
          List.of("Print the digest of the manifest REF names (sha256 of its exact bytes)."),
          List.of(),
          new Params("REF", 1, 1, "an image, by tag or digest"));

  @Override
  public int run(Main main, Args args) {
    String ref = args.params().get(0);
    Manifest manifest = ManifestCommand.fetch(main, ref);
    if (main.output == Main.Format.json) {
      ReportPrinter.printDigest(ref, manifest, main.out);
    } else {
      main.out.println(manifest.digest());
    }
    return ExitCode.OK;
  }
}
