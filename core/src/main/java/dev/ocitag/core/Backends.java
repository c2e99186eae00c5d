package dev.ocitag.core;

import java.util.ServiceLoader;

/** Finds the backend for a reference among the {@link TagBackendProvider}s on the class path. */
public final class Backends {
  private Backends() {}

  public static TagBackend open(ImageRef ref, BackendOptions options) {
    for (TagBackendProvider provider : ServiceLoader.load(TagBackendProvider.class)) {
      if (provider.transport() == ref.transport()) {
        return provider.open(ref, options);
      }
    }
    throw new OcitagException.InvalidInput(
        "no backend for "
            + ref.transport().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
            + " references such as '"
            + ref
            + "' is installed");
  }
}
