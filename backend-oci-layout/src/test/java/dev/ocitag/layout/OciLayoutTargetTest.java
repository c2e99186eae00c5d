package dev.ocitag.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A layout as a promotion target: made at its first write, filled blob by blob, by digest, by tag.
 */
class OciLayoutTargetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private final OciLayoutBackend backend = new OciLayoutBackend();

  private static ImageRef layout(Path path) {
    return ImageRef.parse("oci:" + path);
  }

  static Stream<TestImage> images() {
    return Stream.of(multiLayerImage(), TestImages.ociIndex("two-children"));
  }

  /** An OCI image of a config and three gzip layers, one of them a few MiB. */
  static TestImage multiLayerImage() {
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
            .getBytes(StandardCharsets.UTF_8);
    Random random = new Random(42);
    List<byte[]> layers = new ArrayList<>();
    for (int size : new int[] {3 * 1024 * 1024, 200_000, 10}) {
      byte[] content = new byte[size];
      random.nextBytes(content);
      layers.add(gzip(content));
    }
    Map<Digest, byte[]> blobs = new LinkedHashMap<>();
    blobs.put(Digest.of(config), config);
    StringBuilder json =
        new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"")
            .append(MediaTypes.OCI_MANIFEST)
            .append("\",\"config\":")
            .append(descriptor("application/vnd.oci.image.config.v1+json", config))
            .append(",\"layers\":[");
    for (int i = 0; i < layers.size(); i++) {
      blobs.put(Digest.of(layers.get(i)), layers.get(i));
      json.append(i == 0 ? "" : ",")
          .append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layers.get(i)));
    }
    json.append("]}\n");
    return new TestImage(
        Manifest.of(json.toString().getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST),
        blobs,
        List.of());
  }

  private static String descriptor(String mediaType, byte[] blob) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + Digest.of(blob)
        + "\",\"size\":"
        + blob.length
        + "}";
  }

  private static byte[] gzip(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(content);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * What the engine does for a target in another layout: the blobs the target lacks, streamed from
   * the source; the children by digest; the image itself by tag, or by digest when {@code target}
   * has no tag.
   */
  private void promote(ImageRef source, TestImage image, ImageRef target) throws IOException {
    for (TestImage child : image.children()) {
      promote(source, child, target.repositoryRef().withDigest(child.digest()));
    }
    for (Map.Entry<Digest, byte[]> blob : image.blobs().entrySet()) {
      Descriptor d = Descriptor.of(blob.getKey(), blob.getValue().length);
      if (!backend.hasBlob(target, d)) {
        try (InputStream in = backend.openBlob(source, d)) {
          backend.pushBlob(target, d, in);
        }
      }
    }
    assertEquals(image.digest(), backend.put(target, image.manifest()));
  }

  private static JsonNode indexJson(Path layout) throws IOException {
    return JSON.readTree(layout.resolve("index.json").toFile());
  }

  private static List<Path> listing(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.sorted().toList();
    }
  }

  @ParameterizedTest
  @MethodSource("images")
  void aNewTargetLayoutIsMadeAtItsFirstWriteAndSkopeoReadsAndCopiesIt(TestImage image)
      throws Exception {
    Path source = LayoutFixture.emptyLayout(dir.resolve("source"));
    LayoutFixture.seed(source, image, "src");
    Path target = dir.resolve("new/nested/target");

    promote(layout(source).withTag("src"), image, layout(target).withTag("v1"));

    JsonNode marker = JSON.readTree(target.resolve("oci-layout").toFile());
    assertEquals("1.0.0", marker.get("imageLayoutVersion").asText());
    JsonNode manifests = indexJson(target).get("manifests");
    assertEquals(1, manifests.size(), "only the tag has an entry, not the children");
    assertEquals(image.digest().toString(), manifests.get(0).get("digest").asText());
    assertEquals("v1", manifests.get(0).get("annotations").get(Layout.REF_NAME).asText());
    assertArrayEquals(
        image.bytes(), ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + target + ":v1"));
    // skopeo checks every blob's digest as it copies
    Path other = dir.resolve("other");
    ExternalTools.run(
        "skopeo", "copy", "--all", "oci:" + target + ":v1", "oci:" + other + ":copied");
    assertArrayEquals(
        image.bytes(), ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + other + ":copied"));
  }

  @Test
  void anEmptyDirectoryBecomesALayout() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    TestImage image = TestImages.ociImage("into-empty");
    Path source = LayoutFixture.emptyLayout(dir.resolve("source"));
    LayoutFixture.seed(source, image, "src");

    assertEquals(Optional.empty(), backend.resolve(layout(empty).withTag("v1")));
    promote(layout(source), image, layout(empty).withTag("v1"));

    assertEquals(Optional.of(image.digest()), backend.resolve(layout(empty).withTag("v1")));
    assertArrayEquals(
        image.bytes(), ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + empty + ":v1"));
  }

  @Test
  void aLayoutPathThatIsAFileIsInvalidInputAndTheFileStaysAsItWas() throws Exception {
    Path file = Files.writeString(dir.resolve("precious.txt"), "not a layout\n");
    List<Path> before = listing(dir);
    ImageRef ref = layout(file);
    TestImage image = TestImages.ociImage("file");
    byte[] config = image.blobs().values().iterator().next();
    Descriptor blob = Descriptor.of(Digest.of(config), config.length);

    List<OcitagException> errors =
        List.of(
            assertThrows(
                OcitagException.InvalidInput.class,
                () -> backend.pushBlob(ref, blob, new java.io.ByteArrayInputStream(config))),
            assertThrows(
                OcitagException.InvalidInput.class,
                () -> backend.put(ref.withTag("v1"), image.manifest())),
            assertThrows(
                OcitagException.InvalidInput.class,
                () -> backend.put(ref.withDigest(image.digest()), image.manifest())),
            assertThrows(
                OcitagException.InvalidInput.class, () -> backend.resolve(ref.withTag("v1"))),
            assertThrows(OcitagException.InvalidInput.class, () -> backend.hasBlob(ref, blob)));

    for (OcitagException e : errors) {
      assertEquals(
          "'" + file + "' is a file, not an OCI layout directory", e.getMessage(), e::toString);
    }
    assertEquals("not a layout\n", Files.readString(file));
    assertEquals(before, listing(dir));
  }

  @Test
  void aDirectoryWithOtherFilesIsNotMadeALayout() throws Exception {
    Path project = Files.createDirectory(dir.resolve("project"));
    Files.writeString(project.resolve("index.json"), "{\"name\":\"a web page\"}");
    List<Path> before = listing(dir);
    TestImage image = TestImages.ociImage("project");
    byte[] config = image.blobs().values().iterator().next();
    Descriptor blob = Descriptor.of(Digest.of(config), config.length);
    ImageRef ref = layout(project);

    OcitagException push =
        assertThrows(
            OcitagException.NotFound.class,
            () -> backend.pushBlob(ref, blob, new java.io.ByteArrayInputStream(config)));
    assertTrue(push.getMessage().contains("only in an empty or missing directory"), push::toString);
    OcitagException resolve =
        assertThrows(OcitagException.NotFound.class, () -> backend.resolve(ref.withTag("v1")));
    assertTrue(resolve.getMessage().contains("no oci-layout file"), resolve::toString);
    assertThrows(
        OcitagException.NotFound.class, () -> backend.put(ref.withTag("v1"), image.manifest()));

    assertEquals(before, listing(dir));
    assertEquals("{\"name\":\"a web page\"}", Files.readString(project.resolve("index.json")));
  }

  @Test
  void aManifestWhoseBlobsAreMissingMakesNoLayout() {
    Path target = dir.resolve("never");
    TestImage image = TestImages.ociImage("orphan");

    OcitagException e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backend.put(layout(target).withTag("v1"), image.manifest()));

    assertTrue(e.getMessage().contains("not in layout"), e.getMessage());
    assertFalse(Files.exists(target));
  }

  @Test
  void putByDigestStoresTheManifestAndAddsNoIndexEntry() throws Exception {
    LayoutFixture.emptyLayout(dir);
    LayoutFixture.seed(dir, TestImages.ociImage("tagged"), "src");
    TestImage child = TestImages.ociIndex("by-digest").children().get(0);
    for (Map.Entry<Digest, byte[]> blob : child.blobs().entrySet()) {
      LayoutFixture.writeBlob(dir, blob.getKey(), blob.getValue());
    }
    byte[] indexBefore = Files.readAllBytes(dir.resolve("index.json"));
    ImageRef byDigest = layout(dir).withDigest(child.digest());

    assertEquals(child.digest(), backend.put(byDigest, child.manifest()));

    assertArrayEquals(indexBefore, Files.readAllBytes(dir.resolve("index.json")));
    assertArrayEquals(
        child.bytes(),
        Files.readAllBytes(dir.resolve("blobs/sha256").resolve(child.digest().hex())));
    assertEquals(Optional.of(child.digest()), backend.resolve(byDigest));
    assertArrayEquals(child.bytes(), backend.fetch(byDigest).bytes());
    assertEquals(List.of("src"), backend.tags(layout(dir)).toList());
  }

  @Test
  void putUnderAnotherManifestsDigestIsInvalidInput() throws Exception {
    LayoutFixture.emptyLayout(dir);
    TestImage image = TestImages.ociImage("one");
    LayoutFixture.seed(dir, image, null);
    Digest other = TestImages.ociImage("two").digest();

    assertThrows(
        OcitagException.InvalidInput.class,
        () -> backend.put(layout(dir).withDigest(other), image.manifest()));
    assertFalse(Files.exists(dir.resolve("blobs/sha256").resolve(other.hex())));
  }

  @Test
  void concurrentPutsOfTwentyTagsInEightThreadsKeepEveryTag() throws Exception {
    TestImage image = TestImages.ociImage("concurrent");
    Path source = LayoutFixture.emptyLayout(dir.resolve("source"));
    LayoutFixture.seed(source, image, "src");
    // not there yet: the threads also race to make it
    Path target = dir.resolve("new/concurrent");
    List<String> tags = IntStream.range(0, 20).mapToObj(i -> "t" + i).toList();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Void>> puts = new ArrayList<>();
    try {
      for (String tag : tags) {
        puts.add(
            pool.submit(
                () -> {
                  start.await();
                  promote(layout(source), image, layout(target).withTag(tag));
                  return null;
                }));
      }
      start.countDown();
      for (Future<Void> put : puts) {
        put.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    Set<String> stored = new TreeSet<>();
    JsonNode manifests = indexJson(target).get("manifests");
    manifests.forEach(m -> stored.add(m.get("annotations").get(Layout.REF_NAME).asText()));
    assertEquals(new TreeSet<>(tags), stored);
    assertEquals(20, manifests.size());
    try (Stream<Path> files = Files.walk(target)) {
      assertEquals(
          List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
    }
  }
}
