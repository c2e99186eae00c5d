package dev.ocitag.core;

import java.util.Optional;
import java.util.stream.Stream;

/**
 * What every store of images can do. Implementations keep manifests as exact bytes and never
 * re-serialize them; they translate their failures into {@link OcitagException}s.
 *
 * <p>Optional capabilities ({@link TagPolicy}, {@link BatchTagging}, {@link BlobTransfer}) are
 * discovered with {@code instanceof}.
 */
public interface TagBackend extends AutoCloseable {

  /** The manifest a tag or digest names, as its exact bytes. */
  Manifest fetch(ImageRef ref);

  /** The current digest of a tag (or whether a digest exists); empty when absent. */
  Optional<Digest> resolve(ImageRef ref);

  /**
   * Stores the manifest's exact bytes and returns the digest the store reports for what it stored;
   * the engine checks it against {@link Manifest#digest()}. A target with a tag (and no digest)
   * stores them under that tag; a target with a digest and no tag stores them untagged, by digest
   * (an index's children, before the index). What the manifest references must already be there.
   */
  Digest put(ImageRef target, Manifest manifest);

  /** Every tag of the repository, across all pages. */
  Stream<String> tags(ImageRef repository);

  /** Removes a tag, never an image that other tags still use. */
  void untag(ImageRef ref);

  @Override
  default void close() {}
}
