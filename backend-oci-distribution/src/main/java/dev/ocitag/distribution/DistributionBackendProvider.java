package dev.ocitag.distribution;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;

/**
 * Opens {@link DistributionBackend}s for registry references. Loading this class loads no OkHttp
 * class: that happens only in {@link #open}.
 */
public final class DistributionBackendProvider implements TagBackendProvider {

  @Override
  public ImageRef.Transport transport() {
    return ImageRef.Transport.DISTRIBUTION;
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return DistributionBackend.open(ref, options, Settings.defaults());
  }
}
