package dev.ocitag.cli;

import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.Backends;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import java.util.List;
import java.util.Set;

final class ReferrersCommand implements Command {
  static final Spec SPEC =
      new Spec(
          "referrers",
          List.of(
              "List the referrers of the image REF names: the manifests whose subject it is",
              "(signatures, SBOMs, attestations), one per line: DIGEST ARTIFACT-TYPE MEDIA-TYPE SIZE.",
              "A registry's referrers API where it has one, else its referrers tag (sha256-<hex>);",
              "a layout's index.json; ECR's own list. Direct referrers only: give a referrer's",
              "digest to list its own."),
          List.of(TagCommand.REFERRERS_TYPE),
          new Params("REF", 1, 1, "an image, by tag or digest"));

  @Override
  public int run(Main main, Args args) {
    ImageRef ref = ImageRef.parse(args.params().get(0));
    Set<String> types = Set.copyOf(args.values(TagCommand.REFERRERS_TYPE));
    try (TagBackend backend = Backends.open(ref, main.backendOptions(1))) {
      if (!(backend instanceof Referrers referrers)) {
        throw new OcitagException.InvalidInput(
            "'" + ref.repositoryName() + "': its store lists no referrers");
      }
      Digest subject =
          backend
              .resolve(ref)
              .orElseThrow(() -> new OcitagException.NotFound(ref + ": no such image"));
      main.verbose(ref + " is " + subject);
      List<Descriptor> listed = referrers.referrers(ref.repositoryRef(), subject, types);
      if (main.output == Main.Format.json) {
        ReportPrinter.printReferrers(ref, subject, listed, main.out);
      } else {
        for (Descriptor d : listed) {
          main.out.println(
              d.digest()
                  + " "
                  + (d.artifactType() == null ? "-" : d.artifactType())
                  + " "
                  + d.mediaType()
                  + " "
                  + d.size());
        }
      }
    }
    return ExitCode.OK;
  }
}
