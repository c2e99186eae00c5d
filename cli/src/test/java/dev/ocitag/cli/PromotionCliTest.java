package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.CuttingProxy;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code ocitag tag} and {@code ocitag batch} promoting images between real registries (anonymous,
 * htpasswd, token auth) and OCI layouts, each target checked with skopeo: the top manifest and
 * every child by digest are the source's bytes, and skopeo copies the whole image from there.
 * Faults in the middle of a blob and bad input are the nested classes {@link Faults} and {@link
 * BadInput}: one set of registries serves them all.
 */
@Timeout(300)
class PromotionCliTest {
  @RegisterExtension static final RealRegistry OPEN = RealRegistry.open();
  @RegisterExtension static final RealRegistry BASIC = RealRegistry.basic();
  @RegisterExtension static final RealRegistry TOKEN = RealRegistry.token();

  static final ObjectMapper JSON = new ObjectMapper();
  static final String USER_PASSWORD = RealRegistry.USER + ":" + RealRegistry.PASSWORD;

  @TempDir static Path shared;

  static Path dockerConfig;

  /**
   * The example layout's index of two platforms, pushed to OPEN by skopeo: the source of most
   * promotions here. (Jib's images would need Apache HTTP on the class path, which the CLI's tests
   * leave out on purpose: see ShippedGoogleCredentialsTest.)
   */
  static ImageRef hello;

  static Promoted.Image helloImage;

  @TempDir Path tmp;

  @BeforeAll
  static void pushExampleLayout() throws Exception {
    Skopeo.require();
    dockerConfig =
        Promoted.dockerConfig(
            shared.resolve("docker"),
            Map.of(BASIC.host(), USER_PASSWORD, TOKEN.host(), USER_PASSWORD));
    Path layout = ExampleLayout.copy(shared.resolve("hello"));
    Promoted.Image inLayout = Promoted.inLayout(layout, "latest");
    hello = OPEN.newRepository("hello").withTag("1.0");
    ExternalTools.run(
        "skopeo",
        "copy",
        "--all",
        "--quiet",
        "--dest-tls-verify=false",
        "oci:" + layout + ":latest",
        "docker://" + hello);
    helloImage = Promoted.inRegistry(OPEN, hello);
    assertArrayEquals(inLayout.top(), helloImage.top(), "skopeo pushed the index as it is");
    assertEquals(2, helloImage.children().size());
    assertEquals(4, helloImage.blobs().size());
  }

  /** Runs ocitag in this JVM with the test users' docker config. */
  static CliRun ocitag(String... args) {
    List<String> all = new ArrayList<>(List.of("--docker-config", dockerConfig.toString()));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  /** The JSON results of a {@code tag -o json} run, by target. */
  static Map<String, JsonNode> results(CliRun run) throws Exception {
    Map<String, JsonNode> byTarget = new java.util.LinkedHashMap<>();
    for (JsonNode r : JSON.readTree(run.stdoutBytes()).get("results")) {
      byTarget.put(r.get("target").asText(), r);
    }
    return byTarget;
  }

  /** Asserts a result's transfer: blobs copied, mounted, present; bytes; child manifests. */
  static void assertTransfer(
      JsonNode result, int copied, int mounted, int skipped, long bytes, int manifests) {
    JsonNode t = result.get("transfer");
    assertTrue(t != null && t.isObject(), "a transfer in " + result);
    assertEquals(copied, t.get("blobsCopied").asInt(), result::toString);
    assertEquals(mounted, t.get("blobsMounted").asInt(), result::toString);
    assertEquals(skipped, t.get("blobsSkipped").asInt(), result::toString);
    assertEquals(0, t.get("foreignLayers").asInt(), result::toString);
    assertEquals(bytes, t.get("bytes").asLong(), result::toString);
    assertEquals(manifests, t.get("manifests").asInt(), result::toString);
  }

  /** The --debug request lines of one method whose URL contains {@code part}. */
  static long requests(CliRun run, String method, String part) {
    return run.stderr()
        .lines()
        .filter(l -> l.startsWith("debug: > " + method + " ") && l.contains(part))
        .count();
  }

  /** Asserts a --debug run wrote nothing anywhere: no upload started, no blob, no manifest. */
  static void assertNothingWritten(CliRun run) {
    for (String method : List.of("POST", "PATCH", "PUT", "DELETE")) {
      assertEquals(
          0, requests(run, method, ""), () -> method + " in a run that moves nothing\n" + run);
    }
  }

  static void assertAllUnchanged(CliRun run, int targets) throws Exception {
    assertEquals(0, run.code(), run::toString);
    Map<String, JsonNode> results = results(run);
    assertEquals(targets, results.size(), run::toString);
    for (JsonNode r : results.values()) {
      assertEquals("unchanged", r.get("outcome").asText(), run::toString);
      assertFalse(r.has("transfer"), () -> "no transfer for an unchanged target: " + r);
    }
    assertNothingWritten(run);
  }

  @Test
  void aMultiPlatformImageGoesToTwoOtherRegistriesInOneCommandAndARerunMovesNothing()
      throws Exception {
    ImageRef toBasic = BASIC.newRepository("promoted").withTag("1.0");
    ImageRef toToken = TOKEN.newRepository("promoted").withTag("1.0");

    CliRun r =
        ocitag("-o", "json", "tag", hello.toString(), toBasic.toString(), toToken.toString());

    assertEquals(0, r.code(), r::toString);
    assertEquals("", r.stderr());
    Map<String, JsonNode> results = results(r);
    for (ImageRef target : List.of(toBasic, toToken)) {
      JsonNode result = results.get(target.toString());
      assertEquals("created", result.get("outcome").asText(), r::toString);
      assertEquals(helloImage.digest().toString(), result.get("digest").asText());
      assertTransfer(result, helloImage.blobs().size(), 0, 0, helloImage.bytes(), 2);
    }
    Promoted.assertInRegistry(BASIC, toBasic, helloImage, tmp);
    Promoted.assertInRegistry(TOKEN, toToken, helloImage, tmp);

    CliRun again =
        ocitag(
            "--debug",
            "-o",
            "json",
            "tag",
            hello.toString(),
            toBasic.toString(),
            toToken.toString());

    assertAllUnchanged(again, 2);
    assertTrue(requests(again, "HEAD", "/manifests/1.0") >= 2, again::toString);
  }

  @Test
  void toTwoRepositoriesOfOneRegistryEachBlobIsReadFromTheSourceOnceAndMountedIntoTheOther()
      throws Exception {
    ImageRef source = TOKEN.newRepository("src").withTag("v1");
    RegistrySeeder.seed(TOKEN, source.repositoryRef(), TestImages.ociIndex("promo-token"), "v1");
    Promoted.Image image = Promoted.inRegistry(TOKEN, source);
    int blobs = image.blobs().size();
    ImageRef x = BASIC.newRepository("x").withTag("v1");
    ImageRef y = BASIC.newRepository("y").withTag("v1");
    ImageRef z = OPEN.newRepository("z").withTag("v1");

    CliRun r =
        ocitag("--debug", "tag", source.toString(), x.toString(), y.toString(), z.toString());

    assertEquals(0, r.code(), r::toString);
    Pattern line =
        Pattern.compile(
            "created   (\\S+) "
                + Pattern.quote(image.digest().toString())
                + " \\[blobs: (\\d+) copied \\((\\d+) bytes\\), (\\d+) mounted, (\\d+) present\\]");
    Map<String, long[]> counts = new java.util.HashMap<>();
    for (String l : r.stdout().lines().toList()) {
      Matcher m = line.matcher(l);
      assertTrue(m.matches(), () -> "a created line with its blobs: " + l + "\n" + r);
      counts.put(
          m.group(1),
          new long[] {
            Long.parseLong(m.group(2)),
            Long.parseLong(m.group(3)),
            Long.parseLong(m.group(4)),
            Long.parseLong(m.group(5))
          });
    }
    assertEquals(3, counts.size(), r::toString);
    long[] cx = counts.get(x.toString());
    long[] cy = counts.get(y.toString());
    long[] cz = counts.get(z.toString());
    // in BASIC, each blob streamed into one repository and mounted into the other
    assertEquals(blobs, cx[0] + cy[0], r::toString);
    assertEquals(image.bytes(), cx[1] + cy[1], r::toString);
    assertEquals(blobs, cx[2] + cy[2], r::toString);
    assertEquals(0, cx[3] + cy[3], r::toString);
    assertEquals(List.of((long) blobs, image.bytes(), 0L, 0L), List.of(cz[0], cz[1], cz[2], cz[3]));
    assertEquals(
        2L * blobs,
        requests(r, "GET", TOKEN.host() + "/v2/" + source.repository() + "/blobs/"),
        () -> "each blob read once per target registry:\n" + r);
    assertEquals(blobs, requests(r, "POST", "mount="), r::toString);
    for (ImageRef t : List.of(x, y)) {
      Promoted.assertInRegistry(BASIC, t, image, tmp);
    }
    Promoted.assertInRegistry(OPEN, z, image, tmp);
  }

  static Stream<Named<RealRegistry>> registries() {
    return Stream.of(
        Named.of("anonymous", OPEN), Named.of("htpasswd", BASIC), Named.of("token", TOKEN));
  }

  @ParameterizedTest
  @MethodSource("registries")
  void withinOneRegistryEveryBlobIsMountedAndNoBlobBytesPassThroughOcitag(RealRegistry registry)
      throws Exception {
    ImageRef source = registry.newRepository("mount-src").withTag("1");
    RegistrySeeder.seed(
        registry, source.repositoryRef(), TestImages.dockerManifestList("promo-mount"), "1");
    Promoted.Image image = Promoted.inRegistry(registry, source);
    ImageRef target = registry.newRepository("mount-dst").withTag("1");

    CliRun r = ocitag("--debug", "-o", "json", "tag", source.toString(), target.toString());

    assertEquals(0, r.code(), r::toString);
    JsonNode result = results(r).get(target.toString());
    assertEquals("created", result.get("outcome").asText(), r::toString);
    assertTransfer(result, 0, image.blobs().size(), 0, 0, 2);
    assertEquals(image.blobs().size(), requests(r, "POST", "mount="), r::toString);
    assertEquals(0, requests(r, "PUT", "/blobs/uploads/"), () -> "no blob bytes sent:\n" + r);
    assertEquals(0, requests(r, "GET", "/blobs/"), () -> "no blob bytes read:\n" + r);
    Promoted.assertInRegistry(registry, target, image, tmp);
  }

  @Test
  void aLayoutGoesToARegistryAndFromThereIntoALayoutThatDidNotExist() throws Exception {
    Path layout = ExampleLayout.copy(tmp.resolve("hello"));
    Promoted.Image image = Promoted.inLayout(layout, "latest");
    ImageRef inRegistry = BASIC.newRepository("from-layout").withTag("hello");
    Path back = tmp.resolve("not/yet/there");

    CliRun up = ocitag("-o", "json", "tag", "oci:" + layout + ":latest", inRegistry.toString());

    assertEquals(0, up.code(), up::toString);
    assertTransfer(
        results(up).get(inRegistry.toString()), image.blobs().size(), 0, 0, image.bytes(), 2);
    Promoted.assertInRegistry(BASIC, inRegistry, image, tmp);

    CliRun down = ocitag("-o", "json", "tag", inRegistry.toString(), "oci:" + back + ":v1");

    assertEquals(0, down.code(), down::toString);
    assertTransfer(
        results(down).get("oci:" + back + ":v1"), image.blobs().size(), 0, 0, image.bytes(), 2);
    Promoted.assertInLayout(back, "v1", image, tmp);
    assertArrayEquals(
        Promoted.skopeoRaw(BASIC, inRegistry),
        ExternalTools.run("skopeo", "inspect", "--raw", "oci:" + back + ":v1"));
    Map<String, String> files = LayoutCliTest.snapshot(back);

    assertAllUnchanged(
        ocitag("--debug", "-o", "json", "tag", "oci:" + layout + ":latest", inRegistry.toString()),
        1);
    CliRun downAgain = ocitag("-o", "json", "tag", inRegistry.toString(), "oci:" + back + ":v1");
    assertEquals(
        "unchanged", results(downAgain).get("oci:" + back + ":v1").get("outcome").asText());
    assertEquals(files, LayoutCliTest.snapshot(back), "a rerun leaves the layout as it was");
  }

  @Test
  void aBatchPromotesToTwoRegistriesAndALayoutAndARerunIsUnchanged() throws Exception {
    // an OCI index: skopeo (1.9) finds no tag in a layout whose index.json entry has a Docker
    // media type, so a Docker list promoted into a layout could not be checked by it
    ImageRef list = TOKEN.newRepository("list").withTag("1");
    RegistrySeeder.seed(TOKEN, list.repositoryRef(), TestImages.ociIndex("promo-batch"), "1");
    Promoted.Image listImage = Promoted.inRegistry(TOKEN, list);
    ImageRef helloToBasic = BASIC.newRepository("batch").withTag("hello");
    ImageRef helloToToken = TOKEN.newRepository("batch").withTag("hello");
    ImageRef listToOpen = OPEN.newRepository("batch").withTag("list");
    Path out = tmp.resolve("out");
    String batch =
        "# promotions: two other registries and a layout, and a retag\n"
            + hello
            + "  "
            + helloToBasic
            + " "
            + helloToToken
            + " oci:"
            + out
            + ":hello\n\n"
            + list
            + " "
            + listToOpen
            + " oci:"
            + out
            + ":list stable\n";
    Path file = Files.writeString(tmp.resolve("batch.txt"), batch);

    CliRun r = ocitag("-o", "json", "batch", file.toString());

    assertEquals(0, r.code(), r::toString);
    assertTrue(
        r.stderr().contains("6 tags on 2 sources") && r.stderr().contains("6 created"),
        r::toString);
    JsonNode reports = JSON.readTree(r.stdoutBytes()).get("reports");
    assertEquals(2, reports.size(), r::toString);
    for (JsonNode result : reports.get(0).get("results")) {
      assertEquals("created", result.get("outcome").asText(), r::toString);
      assertTransfer(result, helloImage.blobs().size(), 0, 0, helloImage.bytes(), 2);
    }
    JsonNode listResults = reports.get(1).get("results");
    for (int i = 0; i < 2; i++) {
      assertEquals("created", listResults.get(i).get("outcome").asText(), r::toString);
      assertTransfer(listResults.get(i), listImage.blobs().size(), 0, 0, listImage.bytes(), 2);
    }
    assertEquals(list.withTag("stable").toString(), listResults.get(2).get("target").asText());
    assertFalse(listResults.get(2).has("transfer"), "a tag in the source's repository: no copy");
    Promoted.assertInRegistry(BASIC, helloToBasic, helloImage, tmp);
    Promoted.assertInRegistry(TOKEN, helloToToken, helloImage, tmp);
    Promoted.assertInLayout(out, "hello", helloImage, tmp);
    Promoted.assertInRegistry(OPEN, listToOpen, listImage, tmp);
    Promoted.assertInLayout(out, "list", listImage, tmp);
    Promoted.assertInRegistry(TOKEN, list.withTag("stable"), listImage, tmp);
    Map<String, String> files = LayoutCliTest.snapshot(out);

    CliRun again = ocitag("--debug", "-o", "json", "batch", file.toString());

    assertEquals(0, again.code(), again::toString);
    assertTrue(again.stderr().contains("0 created, 0 moved, 6 unchanged"), again::toString);
    for (JsonNode report : JSON.readTree(again.stdoutBytes()).get("reports")) {
      for (JsonNode result : report.get("results")) {
        assertEquals("unchanged", result.get("outcome").asText(), again::toString);
        assertFalse(result.has("transfer"), result::toString);
      }
    }
    assertNothingWritten(again);
    assertEquals(files, LayoutCliTest.snapshot(out));
    assertNotEquals(0, files.size());
  }

  /** The digest of a blob of the example layout's amd64 image: its one layer. */
  static Digest amd64Layer(Path layout) throws Exception {
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    for (JsonNode e : index.get("manifests")) {
      if ("amd64"
          .equals(e.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        Digest manifest = Digest.parse(e.get("digest").asText());
        JsonNode m = JSON.readTree(layout.resolve("blobs/sha256").resolve(manifest.hex()).toFile());
        return Digest.parse(m.get("layers").get(0).get("digest").asText());
      }
    }
    throw new IllegalStateException("no amd64 in " + layout);
  }

  /** Runs ocitag with another docker config (other hosts, other users). */
  static CliRun ocitagWith(Path config, String... args) {
    List<String> all = new ArrayList<>(List.of("--docker-config", config.toString()));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  /**
   * An OCI index of two platforms whose amd64 image has a layer of {@code size} random bytes
   * (gzipped), the other layers small: a blob big enough to be cut in the middle.
   */
  static TestImage bigIndex(String salt, int size) {
    byte[] random = new byte[size];
    new java.util.Random(salt.hashCode()).nextBytes(random);
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream(size + size / 100);
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
      out.write(random);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    TestImage amd64 = image(salt, "amd64", gz.toByteArray());
    TestImage arm64 = image(salt, "arm64", TestImages.gzip("small layer of " + salt + "\n"));
    String index =
        "{\"schemaVersion\": 2, \"mediaType\": \""
            + MediaTypes.OCI_INDEX
            + "\", \"manifests\": ["
            + platform(amd64, "amd64")
            + ", "
            + platform(arm64, "arm64")
            + "]}\n";
    return new TestImage(
        Manifest.of(index.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_INDEX),
        Map.of(),
        List.of(amd64, arm64));
  }

  private static TestImage image(String salt, String arch, byte[] layer) {
    byte[] config =
        ("{\"architecture\":\""
                + arch
                + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"SALT="
                + salt
                + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
            .getBytes(StandardCharsets.UTF_8);
    String manifest =
        "{\"schemaVersion\": 2, \"mediaType\": \""
            + MediaTypes.OCI_MANIFEST
            + "\", \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\","
            + " \"digest\": \""
            + Digest.of(config)
            + "\", \"size\": "
            + config.length
            + "}, \"layers\": [{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\","
            + " \"digest\": \""
            + Digest.of(layer)
            + "\", \"size\": "
            + layer.length
            + "}]}\n";
    return new TestImage(
        Manifest.of(manifest.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST),
        Map.of(Digest.of(config), config, Digest.of(layer), layer),
        List.of());
  }

  private static String platform(TestImage image, String arch) {
    return "{\"mediaType\": \""
        + MediaTypes.OCI_MANIFEST
        + "\", \"digest\": \""
        + image.digest()
        + "\", \"size\": "
        + image.manifest().size()
        + ", \"platform\": {\"architecture\": \""
        + arch
        + "\", \"os\": \"linux\"}}";
  }

  /**
   * Asserts a run that failed for its one target: the documented exit code, a single {@code failed}
   * line on stdout naming the target and the reason, nothing on stderr (only whole-command errors
   * go there), and no stack trace anywhere.
   */
  static void assertFailedAlone(CliRun r, int code, String target, String... reason) {
    assertEquals(code, r.code(), r::toString);
    List<String> lines = r.stdout().lines().toList();
    assertEquals(1, lines.size(), r::toString);
    assertTrue(lines.get(0).startsWith("failed    " + target + ": "), r::toString);
    for (String part : reason) {
      assertTrue(lines.get(0).contains(part), () -> "'" + part + "' in\n" + r);
    }
    assertEquals("", r.stderr(), r::toString);
    assertFalse(r.stdout().contains("\tat ") || r.stdout().contains("Exception"), r::toString);
  }

  /** Asserts neither skopeo nor ocitag finds the tag: nothing was tagged. */
  static void assertNotTagged(RealRegistry registry, ImageRef target) throws Exception {
    assertNotEquals(0, Promoted.skopeoInspectCode(registry, target), target + " exists");
    CliRun digest = ocitag("digest", target.toString());
    assertEquals(4, digest.code(), digest::toString);
  }

  /** Every file under the layout's blobs hashes to its name: nothing half-written was kept. */
  static void assertOnlyWholeBlobs(Path layout) throws Exception {
    if (!Files.exists(layout.resolve("blobs"))) {
      return;
    }
    try (Stream<Path> files = Files.walk(layout.resolve("blobs"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertEquals(
            "sha256:" + f.getFileName(),
            ExternalTools.sha256sum(Files.readAllBytes(f)),
            () -> f + " in " + layout);
      }
    }
  }

  @Nested
  class Faults {
    private static final int SIZE = 8 * 1024 * 1024;

    @Test
    void aSourceConnectionDroppedHalfwayThroughABlobIsRetriedAndTheTargetIsWhole()
        throws Exception {
      ImageRef source = OPEN.newRepository("cut-src").withTag("1");
      RegistrySeeder.seed(OPEN, source.repositoryRef(), bigIndex("cut-source", SIZE), "1");
      Promoted.Image image = Promoted.inRegistry(OPEN, source);
      ImageRef target = TOKEN.newRepository("cut-src").withTag("1");

      try (CuttingProxy proxy =
          CuttingProxy.start(OPEN.port(), CuttingProxy.Direction.TO_CLIENT, SIZE / 2)) {
        ImageRef viaProxy = ImageRef.parse(proxy.host() + "/" + source.repository() + ":1");

        CliRun r = ocitag("-o", "json", "tag", viaProxy.toString(), target.toString());

        assertEquals(1, proxy.cuts(), "the source's blob stream was cut");
        assertEquals(0, r.code(), r::toString);
        assertTransfer(
            results(r).get(target.toString()), image.blobs().size(), 0, 0, image.bytes(), 2);
      }
      Promoted.assertInRegistry(TOKEN, target, image, tmp);
    }

    @Test
    void aTargetConnectionDroppedHalfwayThroughABlobIsRetriedAndTheTargetIsWhole()
        throws Exception {
      ImageRef source = OPEN.newRepository("cut-dst").withTag("1");
      RegistrySeeder.seed(OPEN, source.repositoryRef(), bigIndex("cut-target", SIZE), "1");
      Promoted.Image image = Promoted.inRegistry(OPEN, source);
      ImageRef target = BASIC.newRepository("cut-dst").withTag("1");

      try (CuttingProxy proxy =
          CuttingProxy.start(BASIC.port(), CuttingProxy.Direction.TO_SERVER, SIZE / 2)) {
        ImageRef viaProxy = ImageRef.parse(proxy.host() + "/" + target.repository() + ":1");
        Path config =
            Promoted.dockerConfig(tmp.resolve("docker"), Map.of(proxy.host(), USER_PASSWORD));

        CliRun r = ocitagWith(config, "-o", "json", "tag", source.toString(), viaProxy.toString());

        assertEquals(1, proxy.cuts(), "the upload was cut");
        assertEquals(0, r.code(), r::toString);
        assertTransfer(
            results(r).get(viaProxy.toString()), image.blobs().size(), 0, 0, image.bytes(), 2);
      }
      Promoted.assertInRegistry(BASIC, target, image, tmp);
    }

    @Test
    void aSourceServingOtherBytesForADigestFailsItsTargetsAndTagsNothing() throws Exception {
      Path layout = ExampleLayout.copy(tmp.resolve("hello"));
      Digest layer = amd64Layer(layout);
      Path file = layout.resolve("blobs/sha256").resolve(layer.hex());
      byte[] other = Files.readAllBytes(file);
      other[other.length / 2] ^= 0x55; // same size, other bytes
      Files.write(file, other);
      ImageRef target = TOKEN.newRepository("corrupt").withTag("1");
      Path layoutTarget = tmp.resolve("corrupt-out");

      CliRun r =
          ocitag(
              "tag", "oci:" + layout + ":latest", target.toString(), "oci:" + layoutTarget + ":1");

      assertEquals(1, r.code(), r::toString);
      List<String> lines = r.stdout().lines().toList();
      assertEquals(2, lines.size(), r::toString);
      assertTrue(lines.get(0).startsWith("failed    " + target + ": "), r::toString);
      assertTrue(lines.get(1).startsWith("failed    oci:" + layoutTarget + ":1: "), r::toString);
      for (String line : lines) {
        assertTrue(line.contains(layer.toString()), () -> "the digest is named: " + line);
        assertFalse(line.contains("Exception"), line);
      }
      assertEquals("", r.stderr(), r::toString);
      assertNotTagged(TOKEN, target);
      assertEquals(404, Promoted.headBlob(TOKEN, target.repositoryRef(), layer));
      assertFalse(Files.exists(layoutTarget.resolve("blobs/sha256").resolve(layer.hex())));
      assertOnlyWholeBlobs(layoutTarget);
      CliRun tags = ocitag("tags", "oci:" + layoutTarget);
      assertEquals("", tags.stdout(), tags::toString);
    }
  }

  @Nested
  class BadInput {
    static Stream<Arguments> withoutPushRights() {
      return Stream.of(
          Arguments.of(Named.of("htpasswd, wrong password", BASIC), RealRegistry.USER + ":wrong"),
          Arguments.of(
              Named.of("token, a user with pull rights only", TOKEN),
              RealRegistry.READER + ":" + RealRegistry.READER_PASSWORD));
    }

    @ParameterizedTest
    @MethodSource("withoutPushRights")
    void aTargetWithoutPushRightsIsDeniedAndGetsNoBlob(RealRegistry registry, String credentials)
        throws Exception {
      ImageRef target = registry.newRepository("denied").withTag("1");
      Path config =
          Promoted.dockerConfig(tmp.resolve("docker"), Map.of(registry.host(), credentials));

      CliRun r = ocitagWith(config, "tag", hello.toString(), target.toString());

      assertFailedAlone(r, 5, target.toString());
      assertNotTagged(registry, target);
      for (Digest blob : helloImage.blobs().keySet()) {
        assertEquals(
            404, Promoted.headBlob(registry, target.repositoryRef(), blob), blob::toString);
      }
    }

    @Test
    void aSourceBlobThatIsMissingIsNotFoundNamingItsDigest() throws Exception {
      Path layout = ExampleLayout.copy(tmp.resolve("hello"));
      Digest layer = amd64Layer(layout);
      Files.delete(layout.resolve("blobs/sha256").resolve(layer.hex()));
      ImageRef target = OPEN.newRepository("missing-blob").withTag("1");

      CliRun r = ocitag("tag", "oci:" + layout + ":latest", target.toString());

      assertFailedAlone(r, 4, target.toString(), layer.toString());
      assertNotTagged(OPEN, target);
      assertEquals(404, Promoted.headBlob(OPEN, target.repositoryRef(), layer));
    }

    @Test
    void aTargetLayoutPathThatIsAFileIsInvalidInput() throws Exception {
      Path file = Files.writeString(tmp.resolve("not-a-layout"), "a file\n");

      CliRun r = ocitag("tag", hello.toString(), "oci:" + file + ":1");

      assertFailedAlone(r, 2, "oci:" + file + ":1", "is a file");
      assertEquals("a file\n", Files.readString(file));
    }
  }
}
