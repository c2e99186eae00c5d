package dev.ocitag.core;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A backend that knows referrers (OCI 1.1): the manifests whose {@code subject} is a given digest,
 * such as signatures, SBOMs and attestations. Discovered with {@code instanceof}, like the other
 * optional capabilities.
 *
 * <p>Every {@code repository} argument is an {@link ImageRef} of this backend's store; only its
 * repository counts. How a store lists referrers is its own affair: a registry's referrers API, or
 * the referrers tag schema ({@link FallbackIndex}) where it has none; a layout's {@code
 * index.json}; ECR's own call.
 */
public interface Referrers {

  /**
   * The referrers of {@code subject} in the repository, one descriptor per manifest (media type,
   * digest, size, {@code artifactType}, annotations), each digest once. With {@code artifactTypes}
   * not empty, only those whose {@code artifactType} is one of them. A subject nothing refers to,
   * or that is not there at all, has none: an empty list.
   */
  List<Descriptor> referrers(ImageRef repository, Digest subject, Set<String> artifactTypes);

  /**
   * Stores the referrer's exact bytes by digest in the repository and makes the repository list it
   * among the referrers of its subject (which need not be there yet). Returns the digest the store
   * reports for what it stored; the caller checks it. Everything the referrer references but its
   * subject (blobs, an index's children) must be there already. Writing a referrer that is listed
   * already changes nothing.
   */
  Digest putReferrer(ImageRef repository, Manifest referrer);

  /**
   * The descriptor a referrers list holds for this manifest, as the distribution spec says: its
   * media type, digest and size; its {@code artifactType}, or for an image manifest without one the
   * config's media type; all its annotations.
   */
  static Descriptor descriptorOf(Manifest referrer) {
    String artifactType =
        referrer
            .artifactType()
            .filter(t -> !t.isEmpty())
            .orElseGet(
                () ->
                    referrer.isIndex()
                        ? null
                        : referrer.config().map(Descriptor::mediaType).orElse(null));
    return new Descriptor(
        referrer.mediaType(),
        referrer.digest(),
        referrer.size(),
        null,
        referrer.annotations(),
        List.of(),
        artifactType);
  }

  /**
   * Those of {@code listed} whose {@code artifactType} is one of {@code types} (all when it is
   * empty), each digest once: the first.
   */
  static List<Descriptor> select(List<Descriptor> listed, Set<String> types) {
    Set<Digest> seen = new HashSet<>();
    return listed.stream()
        .filter(d -> types.isEmpty() || types.contains(d.artifactType()))
        .filter(d -> seen.add(d.digest()))
        .toList();
  }
}
