package dev.ocitag.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A manifest as its exact bytes, the media type they were served with, and their digest.
 *
 * <p>The bytes are the source of truth: nothing ever re-serializes a manifest. The parsed tree is
 * kept only to answer the views ({@link #config()}, {@link #layers()}, {@link #children()}, ...),
 * each derived when asked.
 */
public final class Manifest {
  /** The ECR limit and that of the common registries. */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  private final byte[] bytes;
  private final String mediaType;
  private final Digest digest;
  private final JsonNode root;

  private Manifest(byte[] bytes, String mediaType, Digest digest, JsonNode root) {
    this.bytes = bytes;
    this.mediaType = mediaType;
    this.digest = digest;
    this.root = root;
  }

  /**
   * Wraps these bytes. The media type is the one they were served or stored with; where that is
   * missing the document's own {@code mediaType} field decides, and failing that its shape (an OCI
   * manifest may omit the field). Schema 1 and anything that is not a manifest are refused.
   */
  public static Manifest of(byte[] bytes, String servedMediaType) {
    if (bytes.length > MAX_BYTES) {
      throw new OcitagException.InvalidInput(
          "manifest is " + bytes.length + " bytes, over the " + MAX_BYTES + "-byte limit");
    }
    byte[] copy = bytes.clone();
    JsonNode root;
    try {
      root = Json.read(copy);
    } catch (java.io.IOException e) {
      throw new OcitagException.InvalidInput("manifest is not valid JSON: " + firstLine(e));
    }
    if (root == null || !root.isObject()) {
      throw new OcitagException.InvalidInput("manifest is not a JSON object");
    }
    String served = MediaTypes.base(servedMediaType);
    String declared = root.path("mediaType").isTextual() ? root.get("mediaType").asText() : null;
    if (root.path("schemaVersion").asInt() == 1
        || MediaTypes.isSchema1(served) && (declared == null || !MediaTypes.ALL.contains(declared))
        || MediaTypes.isSchema1(declared)) {
      throw new OcitagException.InvalidInput(
          "Docker schema 1 manifests are deprecated and not supported; push the image again"
              + " with a current client to get a schema 2 or OCI manifest");
    }
    String mediaType = served != null && MediaTypes.ALL.contains(served) ? served : null;
    if (mediaType == null) {
      mediaType = declared != null ? declared : guess(root);
    }
    if (mediaType == null) {
      throw new OcitagException.InvalidInput(
          "not a manifest: no mediaType"
              + (served == null ? "" : " (served as " + served + ")")
              + " and neither 'manifests' nor 'config' and 'layers'");
    }
    if (!MediaTypes.ALL.contains(mediaType)) {
      throw new OcitagException.InvalidInput("unsupported manifest media type " + mediaType);
    }
    return new Manifest(copy, mediaType, Digest.of(copy), root);
  }

  private static String guess(JsonNode root) {
    if (root.has("manifests")) {
      return MediaTypes.OCI_INDEX;
    }
    if (root.has("config") && root.has("layers")) {
      return MediaTypes.OCI_MANIFEST;
    }
    return null;
  }

  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** A copy of the exact bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** Writes the exact bytes without copying them. */
  public void writeTo(java.io.OutputStream out) throws java.io.IOException {
    out.write(bytes);
  }

  public int size() {
    return bytes.length;
  }

  public String mediaType() {
    return mediaType;
  }

  public Digest digest() {
    return digest;
  }

  public boolean isIndex() {
    return MediaTypes.isIndex(mediaType);
  }

  /** The config descriptor of an image manifest; empty for an index. */
  public Optional<Descriptor> config() {
    JsonNode c = root.get("config");
    return c == null || !c.isObject() ? Optional.empty() : Optional.of(descriptor(c));
  }

  /** The layers of an image manifest; empty for an index. */
  public List<Descriptor> layers() {
    return descriptors("layers");
  }

  /** The manifests an index lists; empty for an image manifest. */
  public List<Descriptor> children() {
    return descriptors("manifests");
  }

  /** Every blob or manifest this one references: config, layers, children, subject. */
  public List<Descriptor> references() {
    List<Descriptor> all = new ArrayList<>();
    config().ifPresent(all::add);
    all.addAll(layers());
    all.addAll(children());
    subject().ifPresent(all::add);
    return all;
  }

  public Optional<Descriptor> subject() {
    JsonNode s = root.get("subject");
    return s == null || !s.isObject() ? Optional.empty() : Optional.of(descriptor(s));
  }

  public Optional<String> artifactType() {
    JsonNode a = root.get("artifactType");
    return a != null && a.isTextual() ? Optional.of(a.asText()) : Optional.empty();
  }

  public Map<String, String> annotations() {
    return stringMap(root.get("annotations"));
  }

  private List<Descriptor> descriptors(String field) {
    JsonNode array = root.get(field);
    if (array == null || !array.isArray()) {
      return List.of();
    }
    List<Descriptor> list = new ArrayList<>(array.size());
    array.forEach(d -> list.add(descriptor(d)));
    return List.copyOf(list);
  }

  private Descriptor descriptor(JsonNode d) {
    JsonNode digestNode = d.get("digest");
    if (digestNode == null || !digestNode.isTextual()) {
      throw new OcitagException.InvalidInput(
          "manifest " + digest + " has a descriptor without digest");
    }
    String platform = null;
    JsonNode p = d.get("platform");
    if (p != null && p.isObject()) {
      platform = p.path("os").asText("") + "/" + p.path("architecture").asText("");
      if (p.hasNonNull("variant")) {
        platform += "/" + p.get("variant").asText();
      }
    }
    return new Descriptor(
        d.path("mediaType").asText(null),
        Digest.parse(digestNode.asText()),
        d.path("size").asLong(-1),
        platform,
        stringMap(d.get("annotations")),
        strings(d.get("urls")),
        d.path("artifactType").isTextual() ? d.get("artifactType").asText() : null);
  }

  private static List<String> strings(JsonNode node) {
    if (node == null || !node.isArray()) {
      return List.of();
    }
    List<String> list = new ArrayList<>(node.size());
    node.forEach(n -> list.add(n.asText()));
    return list;
  }

  private static Map<String, String> stringMap(JsonNode node) {
    if (node == null || !node.isObject()) {
      return Map.of();
    }
    Map<String, String> map = new LinkedHashMap<>();
    ((ObjectNode) node).fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }

  /** Equal when the bytes and media type are equal. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Manifest m
        && mediaType.equals(m.mediaType)
        && Arrays.equals(bytes, m.bytes);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "Manifest[" + mediaType + " " + digest + " " + bytes.length + " bytes]";
  }
}
