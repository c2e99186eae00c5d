package dev.ocitag.cli;

import dev.ocitag.core.Manifest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "digest",
    mixinStandardHelpOptions = true,
    description = "Print the digest of the manifest REF names (sha256 of its exact bytes).")
final class DigestCommand implements Callable<Integer> {
  @ParentCommand Main main;

  @Parameters(paramLabel = "REF", description = "An image, by tag or digest")
  String ref;

  @Override
  public Integer call() {
    Manifest manifest = ManifestCommand.fetch(main, ref);
    if (main.output == Main.Format.json) {
      ReportPrinter.printDigest(ref, manifest, main.out);
    } else {
      main.out.println(manifest.digest());
    }
    return ExitCode.OK;
  }
}
