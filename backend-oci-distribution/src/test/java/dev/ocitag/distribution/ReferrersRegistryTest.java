package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.FallbackIndex;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.ReferrersProxy;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Referrers on registries: {@code registry:2} (distribution 2.8, no referrers API) through the
 * referrers tag schema, checked with skopeo; the same registry behind a {@link ReferrersProxy} that
 * answers the API; and behind one that honours conditional PUTs while another client writes the
 * referrers tag.
 */
class ReferrersRegistryTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.open();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SPDX = "application/spdx+json";
  private static final String NOTATION = "application/vnd.cncf.notary.signature";

  private final TestImage image = TestImages.ociImage("referred-" + System.nanoTime());
  private final TestImage sbom = TestImages.sbom(image.manifest(), "sbom");
  private final TestImage signature = TestImages.signature(image.manifest(), "sig");
  private final TestImage provenance =
      TestImages.artifact(
          image.manifest(),
          "application/vnd.in-toto+json",
          "application/vnd.in-toto+json",
          "{\"predicateType\":\"https://slsa.dev/provenance/v1\"}");

  private static DistributionBackend open(String host) {
    return DistributionBackend.open(
        ImageRef.parse(host + "/any:x"),
        BackendOptions.defaults().with(RegistryOptions.PLAIN_HTTP, true),
        Settings.defaults());
  }

  /** The image tagged v1, and the referrers' blobs, pushed straight to the registry. */
  private ImageRef seed(TestImage... referrers) throws Exception {
    ImageRef repo = REGISTRY.newRepository("referrers");
    RegistrySeeder.seed(REGISTRY, repo, image, "v1");
    for (TestImage referrer : referrers) {
      for (Map.Entry<Digest, byte[]> blob : referrer.blobs().entrySet()) {
        RegistrySeeder.pushBlob(REGISTRY, repo, blob.getKey(), blob.getValue(), null);
      }
    }
    return repo;
  }

  private static JsonNode rawIndex(ImageRef tag) throws Exception {
    return JSON.readTree(Skopeo.inspectRaw(REGISTRY, tag));
  }

  private static List<Digest> digests(List<Descriptor> descriptors) {
    return descriptors.stream().map(Descriptor::digest).toList();
  }

  @Test
  void withoutTheApiReferrersAreMergedIntoTheReferrersTagIndex() throws Exception {
    Skopeo.require();
    ImageRef repo = seed(sbom, signature);
    DistributionBackend backend = open(REGISTRY.host());
    ImageRef tag = repo.withTag(FallbackIndex.tag(image.digest()));

    assertEquals(sbom.digest(), backend.putReferrer(repo, sbom.manifest()));
    assertEquals(signature.digest(), backend.putReferrer(repo, signature.manifest()));

    JsonNode index = rawIndex(tag);
    assertEquals(MediaTypes.OCI_INDEX, index.get("mediaType").asText());
    assertEquals(2, index.get("manifests").size(), index::toString);
    JsonNode first = index.get("manifests").get(0);
    assertEquals(sbom.digest().toString(), first.get("digest").asText());
    assertEquals(SPDX, first.get("artifactType").asText());
    assertEquals(sbom.manifest().size(), first.get("size").asLong());
    assertEquals(
        "2024-05-01T00:00:00Z",
        first.get("annotations").get("org.opencontainers.image.created").asText());
    assertEquals(
        signature.digest().toString(), index.get("manifests").get(1).get("digest").asText());
    for (TestImage referrer : List.of(sbom, signature)) {
      byte[] raw = Skopeo.inspectRaw(REGISTRY, repo.withDigest(referrer.digest()));
      assertArrayEquals(referrer.bytes(), raw);
    }
    assertEquals(
        List.of(
            Referrers.descriptorOf(sbom.manifest()), Referrers.descriptorOf(signature.manifest())),
        backend.referrers(repo, image.digest(), Set.of()));
    assertEquals(
        List.of(signature.digest()),
        digests(backend.referrers(repo, image.digest(), Set.of(NOTATION))));

    Digest before = backend.resolve(tag).orElseThrow();
    backend.putReferrer(repo, sbom.manifest());
    assertEquals(before, backend.resolve(tag).orElseThrow(), "listed already: not written again");
    assertEquals(List.of(), backend.referrers(repo, sbom.digest(), Set.of()));
    assertEquals(
        List.of(), backend.referrers(REGISTRY.newRepository("none"), image.digest(), Set.of()));
  }

  @Test
  void anotherToolsReferrersTagKeepsItsEntriesAndAnnotations() throws Exception {
    Skopeo.require();
    ImageRef repo = seed(sbom);
    RegistrySeeder.seed(REGISTRY, repo, signature, null); // distribution lists only what it has
    String theirs =
        "{\"schemaVersion\": 2, \"mediaType\": \""
            + MediaTypes.OCI_INDEX
            + "\", \"manifests\": [{\"mediaType\": \""
            + MediaTypes.OCI_MANIFEST
            + "\", \"digest\": \""
            + signature.digest()
            + "\", \"size\": "
            + signature.manifest().size()
            + ", \"artifactType\": \""
            + NOTATION
            + "\"}], \"annotations\": {\"org.example.by\": \"another tool\"}}";
    ImageRef tag = repo.withTag(FallbackIndex.tag(image.digest()));
    RegistrySeeder.pushManifest(
        REGISTRY,
        repo,
        tag.tag(),
        theirs.getBytes(StandardCharsets.UTF_8),
        MediaTypes.OCI_INDEX,
        null);

    open(REGISTRY.host()).putReferrer(repo, sbom.manifest());

    JsonNode index = rawIndex(tag);
    assertEquals(
        List.of(signature.digest().toString(), sbom.digest().toString()),
        List.of(
            index.get("manifests").get(0).get("digest").asText(),
            index.get("manifests").get(1).get("digest").asText()));
    assertEquals(NOTATION, index.get("manifests").get(0).get("artifactType").asText());
    assertEquals("another tool", index.get("annotations").get("org.example.by").asText());
  }

  @Test
  void aReferrersTagThatHoldsAnImageIsLeftAlone() throws Exception {
    ImageRef repo = seed(sbom);
    TestImage other = TestImages.ociImage("squatter");
    ImageRef tag = repo.withTag(FallbackIndex.tag(image.digest()));
    RegistrySeeder.seed(REGISTRY, repo, other, tag.tag());
    DistributionBackend backend = open(REGISTRY.host());

    OcitagException e =
        assertThrows(
            OcitagException.Failed.class, () -> backend.putReferrer(repo, sbom.manifest()));

    assertTrue(e.getMessage().contains("not an OCI image index"), e.getMessage());
    assertEquals(Optional.of(other.digest()), backend.resolve(tag));
    assertEquals(List.of(), backend.referrers(repo, image.digest(), Set.of()));
  }

  @Test
  void aRegistryWithTheApiListsReferrersItselfPageByPageAndFilters() throws Exception {
    ImageRef repo = seed(sbom, signature, provenance);
    try (ReferrersProxy proxy = ReferrersProxy.withApi(REGISTRY)) {
      DistributionBackend backend = open(proxy.host());
      ImageRef viaProxy = ImageRef.parse(proxy.host() + "/" + repo.repository());
      for (TestImage referrer : List.of(sbom, signature, provenance)) {
        assertEquals(referrer.digest(), backend.putReferrer(viaProxy, referrer.manifest()));
      }

      List<Descriptor> all = backend.referrers(viaProxy, image.digest(), Set.of());

      assertEquals(List.of(sbom.digest(), signature.digest(), provenance.digest()), digests(all));
      assertEquals(Referrers.descriptorOf(sbom.manifest()), all.get(0));
      String api = "GET /v2/" + repo.repository() + "/referrers/" + image.digest();
      assertEquals(
          2,
          proxy.requests().stream().filter(r -> r.startsWith(api)).count(),
          "three referrers, two pages: " + proxy.requests());
      assertTrue(
          proxy.requests().stream().noneMatch(r -> r.contains("/manifests/sha256-")),
          "no referrers tag read or written: " + proxy.requests());
      assertEquals(
          Optional.empty(),
          open(REGISTRY.host()).resolve(repo.withTag(FallbackIndex.tag(image.digest()))));

      assertEquals(
          List.of(sbom.digest()),
          digests(backend.referrers(viaProxy, image.digest(), Set.of(SPDX))));
      assertTrue(
          proxy.requests().contains(api + "?artifactType=application%2Fspdx%2Bjson"),
          proxy.requests()::toString);
      assertEquals(
          Set.of(sbom.digest(), signature.digest()),
          Set.copyOf(digests(backend.referrers(viaProxy, image.digest(), Set.of(SPDX, NOTATION)))));
    }
  }

  @Test
  void aWriterThatCameBetweenIsNotClobbered() throws Exception {
    ImageRef repo = seed(sbom, signature, provenance);
    try (ReferrersProxy proxy = ReferrersProxy.conditional(REGISTRY)) {
      DistributionBackend backend = open(proxy.host());
      ImageRef viaProxy = ImageRef.parse(proxy.host() + "/" + repo.repository());
      backend.putReferrer(viaProxy, sbom.manifest());
      proxy.interfereOnce(provenance.bytes(), "application/vnd.in-toto+json");

      backend.putReferrer(viaProxy, signature.manifest());

      Digest theirs = proxy.interloper().orElseThrow();
      assertEquals(provenance.digest(), theirs);
      assertEquals(
          List.of(sbom.digest(), theirs, signature.digest()),
          digests(open(REGISTRY.host()).referrers(repo, image.digest(), Set.of())));
      String put =
          "PUT /v2/" + repo.repository() + "/manifests/" + FallbackIndex.tag(image.digest());
      assertEquals(
          3,
          proxy.requests().stream().filter(put::equals).count(),
          "one for the first, a refused and a second try for the other: " + proxy.requests());
    }
  }

  /** The registry's own answer at the referrers API path: distribution 2.8 has none. */
  @Test
  void distributionTwoEightHasNoReferrersApi() throws Exception {
    ImageRef repo = seed();
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            REGISTRY
                                .url("/v2/" + repo.repository() + "/referrers/" + image.digest())
                                .toString()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(404, answer.statusCode(), answer.body());
  }
}
