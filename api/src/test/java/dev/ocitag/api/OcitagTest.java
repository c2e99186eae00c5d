package dev.ocitag.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOption;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.distribution.RegistryOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The facade over real OCI layouts on disk: a copy of {@code examples/hello} (an index over two
 * platform images, tagged {@code latest}, {@code amd64} and {@code arm64}) as the source, and
 * layouts the promotions create. Bad input must be refused before any file changes.
 */
class OcitagTest {
  /** examples/hello's {@code latest}: the index (as the README says). */
  static final Digest LATEST =
      Digest.parse("sha256:7143580665883bf4a770e8582aa3e742a246d8cdab57fac0870c6163a760f70a");

  static final Digest AMD64 =
      Digest.parse("sha256:ffb754a1393e253a47948bc459c644281f753f33410fedbd71db548b46eee273");

  @TempDir Path temp;
  Path hello;
  String src;

  @BeforeEach
  void copyExample() throws IOException {
    hello = temp.resolve("hello");
    Path from = Path.of("../examples/hello");
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Path to = hello.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    src = "oci:" + hello + ":latest";
  }

  private static List<Outcome> outcomes(TagReport report) {
    return report.results().stream().map(TagResult::outcome).toList();
  }

  @Test
  void tagsInPlaceAndPromotesToAnotherLayout() throws Exception {
    Path other = temp.resolve("other");
    try (Ocitag ocitag = Ocitag.builder().build()) {
      TagReport report = ocitag.tag(src, "api-v2", "oci:" + other + ":copied");

      assertEquals(List.of(Outcome.CREATED, Outcome.CREATED), outcomes(report));
      assertFalse(report.dryRun());
      assertEquals(LATEST, report.manifest().digest());
      report.results().forEach(r -> assertEquals(LATEST, r.digest()));
      // the index, both platform manifests, their configs and layers: every blob copied
      assertEquals(2, report.results().get(1).transfer().manifests());
      assertEquals(4, report.results().get(1).transfer().copied());

      assertEquals(LATEST, ocitag.digest("oci:" + hello + ":api-v2"));
      assertEquals(LATEST, ocitag.digest("oci:" + other + ":copied"));
      assertEquals(List.of("copied"), ocitag.tags("oci:" + other));
      assertEquals(
          List.of(Outcome.UNCHANGED, Outcome.UNCHANGED),
          outcomes(ocitag.tag(src, "api-v2", "oci:" + other + ":copied")));
    }
  }

  @Test
  void manifestIsTheStoredBytes() throws Exception {
    byte[] stored = Files.readAllBytes(hello.resolve("blobs/sha256/" + LATEST.hex()));
    try (Ocitag ocitag = Ocitag.builder().build()) {
      Manifest manifest = ocitag.manifest(src);
      assertArrayEquals(stored, manifest.bytes());
      assertEquals(MediaTypes.OCI_INDEX, manifest.mediaType());
      assertArrayEquals(stored, ocitag.manifest("oci:" + hello + "@" + LATEST).bytes());
    }
  }

  @Test
  void untagRemovesOnlyTheTag() throws Exception {
    try (Ocitag ocitag = Ocitag.builder().build()) {
      ocitag.tag(src, "api-gone");
      assertTrue(ocitag.tags("oci:" + hello).contains("api-gone"));
      ocitag.untag("oci:" + hello + ":api-gone");
      List<String> tags = ocitag.tags("oci:" + hello);
      assertFalse(tags.contains("api-gone"));
      assertTrue(tags.containsAll(List.of("latest", "amd64", "arm64")), tags.toString());
      assertThrows(
          OcitagException.NotFound.class, () -> ocitag.digest("oci:" + hello + ":api-gone"));
    }
  }

  @Test
  void batchReportsPerSourceInTheMapsOrder() throws Exception {
    Path other = temp.resolve("other");
    Map<String, List<String>> retags = new LinkedHashMap<>();
    retags.put("oci:" + hello + ":amd64", List.of("api-x86", "oci:" + other + ":amd64"));
    retags.put(src, List.of("api-all"));
    try (Ocitag ocitag = Ocitag.builder().parallelism(2).build()) {
      List<TagReport> reports = ocitag.batch(retags);

      assertEquals(2, reports.size());
      assertEquals(AMD64, reports.get(0).manifest().digest());
      assertEquals(List.of(Outcome.CREATED, Outcome.CREATED), outcomes(reports.get(0)));
      assertEquals(LATEST, reports.get(1).manifest().digest());
      assertEquals(List.of(Outcome.CREATED), outcomes(reports.get(1)));
      assertEquals(AMD64, ocitag.digest("oci:" + other + ":amd64"));
    }
  }

  @Test
  void dryRunDecidesAndWritesNothing() throws Exception {
    byte[] index = Files.readAllBytes(hello.resolve("index.json"));
    Path other = temp.resolve("other");
    try (Ocitag ocitag = Ocitag.builder().dryRun(true).build()) {
      TagReport report = ocitag.tag(src, "api-v3", "amd64", "oci:" + other + ":x");
      assertTrue(report.dryRun());
      assertEquals(List.of(Outcome.CREATED, Outcome.MOVED, Outcome.CREATED), outcomes(report));
    }
    assertArrayEquals(index, Files.readAllBytes(hello.resolve("index.json")));
    assertFalse(Files.exists(other));
  }

  @Test
  void noOverwriteBlocksATagOnAnotherImage() throws Exception {
    try (Ocitag ocitag = Ocitag.builder().noOverwrite(true).build()) {
      TagResult result = ocitag.tag(src, "amd64").results().get(0);
      assertEquals(Outcome.BLOCKED, result.outcome());
      assertEquals(AMD64, result.digest());
      assertEquals(AMD64, ocitag.digest("oci:" + hello + ":amd64"));
    }
  }

  @Test
  void aMissingSourceIsNotFound() {
    try (Ocitag ocitag = Ocitag.builder().build()) {
      assertThrows(OcitagException.NotFound.class, () -> ocitag.tag("oci:" + hello + ":nope", "x"));
    }
  }

  /** Calls that must be refused as invalid input before anything is read or written. */
  static Stream<Arguments> badCalls() {
    Map<String, List<String>> nullKey = new HashMap<>();
    nullKey.put(null, List.of("x"));
    return Stream.of(
        bad("null source", (o, s, h) -> o.tag(null, "x")),
        bad("null targets", (o, s, h) -> o.tag(s, (String[]) null)),
        bad("null target list", (o, s, h) -> o.tag(s, (List<String>) null)),
        bad("a null target after a good one", (o, s, h) -> o.tag(s, "api-good", null)),
        bad("no target", (o, s, h) -> o.tag(s)),
        bad("an empty target", (o, s, h) -> o.tag(s, "api-good", "")),
        bad("a malformed tag after a good one", (o, s, h) -> o.tag(s, "api-good", "-bad")),
        bad("white space", (o, s, h) -> o.tag(s, "api-good", "a b")),
        bad("a malformed registry reference", (o, s, h) -> o.tag(s, "api-good", "Reg/APP:1")),
        bad("a target by digest", (o, s, h) -> o.tag(s, "api-good", "oci:" + h + "@" + LATEST)),
        bad("a malformed source", (o, s, h) -> o.tag("oci:" + h + ":-bad", "x")),
        bad("null retags", (o, s, h) -> o.batch(null)),
        bad("a null source in a batch", (o, s, h) -> o.batch(nullKey)),
        bad(
            "null targets in a batch",
            (o, s, h) -> {
              Map<String, List<String>> retags = new LinkedHashMap<>();
              retags.put("oci:" + h + ":amd64", List.of("api-good"));
              retags.put(s, null);
              o.batch(retags);
            }),
        bad(
            "a source without targets in a batch",
            (o, s, h) -> o.batch(Map.of(s, List.of("api-good"), "oci:" + h + ":amd64", List.of()))),
        bad(
            "a malformed target in a batch's second source",
            (o, s, h) -> {
              Map<String, List<String>> retags = new LinkedHashMap<>();
              retags.put(s, List.of("api-good"));
              retags.put("oci:" + h + ":amd64", Arrays.asList("api-good2", "bad tag"));
              o.batch(retags);
            }),
        bad("null digest reference", (o, s, h) -> o.digest(null)),
        bad("null manifest reference", (o, s, h) -> o.manifest(null)),
        bad("a manifest reference without tag", (o, s, h) -> o.manifest("oci:" + h)),
        bad("null repository", (o, s, h) -> o.tags(null)),
        bad("null untag reference", (o, s, h) -> o.untag(null)),
        bad("untag by digest", (o, s, h) -> o.untag("oci:" + h + "@" + LATEST)),
        bad("untag without tag", (o, s, h) -> o.untag("oci:" + h)));
  }

  interface Call {
    void run(Ocitag ocitag, String source, Path hello) throws Exception;
  }

  private static Arguments bad(String name, Call call) {
    return Arguments.of(name, call);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCalls")
  void badInputIsInvalidInputAndWritesNothing(String name, Call call) throws Exception {
    byte[] index = Files.readAllBytes(hello.resolve("index.json"));
    List<Path> before = files();
    try (Ocitag ocitag = Ocitag.builder().build()) {
      OcitagException.InvalidInput e =
          assertThrows(OcitagException.InvalidInput.class, () -> call.run(ocitag, src, hello));
      assertFalse(e.getMessage().isBlank());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
    assertArrayEquals(index, Files.readAllBytes(hello.resolve("index.json")));
    assertEquals(before, files());
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> all = Files.walk(temp)) {
      return all.sorted().toList();
    }
  }

  @Test
  void badBuilderValuesAreInvalidInput() {
    Ocitag.Builder builder = Ocitag.builder();
    assertThrows(OcitagException.InvalidInput.class, () -> builder.parallelism(0));
    assertThrows(OcitagException.InvalidInput.class, () -> builder.timeout(Duration.ZERO));
    assertThrows(OcitagException.InvalidInput.class, () -> builder.timeout(Duration.ofSeconds(-1)));
    assertThrows(OcitagException.InvalidInput.class, () -> builder.option(null, "x"));
    BackendOption<String> nobodys = BackendOption.text("X", "no backend reads it", "--nobodys");
    OcitagException.InvalidInput e =
        assertThrows(OcitagException.InvalidInput.class, () -> builder.option(nobodys, "x"));
    assertTrue(e.getMessage().contains("--nobodys"), e.getMessage());
  }

  /** The builder's options reach the backend that reads them when it opens. */
  @Test
  void optionsReachTheBackends() {
    Path missing = temp.resolve("no-such-ca.pem");
    try (Ocitag typed = Ocitag.builder().caFile(missing).build();
        Ocitag generic = Ocitag.builder().option(RegistryOptions.CA_FILE, missing).build()) {
      for (Ocitag ocitag : List.of(typed, generic)) {
        OcitagException.InvalidInput e =
            assertThrows(
                OcitagException.InvalidInput.class, () -> ocitag.digest("127.0.0.1:9/app:1.0"));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
      }
    }
    // and null takes the default back: without a CA file the registry is asked (and absent)
    try (Ocitag ocitag =
        Ocitag.builder()
            .caFile(missing)
            .caFile(null)
            .timeout(Duration.ofSeconds(2))
            .plainHttp(true)
            .build()) {
      OcitagException e =
          assertThrows(OcitagException.class, () -> ocitag.digest("127.0.0.1:9/app:1.0"));
      assertFalse(e instanceof OcitagException.InvalidInput, e.toString());
    }
  }

  @Test
  void theDebugSinkHearsTheRequests() {
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    Consumer<String> sink = lines::add;
    try (Ocitag ocitag =
        Ocitag.builder().debug(sink).plainHttp(true).timeout(Duration.ofSeconds(2)).build()) {
      assertThrows(OcitagException.class, () -> ocitag.digest("127.0.0.1:9/app:1.0"));
    }
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("127.0.0.1:9") && l.contains("/v2/app/")),
        lines.toString());
  }

  @Test
  void aClosedInstanceRefusesCalls() {
    Ocitag ocitag = Ocitag.builder().build();
    ocitag.close();
    ocitag.close(); // closing twice is harmless
    assertThrows(IllegalStateException.class, () -> ocitag.tag(src, "api-late"));
    assertThrows(IllegalStateException.class, () -> ocitag.digest(src));
  }
}
