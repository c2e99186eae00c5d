package dev.ocitag.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a manifest says about a blob or a child manifest.
 *
 * @param platform for an index's children, {@code os/architecture[/variant]}; else null
 * @param urls where a non-distributable (foreign) layer may be fetched; empty for ordinary blobs
 * @param artifactType the type of artifact the described manifest is (a referrer's, as a referrers
 *     list gives it); else null
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    String platform,
    Map<String, String> annotations,
    List<String> urls,
    String artifactType) {

  public Descriptor {
    Objects.requireNonNull(digest, "digest");
    annotations = Map.copyOf(annotations);
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  public Descriptor(
      String mediaType,
      Digest digest,
      long size,
      String platform,
      Map<String, String> annotations,
      List<String> urls) {
    this(mediaType, digest, size, platform, annotations, urls, null);
  }

  public Descriptor(
      String mediaType,
      Digest digest,
      long size,
      String platform,
      Map<String, String> annotations) {
    this(mediaType, digest, size, platform, annotations, List.of(), null);
  }

  /** A blob known only by its digest and size. */
  public static Descriptor of(Digest digest, long size) {
    return new Descriptor(null, digest, size, null, Map.of(), List.of(), null);
  }

  /**
   * A layer that carries {@code urls} (a Windows base layer, say): registries need not hold it, and
   * copies leave it behind, as skopeo and crane do.
   */
  public boolean isForeign() {
    return !urls.isEmpty();
  }
}
