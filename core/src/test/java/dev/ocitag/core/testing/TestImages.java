package dev.ocitag.core.testing;

import dev.ocitag.core.Digest;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Small real images for tests, each different by its {@code salt}. Manifests are written by hand,
 * on purpose with unusual formatting (odd indentation, key order, a trailing newline), so that any
 * re-serialization anywhere shows up as a changed digest.
 */
public final class TestImages {
  private TestImages() {}

  /** An OCI image manifest with odd formatting and a trailing newline. */
  public static TestImage ociImage(String salt) {
    return image(salt, MediaTypes.OCI_MANIFEST, true, "amd64");
  }

  /** An OCI image manifest without a {@code mediaType} field, as some tools write them. */
  public static TestImage ociImageWithoutMediaType(String salt) {
    return image(salt, MediaTypes.OCI_MANIFEST, false, "amd64");
  }

  /** A Docker v2 schema 2 manifest. */
  public static TestImage dockerImage(String salt) {
    return image(salt, MediaTypes.DOCKER_MANIFEST, true, "amd64");
  }

  /** An OCI index of two platforms (amd64, arm64), with an annotation. */
  public static TestImage ociIndex(String salt) {
    return index(salt, MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST);
  }

  /** A Docker manifest list of two platforms. */
  public static TestImage dockerManifestList(String salt) {
    return index(salt, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_MANIFEST);
  }

  /** Every kind, for tests that run once per kind. */
  public static List<TestImage> allKinds(String salt) {
    return List.of(
        ociImage(salt),
        ociImageWithoutMediaType(salt),
        dockerImage(salt),
        ociIndex(salt),
        dockerManifestList(salt));
  }

  private static TestImage image(String salt, String mediaType, boolean declare, String arch) {
    boolean docker = mediaType.equals(MediaTypes.DOCKER_MANIFEST);
    byte[] config =
        ("{\"architecture\":\""
                + arch
                + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"SALT="
                + salt
                + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] layer = gzip("layer of " + salt + " for " + arch + "\n");
    String configType =
        docker
            ? "application/vnd.docker.container.image.v1+json"
            : "application/vnd.oci.image.config.v1+json";
    String layerType =
        docker
            ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
            : "application/vnd.oci.image.layer.v1.tar+gzip";
    // Deliberately odd: tabs and three-space indents, "layers" before "config", a trailing newline.
    String json =
        "{\n\t\"schemaVersion\":   2,\n"
            + (declare ? "   \"mediaType\": \"" + mediaType + "\",\n" : "")
            + "   \"layers\": [ {\"size\": "
            + layer.length
            + ", \"digest\": \""
            + Digest.of(layer)
            + "\",\"mediaType\": \""
            + layerType
            + "\"} ],\n"
            + "\t\"config\": {\n\t\t\"mediaType\": \""
            + configType
            + "\",\n\t\t\"digest\": \""
            + Digest.of(config)
            + "\",  \"size\": "
            + config.length
            + "\n\t}"
            + (docker ? "" : ",\n   \"annotations\": {\"org.example.salt\": \"" + salt + "\"}")
            + "\n}\n";
    Map<Digest, byte[]> blobs = new LinkedHashMap<>();
    blobs.put(Digest.of(config), config);
    blobs.put(Digest.of(layer), layer);
    return new TestImage(
        Manifest.of(json.getBytes(StandardCharsets.UTF_8), declare ? mediaType : null),
        blobs,
        List.of());
  }

  private static TestImage index(String salt, String mediaType, String childType) {
    TestImage amd64 = image(salt, childType, true, "amd64");
    TestImage arm64 = image(salt, childType, true, "arm64");
    String json =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + mediaType
            + "\",\n  \"manifests\":[\n"
            + child(amd64, childType, "amd64")
            + ",\n"
            + child(arm64, childType, "arm64")
            + "\n  ]"
            + (mediaType.equals(MediaTypes.OCI_INDEX)
                ? ",\"annotations\":{\"org.example.salt\":\"" + salt + "\"}"
                : "")
            + "}";
    return new TestImage(
        Manifest.of(json.getBytes(StandardCharsets.UTF_8), mediaType),
        Map.of(),
        List.of(amd64, arm64));
  }

  private static String child(TestImage image, String mediaType, String arch) {
    return "    {\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + image.digest()
        + "\",\"size\":"
        + image.manifest().size()
        + ",\"platform\":{\"architecture\":\""
        + arch
        + "\",\"os\":\"linux\"}}";
  }

  /** The empty descriptor's media type: a config that carries nothing, as artifacts use it. */
  public static final String EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";

  /** The empty JSON blob {@code {}} that the empty descriptor names. */
  public static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);

  /**
   * An artifact that refers to {@code subject}, as the image spec describes one: an OCI image
   * manifest with an {@code artifactType}, the empty config ({@link #EMPTY_MEDIA_TYPE}, the blob
   * {@code {}}), one layer holding {@code content} (of {@code layerType}), the subject's descriptor
   * and an annotation. Key order and spacing are odd on purpose, as in the other test images.
   */
  public static TestImage artifact(
      Manifest subject, String artifactType, String layerType, String content) {
    byte[] layer = content.getBytes(StandardCharsets.UTF_8);
    String json =
        "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \""
            + MediaTypes.OCI_MANIFEST
            + "\",\n  \"artifactType\": \""
            + artifactType
            + "\",\n  \"config\": {\"mediaType\": \""
            + EMPTY_MEDIA_TYPE
            + "\", \"digest\": \""
            + Digest.of(EMPTY_JSON)
            + "\", \"size\": 2, \"data\": \"e30=\"},\n  \"layers\": [\n    {\"mediaType\": \""
            + layerType
            + "\", \"digest\": \""
            + Digest.of(layer)
            + "\", \"size\": "
            + layer.length
            + "}\n  ],\n  \"subject\": {\"mediaType\": \""
            + subject.mediaType()
            + "\", \"digest\": \""
            + subject.digest()
            + "\", \"size\": "
            + subject.size()
            + "},\n  \"annotations\": {\"org.opencontainers.image.created\": \"2024-05-01T00:00:00Z\","
            + " \"org.example.content\": \""
            + content.length()
            + " bytes\"}\n}\n";
    Map<Digest, byte[]> blobs = new LinkedHashMap<>();
    blobs.put(Digest.of(EMPTY_JSON), EMPTY_JSON);
    blobs.put(Digest.of(layer), layer);
    return new TestImage(
        Manifest.of(json.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST),
        blobs,
        List.of());
  }

  /** An SBOM of {@code subject}: an SPDX document as an artifact. */
  public static TestImage sbom(Manifest subject, String salt) {
    return artifact(
        subject,
        "application/spdx+json",
        "application/spdx+json",
        "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"" + salt + "\"}");
  }

  /** A signature of {@code subject}, as notation writes one (its envelope stands in for one). */
  public static TestImage signature(Manifest subject, String salt) {
    return artifact(
        subject,
        "application/vnd.cncf.notary.signature",
        "application/jose+json",
        "{\"payload\":\"" + salt + "\",\"signature\":\"c2ln\"}");
  }

  /** Gzip with a fixed header (no file name, mtime 0), so the same text gives the same blob. */
  public static byte[] gzip(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }
}
