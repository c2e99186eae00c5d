package dev.ocitag.ecr;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;

/**
 * Registers the ECR backend. Deliberately free of AWS types: the CLI loads every provider to ask
 * its transport, and only {@link #open} loads the SDK.
 */
public final class EcrBackendProvider implements TagBackendProvider {

  @Override
  public ImageRef.Transport transport() {
    return ImageRef.Transport.ECR;
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return EcrBackend.open(ref, options);
  }
}
