package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI against an ECR endpoint that answers BatchGetImage as moto and LocalStack do: an image
 * read by tag names the tag stored last on it. Once an image has several tags, every command still
 * reads it by each of them.
 */
class EcrMotoEchoCliTest {
  private static FakeEcr ecr;
  private static final TestImage SRC = TestImages.ociImage("cli-moto");
  private static final TestImage OTHER = TestImages.dockerImage("cli-moto-other");

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("aws.accessKeyId", FakeEcr.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", FakeEcr.SECRET_KEY);
    System.setProperty("ocitag.ecr.putRate", "10000");
    ecr = FakeEcr.start();
    ecr.echoLikeMoto(true);
  }

  @AfterAll
  static void stop() {
    ecr.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("ocitag.ecr.putRate");
  }

  private static CliRun ocitag(String... args) {
    List<String> all =
        new ArrayList<>(List.of("--endpoint-url", ecr.endpoint(), "--region", "us-east-1"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  @Test
  void anImageWithSeveralTagsIsReadByEachTagInEveryCommand() {
    ecr.createRepository("moto-app");
    ecr.seed("moto-app", SRC, "v1");
    ecr.seed("moto-app", OTHER, "old");

    CliRun first = ocitag("tag", "ecr:moto-app:v1", "a", "b", "c");
    assertEquals(0, first.code(), first::toString);
    assertEquals(3, first.stdout().lines().filter(l -> l.startsWith("created ")).count());

    for (String t : List.of("v1", "a", "b", "c")) {
      CliRun digest = ocitag("digest", "ecr:moto-app:" + t);
      assertEquals(0, digest.code(), digest::toString);
      assertEquals(SRC.digest().toString(), digest.stdout().strip(), t);
      CliRun manifest = ocitag("manifest", "ecr:moto-app:" + t);
      assertEquals(0, manifest.code(), manifest::toString);
      assertArrayEquals(SRC.bytes(), manifest.stdoutBytes(), t);
    }

    CliRun retag = ocitag("tag", "ecr:moto-app:v1", "d", "old", "a");
    assertEquals(0, retag.code(), retag::toString);
    List<String> lines = retag.stdout().lines().toList();
    assertTrue(lines.get(0).startsWith("created   ecr:moto-app:d"), retag::toString);
    assertTrue(lines.get(1).startsWith("moved     ecr:moto-app:old"), retag::toString);
    assertTrue(lines.get(1).contains("(was " + OTHER.digest() + ")"), retag::toString);
    assertTrue(lines.get(2).startsWith("unchanged ecr:moto-app:a"), retag::toString);
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("moto-app", "old"));

    CliRun batch =
        RegistryCliTest.runWithStdin(
            "ecr:moto-app:c e f\necr:moto-app:b v1 d\n",
            "--endpoint-url",
            ecr.endpoint(),
            "--region",
            "us-east-1",
            "batch",
            "-");
    assertEquals(0, batch.code(), batch::toString);
    assertEquals(2, batch.stdout().lines().filter(l -> l.startsWith("created ")).count());
    assertEquals(2, batch.stdout().lines().filter(l -> l.startsWith("unchanged ")).count());

    CliRun tags = ocitag("tags", "ecr:moto-app");
    assertEquals(
        Set.of("v1", "a", "b", "c", "d", "e", "f", "old"),
        Set.copyOf(tags.stdout().lines().toList()));

    CliRun untag = ocitag("untag", "ecr:moto-app:f", "ecr:moto-app:v1");
    assertEquals(0, untag.code(), untag::toString);
    CliRun gone = ocitag("digest", "ecr:moto-app:v1");
    assertEquals(4, gone.code(), gone::toString);
    assertFalse(gone.stderr().contains("returned no image"), gone::toString);
    CliRun kept = ocitag("digest", "ecr:moto-app:e");
    assertEquals(0, kept.code(), kept::toString);
    assertEquals(SRC.digest().toString(), kept.stdout().strip());
  }
}
