package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * core knows no HTTP client, no AWS type and no CLI: backends and the CLI depend on it, not back.
 */
class CoreDependencyTest {
  @Test
  void coreImportsNoTransportOrCliLibrary() throws IOException {
    Path sources = Path.of("src/main/java");
    assertTrue(Files.isDirectory(sources), "run from the core module");
    List<String> offenders;
    try (Stream<Path> files = Files.walk(sources)) {
      offenders =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .flatMap(CoreDependencyTest::imports)
              .filter(
                  line ->
                      line.contains("okhttp3")
                          || line.contains("software.amazon")
                          || line.contains("picocli")
                          || line.contains("java.net.http"))
              .toList();
    }
    assertEquals(List.of(), offenders);
  }

  private static Stream<String> imports(Path file) {
    try {
      return Files.readAllLines(file).stream()
          .filter(l -> l.startsWith("import "))
          .map(l -> file.getFileName() + ": " + l);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
