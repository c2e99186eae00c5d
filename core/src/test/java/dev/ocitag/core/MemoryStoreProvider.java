package dev.ocitag.core;

import dev.ocitag.core.testing.CountingBackend;
import dev.ocitag.core.testing.InMemoryBackend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A provider for core's own tests, installed through {@code META-INF/services} (left out of the
 * test-jar, so other modules do not see it): {@code mem:STORE/PATH[:TAG][@DIGEST]}, a store per
 * first path component, each an {@link InMemoryBackend} that remembers being closed.
 */
public final class MemoryStoreProvider implements TagBackendProvider {
  static final BackendOption<String> LABEL = BackendOption.text("LABEL", "a label", "--label");

  /** Shared with {@link ShadowRegistryProvider}: declared by both, listed once. */
  static final BackendOption<Boolean> SHARED = BackendOption.flag("a shared switch", "--shared");

  /** Each backend opened, with the label it was opened with. */
  static final List<Opened> OPENED = new CopyOnWriteArrayList<>();

  record Opened(ImageRef ref, String label, CountingBackend backend, int[] closes) {}

  @Override
  public String transport() {
    return "mem";
  }

  @Override
  public int specificity() {
    return 100;
  }

  @Override
  public Optional<ImageRef> claim(String text) {
    if (!text.startsWith("mem:")) {
      return Optional.empty();
    }
    return Optional.of(ImageRef.parseRepository("mem", text, text.substring(4)));
  }

  @Override
  public List<BackendOption<?>> options() {
    return List.of(LABEL, SHARED);
  }

  @Override
  public String store(ImageRef ref) {
    return ref.repository().split("/", 2)[0];
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    int[] closes = new int[1];
    CountingBackend backend =
        new CountingBackend(new InMemoryBackend()) {
          @Override
          public void close() {
            closes[0]++;
          }
        };
    OPENED.add(new Opened(ref, options.get(LABEL), backend, closes));
    return backend;
  }
}
