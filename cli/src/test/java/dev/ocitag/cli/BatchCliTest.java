package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ocitag batch} on layouts: many sources, a rerun, bad lines, JSON in and out. */
class BatchCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private String one;
  private String two;

  @BeforeEach
  void copyLayouts() throws IOException {
    ExampleLayout.copy(tmp.resolve("one"));
    ExampleLayout.copy(tmp.resolve("two"));
    one = "oci:" + tmp.resolve("one");
    two = "oci:" + tmp.resolve("two");
  }

  private Path file(String text) throws IOException {
    return Files.writeString(Files.createTempFile(tmp, "batch", ".txt"), text);
  }

  /** Both layouts, file by file (the batch files beside them left out). */
  private Map<String, String> layouts() throws IOException {
    Map<String, String> all = new java.util.TreeMap<>(LayoutCliTest.snapshot(tmp.resolve("one")));
    LayoutCliTest.snapshot(tmp.resolve("two")).forEach((k, v) -> all.put("two/" + k, v));
    return all;
  }

  @Test
  void runsEveryLineAcrossLayoutsAndARerunIsUnchanged() throws IOException {
    Path batch =
        file(
            "# a promotion\n"
                + one
                + ":latest v1 v2\n\n"
                + one
                + ":amd64 platform\n"
                + two
                + ":latest v1 "
                + two
                + ":v2\n"
                + one
                + ":latest v3   v1\n");

    CliRun first = CliRun.of("batch", batch.toString());

    assertEquals(0, first.code(), first::toString);
    assertEquals(
        6, first.stdout().lines().filter(l -> l.startsWith("created ")).count(), first::toString);
    assertTrue(first.stderr().contains("6 tags on 3 sources"), first::toString);
    assertTrue(
        first.stderr().contains("6 created, 0 moved, 0 unchanged, 0 blocked, 0 failed"),
        first::toString);
    assertEquals(
        CliRun.of("digest", one + ":latest").stdout(), CliRun.of("digest", one + ":v3").stdout());
    assertEquals(
        CliRun.of("digest", one + ":amd64").stdout(),
        CliRun.of("digest", one + ":platform").stdout());
    assertEquals(
        java.util.Set.of("latest", "amd64", "arm64", "v1", "v2"),
        java.util.Set.copyOf(CliRun.of("tags", two).stdout().lines().toList()));

    CliRun again = CliRun.of("batch", batch.toString());
    assertEquals(0, again.code(), again::toString);
    assertEquals(
        6, again.stdout().lines().filter(l -> l.startsWith("unchanged ")).count(), again::toString);
  }

  @Test
  void aBadLineIsReportedWithItsNumberBeforeAnythingIsWritten() throws IOException {
    Map<String, String> before = layouts();
    Path batch =
        file(one + ":latest good\n\n" + one + ":latest Bad!Tag\n" + two + ":latest fine\n");

    CliRun r = CliRun.of("batch", batch.toString());

    assertEquals(2, r.code(), r::toString);
    assertTrue(r.stderr().startsWith("ocitag: line 3: invalid reference 'Bad!Tag'"), r::toString);
    assertEquals(before, layouts());
  }

  @Test
  void aMissingSourceFailsOnlyItsOwnTargetsAndTheExitCodeSaysNotFound() throws IOException {
    Path batch = file(one + ":nope a b\n" + two + ":latest c\n");

    CliRun r = CliRun.of("batch", batch.toString());

    assertEquals(4, r.code(), r::toString);
    assertEquals(2, r.stdout().lines().filter(l -> l.startsWith("failed ")).count(), r::toString);
    assertTrue(r.stdout().contains("tag 'nope' is not in layout"), r::toString);
    assertTrue(r.stdout().contains("created   " + two + ":c"), r::toString);
  }

  @Test
  void jsonInAndOut() throws IOException {
    Path batch =
        Files.writeString(
            tmp.resolve("batch.json"),
            "{\"retags\": [{\"source\": \""
                + one
                + ":latest\", \"targets\": [\"j1\", \"amd64\"]},"
                + " {\"source\": \""
                + two
                + ":arm64\", \"targets\": [\"j2\"]}]}");

    CliRun r = CliRun.of("batch", "-o", "json", "--no-overwrite", batch.toString());

    assertEquals(3, r.code(), r::toString);
    JsonNode reports = JSON.readTree(r.stdoutBytes()).get("reports");
    assertEquals(2, reports.size());
    assertEquals(one + ":latest", reports.get(0).at("/source/ref").asText());
    assertEquals("created", reports.get(0).at("/results/0/outcome").asText());
    assertEquals("blocked", reports.get(0).at("/results/1/outcome").asText());
    assertEquals("created", reports.get(1).at("/results/0/outcome").asText());
  }

  @Test
  void badJsonAndEmptyFilesAreUsageErrors() throws IOException {
    assertEquals(2, CliRun.of("batch", file("[{\"source\": 1}]").toString()).code());
    assertEquals(2, CliRun.of("batch", file("{not json").toString()).code());
    assertEquals(2, CliRun.of("batch", file("# nothing\n\n").toString()).code());
    assertEquals(2, CliRun.of("batch", file(one + ":latest\n").toString()).code());
    CliRun missing = CliRun.of("batch", tmp.resolve("absent.txt").toString());
    assertEquals(4, missing.code(), missing::toString);
  }

  @Test
  void dryRunWritesNothing() throws IOException {
    Map<String, String> before = layouts();
    CliRun r = CliRun.of("batch", "--dry-run", file(one + ":latest a amd64\n").toString());
    assertEquals(0, r.code(), r::toString);
    assertTrue(r.stdout().contains("created   " + one + ":a"), r::toString);
    assertTrue(r.stdout().contains("moved     " + one + ":amd64"), r::toString);
    assertEquals(before, layouts());
  }
}
