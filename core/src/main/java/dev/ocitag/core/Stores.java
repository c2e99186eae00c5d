package dev.ocitag.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The backends one run uses: one per store (a registry, an ECR registry, a layout), opened when a
 * reference first needs it and closed together. What makes a store is its provider's say ({@link
 * TagBackendProvider#store}). Thread-safe.
 */
public final class Stores implements Function<ImageRef, TagBackend>, AutoCloseable {
  private final BackendOptions options;
  private final Map<String, TagBackend> open = new ConcurrentHashMap<>();

  public Stores(BackendOptions options) {
    this.options = options;
  }

  /** The backend of the reference's store, opening it on first use. */
  @Override
  public TagBackend apply(ImageRef ref) {
    TagBackendProvider provider = Backends.provider(ref);
    String store = ref.transport() + " " + provider.store(ref);
    TagBackend backend = open.get(store);
    if (backend != null) {
      return backend;
    }
    return open.computeIfAbsent(store, s -> provider.open(ref, options));
  }

  @Override
  public void close() {
    open.values().forEach(TagBackend::close);
    open.clear();
  }
}
