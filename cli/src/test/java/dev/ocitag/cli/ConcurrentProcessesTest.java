package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/** Separate ocitag processes tagging one layout at once lose no tag (the index.json lock). */
class ConcurrentProcessesTest {
  @TempDir Path tmp;

  @RepeatedTest(2)
  void twoProcessesTaggingOneLayoutLoseNoTag() throws Exception {
    Path hello = tmp.resolve("hello");
    ExampleLayout.copy(hello);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> processes = new ArrayList<>();
    Set<String> expected = new HashSet<>(List.of("latest", "amd64", "arm64"));
    for (String name : List.of("p", "q")) {
      List<String> command =
          new ArrayList<>(
              List.of(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  Main.class.getName(),
                  "tag",
                  "-j",
                  "4",
                  "oci:" + hello + ":latest"));
      IntStream.range(0, 20)
          .mapToObj(i -> name + i)
          .forEach(
              t -> {
                command.add(t);
                expected.add(t);
              });
      processes.add(new ProcessBuilder(command).redirectErrorStream(true).start());
    }
    for (Process p : processes) {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
      assertEquals(0, p.exitValue(), output);
      assertEquals(20, output.lines().filter(l -> l.startsWith("created ")).count(), output);
    }

    CliRun tags = CliRun.of("tags", "oci:" + hello);
    List<String> listed = tags.stdout().lines().toList();
    assertEquals(expected, new HashSet<>(listed));
    assertEquals(expected.size(), listed.size(), "no duplicates");
  }
}
