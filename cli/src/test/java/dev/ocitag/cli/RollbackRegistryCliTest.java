package dev.ocitag.cli;

import static dev.ocitag.core.testing.ExternalTools.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback and {@code --atomic} across two real registries (distribution 2.x, which deletes tags
 * only through ocitag's placeholder) and a layout, checked with skopeo.
 */
class RollbackRegistryCliTest {
  @RegisterExtension static final RealRegistry dev = RealRegistry.open();
  @RegisterExtension static final RealRegistry prod = RealRegistry.open();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static List<String> tags(ImageRef repo) {
    CliRun r = CliRun.of("tags", repo.toString());
    assertEquals(0, r.code(), r::toString);
    return r.stdout().lines().sorted().toList();
  }

  @Test
  void aPromotionAcrossRegistriesIsUndoneAndRollingTheRollbackBackRedoesIt() throws Exception {
    ImageRef src = dev.newRepository("rb-src");
    ImageRef dst = prod.newRepository("rb-prod");
    TestImage index = TestImages.ociIndex("rollback-registry");
    TestImage old = TestImages.dockerImage("rollback-registry-old");
    RegistrySeeder.seed(dev, src, index, "1.0");
    RegistrySeeder.seed(prod, dst, old, "stable");
    Path air = tmp.resolve("air");
    String layout = "oci:" + air;

    CliRun promote =
        CliRun.of(
            "-o",
            "json",
            "tag",
            src + ":1.0",
            dst + ":1.0",
            dst + ":stable",
            src + ":rc",
            layout + ":1.0");
    assertEquals(0, promote.code(), promote::toString);
    List<String> outcomes = new ArrayList<>();
    JSON.readTree(promote.stdout())
        .get("results")
        .forEach(r -> outcomes.add(r.get("outcome").asText()));
    assertEquals(List.of("created", "moved", "created", "created"), outcomes);
    Path report = Files.writeString(tmp.resolve("promote.json"), promote.stdout());

    CliRun rollback = CliRun.of("-o", "json", "rollback", report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    assertArrayEquals(
        old.bytes(),
        RegistryCliTest.skopeoRaw(dst.withTag("stable")),
        "stable is back, byte for byte");
    assertEquals(List.of("stable"), tags(dst), "1.0 is gone from prod");
    assertEquals(List.of("1.0"), tags(src), "rc is gone from dev, the source stays");
    assertEquals(Map.of(), RollbackCliTest.tags(air));
    assertArrayEquals(
        index.bytes(),
        RegistryCliTest.skopeoRaw(dst.withDigest(index.digest())),
        "untag kept the image");
    Path undo = Files.writeString(tmp.resolve("rollback.json"), rollback.stdout());

    CliRun redo = CliRun.of("rollback", undo.toString());

    assertEquals(0, redo.code(), redo::toString);
    for (ImageRef tag : List.of(dst.withTag("1.0"), dst.withTag("stable"), src.withTag("rc"))) {
      assertArrayEquals(index.bytes(), RegistryCliTest.skopeoRaw(tag), tag::toString);
    }
    assertArrayEquals(index.bytes(), run("skopeo", "inspect", "--raw", layout + ":1.0"));
    assertTrue(
        redo.stdout().contains("created   " + dst + ":1.0 " + index.digest()), redo::toString);
    assertTrue(
        redo.stdout().contains("moved     " + dst + ":stable " + index.digest()), redo::toString);
  }

  @Test
  void aTagMovedInTheRegistrySinceIsAConflictAndLeftAlone() throws Exception {
    ImageRef repo = dev.newRepository("rb-conflict");
    TestImage image = TestImages.ociImage("rollback-conflict");
    TestImage other = TestImages.dockerImage("rollback-conflict-other");
    RegistrySeeder.seed(dev, repo, image, "1.0");
    RegistrySeeder.seed(dev, repo, other, "other");
    CliRun tag = CliRun.of("-o", "json", "tag", repo + ":1.0", "stable");
    Path report = Files.writeString(tmp.resolve("tag.json"), tag.stdout());
    assertEquals(0, CliRun.of("tag", repo + ":other", "stable").code(), "someone else moves it");

    CliRun rollback = CliRun.of("rollback", report.toString());

    assertEquals(3, rollback.code(), rollback::toString);
    assertTrue(
        rollback.stdout().startsWith("conflict  " + repo + ":stable " + other.digest()),
        rollback::toString);
    assertArrayEquals(other.bytes(), RegistryCliTest.skopeoRaw(repo.withTag("stable")));
  }

  @Test
  void atomicWithAnUnreachableRegistryAmongReachableOnesLeavesNothingBehind() throws Exception {
    ImageRef src = dev.newRepository("rb-atomic");
    ImageRef dst = prod.newRepository("rb-atomic-prod");
    TestImage image = TestImages.ociImage("rollback-atomic");
    TestImage old = TestImages.dockerImage("rollback-atomic-old");
    RegistrySeeder.seed(dev, src, image, "1.0");
    RegistrySeeder.seed(dev, src, old, "stable");
    RegistrySeeder.seed(prod, dst, old, "stable");
    Path report = tmp.resolve("atomic.jsonl");

    CliRun r =
        CliRun.of(
            "-o",
            "json",
            "batch",
            "--atomic",
            "--report",
            report.toString(),
            Files.writeString(
                    tmp.resolve("release.txt"),
                    src
                        + ":1.0 stable 1.0.1 "
                        + dst
                        + ":1.0 "
                        + dst
                        + ":stable 127.0.0.1:1/nowhere:1.0\n")
                .toString());

    assertEquals(1, r.code(), r::toString);
    assertArrayEquals(old.bytes(), RegistryCliTest.skopeoRaw(src.withTag("stable")));
    assertArrayEquals(old.bytes(), RegistryCliTest.skopeoRaw(dst.withTag("stable")));
    assertEquals(List.of("1.0", "stable"), tags(src));
    assertEquals(List.of("stable"), tags(dst));
    List<String> outcomes = new ArrayList<>();
    for (JsonNode result : JSON.readTree(r.stdout()).get("reports").get(0).get("results")) {
      outcomes.add(result.get("outcome").asText());
      if (result.get("outcome").asText().equals("rolled-back")) {
        assertTrue(
            result.get("reason").asText().contains("127.0.0.1:1/nowhere:1.0 failed"), r::toString);
      }
    }
    assertEquals(
        List.of("rolled-back", "rolled-back", "rolled-back", "rolled-back", "failed"), outcomes);
    assertTrue(r.stderr().contains("4 rolled-back"), r::toString);
    List<String> lines = Files.readAllLines(report);
    assertEquals(6, lines.size(), lines::toString);
    assertFalse(
        lines.stream().anyMatch(l -> l.contains("\"outcome\":\"created\"")), "nothing was written");
  }
}
