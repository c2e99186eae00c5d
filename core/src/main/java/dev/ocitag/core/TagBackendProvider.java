package dev.ocitag.core;

/**
 * Creates the backend for one transport; found through {@link java.util.ServiceLoader}. Providers
 * must be cheap to instantiate: they are loaded to ask {@link #transport()}, and only the one a
 * reference needs opens a backend (and loads its libraries).
 */
public interface TagBackendProvider {

  ImageRef.Transport transport();

  /** Opens a backend for the repository (and registry) of this reference. */
  TagBackend open(ImageRef ref, BackendOptions options);
}
