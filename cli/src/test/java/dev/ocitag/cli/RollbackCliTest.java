package dev.ocitag.cli;

import static dev.ocitag.core.testing.ExternalTools.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --report}, {@code ocitag rollback} and {@code --atomic} on layouts: moved tags go back
 * byte for byte (skopeo agrees), created ones go, a rollback rolled back restores the run, a killed
 * batch is undone from its report file, a tag moved by someone else is left alone, bad reports
 * change nothing.
 */
class RollbackCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AMD64 =
      "sha256:ffb754a1393e253a47948bc459c644281f753f33410fedbd71db548b46eee273";
  private static final String INDEX =
      "sha256:7143580665883bf4a770e8582aa3e742a246d8cdab57fac0870c6163a760f70a";

  @TempDir Path tmp;
  private Path one;
  private String oci;
  private String two;

  @BeforeEach
  void copyLayouts() throws IOException {
    one = ExampleLayout.copy(tmp.resolve("one"));
    oci = "oci:" + one;
    two = "oci:" + tmp.resolve("two");
  }

  /** Every tag of a layout and its digest, as index.json says ({} when there is no layout). */
  static Map<String, String> tags(Path layout) throws IOException {
    Map<String, String> tags = new TreeMap<>();
    Path index = layout.resolve("index.json");
    if (!Files.exists(index)) {
      return tags;
    }
    for (JsonNode e : JSON.readTree(index.toFile()).get("manifests")) {
      JsonNode name = e.path("annotations").get("org.opencontainers.image.ref.name");
      if (name != null) {
        tags.put(name.asText(), e.get("digest").asText());
      }
    }
    return tags;
  }

  private Map<String, Map<String, String>> state() throws IOException {
    Map<String, Map<String, String>> all = new LinkedHashMap<>();
    all.put("one", tags(one));
    all.put("two", tags(tmp.resolve("two")));
    return all;
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(tmp.resolve(name), content);
  }

  private static List<JsonNode> lines(Path file) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      nodes.add(JSON.readTree(line));
    }
    return nodes;
  }

  private static byte[] skopeoRaw(String ref) {
    return run("skopeo", "inspect", "--raw", ref);
  }

  @Test
  void movedGoesBackByteForByteCreatedGoesAndRollingTheRollbackBackRedoesTheRun()
      throws IOException {
    byte[] amd64 = skopeoRaw(oci + ":amd64");
    Map<String, Map<String, String>> before = state();
    CliRun tag = CliRun.of("-o", "json", "tag", oci + ":latest", "amd64", "v2", two + ":v1");
    assertEquals(0, tag.code(), tag::toString);
    Path report = write("tag.json", tag.stdout());
    Map<String, Map<String, String>> after = state();
    assertEquals(INDEX, after.get("one").get("amd64"));

    CliRun rollback = CliRun.of("-o", "json", "rollback", report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    assertEquals(before, state());
    assertArrayEquals(amd64, skopeoRaw(oci + ":amd64"), "skopeo reads the very bytes again");
    JsonNode json = JSON.readTree(rollback.stdout());
    assertEquals(report.toString(), json.path("rollback").path("report").asText());
    Map<String, JsonNode> byTarget = new LinkedHashMap<>();
    json.get("results").forEach(r -> byTarget.put(r.get("target").asText(), r));
    JsonNode moved = byTarget.get(oci + ":amd64");
    assertEquals("moved", moved.get("outcome").asText());
    assertEquals(AMD64, moved.get("digest").asText());
    assertEquals(INDEX, moved.get("previousDigest").asText());
    JsonNode removed = byTarget.get(two + ":v1");
    assertEquals("removed", removed.get("outcome").asText());
    assertTrue(removed.get("digest").isNull());
    assertEquals(INDEX, removed.get("previousDigest").asText());
    Path undo = write("rollback.json", rollback.stdout());

    CliRun redo = CliRun.of("rollback", undo.toString());

    assertEquals(0, redo.code(), redo::toString);
    assertEquals(after, state(), "the rollback's own report, rolled back, restores the run");
    assertTrue(redo.stdout().contains("created   " + two + ":v1 " + INDEX), redo::toString);
    assertArrayEquals(skopeoRaw(oci + ":latest"), skopeoRaw(two + ":v1"));

    CliRun again = RegistryCliTest.runWithStdin(Files.readString(undo), "rollback", "-");
    assertEquals(0, again.code(), again::toString);
    assertEquals(
        3,
        again.stdout().lines().filter(l -> l.startsWith("unchanged ")).count(),
        "done already: unchanged, nothing written\n" + again);
  }

  @Test
  void aReportFileRecordsEachRunAndRollbackUndoesThemNewestFirst() throws IOException {
    Map<String, Map<String, String>> before = state();
    Path report = tmp.resolve("runs.jsonl");
    Path batch = write("batch.txt", oci + ":latest amd64 v2\n" + oci + ":arm64 x\n");

    CliRun first = CliRun.of("batch", "--report", report.toString(), batch.toString());
    assertEquals(0, first.code(), first::toString);
    CliRun second = CliRun.of("tag", "--report", report.toString(), oci + ":arm64", "amd64", "v2");
    assertEquals(0, second.code(), second::toString);
    Map<String, Map<String, String>> after = state();

    List<JsonNode> lines = lines(report);
    assertEquals(2 + 3 + 2, lines.size(), lines::toString);
    JsonNode header = lines.get(0);
    assertEquals("ocitag", header.get("tool").asText());
    assertEquals(1, header.get("format").asInt());
    assertEquals("batch", header.get("command").asText());
    assertFalse(header.get("dryRun").asBoolean());
    assertTrue(Instant.parse(header.get("started").asText()).isBefore(Instant.now()));
    String run = header.get("run").asText();
    JsonNode created =
        lines.stream()
            .filter(l -> l.path("target").asText().endsWith(":x"))
            .findFirst()
            .orElseThrow();
    assertEquals(run, created.get("run").asText());
    assertEquals(oci + ":arm64", created.get("source").asText());
    assertEquals(
        "sha256:c6ead68e8d24f48c9e6092373070d22fc51b097c1d43acb41a945636677b9011",
        created.get("sourceDigest").asText());
    assertEquals("created", created.get("outcome").asText());
    assertTrue(created.get("previousDigest").isNull());
    assertEquals("tag", lines.get(4).get("command").asText(), "the second run starts its lines");

    CliRun dry = CliRun.of("rollback", "--dry-run", report.toString());
    assertEquals(0, dry.code(), dry::toString);
    assertEquals(after, state(), "a dry run writes nothing");
    assertTrue(dry.stdout().lines().allMatch(l -> l.endsWith("[dry run]")), dry::toString);

    Path undo = tmp.resolve("undo.jsonl");
    CliRun rollback = CliRun.of("rollback", "--report", undo.toString(), report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    assertEquals(before, state(), "amd64 and v2 went back through both runs, step by step");
    List<String> out = rollback.stdout().lines().toList();
    assertEquals(5, out.size(), rollback::toString);
    List<String> v2 = out.stream().filter(l -> l.contains(oci + ":v2 ")).toList();
    assertEquals(2, v2.size(), rollback::toString);
    assertTrue(v2.get(0).startsWith("moved     " + oci + ":v2 " + INDEX), rollback::toString);
    assertTrue(v2.get(1).startsWith("removed   " + oci + ":v2"), rollback::toString);
    assertEquals("rollback", lines(undo).get(0).get("command").asText());

    CliRun redo = CliRun.of("rollback", undo.toString());
    assertEquals(0, redo.code(), redo::toString);
    assertEquals(after, state(), "the rollback's report file, rolled back, restores both runs");
  }

  @Test
  void aKilledBatchIsUndoneFromItsReportFile() throws Exception {
    Map<String, String> before = tags(one);
    StringBuilder batch = new StringBuilder(oci + ":latest amd64");
    int total = 1500;
    for (int i = 0; i < total; i++) {
      batch.append(" t").append(i);
    }
    Path file = write("big.txt", batch.append('\n').toString());
    Path report = tmp.resolve("killed.jsonl");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        List.of(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "batch",
            "-j",
            "2",
            "--report",
            report.toString(),
            file.toString());
    try (ChildProcess child = ChildProcess.start(command)) {
      Instant deadline = Instant.now().plusSeconds(60);
      while (recorded(report) < 20 && child.isAlive() && Instant.now().isBefore(deadline)) {
        Thread.sleep(5);
      }
      assertTrue(child.isAlive(), "the batch was still running when it was killed");
      child.kill();
    }
    int recorded = recorded(report);
    assertTrue(recorded >= 20 && recorded < total + 1, "killed mid-way: " + recorded + " lines");
    Map<String, String> left = tags(one);
    assertEquals(INDEX, left.get("amd64"), "the first target had moved");

    CliRun rollback = CliRun.of("rollback", report.toString());

    assertEquals(0, rollback.code(), rollback::toString);
    List<String> inReport = new ArrayList<>();
    for (JsonNode line : lines(report)) {
      if (line.has("target")) {
        inReport.add(line.get("target").asText().substring(oci.length() + 1));
      }
    }
    Map<String, String> now = tags(one);
    assertEquals(AMD64, now.get("amd64"), "moved back");
    for (String tag : inReport) {
      assertEquals(before.get(tag), now.get(tag), tag);
    }
    // A tag written in the instant before the kill, its line not yet written, is not in the
    // report (at most one per worker): the README says so.
    List<String> unrecorded =
        now.keySet().stream().filter(t -> !before.containsKey(t) && !inReport.contains(t)).toList();
    assertTrue(unrecorded.size() <= 2, "unrecorded tags left: " + unrecorded);
  }

  private static int recorded(Path report) throws IOException {
    if (!Files.exists(report)) {
      return 0;
    }
    return (int)
        Files.readAllLines(report, StandardCharsets.UTF_8).stream()
            .filter(l -> l.startsWith("{\"run\""))
            .count();
  }

  @Test
  void aTagMovedBySomeoneElseSinceIsAConflictAndLeftAlone() throws IOException {
    CliRun tag = CliRun.of("-o", "json", "tag", oci + ":latest", "v1", "v2");
    assertEquals(0, tag.code(), tag::toString);
    Path report = write("tag.json", tag.stdout());
    assertEquals(0, CliRun.of("tag", oci + ":arm64", "v2").code(), "someone else moves v2");

    CliRun rollback = CliRun.of("rollback", report.toString());

    assertEquals(3, rollback.code(), rollback::toString);
    assertTrue(
        rollback.stdout().contains("conflict  " + oci + ":v2 sha256:c6ead68e"), rollback::toString);
    assertTrue(rollback.stdout().contains("left alone"), rollback::toString);
    assertTrue(rollback.stdout().contains("removed   " + oci + ":v1"), rollback::toString);
    Map<String, String> now = tags(one);
    assertEquals(
        "sha256:c6ead68e8d24f48c9e6092373070d22fc51b097c1d43acb41a945636677b9011", now.get("v2"));
    assertFalse(now.containsKey("v1"));
  }

  @Test
  void aDryRunWritesNothingButFailsWhereTheRealRunWould() throws IOException {
    CliRun tag = CliRun.of("-o", "json", "tag", oci + ":latest", "amd64", "v2");
    Path report = write("tag.json", tag.stdout());
    Map<String, String> files = LayoutCliTest.snapshot(one);

    CliRun dry = CliRun.of("rollback", "--dry-run", report.toString());

    assertEquals(0, dry.code(), dry::toString);
    assertTrue(dry.stdout().contains("moved     " + oci + ":amd64 " + AMD64), dry::toString);
    assertTrue(dry.stdout().contains("removed   " + oci + ":v2"), dry::toString);
    assertEquals(files, LayoutCliTest.snapshot(one), "not a byte changed");

    // the manifest amd64 pointed at is gone: the dry run fails it, naming the digest, as the
    // real run does; neither writes
    Files.delete(one.resolve("blobs/sha256").resolve(AMD64.substring("sha256:".length())));
    files = LayoutCliTest.snapshot(one);
    for (String[] args :
        List.of(new String[] {"rollback", "--dry-run"}, new String[] {"rollback"})) {
      List<String> all = new ArrayList<>(List.of(args));
      all.add(report.toString());
      CliRun r = CliRun.of(all.toArray(String[]::new));
      assertEquals(1, r.code(), r::toString);
      assertTrue(
          r.stdout().contains("failed    " + oci + ":amd64 " + INDEX + ": cannot put"),
          r::toString);
      assertTrue(r.stdout().contains("the manifest " + AMD64), r::toString);
      if (args.length == 2) {
        assertEquals(files, LayoutCliTest.snapshot(one));
      }
    }
    assertEquals(INDEX, tags(one).get("amd64"), "left where the run set it");
    assertFalse(tags(one).containsKey("v2"), "the other target was undone");
  }

  @Test
  void atomicWithATargetThatCannotBeWrittenWritesNothing() throws IOException {
    Files.writeString(tmp.resolve("a-file"), "not a layout");
    Map<String, Map<String, String>> before = state();
    Path report = tmp.resolve("atomic.jsonl");

    CliRun r =
        CliRun.of(
            "-o",
            "json",
            "tag",
            "--atomic",
            "--report",
            report.toString(),
            oci + ":latest",
            "amd64",
            "v2",
            two + ":v1",
            "oci:" + tmp.resolve("a-file") + ":v1");

    assertEquals(2, r.code(), r::toString); // the failure's own code: not a layout
    assertEquals(before, state());
    assertFalse(Files.exists(tmp.resolve("two")), "not even the layout was made");
    Map<String, String> outcomes = new LinkedHashMap<>();
    JSON.readTree(r.stdout())
        .get("results")
        .forEach(x -> outcomes.put(x.get("target").asText(), x.get("outcome").asText()));
    assertEquals(
        List.of("rolled-back", "rolled-back", "rolled-back", "failed"),
        List.copyOf(outcomes.values()),
        r::toString);
    List<JsonNode> lines = lines(report);
    assertTrue(lines.get(0).get("atomic").asBoolean());
    assertEquals(5, lines.size(), lines::toString);
    CliRun rollback = CliRun.of("rollback", report.toString());
    assertEquals(0, rollback.code(), rollback::toString);
    assertTrue(
        rollback.stdout().lines().allMatch(l -> l.startsWith("skipped ")), rollback::toString);
  }

  @Test
  void atomicRollsBackWhatItWroteWhenACopyFailsOnTheWay() throws IOException {
    // amd64's layer is damaged: the plan passes (it reads no blob), the copy to two fails
    JsonNode manifest = JSON.readTree(CliRun.of("manifest", oci + ":amd64").stdoutBytes());
    String layer = manifest.get("layers").get(0).get("digest").asText();
    Path blob = one.resolve("blobs/sha256").resolve(layer.substring("sha256:".length()));
    Files.write(blob, "damaged".getBytes(StandardCharsets.UTF_8));
    Map<String, Map<String, String>> before = state();
    Path report = tmp.resolve("atomic.jsonl");

    CliRun r =
        CliRun.of(
            "tag",
            "--atomic",
            "-j",
            "1",
            "--report",
            report.toString(),
            oci + ":latest",
            "arm64",
            "v2",
            two + ":v1");

    assertEquals(1, r.code(), r::toString);
    assertEquals(before.get("one"), state().get("one"), "arm64 moved back, v2 removed");
    assertEquals(Map.of(), state().get("two"), "two holds blobs but no tag");
    List<String> out = r.stdout().lines().toList();
    assertTrue(out.get(0).startsWith("rolled-back " + oci + ":arm64 sha256:c6ead68e"), r::toString);
    assertTrue(
        out.get(0).contains("written, then rolled back: " + two + ":v1 failed"), r::toString);
    assertTrue(out.get(1).startsWith("rolled-back " + oci + ":v2: written, then"), r::toString);
    assertTrue(out.get(2).startsWith("failed    " + two + ":v1"), r::toString);
    assertTrue(out.get(2).contains(layer), r::toString);
    // the report file tells the whole story: written, failed, rolled back
    List<String> outcomes =
        lines(report).stream().skip(1).map(l -> l.get("outcome").asText()).toList();
    assertEquals(5, outcomes.size(), outcomes::toString);
    assertEquals(
        2, outcomes.stream().filter(o -> o.equals("rolled-back")).count(), outcomes::toString);
    assertTrue(outcomes.indexOf("failed") < outcomes.indexOf("rolled-back"), outcomes::toString);
    CliRun rollback = CliRun.of("rollback", report.toString());
    assertEquals(0, rollback.code(), rollback::toString);
    assertEquals(before.get("one"), state().get("one"), "nothing left to undo");
  }

  static Stream<Arguments> badReports() {
    String header =
        "{\"tool\":\"ocitag\",\"format\":1,\"run\":\"r1\",\"command\":\"tag\","
            + "\"started\":\"2024-01-01T00:00:00Z\",\"dryRun\":false,\"atomic\":false}\n";
    String result =
        "{\"run\":\"r1\",\"source\":\"SRC\",\"sourceDigest\":\""
            + INDEX
            + "\",\"target\":\"TARGET\",\"outcome\":\"moved\",\"digest\":\""
            + INDEX
            + "\",\"previousDigest\":\""
            + AMD64
            + "\",\"reason\":null}\n";
    return Stream.of(
        Arguments.of("empty", "", "it is empty"),
        Arguments.of("blank", "\n  \n", "it is empty"),
        Arguments.of("arbitrary JSON", "{\"hello\": [1, 2]}", "not an ocitag report"),
        Arguments.of(
            "a batch file", "[{\"source\": \"a\", \"targets\": [\"b\"]}]", "not an ocitag report"),
        Arguments.of("not JSON", "created oci:x:v1 sha256:abc\n", "not an ocitag report"),
        Arguments.of(
            "another tool's lines",
            header.replace("\"ocitag\"", "\"regctl\"") + result,
            "line 1 was written by 'regctl', not by ocitag"),
        Arguments.of(
            "a newer format", header.replace("\"format\":1", "\"format\":2") + result, "format 2"),
        Arguments.of(
            "an unknown outcome",
            header + result.replace("\"moved\"", "\"mooved\""),
            "line 2: unknown outcome 'mooved'"),
        Arguments.of(
            "a malformed digest",
            header + result.replace(AMD64, AMD64.substring(0, 20)),
            "line 2: previousDigest: invalid sha256 digest"),
        Arguments.of(
            "a missing field",
            header + result.replace(",\"previousDigest\":\"" + AMD64 + "\"", ""),
            "line 2: missing field 'previousDigest'"),
        Arguments.of(
            "a moved result without its previous digest",
            header + result.replace("\"" + AMD64 + "\"", "null"),
            "outcome 'moved' needs a digest and a previousDigest"),
        Arguments.of("a result before any first line", result + header, "not an ocitag report"),
        Arguments.of(
            "a result of a run with no first line",
            header + result.replace("\"run\":\"r1\"", "\"run\":\"r2\""),
            "line 2: run 'r2' has no first line before it"),
        Arguments.of(
            "a target with a digest",
            header + result.replace("TARGET", "TARGET@" + AMD64),
            "must name a tag"),
        Arguments.of(
            "a dry run's report",
            header.replace("\"dryRun\":false", "\"dryRun\":true") + result,
            "dry run"),
        Arguments.of(
            "a broken line in the middle",
            header + "{\"run\":\"r1\",\"tar\n" + result,
            "line 2 is not a JSON object"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badReports")
  void aBadReportIsOneLineExit2AndChangesNothing(String name, String content, String message)
      throws IOException {
    assertEquals(0, CliRun.of("tag", oci + ":latest", "amd64").code());
    Path report =
        write("bad.txt", content.replace("SRC", oci + ":latest").replace("TARGET", oci + ":amd64"));
    Map<String, String> files = LayoutCliTest.snapshot(one);

    CliRun r =
        CliRun.of("rollback", "--report", tmp.resolve("undo.jsonl").toString(), report.toString());

    assertEquals(2, r.code(), r::toString);
    assertEquals(1, r.stderr().lines().count(), r::toString);
    assertTrue(r.stderr().startsWith("ocitag: report " + report + ": "), r::toString);
    assertTrue(r.stderr().contains(message), r::toString);
    assertEquals("", r.stdout());
    assertEquals(files, LayoutCliTest.snapshot(one), "the layout is unchanged");
    assertFalse(Files.exists(tmp.resolve("undo.jsonl")), "no report started");
  }

  @Test
  void anotherToolsRealOutputIsRefused() throws IOException {
    // what skopeo prints for the very image the run tagged
    Path skopeo = tmp.resolve("skopeo.json");
    Files.write(skopeo, run("skopeo", "inspect", oci + ":amd64"));
    Map<String, String> files = LayoutCliTest.snapshot(one);

    CliRun r = CliRun.of("rollback", skopeo.toString());

    assertEquals(2, r.code(), r::toString);
    assertTrue(r.stderr().contains("not an ocitag report"), r::toString);
    assertEquals(files, LayoutCliTest.snapshot(one));
  }

  @Test
  void aReportFileIsOnlyEverAppendedToAnOcitagReport() throws IOException {
    Path notes = write("notes.txt", "my release notes\n");
    Map<String, String> files = LayoutCliTest.snapshot(one);

    CliRun r = CliRun.of("tag", "--report", notes.toString(), oci + ":latest", "v2");

    assertEquals(2, r.code(), r::toString);
    assertTrue(r.stderr().contains("is not an ocitag report; not appending to it"), r::toString);
    assertEquals("my release notes\n", Files.readString(notes));
    assertEquals(files, LayoutCliTest.snapshot(one), "nothing tagged");

    CliRun dir = CliRun.of("tag", "--report", tmp.toString(), oci + ":latest", "v2");
    assertEquals(2, dir.code(), dir::toString);
    assertEquals(files, LayoutCliTest.snapshot(one), "nothing tagged");
  }

  @Test
  void aLastLineCutShortIsNamedAndTheRestIsUndone() throws IOException {
    Path report = tmp.resolve("cut.jsonl");
    assertEquals(0, CliRun.of("tag", "--report", report.toString(), oci + ":latest", "v1").code());
    assertEquals(0, CliRun.of("tag", "--report", report.toString(), oci + ":latest", "v2").code());
    byte[] bytes = Files.readAllBytes(report);
    Files.write(report, java.util.Arrays.copyOf(bytes, bytes.length - 40));

    CliRun r = CliRun.of("rollback", report.toString());

    assertEquals(0, r.code(), r::toString);
    assertTrue(r.stderr().contains("line 4 is cut short"), r::toString);
    assertTrue(r.stdout().contains("removed   " + oci + ":v1"), r::toString);
    assertFalse(tags(one).containsKey("v1"));
    assertTrue(tags(one).containsKey("v2"), "its line was cut: left, and the warning says so");

    // a run appending after the cut line starts on a line of its own
    assertEquals(0, CliRun.of("tag", "--report", report.toString(), oci + ":latest", "v3").code());
    CliRun more = CliRun.of("rollback", report.toString());
    assertEquals(2, more.code(), "the cut line is no longer the last: " + more);
  }
}
