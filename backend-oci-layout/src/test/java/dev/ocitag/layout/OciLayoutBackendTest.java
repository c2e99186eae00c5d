package dev.ocitag.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to layouts: index.json is kept intact, corrupt input changes nothing. */
class OciLayoutBackendTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private final OciLayoutBackend backend = new OciLayoutBackend();
  private final TestImage image = TestImages.ociImage("layout");

  @BeforeEach
  void seed() throws Exception {
    LayoutFixture.emptyLayout(dir);
    LayoutFixture.seed(dir, image, "src");
  }

  private ImageRef ref(String tag) {
    return ImageRef.parse("oci:" + dir + ":" + tag);
  }

  private TagReport tag(String source, String... targets) {
    return new TagEngine(backend, TagEngine.Options.defaults())
        .tag(ref(source), Arrays.stream(targets).map(this::ref).toList());
  }

  @Test
  void taggingKeepsEveryOtherEntryAndAnnotationOfIndexJson() throws Exception {
    String index =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
            + "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"digest\":\""
            + image.digest()
            + "\",\"size\":"
            + image.manifest().size()
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"src\","
            + "\"org.example.note\":\"keep me\"},\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"digest\":\""
            + image.digest()
            + "\",\"size\":"
            + image.manifest().size()
            + "}],"
            + "\"annotations\":{\"org.example.layout\":\"mine\"}}";
    Files.writeString(dir.resolve("index.json"), index);

    tag("src", "v2");

    JsonNode before = JSON.readTree(index);
    JsonNode after = JSON.readTree(dir.resolve("index.json").toFile());
    assertEquals(before.get("annotations"), after.get("annotations"));
    assertEquals(before.get("mediaType"), after.get("mediaType"));
    assertEquals(3, after.get("manifests").size());
    assertEquals(before.get("manifests").get(0), after.get("manifests").get(0));
    assertEquals(before.get("manifests").get(1), after.get("manifests").get(1));
    assertEquals(
        "v2", after.get("manifests").get(2).get("annotations").get(Layout.REF_NAME).asText());
  }

  @Test
  void movingATagReplacesItsEntryInPlace() throws Exception {
    TestImage other = TestImages.dockerImage("other");
    LayoutFixture.seed(dir, other, "other");
    tag("src", "moving");
    tag("other", "moving");

    JsonNode manifests = JSON.readTree(dir.resolve("index.json").toFile()).get("manifests");
    assertEquals(3, manifests.size());
    assertEquals("moving", manifests.get(2).get("annotations").get(Layout.REF_NAME).asText());
    assertEquals(other.digest().toString(), manifests.get(2).get("digest").asText());
  }

  @Test
  void aTagKeepsIndexJsonsPermissionsAndLeavesNoTemporaryFile() throws Exception {
    Path index = dir.resolve("index.json");
    // group-writable: neither a private temporary file (0600) nor the umask (0644) gives this
    Set<PosixFilePermission> shared = PosixFilePermissions.fromString("rw-rw----");
    Files.setPosixFilePermissions(index, shared);
    try (Stream<Path> before = Files.list(dir)) {
      long files = before.count();
      tag("src", "shared");
      try (Stream<Path> after = Files.list(dir)) {
        assertEquals(files, after.count(), "no temporary file is left beside index.json");
      }
    }
    assertEquals(shared, Files.getPosixFilePermissions(index));
  }

  @Test
  void aMissingLayoutIsNotFound() {
    ImageRef missing = ImageRef.parse("oci:" + dir.resolve("nope") + ":x");
    OcitagException e = assertThrows(OcitagException.NotFound.class, () -> backend.fetch(missing));
    assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
  }

  @Test
  void aDirectoryWithoutOciLayoutIsNotALayout() throws Exception {
    Files.delete(dir.resolve("oci-layout"));
    OcitagException e =
        assertThrows(OcitagException.NotFound.class, () -> backend.fetch(ref("src")));
    assertTrue(e.getMessage().contains("no oci-layout file"), e.getMessage());
  }

  @Test
  void aCorruptIndexIsInvalidInputAndNothingIsWritten() throws Exception {
    Files.writeString(
        dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"digest\":");
    byte[] before = Files.readAllBytes(dir.resolve("index.json"));

    OcitagException e = assertThrows(OcitagException.InvalidInput.class, () -> tag("src", "v2"));

    assertTrue(e.getMessage().startsWith("corrupt index.json"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("index.json")));
  }

  @Test
  void aTruncatedBlobIsInvalidInputAndNothingIsWritten() throws Exception {
    Path blob = dir.resolve("blobs/sha256").resolve(image.digest().hex());
    byte[] bytes = Files.readAllBytes(blob);
    Files.write(blob, Arrays.copyOf(bytes, bytes.length - 7));
    byte[] before = Files.readAllBytes(dir.resolve("index.json"));

    OcitagException e = assertThrows(OcitagException.InvalidInput.class, () -> tag("src", "v2"));

    assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("index.json")));
  }

  @Test
  void aDanglingIndexEntryIsNotFoundByTag() throws Exception {
    Files.delete(dir.resolve("blobs/sha256").resolve(image.digest().hex()));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(ref("src")));
  }

  @Test
  void concurrentWritersInOneJvmLoseNoTag() throws Exception {
    List<String> targets = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "c" + i).toList();
    TagReport report =
        new TagEngine(backend, new TagEngine.Options(false, false, 8))
            .tag(ref("src"), targets.stream().map(this::ref).toList());

    assertTrue(report.results().stream().allMatch(r -> r.outcome() == Outcome.CREATED));
    List<String> tags = backend.tags(ref("src").repositoryRef()).toList();
    assertTrue(tags.containsAll(targets), () -> "missing some of " + targets + " in " + tags);
    assertEquals(41, tags.size());
  }

  @Test
  void noTemporaryFilesAreLeftBehind() throws Exception {
    tag("src", "a", "b");
    try (var files = Files.walk(dir)) {
      assertEquals(
          List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
    }
  }

  @Test
  void putReportsTheDigestOfWhatIsOnDisk() {
    Digest stored = backend.put(ref("copy"), image.manifest());
    assertEquals(image.digest(), stored);
  }
}
