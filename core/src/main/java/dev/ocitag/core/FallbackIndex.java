package dev.ocitag.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The referrers tag schema of the distribution spec, for stores without a referrers API: the
 * referrers of a subject are listed in an OCI index under the tag {@code sha256-<hex>}, which the
 * clients that push referrers keep up to date by merging, never by replacing.
 */
public final class FallbackIndex {
  private static final String EMPTY =
      "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}";

  private FallbackIndex() {}

  /**
   * The tag for a subject: the algorithm (at most 32 characters), a {@code -}, and the encoded
   * digest (at most 64), with any character a tag may not hold replaced by {@code -}.
   */
  public static String tag(Digest subject) {
    String algorithm = subject.algorithm();
    String hex = subject.hex();
    String tag =
        algorithm.substring(0, Math.min(32, algorithm.length()))
            + "-"
            + hex.substring(0, Math.min(64, hex.length()));
    return tag.replaceAll("[^a-zA-Z0-9_.-]", "-");
  }

  /** Whether the index lists this digest. */
  public static boolean lists(Manifest index, Digest digest) {
    return index.children().stream().anyMatch(d -> d.digest().equals(digest));
  }

  /**
   * The index with {@code added} appended to its manifests; everything else in it (other entries,
   * annotations, fields ocitag does not know) is kept. From an empty index when {@code current} is
   * null (the tag does not exist yet). Throws {@link OcitagException.Failed} when {@code current}
   * is not an OCI index: another tool's tag by that name is not ocitag's to replace.
   */
  public static Manifest with(Manifest current, Descriptor added) {
    if (current != null && !MediaTypes.OCI_INDEX.equals(current.mediaType())) {
      throw new OcitagException.Failed(
          "the referrers tag holds a "
              + current.mediaType()
              + ", not an OCI image index; leaving it alone");
    }
    byte[] bytes = current == null ? EMPTY.getBytes(StandardCharsets.UTF_8) : current.bytes();
    ObjectNode index;
    try {
      index = (ObjectNode) Json.read(bytes);
      JsonNode manifests = index.get("manifests");
      if (manifests != null && !manifests.isArray()) {
        throw new OcitagException.Failed(
            "the referrers tag's index has 'manifests' that is not a list; leaving it alone");
      }
      ArrayNode list = manifests == null ? index.putArray("manifests") : (ArrayNode) manifests;
      list.add(json(added));
      return Manifest.of(Json.write(index), MediaTypes.OCI_INDEX);
    } catch (IOException | ClassCastException e) {
      throw new OcitagException.Failed("the referrers tag's index cannot be read: " + e, e);
    }
  }

  /** A descriptor as a referrers list holds it. */
  private static ObjectNode json(Descriptor d) {
    ObjectNode node = Json.object();
    node.put("mediaType", d.mediaType());
    node.put("digest", d.digest().toString());
    node.put("size", d.size());
    if (d.artifactType() != null) {
      node.put("artifactType", d.artifactType());
    }
    if (!d.annotations().isEmpty()) {
      ObjectNode annotations = node.putObject("annotations");
      // sorted: the same referrer makes the same bytes in every run
      for (Map.Entry<String, String> a : new TreeMap<>(d.annotations()).entrySet()) {
        annotations.put(a.getKey(), a.getValue());
      }
    }
    return node;
  }
}
