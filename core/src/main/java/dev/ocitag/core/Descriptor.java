package dev.ocitag.core;

import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a manifest says about a blob or a child manifest.
 *
 * @param platform for an index's children, {@code os/architecture[/variant]}; else null
 */
public record Descriptor(
    String mediaType, Digest digest, long size, String platform, Map<String, String> annotations) {

  public Descriptor {
    Objects.requireNonNull(digest, "digest");
    annotations = Map.copyOf(annotations);
  }
}
