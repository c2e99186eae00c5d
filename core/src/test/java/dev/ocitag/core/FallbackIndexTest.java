package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The referrers tag schema and the descriptors a referrers list holds, as the specs say. */
class FallbackIndexTest {
  private final TestImage image = TestImages.ociImage("subject");
  private final TestImage sbom = TestImages.sbom(image.manifest(), "one");
  private final TestImage signature = TestImages.signature(image.manifest(), "two");

  @Test
  void theTagIsTheAlgorithmADashAndTheEncodedDigestCutTo64() {
    String hex = "a".repeat(64);
    assertEquals("sha256-" + hex, FallbackIndex.tag(Digest.parse("sha256:" + hex)));
    // the distribution spec's own example: sha512's 128 hex digits are cut to 64
    assertEquals(
        "sha512-" + "b".repeat(64), FallbackIndex.tag(Digest.parse("sha512:" + "b".repeat(128))));
  }

  @Test
  void aReferrersDescriptorCarriesItsArtifactTypeAndAllItsAnnotations() {
    Descriptor d = Referrers.descriptorOf(sbom.manifest());

    assertEquals(MediaTypes.OCI_MANIFEST, d.mediaType());
    assertEquals(sbom.digest(), d.digest());
    assertEquals(sbom.manifest().size(), d.size());
    assertEquals("application/spdx+json", d.artifactType());
    assertEquals(sbom.manifest().annotations(), d.annotations());
  }

  @Test
  void withoutAnArtifactTypeAnImagesConfigTypeStandsInAndAnIndexHasNone() {
    assertEquals(
        "application/vnd.oci.image.config.v1+json",
        Referrers.descriptorOf(image.manifest()).artifactType());
    assertNull(Referrers.descriptorOf(TestImages.ociIndex("x").manifest()).artifactType());
  }

  @Test
  void anEntryIsAddedToWhatIsThereAndEverythingElseIsKept() {
    Manifest first = FallbackIndex.with(null, Referrers.descriptorOf(sbom.manifest()));
    assertEquals(MediaTypes.OCI_INDEX, first.mediaType());
    assertEquals(List.of(Referrers.descriptorOf(sbom.manifest())), first.children());

    // another tool's index: an annotation and a field ocitag does not know stay as they are
    String theirs =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_INDEX
            + "\",\"manifests\":["
            + new String(descriptorJson(sbom), StandardCharsets.UTF_8)
            + "],\"annotations\":{\"org.example.by\":\"regctl\"},\"x-extra\":[1,2.50]}";
    Manifest current = Manifest.of(theirs.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_INDEX);
    Manifest merged = FallbackIndex.with(current, Referrers.descriptorOf(signature.manifest()));

    assertEquals(
        List.of(sbom.digest(), signature.digest()),
        merged.children().stream().map(Descriptor::digest).toList());
    assertEquals(Map.of("org.example.by", "regctl"), merged.annotations());
    assertTrue(
        new String(merged.bytes(), StandardCharsets.UTF_8).contains("\"x-extra\":[1,2.50]"),
        "an unknown field is kept exactly");
    assertTrue(FallbackIndex.lists(merged, signature.digest()));
    assertFalse(FallbackIndex.lists(first, signature.digest()));
    assertEquals(
        "application/vnd.cncf.notary.signature",
        Referrers.select(merged.children(), Set.of("application/vnd.cncf.notary.signature"))
            .get(0)
            .artifactType());
  }

  @Test
  void aTagThatHoldsSomethingElseIsNotReplaced() {
    OcitagException e =
        assertThrows(
            OcitagException.Failed.class,
            () -> FallbackIndex.with(image.manifest(), Referrers.descriptorOf(sbom.manifest())));
    assertTrue(e.getMessage().contains("not an OCI image index"), e.getMessage());
  }

  private static byte[] descriptorJson(TestImage referrer) {
    return ("{\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"digest\":\""
            + referrer.digest()
            + "\",\"size\":"
            + referrer.manifest().size()
            + ",\"artifactType\":\""
            + referrer.manifest().artifactType().orElseThrow()
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }
}
