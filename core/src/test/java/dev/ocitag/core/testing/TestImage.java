package dev.ocitag.core.testing;

import dev.ocitag.core.Digest;
import dev.ocitag.core.Manifest;
import java.util.List;
import java.util.Map;

/**
 * A test image: its manifest's exact bytes, the blobs it references (config and layers) and, for an
 * index, its child images. Seed children before the index.
 */
public record TestImage(Manifest manifest, Map<Digest, byte[]> blobs, List<TestImage> children) {
  public TestImage {
    blobs = Map.copyOf(blobs);
    children = List.copyOf(children);
  }

  public Digest digest() {
    return manifest.digest();
  }

  public byte[] bytes() {
    return manifest.bytes();
  }
}
