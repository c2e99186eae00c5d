package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input ends in one line on stderr, the documented exit code, no stack trace, and a layout that
 * is byte for byte what it was.
 */
class BadInputCliTest {
  @TempDir Path tmp;
  private Path hello;

  @BeforeEach
  void copyExample() throws IOException {
    hello = tmp.resolve("hello");
    ExampleLayout.copy(hello);
  }

  /** A way to damage the layout before the command runs. */
  interface Damage {
    void apply(Path layout) throws IOException;
  }

  static Stream<Arguments> cases() {
    Damage none = l -> {};
    return Stream.of(
        Arguments.of(
            "malformed reference",
            none,
            new String[] {"tag", "oci:%s:latest", "Bad Tag"},
            2,
            "invalid reference"),
        Arguments.of(
            "upper-case repository",
            none,
            new String[] {"digest", "Registry.io/Upper/app:1"},
            2,
            "must be lower-case"),
        Arguments.of(
            "bad digest",
            none,
            new String[] {"manifest", "oci:%s@sha256:1234"},
            2,
            "64 lower-case hex"),
        Arguments.of(
            "missing layout",
            none,
            new String[] {"tag", "oci:%s-missing:latest", "v2"},
            4,
            "no such directory"),
        Arguments.of(
            "missing tag",
            none,
            new String[] {"tag", "oci:%s:nope", "v2"},
            4,
            "tag 'nope' is not in layout"),
        Arguments.of(
            "corrupt index.json",
            (Damage)
                l -> Files.writeString(l.resolve("index.json"), "{\"manifests\": [ {\"digest\": "),
            new String[] {"tag", "oci:%s:latest", "v2"},
            2,
            "corrupt index.json"),
        Arguments.of(
            "index.json not an object",
            (Damage) l -> Files.writeString(l.resolve("index.json"), "[]"),
            new String[] {"tags", "oci:%s"},
            2,
            "corrupt index.json"),
        Arguments.of(
            "no oci-layout file",
            (Damage) l -> Files.delete(l.resolve("oci-layout")),
            new String[] {"tag", "oci:%s:latest", "v2"},
            4,
            "no oci-layout file"),
        Arguments.of(
            "truncated manifest blob",
            (Damage) l -> truncateBlobOf(l, "latest"),
            new String[] {"tag", "oci:%s:latest", "v2"},
            2,
            "is corrupt"),
        Arguments.of(
            "truncated blob fetched by digest",
            (Damage) l -> truncateBlobOf(l, "amd64"),
            new String[] {"manifest", "oci:%s:amd64"},
            2,
            "is corrupt"),
        Arguments.of(
            "target with digest",
            none,
            new String[] {"tag", "oci:%s:latest", "oci:%s@sha256:" + "a".repeat(64)},
            2,
            "must name a tag"),
        Arguments.of(
            "untag without a tag", none, new String[] {"untag", "oci:%s"}, 2, "untag takes tags"),
        Arguments.of(
            "missing argument",
            none,
            new String[] {"tag", "oci:%s:latest"},
            2,
            "missing parameters: want SRC TAG|REF... (at least 2) (see 'ocitag tag --help')"),
        Arguments.of(
            "unknown option",
            none,
            new String[] {"tag", "--frobnicate", "oci:%s:latest", "v2"},
            2,
            "unknown option '--frobnicate' (see 'ocitag tag --help')"),
        Arguments.of(
            "unknown command",
            none,
            new String[] {"retag", "oci:%s:latest", "v2"},
            2,
            "unknown command 'retag' (see 'ocitag --help')"),
        Arguments.of(
            "bad output format",
            none,
            new String[] {"tags", "-o", "yaml", "oci:%s"},
            2,
            "invalid value 'yaml' for --output: want text or json"),
        Arguments.of(
            "option without its value",
            none,
            new String[] {"tag", "oci:%s:latest", "v2", "--jobs"},
            2,
            "option '--jobs' needs a value (N)"),
        Arguments.of(
            "jobs not a number",
            none,
            new String[] {"tag", "-j", "many", "oci:%s:latest", "v2"},
            2,
            "invalid value 'many' for --jobs"),
        Arguments.of(
            "flag given a value",
            none,
            new String[] {"tag", "--dry-run=yes", "oci:%s:latest", "v2"},
            2,
            "option '--dry-run' takes no value"),
        Arguments.of(
            "too many parameters",
            none,
            new String[] {"digest", "oci:%s:latest", "extra"},
            2,
            "unexpected parameter 'extra'"));
  }

  static void truncateBlobOf(Path layout, String tag) throws IOException {
    String index = Files.readString(layout.resolve("index.json"));
    com.fasterxml.jackson.databind.JsonNode entries =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(index).get("manifests");
    for (var e : entries) {
      if (tag.equals(e.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        Path blob =
            layout.resolve("blobs/sha256").resolve(Digest.parse(e.get("digest").asText()).hex());
        byte[] bytes = Files.readAllBytes(blob);
        Files.write(blob, Arrays.copyOf(bytes, bytes.length / 2));
        return;
      }
    }
    throw new IllegalStateException("no tag " + tag);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInputIsOneLineWithTheDocumentedCodeAndChangesNothing(
      String name, Damage damage, String[] args, int expectedCode, String expectedMessage)
      throws IOException {
    damage.apply(hello);
    Map<String, String> before = LayoutCliTest.snapshot(hello);
    String[] resolved =
        Arrays.stream(args).map(a -> a.replace("%s", hello.toString())).toArray(String[]::new);

    CliRun r = CliRun.of(resolved);

    assertEquals(expectedCode, r.code(), r::toString);
    String[] errLines = r.stderr().split("\n");
    assertEquals(1, errLines.length, r::toString);
    assertTrue(errLines[0].startsWith("ocitag: "), r::toString);
    assertTrue(errLines[0].contains(expectedMessage), r::toString);
    assertFalse(r.stderr().contains("\tat "), "no stack trace");
    assertFalse(r.stderr().contains("Exception"), r::toString);
    assertEquals(before, LayoutCliTest.snapshot(hello), "the layout is unchanged");
  }

  @org.junit.jupiter.api.Test
  void debugAddsTheStackTrace() {
    CliRun r = CliRun.of("tag", "--debug", "oci:" + hello + "-missing:latest", "v2");
    assertEquals(4, r.code(), r::toString);
    assertTrue(r.stderr().contains("\tat "), r::toString);
    assertTrue(r.stderr().strip().endsWith("no such directory"), r::toString);
  }
}
