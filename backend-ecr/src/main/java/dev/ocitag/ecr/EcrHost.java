package dev.ocitag.ecr;

import dev.ocitag.core.ImageRef;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ECR registry host, {@code ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com} (and the other
 * partitions): its account (registryId) and region.
 */
public record EcrHost(String registryId, String region, boolean fips) {

  // The host rule of amazon-ecr-credential-helper, including FIPS and the isolated partitions
  private static final Pattern HOST =
      Pattern.compile(
          "^(\\d{12})\\.dkr[.-]ecr(-fips)?\\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\\."
              + "(amazonaws\\.com(?:\\.cn)?|sc2s\\.sgov\\.gov|c2s\\.ic\\.gov|cloud\\.adc-e\\.uk"
              + "|csp\\.hci\\.ic\\.gov)$");

  /** The account and region of a reference's ECR host; empty for {@code ecr:} references. */
  public static Optional<EcrHost> of(ImageRef ref) {
    return parse(ref.registry());
  }

  /** Every ECR host has {@code .dkr.} or {@code .dkr-} in it: others skip the pattern. */
  static Optional<EcrHost> parse(String registry) {
    if (!registry.contains(".dkr")) {
      return Optional.empty();
    }
    Matcher m = HOST.matcher(registry);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new EcrHost(m.group(1), m.group(3), m.group(2) != null));
  }
}
