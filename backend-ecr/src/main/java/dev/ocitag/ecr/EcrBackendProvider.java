package dev.ocitag.ecr;

import dev.ocitag.core.BackendOption;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;
import java.util.List;
import java.util.Optional;

/**
 * Claims {@code ecr:REPO[:TAG|@DIGEST]} (the configured account and region) and docker references
 * whose registry is an ECR host ({@code ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO...}). Free of AWS
 * types: every provider is loaded to parse a reference, and only {@link #open} loads the SDK.
 */
public final class EcrBackendProvider implements TagBackendProvider {
  public static final String TRANSPORT = "ecr";
  private static final String PREFIX = TRANSPORT + ":";

  @Override
  public String transport() {
    return TRANSPORT;
  }

  /** Above the distribution API, which would otherwise claim ECR hosts as plain registries. */
  @Override
  public int specificity() {
    return 10;
  }

  @Override
  public Optional<ImageRef> claim(String text) {
    if (text.startsWith(PREFIX)) {
      return Optional.of(
          ImageRef.parseRepository(TRANSPORT, text, text.substring(PREFIX.length())));
    }
    if (!text.contains(".dkr")) { // every ECR host has it: others are not parsed twice
      return Optional.empty();
    }
    ImageRef ref = ImageRef.parseDocker(text);
    if (EcrHost.of(ref).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new ImageRef(TRANSPORT, ref.registry(), ref.repository(), ref.tag(), ref.digest()));
  }

  @Override
  public List<BackendOption<?>> options() {
    return EcrOptions.ALL;
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return EcrBackend.open(ref, options);
  }
}
