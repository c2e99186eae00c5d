package dev.ocitag.cli;

import static dev.ocitag.core.testing.ExternalTools.run;
import static dev.ocitag.core.testing.ExternalTools.sha256sum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.ReferrersProxy;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.layout.LayoutFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --referrers}, {@code --referrers-type} and {@code ocitag referrers} against registry:2
 * (distribution 2.8, no referrers API: the referrers tag schema), the same registry behind a proxy
 * that answers the API, and OCI layouts; every copied referrer is read back with skopeo. The image
 * is an index with an SBOM, a signature of the SBOM, and an attestation of one of its children.
 */
class ReferrersCliTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.open();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SPDX = "application/spdx+json";
  private static final String NOTATION = "application/vnd.cncf.notary.signature";
  private static final String INTOTO = "application/vnd.in-toto+json";
  @TempDir Path tmp;

  private final TestImage image = TestImages.ociIndex("cli-referred-" + System.nanoTime());
  private final TestImage sbom = TestImages.sbom(image.manifest(), "cli");
  private final TestImage sbomSignature = TestImages.signature(sbom.manifest(), "cli");
  private final TestImage attestation =
      TestImages.artifact(
          image.children().get(0).manifest(), INTOTO, INTOTO, "{\"_type\":\"statement\"}");
  private final List<TestImage> all = List.of(sbom, sbomSignature, attestation);

  private static byte[] skopeoRaw(ImageRef ref) {
    return run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref);
  }

  /** Each referrer is at the target byte for byte, as skopeo reads it and sha256sum hashes it. */
  private static void assertCopied(ImageRef target, List<TestImage> referrers) {
    for (TestImage referrer : referrers) {
      byte[] raw = skopeoRaw(target.withDigest(referrer.digest()));
      assertArrayEquals(referrer.bytes(), raw, referrer.digest()::toString);
      assertEquals(referrer.digest().toString(), sha256sum(raw));
    }
  }

  /** The digests {@code ocitag referrers} lists for the subject. */
  private static List<String> listed(ImageRef subject, String... options) {
    List<String> args = new ArrayList<>(List.of("referrers"));
    args.addAll(List.of(options));
    args.add(subject.toString());
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, run.code(), run::toString);
    return run.stdout().lines().map(l -> l.split(" ")[0]).sorted().toList();
  }

  private static List<String> digests(TestImage... images) {
    return java.util.Arrays.stream(images).map(i -> i.digest().toString()).sorted().toList();
  }

  /**
   * The image tagged v1 in a new repository of registry:2, its referrers stored by digest and
   * listed, as a client without the API leaves them, in referrers tag indexes written by hand here.
   */
  private ImageRef seedWithoutApi() throws Exception {
    ImageRef repo = REGISTRY.newRepository("cli-referrers");
    RegistrySeeder.seed(REGISTRY, repo, image, "v1");
    for (TestImage referrer : all) {
      RegistrySeeder.seed(REGISTRY, repo, referrer, null);
    }
    for (Map.Entry<Digest, List<TestImage>> e :
        Map.of(
                image.digest(), List.of(sbom),
                sbom.digest(), List.of(sbomSignature),
                image.children().get(0).digest(), List.of(attestation))
            .entrySet()) {
      RegistrySeeder.pushManifest(
          REGISTRY,
          repo,
          e.getKey().algorithm() + "-" + e.getKey().hex(),
          referrersIndex(e.getValue()),
          MediaTypes.OCI_INDEX,
          null);
    }
    return repo;
  }

  private static byte[] referrersIndex(List<TestImage> referrers) throws Exception {
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    for (TestImage r : referrers) {
      ObjectNode d = index.withArray("manifests").addObject();
      d.put("mediaType", r.manifest().mediaType());
      d.put("digest", r.digest().toString());
      d.put("size", r.manifest().size());
      d.put("artifactType", r.manifest().artifactType().orElseThrow());
      ObjectNode annotations = d.putObject("annotations");
      r.manifest().annotations().forEach(annotations::put);
    }
    return JSON.writeValueAsBytes(index);
  }

  @Test
  void aPromotionBetweenRepositoriesWithoutTheApiCarriesEveryReferrer() throws Exception {
    ImageRef source = seedWithoutApi();
    ImageRef target = REGISTRY.newRepository("cli-prod").withTag("v1");

    CliRun run = CliRun.of("tag", "--referrers", "-o", "json", source + ":v1", target.toString());

    assertEquals(0, run.code(), run::toString);
    JsonNode result = JSON.readTree(run.stdoutBytes()).get("results").get(0);
    assertEquals("created", result.get("outcome").asText());
    assertEquals(3, result.get("transfer").get("referrers").asInt(), result::toString);
    assertCopied(target, all);
    assertArrayEquals(image.bytes(), skopeoRaw(target));
    assertEquals(digests(sbom), listed(target));
    assertEquals(digests(sbomSignature), listed(target.withDigest(sbom.digest())));
    assertEquals(digests(attestation), listed(target.withDigest(image.children().get(0).digest())));
    // the target's referrers tag is an index that skopeo reads as any other
    JsonNode index =
        JSON.readTree(
            skopeoRaw(target.withTag(image.digest().algorithm() + "-" + image.digest().hex())));
    assertEquals(sbom.digest().toString(), index.get("manifests").get(0).get("digest").asText());

    CliRun again = CliRun.of("tag", "--referrers", source + ":v1", target.toString());
    assertEquals(0, again.code(), again::toString);
    assertTrue(again.stdout().startsWith("unchanged "), again::toString);
    assertFalse(again.stdout().contains("referrers:"), "nothing new to carry: " + again);
  }

  @Test
  void referrersListsThemAsTextAndJson() throws Exception {
    ImageRef source = seedWithoutApi();

    CliRun text = CliRun.of("referrers", source + ":v1");
    assertEquals(0, text.code(), text::toString);
    assertEquals(
        sbom.digest()
            + " "
            + SPDX
            + " "
            + MediaTypes.OCI_MANIFEST
            + " "
            + sbom.manifest().size()
            + "\n",
        text.stdout());

    CliRun json = CliRun.of("referrers", "-o", "json", source.withDigest(sbom.digest()).toString());
    assertEquals(0, json.code(), json::toString);
    JsonNode answer = JSON.readTree(json.stdoutBytes());
    assertEquals(sbom.digest().toString(), answer.get("subject").get("digest").asText());
    JsonNode d = answer.get("referrers").get(0);
    assertEquals(sbomSignature.digest().toString(), d.get("digest").asText());
    assertEquals(NOTATION, d.get("artifactType").asText());
    assertEquals(MediaTypes.OCI_MANIFEST, d.get("mediaType").asText());
    assertEquals(sbomSignature.manifest().size(), d.get("size").asLong());
    assertEquals(
        "2024-05-01T00:00:00Z",
        d.get("annotations").get("org.opencontainers.image.created").asText());

    assertEquals(List.of(), listed(source.withTag("v1"), "--referrers-type", INTOTO));
    CliRun missing = CliRun.of("referrers", source + ":nope");
    assertEquals(4, missing.code(), missing::toString);
    assertEquals(1, missing.stderr().lines().count(), missing::toString);
  }

  @Test
  void aTypeChoosesTheImagesReferrersAndWhatRefersToThemComesAlong() throws Exception {
    ImageRef source = seedWithoutApi();
    ImageRef target = REGISTRY.newRepository("cli-sbom-only").withTag("v1");

    CliRun run = CliRun.of("tag", "--referrers-type", SPDX, source + ":v1", target.toString());

    assertEquals(0, run.code(), run::toString);
    assertTrue(run.stdout().contains("[referrers: 2 copied]"), run::toString);
    assertCopied(target, List.of(sbom, sbomSignature));
    assertEquals(List.of(), listed(target.withDigest(image.children().get(0).digest())));
    CliRun absent = CliRun.of("digest", target.withDigest(attestation.digest()).toString());
    assertEquals(4, absent.code(), absent::toString);
  }

  @Test
  void aReferrerWhoseBlobIsMissingFailsItsTargetNamingItAndTheImageIsNotTagged() throws Exception {
    ImageRef source = seedWithoutApi();
    Digest layer = sbom.manifest().layers().get(0).digest();
    HttpResponse<String> deleted =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        REGISTRY.url("/v2/" + source.repository() + "/blobs/" + layer))
                    .DELETE()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(202, deleted.statusCode(), deleted.body());
    ImageRef target = REGISTRY.newRepository("cli-unsigned").withTag("v1");

    CliRun run = CliRun.of("tag", "--referrers", source + ":v1", target.toString());

    assertEquals(4, run.code(), run::toString);
    String line =
        run.stdout().lines().filter(l -> l.contains(target.toString())).findFirst().orElseThrow();
    assertTrue(line.startsWith("failed "), run::toString);
    assertTrue(line.contains("referrer " + sbom.digest()), line);
    assertTrue(line.contains(layer.toString()), line);
    CliRun tagged = CliRun.of("digest", target.toString());
    assertEquals(4, tagged.code(), "the image is not tagged: " + tagged);
  }

  @Test
  void aReferrerWhoseBlobIsMissingInALayoutFailsTheRegistryTargetAndLeavesNoTag() throws Exception {
    Path layout = layoutWithReferrers();
    Digest layer = sbom.manifest().layers().get(0).digest();
    Files.delete(layout.resolve("blobs/sha256/" + layer.hex()));
    ImageRef target = REGISTRY.newRepository("cli-from-broken").withTag("v1");

    CliRun run = CliRun.of("tag", "--referrers", "oci:" + layout + ":v1", target.toString());

    assertEquals(4, run.code(), run::toString);
    assertTrue(run.stdout().startsWith("failed "), run::toString);
    assertTrue(run.stdout().contains("referrer " + sbom.digest()), run::toString);
    assertTrue(run.stdout().contains(layer.toString()), run::toString);
    CliRun tagged = CliRun.of("digest", target.toString());
    assertEquals(4, tagged.code(), "the image is not tagged: " + tagged);
  }

  /** A layout with the image tagged v1 and its referrers as untagged index.json entries. */
  private Path layoutWithReferrers() throws Exception {
    Path layout = LayoutFixture.emptyLayout(tmp.resolve("src"));
    LayoutFixture.seed(layout, image, "v1");
    ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
    for (TestImage referrer : all) {
      LayoutFixture.seed(layout, referrer, null);
      ObjectNode entry = index.withArray("manifests").addObject();
      entry.put("mediaType", referrer.manifest().mediaType());
      entry.put("digest", referrer.digest().toString());
      entry.put("size", referrer.manifest().size());
    }
    JSON.writeValue(layout.resolve("index.json").toFile(), index);
    return layout;
  }

  @Test
  void fromALayoutToARegistryAndBackToAnotherLayout() throws Exception {
    Path layout = layoutWithReferrers();
    ImageRef registryTarget = REGISTRY.newRepository("cli-from-layout").withTag("v1");

    CliRun up = CliRun.of("tag", "--referrers", "oci:" + layout + ":v1", registryTarget.toString());

    assertEquals(0, up.code(), up::toString);
    assertTrue(up.stdout().contains("[referrers: 3 copied]"), up::toString);
    assertCopied(registryTarget, all);

    Path back = tmp.resolve("back");
    CliRun down = CliRun.of("tag", "--referrers", registryTarget.toString(), "oci:" + back + ":v1");

    assertEquals(0, down.code(), down::toString);
    assertTrue(down.stdout().contains("[referrers: 3 copied]"), down::toString);
    for (TestImage referrer : all) {
      assertArrayEquals(
          referrer.bytes(),
          Files.readAllBytes(back.resolve("blobs/sha256/" + referrer.digest().hex())));
    }
    assertEquals(digests(sbom), listed(ImageRef.parse("oci:" + back + ":v1")));
    assertEquals(
        digests(sbomSignature), listed(ImageRef.parse("oci:" + back + "@" + sbom.digest())));
    // skopeo reads the tag of the layout; the referrers' untagged entries do not trouble it
    assertArrayEquals(image.bytes(), run("skopeo", "inspect", "--raw", "oci:" + back + ":v1"));
  }

  @Test
  void fromARegistryWithTheApiToOneWithoutAndBack() throws Exception {
    ImageRef repo = REGISTRY.newRepository("cli-api");
    RegistrySeeder.seed(REGISTRY, repo, image, "v1");
    try (ReferrersProxy api = ReferrersProxy.withApi(REGISTRY)) {
      ImageRef viaApi = ImageRef.parse(api.host() + "/" + repo.repository());
      for (TestImage referrer : all) {
        for (Map.Entry<Digest, byte[]> blob : referrer.blobs().entrySet()) {
          RegistrySeeder.pushBlob(REGISTRY, repo, blob.getKey(), blob.getValue(), null);
        }
        // pushed through the proxy, which indexes it
        assertEquals(
            201,
            putManifest(api.host(), viaApi, referrer.digest().toString(), referrer).statusCode());
      }
      ImageRef plain = REGISTRY.newRepository("cli-plain").withTag("v1");

      CliRun out =
          CliRun.of("tag", "--plain-http", "--referrers", viaApi + ":v1", plain.toString());

      assertEquals(0, out.code(), out::toString);
      assertTrue(out.stdout().contains("[referrers: 3 copied]"), out::toString);
      assertCopied(plain, all);
      assertEquals(digests(sbom), listed(plain));

      ImageRef back =
          ImageRef.parse(api.host() + "/" + REGISTRY.newRepository("cli-back").repository());
      CliRun in = CliRun.of("tag", "--plain-http", "--referrers", plain.toString(), back + ":v1");

      assertEquals(0, in.code(), in::toString);
      assertTrue(in.stdout().contains("[referrers: 3 copied]"), in::toString);
      assertEquals(digests(sbom), listed(back.withTag("v1"), "--plain-http"));
      assertTrue(
          api.requests().stream()
              .noneMatch(r -> r.startsWith("PUT") && r.contains("/manifests/sha256-")),
          "the registry with the API lists referrers itself: " + api.requests());
      assertCopied(ImageRef.parse(REGISTRY.host() + "/" + back.repository() + ":v1"), all);
    }
  }

  @Test
  void aBatchCarriesReferrersAndATargetInTheSourcesRepositoryNeedsNone() throws Exception {
    ImageRef source = seedWithoutApi();
    ImageRef other = REGISTRY.newRepository("cli-batch-referrers").withTag("v1");
    String file = source + ":v1 stable " + other + "\n";

    CliRun batch = RegistryCliTest.runWithStdin(file, "batch", "--referrers", "-o", "json", "-");

    assertEquals(0, batch.code(), batch::toString);
    JsonNode results = JSON.readTree(batch.stdoutBytes()).get("reports").get(0).get("results");
    assertEquals("created", results.get(0).get("outcome").asText(), results::toString);
    assertFalse(results.get(0).has("transfer"), "the source's repository: " + results);
    assertEquals(3, results.get(1).get("transfer").get("referrers").asInt(), results::toString);
    assertCopied(other, all);
  }

  @Test
  void anEmptyTypeIsAUsageError() {
    CliRun run = CliRun.of("tag", "--referrers-type", "", "oci:x:v1", "v2");
    assertEquals(2, run.code(), run::toString);
    assertTrue(run.stderr().contains("--referrers-type"), run::toString);
    assertEquals(1, run.stderr().lines().count(), run::toString);
  }

  private static HttpResponse<String> putManifest(
      String host, ImageRef repo, String reference, TestImage manifest) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://" + host + "/v2/" + repo.repository() + "/manifests/" + reference))
                .header("Content-Type", manifest.manifest().mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes()))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
