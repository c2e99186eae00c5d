package dev.ocitag.layout;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;

/** Serves {@code oci:PATH} references. */
public final class OciLayoutBackendProvider implements TagBackendProvider {
  @Override
  public ImageRef.Transport transport() {
    return ImageRef.Transport.OCI_LAYOUT;
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return new OciLayoutBackend();
  }
}
