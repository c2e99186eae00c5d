package dev.ocitag.cli;

import static dev.ocitag.core.testing.ExternalTools.run;
import static dev.ocitag.core.testing.ExternalTools.sha256sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.Digest;
import dev.ocitag.core.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tour, on a copy of the bundled example layout, checked with skopeo and sha256sum.
 */
class LayoutCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private Path hello;
  private String oci;

  @BeforeEach
  void copyExample() throws IOException {
    hello = tmp.resolve("hello");
    ExampleLayout.copy(hello);
    oci = "oci:" + hello;
  }

  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) all::iterator) {
        if (Files.isRegularFile(f)) {
          files.put(dir.relativize(f).toString(), Digest.of(Files.readAllBytes(f)).toString());
        }
      }
    }
    return files;
  }

  private static String skopeoRawDigest(String ref) {
    return sha256sum(run("skopeo", "inspect", "--raw", ref));
  }

  @Test
  void tagThenDigestAgreesWithSkopeoAndSha256sum() {
    CliRun tag = CliRun.of("tag", oci + ":latest", "v2");
    assertEquals(0, tag.code(), tag::toString);
    assertTrue(tag.stdout().startsWith("created   " + oci + ":v2 sha256:"), tag::toString);
    assertEquals("", tag.stderr());

    String latest = CliRun.of("digest", oci + ":latest").stdout().strip();
    String v2 = CliRun.of("digest", oci + ":v2").stdout().strip();
    assertEquals(latest, v2);
    assertEquals(v2, skopeoRawDigest(oci + ":v2"));
    assertEquals(v2, skopeoRawDigest(oci + ":latest"));

    CliRun again = CliRun.of("tag", oci + ":latest", "v2");
    assertEquals(0, again.code());
    assertTrue(again.stdout().startsWith("unchanged " + oci + ":v2 " + v2), again::toString);
  }

  @Test
  void manifestPrintsTheExactBytesSoItsSha256IsTheDigest() throws IOException {
    CliRun manifest = CliRun.of("manifest", oci + ":amd64");
    String digest = CliRun.of("digest", oci + ":amd64").stdout().strip();
    assertEquals(0, manifest.code(), manifest::toString);
    assertEquals(digest, sha256sum(manifest.stdoutBytes()));
    Digest d = Digest.parse(digest);
    assertArrayEquals(
        Files.readAllBytes(hello.resolve("blobs/sha256").resolve(d.hex())), manifest.stdoutBytes());
    assertArrayEquals(run("skopeo", "inspect", "--raw", oci + ":amd64"), manifest.stdoutBytes());
    assertTrue(manifest.stdout().endsWith("}\n"), "the example's trailing newline is kept");
  }

  @Test
  void retaggingAnIndexKeepsTheIndex() throws IOException {
    assertEquals(0, CliRun.of("tag", oci + ":latest", "multi").code());
    JsonNode index = JSON.readTree(CliRun.of("manifest", oci + ":multi").stdoutBytes());
    assertEquals(MediaTypes.OCI_INDEX, index.get("mediaType").asText());
    assertEquals(2, index.get("manifests").size());
    JsonNode entries = JSON.readTree(hello.resolve("index.json").toFile()).get("manifests");
    JsonNode multi = entries.get(entries.size() - 1);
    assertEquals(MediaTypes.OCI_INDEX, multi.get("mediaType").asText());
  }

  @Test
  void oddlyFormattedManifestsKeepTheirBytesThroughARetag() throws Exception {
    for (var image : dev.ocitag.core.testing.TestImages.allKinds("cli-odd")) {
      String tag = "odd-" + image.digest().hex().substring(0, 8);
      dev.ocitag.layout.LayoutFixture.seed(hello, image, tag);
      CliRun r = CliRun.of("tag", oci + ":" + tag, tag + "-copy");
      assertEquals(0, r.code(), r::toString);

      // Independent checks: the blob index.json now names for the new tag, hashed by sha256sum,
      // and (skopeo 1.9 reads only OCI media types from a layout) skopeo's raw bytes.
      JsonNode entry = entryFor(tag + "-copy");
      assertEquals(image.manifest().mediaType(), entry.get("mediaType").asText());
      Path blob =
          hello.resolve("blobs/sha256").resolve(Digest.parse(entry.get("digest").asText()).hex());
      assertArrayEquals(image.bytes(), Files.readAllBytes(blob));
      assertEquals(image.digest().toString(), sha256sum(Files.readAllBytes(blob)));
      if (image.manifest().mediaType().startsWith("application/vnd.oci.")) {
        assertArrayEquals(
            image.bytes(), run("skopeo", "inspect", "--raw", oci + ":" + tag + "-copy"));
      }
    }
  }

  private JsonNode entryFor(String tag) throws IOException {
    for (JsonNode e : JSON.readTree(hello.resolve("index.json").toFile()).get("manifests")) {
      if (tag.equals(e.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return e;
      }
    }
    throw new AssertionError("no entry for " + tag);
  }

  @Test
  void jsonOutputHasTheDocumentedFields() throws IOException {
    CliRun r = CliRun.of("tag", "-o", "json", oci + ":latest", "v2", "amd64");
    assertEquals(0, r.code(), r::toString);
    JsonNode report = JSON.readTree(r.stdoutBytes());
    String latest = CliRun.of("digest", oci + ":latest").stdout().strip();
    String amd64Before = JSON.readTree(hello.resolve("index.json").toFile()).toString();
    assertEquals(oci + ":latest", report.at("/source/ref").asText());
    assertEquals(latest, report.at("/source/digest").asText());
    assertEquals(MediaTypes.OCI_INDEX, report.at("/source/mediaType").asText());
    assertFalse(report.get("dryRun").asBoolean());
    JsonNode created = report.get("results").get(0);
    assertEquals(oci + ":v2", created.get("target").asText());
    assertEquals("created", created.get("outcome").asText());
    assertEquals(latest, created.get("digest").asText());
    assertTrue(created.get("previousDigest").isNull());
    assertTrue(created.get("reason").isNull());
    JsonNode moved = report.get("results").get(1);
    assertEquals("moved", moved.get("outcome").asText());
    assertTrue(moved.get("previousDigest").asText().startsWith("sha256:"), amd64Before);

    JsonNode digest = JSON.readTree(CliRun.of("digest", "-o", "json", oci + ":v2").stdoutBytes());
    assertEquals(latest, digest.get("digest").asText());
    JsonNode tags = JSON.readTree(CliRun.of("tags", "-o", "json", oci).stdoutBytes());
    assertEquals("[\"latest\",\"amd64\",\"arm64\",\"v2\"]", tags.get("tags").toString());
  }

  @Test
  void dryRunPrintsThePlanAndWritesNothing() throws IOException {
    Map<String, String> before = snapshot(hello);
    CliRun r = CliRun.of("tag", "--dry-run", oci + ":latest", "v2", "amd64", "latest");
    assertEquals(0, r.code(), r::toString);
    String[] lines = r.stdout().split("\n");
    assertTrue(lines[0].startsWith("created   " + oci + ":v2"), r::toString);
    assertTrue(lines[1].startsWith("moved     " + oci + ":amd64"), r::toString);
    assertTrue(lines[2].startsWith("unchanged " + oci + ":latest"), r::toString);
    assertTrue(Arrays.stream(lines).allMatch(l -> l.endsWith("[dry run]")), r::toString);
    assertEquals(before, snapshot(hello));
  }

  @Test
  void noOverwriteBlocksWithExitThreeAndKeepsTheTag() throws IOException {
    Map<String, String> before = snapshot(hello);
    CliRun r = CliRun.of("tag", "--no-overwrite", oci + ":latest", "amd64");
    assertEquals(3, r.code(), r::toString);
    assertTrue(r.stdout().startsWith("blocked   " + oci + ":amd64"), r::toString);
    assertTrue(r.stdout().contains("--no-overwrite"), r::toString);
    assertEquals(before, snapshot(hello));
  }

  @Test
  void tagsAndUntag() {
    assertEquals(0, CliRun.of("tag", "-j", "1", oci + ":latest", "a", "b").code());
    assertEquals("latest\namd64\narm64\na\nb\n", CliRun.of("tags", oci).stdout());

    CliRun untag = CliRun.of("untag", oci + ":a");
    assertEquals(0, untag.code(), untag::toString);
    assertEquals("removed   " + oci + ":a\n", untag.stdout());
    assertEquals("latest\namd64\narm64\nb\n", CliRun.of("tags", oci).stdout());
    assertEquals(0, CliRun.of("digest", oci + ":b").code(), "the image stays with its other tags");

    CliRun missing = CliRun.of("untag", oci + ":a", oci + ":b");
    assertEquals(4, missing.code(), missing::toString);
    assertTrue(
        missing.stdout().contains("failed    " + oci + ":a: tag 'a' is not in layout"),
        missing::toString);
    assertTrue(missing.stdout().contains("removed   " + oci + ":b"), missing::toString);
  }

  @Test
  void versionAndHelp() {
    CliRun version = CliRun.of("--version");
    assertEquals(0, version.code());
    assertTrue(version.stdout().startsWith("ocitag "), version::toString);
    for (String cmd : new String[] {"tag", "manifest", "digest", "tags", "untag", "batch"}) {
      CliRun help = CliRun.of(cmd, "--help");
      assertEquals(0, help.code(), help::toString);
      assertTrue(help.stdout().startsWith("Usage: ocitag " + cmd + " [OPTIONS] "), help::toString);
      assertEquals(help.stdout(), CliRun.of("help", cmd).stdout());
    }
    CliRun top = CliRun.of("--help");
    assertEquals(0, top.code(), top::toString);
    assertTrue(top.stdout().contains("  batch      Run many retags"), top::toString);
    assertTrue(top.stdout().contains("Exit codes: 0 done"), top::toString);
    CliRun none = CliRun.of();
    assertEquals(2, none.code(), "no command is a usage error");
    assertEquals(top.stdout(), none.stdout());
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
