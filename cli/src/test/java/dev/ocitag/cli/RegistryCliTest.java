package dev.ocitag.cli;

import static dev.ocitag.core.testing.ExternalTools.run;
import static dev.ocitag.core.testing.ExternalTools.sha256sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CLI against a real registry process (docker-registry), checked with skopeo and sha256sum. */
class RegistryCliTest {

  static byte[] skopeoRaw(ImageRef ref, String... auth) {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("skopeo", "inspect", "--raw", "--tls-verify=false"));
    cmd.addAll(List.of(auth));
    cmd.add("docker://" + ref);
    return run(cmd.toArray(String[]::new));
  }

  @RegisterExtension static final RealRegistry registry = RealRegistry.open();

  @Test
  void tagIsByteExactAndASecondRunIsUnchangedWithoutAPut() throws Exception {
    ImageRef repo = registry.newRepository("cli");
    TestImage image = TestImages.ociImage("cli-registry");
    RegistrySeeder.seed(registry, repo, image, "1.0");

    CliRun first = CliRun.of("tag", repo + ":1.0", "1.0.1", "stable");

    assertEquals(0, first.code(), first::toString);
    assertEquals(
        2, first.stdout().lines().filter(l -> l.startsWith("created ")).count(), first::toString);
    for (String tag : List.of("1.0.1", "stable")) {
      byte[] raw = skopeoRaw(repo.withTag(tag));
      assertArrayEquals(image.bytes(), raw, tag);
      assertEquals(image.digest().toString(), sha256sum(raw), tag);
    }

    CliRun again = CliRun.of("tag", "--debug", repo + ":1.0", "1.0.1", "stable");
    assertEquals(0, again.code(), again::toString);
    assertEquals(
        2, again.stdout().lines().filter(l -> l.startsWith("unchanged ")).count(), again::toString);
    assertFalse(again.stderr().contains("> PUT "), "no PUT when unchanged:\n" + again.stderr());
    assertTrue(again.stderr().contains("> HEAD "), again::toString);
  }

  @Test
  void indexesStayIndexesAndManifestDigestTagsUntagWork() throws Exception {
    ImageRef repo = registry.newRepository("cli-index");
    TestImage index = TestImages.dockerManifestList("cli-registry");
    RegistrySeeder.seed(registry, repo, index, "multi");

    assertEquals(0, CliRun.of("tag", repo + ":multi", "copy").code());

    CliRun manifest = CliRun.of("manifest", repo + ":copy");
    assertArrayEquals(index.bytes(), manifest.stdoutBytes());
    assertArrayEquals(index.bytes(), skopeoRaw(repo.withTag("copy")));
    assertEquals(index.digest() + "\n", CliRun.of("digest", repo + ":copy").stdout());
    assertEquals(
        List.of("copy", "multi"),
        CliRun.of("tags", repo.toString()).stdout().lines().sorted().toList());
    CliRun untag = CliRun.of("untag", repo + ":copy");
    assertEquals(0, untag.code(), untag::toString);
    assertEquals(List.of("multi"), CliRun.of("tags", repo.toString()).stdout().lines().toList());
    assertArrayEquals(
        index.bytes(), skopeoRaw(repo.withTag("multi")), "the image and its other tag stay");
  }

  @Test
  void aBatchAcrossRepositoriesAndAMissingSource() throws Exception {
    ImageRef a = registry.newRepository("batch-a");
    ImageRef b = registry.newRepository("batch-b");
    TestImage image = TestImages.dockerImage("cli-batch");
    RegistrySeeder.seed(registry, a, image, "src");
    RegistrySeeder.seed(registry, b, image, "src");
    String file = a + ":src x y\n" + b + ":src x\n" + b + ":absent z\n";

    CliRun batch = runWithStdin(file, "batch", "-j", "4", "-");

    assertEquals(4, batch.code(), batch::toString);
    assertEquals(
        3, batch.stdout().lines().filter(l -> l.startsWith("created ")).count(), batch::toString);
    assertTrue(batch.stdout().contains("failed    " + b + ":z"), batch::toString);
    assertArrayEquals(image.bytes(), skopeoRaw(b.withTag("x")));
  }

  static CliRun runWithStdin(String input, String... args) {
    java.io.InputStream saved = System.in;
    System.setIn(
        new java.io.ByteArrayInputStream(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    try {
      return CliRun.of(args);
    } finally {
      System.setIn(saved);
    }
  }
}
