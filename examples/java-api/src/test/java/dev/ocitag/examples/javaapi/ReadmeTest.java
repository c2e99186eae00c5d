package dev.ocitag.examples.javaapi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use from Java" shows the code that {@link PromoteWithJavaApiTest} runs: the lines
 * between its README markers, unindented, must be in the README as they are.
 */
class ReadmeTest {
  @Test
  void theReadmeShowsTheExampleAsItRuns() throws Exception {
    List<String> source =
        Files.readAllLines(
            Path.of("src/test/java/dev/ocitag/examples/javaapi/PromoteWithJavaApiTest.java"));
    int begin = source.indexOf("  // README begin");
    int end = source.indexOf("  // README end");
    assertTrue(begin >= 0 && end > begin, "the README markers are missing");
    List<String> shown = source.subList(begin + 1, end);
    String snippet =
        String.join("\n", shown.stream().map(l -> l.length() > 2 ? l.substring(2) : "").toList())
            .strip();
    assertFalse(snippet.isEmpty());
    String readme = Files.readString(Path.of("../../README.md"));
    assertTrue(
        readme.contains("```java\n" + snippet + "\n```"),
        "README.md's \"Use from Java\" must show, in a java block:\n" + snippet);
  }
}
