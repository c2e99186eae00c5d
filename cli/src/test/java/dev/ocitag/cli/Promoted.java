package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.distribution.testing.RealRegistry;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a promotion must leave behind, checked without ocitag: an image as skopeo (or the layout's
 * files) shows it at its source, and the checks that a target holds the same bytes (skopeo inspect
 * --raw of the top manifest and of each child by digest, then {@code skopeo copy --all} of the
 * whole image, which reads and verifies every blob).
 */
final class Promoted {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Promoted() {}

  /** The exact bytes of an image's top manifest and children, and the blobs they name. */
  record Image(byte[] top, Map<Digest, byte[]> children, Map<Digest, Long> blobs) {
    Digest digest() {
      return Digest.of(top);
    }

    /** The blob bytes a copy of the whole image moves. */
    long bytes() {
      return blobs.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** An image the test itself seeded: its bytes as written. */
  static Image of(TestImage image) {
    Map<Digest, byte[]> children = new LinkedHashMap<>();
    Map<Digest, Long> blobs = new LinkedHashMap<>();
    for (TestImage child : image.children()) {
      children.put(child.digest(), child.bytes());
    }
    for (TestImage i : image.children().isEmpty() ? List.of(image) : image.children()) {
      i.blobs().forEach((d, bytes) -> blobs.put(d, (long) bytes.length));
    }
    return new Image(image.bytes(), children, blobs);
  }

  /** How to read a manifest by digest where the image is. */
  private interface ManifestSource {
    byte[] read(Digest digest) throws Exception;
  }

  /** The image at {@code ref} in a registry, as skopeo reads it (children by digest). */
  static Image inRegistry(RealRegistry registry, ImageRef ref) throws Exception {
    byte[] top = skopeoRaw(registry, ref);
    return image(top, d -> skopeoRaw(registry, ref.repositoryRef().withDigest(d)));
  }

  /** The image tagged {@code tag} in a layout: skopeo for the top, the files for the children. */
  static Image inLayout(Path layout, String tag) throws Exception {
    byte[] top = ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + layout + ":" + tag);
    return image(top, d -> layoutBlob(layout, d));
  }

  private static Image image(byte[] top, ManifestSource source) throws Exception {
    Map<Digest, byte[]> children = new LinkedHashMap<>();
    Map<Digest, Long> blobs = new LinkedHashMap<>();
    JsonNode manifest = JSON.readTree(top);
    List<JsonNode> images = new ArrayList<>();
    if (manifest.has("manifests")) {
      for (JsonNode child : manifest.get("manifests")) {
        Digest d = Digest.parse(child.get("digest").asText());
        byte[] bytes = source.read(d);
        assertEquals(d.toString(), ExternalTools.sha256sum(bytes), "child " + d);
        children.put(d, bytes);
        images.add(JSON.readTree(bytes));
      }
    } else {
      images.add(manifest);
    }
    for (JsonNode image : images) {
      List<JsonNode> needed = new ArrayList<>();
      needed.add(image.get("config"));
      image.get("layers").forEach(needed::add);
      for (JsonNode blob : needed) {
        if (!blob.has("urls")) { // a foreign layer stays behind
          blobs.put(Digest.parse(blob.get("digest").asText()), blob.get("size").asLong());
        }
      }
    }
    return new Image(top, children, blobs);
  }

  private static byte[] layoutBlob(Path layout, Digest d) throws IOException {
    return Files.readAllBytes(layout.resolve("blobs").resolve(d.algorithm()).resolve(d.hex()));
  }

  /** Asserts that {@code ref} in the registry is the image, byte for byte, and copies whole. */
  static void assertInRegistry(RealRegistry registry, ImageRef ref, Image image, Path scratch)
      throws Exception {
    byte[] top = skopeoRaw(registry, ref);
    assertArrayEquals(image.top(), top, "the top manifest at " + ref);
    assertEquals(image.digest().toString(), ExternalTools.sha256sum(top));
    for (Map.Entry<Digest, byte[]> child : image.children().entrySet()) {
      assertArrayEquals(
          child.getValue(),
          skopeoRaw(registry, ref.repositoryRef().withDigest(child.getKey())),
          "child " + child.getKey() + " at " + ref);
    }
    List<String> copy = new ArrayList<>(List.of("skopeo", "copy", "--all", "--quiet"));
    copy.addAll(flags(registry, "src-"));
    copy.add("docker://" + ref);
    copyAll(copy, image, scratch);
  }

  /** Asserts that the layout holds the image under {@code tag}, byte for byte, and copies whole. */
  static void assertInLayout(Path layout, String tag, Image image, Path scratch) throws Exception {
    assertTrue(Files.isRegularFile(layout.resolve("oci-layout")), "oci-layout in " + layout);
    assertTrue(Files.isRegularFile(layout.resolve("index.json")), "index.json in " + layout);
    String index = Files.readString(layout.resolve("index.json"));
    boolean named = false;
    for (JsonNode d : JSON.readTree(index).get("manifests")) {
      named |= tag.equals(d.path("annotations").path("org.opencontainers.image.ref.name").asText());
    }
    assertTrue(named, () -> "tag " + tag + " in " + layout + "/index.json: " + index);
    byte[] top = ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + layout + ":" + tag);
    assertArrayEquals(image.top(), top, "the top manifest in " + layout);
    for (Map.Entry<Digest, byte[]> child : image.children().entrySet()) {
      byte[] stored = layoutBlob(layout, child.getKey());
      assertArrayEquals(child.getValue(), stored, "child " + child.getKey() + " in " + layout);
    }
    List<String> copy =
        new ArrayList<>(List.of("skopeo", "copy", "--all", "--quiet", "oci:" + layout + ":" + tag));
    copyAll(copy, image, scratch);
  }

  /**
   * skopeo copies the whole image (every platform, every blob, digests checked) into a fresh
   * layout, which then holds every blob under its digest. (skopeo writes Docker manifests into a
   * layout as OCI ones, so the copy's manifests are not compared.)
   */
  private static void copyAll(List<String> command, Image image, Path scratch) throws Exception {
    Path fresh = Files.createTempDirectory(scratch, "skopeo-copy-");
    command.add("oci:" + fresh + ":check");
    ExternalTools.run(command.toArray(String[]::new));
    List<String> sha256sum = new ArrayList<>(List.of("sha256sum"));
    for (Digest blob : image.blobs().keySet()) {
      sha256sum.add(
          fresh.resolve("blobs").resolve(blob.algorithm()).resolve(blob.hex()).toString());
    }
    List<String> sums =
        new String(ExternalTools.run(sha256sum.toArray(String[]::new)), StandardCharsets.UTF_8)
            .lines()
            .map(l -> "sha256:" + l.substring(0, l.indexOf(' ')))
            .toList();
    assertEquals(
        image.blobs().keySet().stream().map(Digest::toString).toList(),
        sums,
        "skopeo's copy holds every blob, each hashing to its name");
  }

  /** skopeo inspect --raw through the registry's own address and credentials. */
  static byte[] skopeoRaw(RealRegistry registry, ImageRef ref) {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw"));
    cmd.addAll(flags(registry, ""));
    cmd.add("docker://" + ref);
    return ExternalTools.run(cmd.toArray(String[]::new));
  }

  /** skopeo's exit code for {@code inspect --raw}: not 0 where there is nothing to read. */
  static int skopeoInspectCode(RealRegistry registry, ImageRef ref) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw"));
    cmd.addAll(flags(registry, ""));
    cmd.add("docker://" + ref);
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(cmd + " did not finish in 60 s");
    }
    return p.exitValue();
  }

  /** skopeo's flags for the test registry (plain HTTP, the test user): inspect's, or copy's. */
  private static List<String> flags(RealRegistry registry, String prefix) {
    List<String> flags = new ArrayList<>(List.of("--" + prefix + "tls-verify=false"));
    if (registry.mode() != RealRegistry.Mode.OPEN) {
      flags.add("--" + prefix + "creds");
      flags.add(RealRegistry.USER + ":" + RealRegistry.PASSWORD);
    }
    return flags;
  }

  /** The registry's answer to HEAD of a blob in a repository, asked with the JDK's client. */
  static int headBlob(RealRegistry registry, ImageRef repo, Digest digest) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(registry.url("/v2/" + repo.repository() + "/blobs/" + digest))
            .timeout(Duration.ofSeconds(30))
            .method("HEAD", HttpRequest.BodyPublishers.noBody());
    String auth = registry.authorization(repo.repository());
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return registry
        .httpClient()
        .send(b.build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** A docker config directory with these hosts' user:password, as docker login writes it. */
  static Path dockerConfig(Path dir, Map<String, String> credentialsByHost) throws IOException {
    Files.createDirectories(dir);
    StringBuilder auths = new StringBuilder();
    for (Map.Entry<String, String> e : credentialsByHost.entrySet()) {
      String auth =
          Base64.getEncoder().encodeToString(e.getValue().getBytes(StandardCharsets.UTF_8));
      auths.append(auths.length() == 0 ? "" : ",");
      auths.append('"').append(e.getKey()).append("\":{\"auth\":\"").append(auth).append("\"}");
    }
    Files.writeString(dir.resolve("config.json"), "{\"auths\":{" + auths + "}}\n");
    return dir;
  }
}
