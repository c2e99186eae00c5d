package dev.ocitag.distribution;

import dev.ocitag.core.BackendOption;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;
import java.util.List;
import java.util.Optional;

/**
 * Serves every docker reference ({@code [HOST[:PORT]/]NAME[:TAG|@DIGEST]}) through the OCI
 * distribution API, the least specific claim. Loading this class loads no OkHttp class: that
 * happens only in {@link #open}.
 */
public final class DistributionBackendProvider implements TagBackendProvider {

  @Override
  public String transport() {
    return ImageRef.DOCKER;
  }

  @Override
  public Optional<ImageRef> claim(String text) {
    return Optional.of(ImageRef.parseDocker(text));
  }

  @Override
  public List<BackendOption<?>> options() {
    return RegistryOptions.ALL;
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return DistributionBackend.open(ref, options, Settings.defaults());
  }
}
