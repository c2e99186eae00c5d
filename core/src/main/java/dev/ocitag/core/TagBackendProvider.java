package dev.ocitag.core;

import java.util.List;
import java.util.Optional;

/**
 * A kind of store: claims the references it serves, declares its options, and opens backends. Found
 * through {@link java.util.ServiceLoader}. Providers must be cheap to instantiate and to ask: they
 * are all loaded to parse a reference, and only the one a reference needs opens a backend (and
 * loads its libraries).
 */
public interface TagBackendProvider {

  /** The word this provider's references carry as {@link ImageRef#transport()}. */
  String transport();

  /**
   * Parses the text when this provider serves it, else empty. Throws {@link
   * OcitagException.InvalidInput} for a text in this provider's own form that is malformed (an
   * {@code oci:} reference with a bad tag, say).
   */
  Optional<ImageRef> claim(String text);

  /**
   * Which claim wins when several providers claim a text: the highest. The distribution API claims
   * every docker reference at 0; a store that serves some of those registries (ECR's hosts) claims
   * them higher, and one with its own prefix higher still.
   */
  default int specificity() {
    return 0;
  }

  /** The options this provider's backends read, in the order help lists them. */
  default List<BackendOption<?>> options() {
    return List.of();
  }

  /**
   * Which store the reference is in, among this provider's: references of one store share one open
   * backend (and mount blobs between their repositories). By default, the registry.
   */
  default String store(ImageRef ref) {
    return ref.registry();
  }

  /** Opens a backend for the store of this reference. */
  TagBackend open(ImageRef ref, BackendOptions options);
}
