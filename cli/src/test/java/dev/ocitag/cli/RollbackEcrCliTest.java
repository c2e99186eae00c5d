package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback on ECR (through the AWS SDK against the test-scope endpoint): a moved tag goes back to
 * an image the move left untagged, a created one is removed with BatchDeleteImage; and as ECR does,
 * removing an image's last tag deletes the image, so putting that tag back fails naming it.
 */
class RollbackEcrCliTest {
  private static FakeEcr ecr;
  private static final TestImage SRC = TestImages.ociImage("rollback-ecr");
  private static final TestImage OLD = TestImages.dockerImage("rollback-ecr-old");

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    System.setProperty("aws.accessKeyId", FakeEcr.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", FakeEcr.SECRET_KEY);
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

  private static CliRun ocitag(String... args) {
    List<String> all =
        new java.util.ArrayList<>(
            List.of("--endpoint-url", ecr.endpoint(), "--region", "us-east-1"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  @Test
  void movedGoesBackToTheImageTheMoveLeftUntaggedCreatedIsRemovedAndTheRollbackRollsBack()
      throws Exception {
    ecr.createRepository("rb-app");
    ecr.seed("rb-app", SRC, "src");
    ecr.seed("rb-app", OLD, "stable"); // its only tag: the move leaves it untagged
    CliRun tag = ocitag("-o", "json", "tag", "ecr:rb-app:src", "stable", "v1");
    assertEquals(0, tag.code(), tag::toString);
    Path report = Files.writeString(tmp.resolve("tag.json"), tag.stdout());

    CliRun rollback = ocitag("-o", "json", "rollback", report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    assertArrayEquals(OLD.bytes(), ecr.manifestBytes("rb-app", "stable"));
    assertEquals(Set.of("src", "stable"), ecr.tags("rb-app"));
    Path undo = Files.writeString(tmp.resolve("rollback.json"), rollback.stdout());

    CliRun redo = ocitag("rollback", undo.toString());

    assertEquals(0, redo.code(), redo::toString);
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("rb-app", "stable"));
    assertArrayEquals(SRC.bytes(), ecr.manifestBytes("rb-app", "v1"));
  }

  @Test
  void anImageDeletedWithItsLastTagCannotBePutBackAndTheFailureNamesIt() throws Exception {
    ecr.createRepository("rb-last");
    ecr.seed("rb-last", SRC, "src");
    CliRun tag = ocitag("-o", "json", "tag", "ecr:rb-last:src", "v1");
    assertEquals(0, tag.code(), tag::toString);
    Path report = Files.writeString(tmp.resolve("tag.json"), tag.stdout());
    assertEquals(0, ocitag("untag", "ecr:rb-last:src").code(), "v1 is left the image's last tag");

    CliRun rollback = ocitag("-o", "json", "rollback", report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    assertEquals(Set.of(), ecr.tags("rb-last"));
    Path undo = Files.writeString(tmp.resolve("rollback.json"), rollback.stdout());

    CliRun redo = ocitag("rollback", undo.toString());

    assertEquals(1, redo.code(), redo::toString);
    assertTrue(
        redo.stdout()
            .startsWith(
                "failed    ecr:rb-last:v1: cannot put ecr:rb-last:v1 back: the manifest "
                    + SRC.digest()
                    + " it pointed at before is no longer in ecr:rb-last; the tag is left absent"),
        redo::toString);
    assertEquals(Set.of(), ecr.tags("rb-last"));
  }
}
