package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI through the real AWS SDK (signing, JSON 1.1, error mapping) against the test-scope ECR
 * endpoint, as a user runs it with --endpoint-url.
 */
class EcrCliTest {
  private static FakeEcr ecr;
  private static final TestImage SRC = TestImages.ociImage("cli-ecr");
  private static final TestImage OTHER = TestImages.dockerImage("cli-ecr-other");

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("aws.accessKeyId", FakeEcr.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", FakeEcr.SECRET_KEY);
    // the client keeps to ECR's default PutImage quota (10/s); the endpoint here has none
    System.setProperty("ocitag.ecr.putRate", "10000");
    ecr = FakeEcr.start();
  }

  @AfterAll
  static void stop() {
    ecr.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("ocitag.ecr.putRate");
  }

  @BeforeEach
  void reset() {
    ecr.resetCounts();
  }

  private static CliRun ocitag(String... args) {
    List<String> all =
        new java.util.ArrayList<>(
            List.of("--endpoint-url", ecr.endpoint(), "--region", "us-east-1"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  private static CliRun batch(String stdin) {
    return RegistryCliTest.runWithStdin(
        stdin, "--endpoint-url", ecr.endpoint(), "--region", "us-east-1", "batch", "-");
  }

  @Test
  void aRetagKeepsTheBytesAndTheTrailingNewline() {
    ecr.createRepository("cli-app");
    ecr.seed("cli-app", SRC, "src");

    CliRun r = ocitag("tag", "ecr:cli-app:src", "t1", "t2");

    assertEquals(0, r.code(), r::toString);
    assertEquals(2, r.stdout().lines().filter(l -> l.startsWith("created ")).count(), r::toString);
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("cli-app", "t1"));
    assertEquals(SRC.digest(), ecr.tagDigest("cli-app", "t2"));
    CliRun manifest = ocitag("manifest", "ecr:cli-app:t1");
    assertArrayEquals(SRC.bytes(), manifest.stdoutBytes());
    assertEquals(SRC.digest().toString(), ExternalTools.sha256sum(manifest.stdoutBytes()));
  }

  @Test
  void anImmutableRepositoryCreatesBlocksAndLeavesUnchangedAndDryRunPredictsIt() {
    ecr.createRepository("cli-locked", "IMMUTABLE");
    ecr.seed("cli-locked", SRC, "src");
    ecr.seed("cli-locked", SRC, "same");
    ecr.seed("cli-locked", OTHER, "taken");

    CliRun dry = ocitag("tag", "--dry-run", "ecr:cli-locked:src", "new", "taken", "same");
    assertEquals(3, dry.code(), dry::toString);
    assertEquals(0, ecr.calls("PutImage"));

    CliRun r = ocitag("tag", "ecr:cli-locked:src", "new", "taken", "same");

    assertEquals(3, r.code(), r::toString);
    List<String> lines = r.stdout().lines().toList();
    assertTrue(lines.get(0).startsWith("created   ecr:cli-locked:new"), r::toString);
    assertTrue(lines.get(1).startsWith("blocked   ecr:cli-locked:taken"), r::toString);
    assertTrue(lines.get(1).contains("immutable"), r::toString);
    assertTrue(lines.get(2).startsWith("unchanged ecr:cli-locked:same"), r::toString);
    assertEquals(1, ecr.calls("PutImage"));
    assertEquals(OTHER.digest(), ecr.tagDigest("cli-locked", "taken"));
    assertEquals(
        0, ocitag("tag", "ecr:cli-locked:src", "same").code(), "unchanged alone is exit 0");
  }

  @Test
  void withoutDescribeRepositoriesADryRunSaysThePolicyIsUnknownAndPutImageDecides() {
    ecr.createRepository("cli-nodescribe", "IMMUTABLE");
    ecr.seed("cli-nodescribe", SRC, "src");
    ecr.seed("cli-nodescribe", OTHER, "a");
    ecr.seed("cli-nodescribe", OTHER, "b");
    ecr.deny("DescribeRepositories", true);
    try {
      CliRun dry = ocitag("tag", "--dry-run", "ecr:cli-nodescribe:src", "a", "b", "c");

      assertEquals(0, dry.code(), dry::toString);
      List<String> predicted = dry.stdout().lines().toList();
      for (String line : predicted.subList(0, 2)) {
        assertTrue(line.startsWith("moved "), dry::toString);
        assertTrue(
            line.contains(
                "the repository's tag policy is unknown (DescribeRepositories was denied:"
                    + " AccessDeniedException)"),
            dry::toString);
      }
      assertTrue(predicted.get(2).startsWith("created   ecr:cli-nodescribe:c"), dry::toString);
      assertEquals(Map.of("BatchGetImage", 1, "DescribeRepositories", 1), ecr.counts());

      ecr.resetCounts();
      CliRun r = ocitag("tag", "ecr:cli-nodescribe:src", "a", "b", "c");

      assertEquals(3, r.code(), r::toString);
      List<String> lines = r.stdout().lines().toList();
      assertTrue(lines.get(0).startsWith("blocked   ecr:cli-nodescribe:a"), r::toString);
      assertTrue(lines.get(1).startsWith("blocked   ecr:cli-nodescribe:b"), r::toString);
      assertTrue(lines.get(1).contains("immutable"), r::toString);
      assertTrue(lines.get(2).startsWith("created   ecr:cli-nodescribe:c"), r::toString);
      assertEquals(
          Map.of("BatchGetImage", 1, "DescribeRepositories", 1, "PutImage", 3), ecr.counts());
      assertEquals(OTHER.digest(), ecr.tagDigest("cli-nodescribe", "a"));
      assertEquals(SRC.digest(), ecr.tagDigest("cli-nodescribe", "c"));
    } finally {
      ecr.deny("DescribeRepositories", false);
    }
  }

  @Test
  void aBatchOf250TagsCostsOneBatchGetImageAndOneListImages() {
    ecr.createRepository("cli-many");
    ecr.seed("cli-many", SRC, "src");
    String line =
        "ecr:cli-many:src "
            + String.join(" ", IntStream.range(0, 250).mapToObj(i -> "m" + i).toList());

    CliRun r = batch(line + "\n");

    assertEquals(0, r.code(), r::toString);
    assertEquals(250, r.stdout().lines().filter(l -> l.startsWith("created ")).count());
    assertEquals(Map.of("BatchGetImage", 1, "ListImages", 1, "PutImage", 250), ecr.counts());
  }

  @Test
  void aThousandTagsCostOneBatchGetImageAndOneListImagesAndAgainNoPutImage() {
    ecr.createRepository("cli-thousand");
    ecr.seed("cli-thousand", SRC, "src");
    List<String> args = new java.util.ArrayList<>(List.of("tag", "ecr:cli-thousand:src"));
    IntStream.range(0, 1000).forEach(i -> args.add("k" + i));

    CliRun first = ocitag(args.toArray(String[]::new));

    assertEquals(0, first.code(), first::toString);
    assertEquals(1000, first.stdout().lines().filter(l -> l.startsWith("created ")).count());
    assertEquals(Map.of("BatchGetImage", 1, "ListImages", 1, "PutImage", 1000), ecr.counts());
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("cli-thousand", "k999"));

    ecr.resetCounts();
    CliRun again = ocitag(args.toArray(String[]::new));

    assertEquals(0, again.code(), again::toString);
    assertEquals(1000, again.stdout().lines().filter(l -> l.startsWith("unchanged ")).count());
    assertEquals(Map.of("BatchGetImage", 1, "ListImages", 1), ecr.counts());
  }

  @Test
  void aBatchOverSeveralRepositoriesCostsOneBatchGetImageEach() {
    StringBuilder lines = new StringBuilder();
    for (int r = 0; r < 5; r++) {
      ecr.createRepository("cli-batch-" + r);
      ecr.seed("cli-batch-" + r, SRC, "src");
      ecr.seed("cli-batch-" + r, OTHER, "old");
      lines.append("ecr:cli-batch-").append(r).append(":src old new src\n");
    }
    ecr.resetCounts();

    CliRun r = batch(lines.toString());

    assertEquals(0, r.code(), r::toString);
    assertEquals(5, r.stdout().lines().filter(l -> l.startsWith("moved ")).count(), r::toString);
    assertEquals(5, r.stdout().lines().filter(l -> l.startsWith("created ")).count(), r::toString);
    assertEquals(5, r.stdout().lines().filter(l -> l.startsWith("unchanged ")).count());
    assertEquals(
        Map.of("BatchGetImage", 5, "DescribeRepositories", 5, "PutImage", 10), ecr.counts());
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("cli-batch-4", "old"));
  }

  @Test
  void aTargetEcrCannotServeFailsAloneInABatch() {
    ecr.createRepository("cli-kms");
    ecr.seed("cli-kms", SRC, "src");
    ecr.seed("cli-kms", OTHER, "bad");
    ecr.failImage("bad", "KmsError");
    try {
      CliRun r = batch("ecr:cli-kms:src good bad\n");

      assertEquals(1, r.code(), r::toString);
      List<String> lines = r.stdout().lines().toList();
      assertTrue(lines.get(0).startsWith("created   ecr:cli-kms:good"), r::toString);
      assertTrue(lines.get(1).startsWith("failed    ecr:cli-kms:bad"), r::toString);
      assertTrue(lines.get(1).contains("KmsError"), r::toString);
      // source and targets, then the source alone, then each target alone
      assertEquals(Map.of("BatchGetImage", 4, "PutImage", 1), ecr.counts());
      assertEquals(OTHER.digest(), ecr.tagDigest("cli-kms", "bad"));
    } finally {
      ecr.failImage("bad", null);
    }
  }

  @Test
  void aMissingSourceIsNotFoundAfterOneCall() {
    ecr.createRepository("cli-empty");
    for (String source : List.of("ecr:cli-empty:nope", "ecr:cli-empty@sha256:" + "0".repeat(64))) {
      ecr.resetCounts();
      CliRun r = ocitag("tag", source, "x", "y");
      assertEquals(4, r.code(), r::toString);
      assertEquals(1, r.stderr().lines().count(), r::toString);
      assertEquals(Map.of("BatchGetImage", 1), ecr.counts(), source);
    }
    ecr.resetCounts();
    CliRun batch = batch("ecr:cli-empty:nope x y\n");
    assertEquals(4, batch.code(), batch::toString);
    assertEquals(Map.of("BatchGetImage", 1), ecr.counts(), "a batch asks once too");
  }

  @Test
  void aMissingRepositoryIsNotFound() {
    CliRun r = ocitag("tag", "ecr:cli-nowhere:src", "x");
    assertEquals(4, r.code(), r::toString);
    assertEquals(1, r.stderr().lines().count(), r::toString);
  }
}
