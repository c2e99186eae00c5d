package dev.ocitag.layout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes OCI layouts with plain file I/O, independent of the backend under test. */
public final class LayoutFixture {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LayoutFixture() {}

  /** An empty layout in {@code dir}. */
  public static Path emptyLayout(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[]}",
        StandardCharsets.UTF_8);
    return dir;
  }

  /** Stores the image's blobs (children first) and, with a tag, an index.json entry. */
  public static void seed(Path layout, TestImage image, String tag) throws IOException {
    for (TestImage child : image.children()) {
      seed(layout, child, null);
    }
    for (Map.Entry<Digest, byte[]> blob : image.blobs().entrySet()) {
      writeBlob(layout, blob.getKey(), blob.getValue());
    }
    writeBlob(layout, image.digest(), image.bytes());
    if (tag != null) {
      ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
      ObjectNode entry = index.withArray("manifests").addObject();
      entry.put("mediaType", image.manifest().mediaType());
      entry.put("digest", image.digest().toString());
      entry.put("size", image.manifest().size());
      entry.putObject("annotations").put(Layout.REF_NAME, tag);
      JSON.writeValue(layout.resolve("index.json").toFile(), index);
    }
  }

  static void writeBlob(Path layout, Digest digest, byte[] bytes) throws IOException {
    Path path = layout.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    Files.createDirectories(path.getParent());
    Files.write(path, bytes);
  }
}
