package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    List<ChildProcess> processes = new ArrayList<>();
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
      processes.add(ChildProcess.start(command));
    }
    try {
      // one deadline for both: they run at once
      Instant deadline = Instant.now().plusSeconds(60);
      for (ChildProcess p : processes) {
        ChildProcess.Result r = p.finish(Duration.between(Instant.now(), deadline));
        assertEquals(0, r.code(), r.output());
        assertEquals(
            20, r.output().lines().filter(l -> l.startsWith("created ")).count(), r.output());
      }
    } finally {
      for (ChildProcess p : processes) {
        p.close();
      }
    }

    CliRun tags = CliRun.of("tags", "oci:" + hello);
    List<String> listed = tags.stdout().lines().toList();
    assertEquals(expected, new HashSet<>(listed));
    assertEquals(expected.size(), listed.size(), "no duplicates");
  }
}
