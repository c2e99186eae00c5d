package dev.ocitag.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A copy of the bundled example layout as shipped. The README's first command adds tag v2 to
 * examples/hello itself, so tests take its blobs but the shipped index.json (a test resource), and
 * check that every blob that index names is there and intact.
 */
final class ExampleLayout {
  private ExampleLayout() {}

  static Path copy(Path to) throws IOException {
    Training.copyTree(Path.of("../examples/hello"), to);
    byte[] index;
    try (InputStream in = ExampleLayout.class.getResourceAsStream("/examples-hello-index.json")) {
      index = in.readAllBytes();
    }
    Files.write(to.resolve("index.json"), index);
    for (JsonNode entry : Json.read(index).get("manifests")) {
      Digest digest = Digest.parse(entry.get("digest").asText());
      Path blob = to.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
      if (!Files.isRegularFile(blob) || !digest.matches(Files.readAllBytes(blob))) {
        throw new IllegalStateException(
            "examples/hello no longer holds "
                + digest
                + ": update "
                + "src/test/resources/examples-hello-index.json");
      }
    }
    return to;
  }
}
