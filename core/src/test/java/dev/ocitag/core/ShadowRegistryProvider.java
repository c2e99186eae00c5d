package dev.ocitag.core;

import dev.ocitag.core.testing.InMemoryBackend;
import java.util.List;
import java.util.Optional;

/**
 * A provider for core's own tests that serves some docker references, as ECR's serves its hosts:
 * those of {@code shadow.example}, relabelled; a store per registry (the default).
 */
public final class ShadowRegistryProvider implements TagBackendProvider {
  static final BackendOption<Integer> PORT =
      BackendOption.of("PORT", "a port", Integer::parseInt, 443, "--shadow-port");

  @Override
  public String transport() {
    return "shadow";
  }

  @Override
  public int specificity() {
    return 10;
  }

  @Override
  public Optional<ImageRef> claim(String text) {
    if (!text.startsWith("shadow.example/")) {
      return Optional.empty();
    }
    ImageRef ref = ImageRef.parseDocker(text);
    return Optional.of(
        new ImageRef("shadow", ref.registry(), ref.repository(), ref.tag(), ref.digest()));
  }

  @Override
  public List<BackendOption<?>> options() {
    return List.of(MemoryStoreProvider.SHARED, PORT);
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return new InMemoryBackend();
  }
}
