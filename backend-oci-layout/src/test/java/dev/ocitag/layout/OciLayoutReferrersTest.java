package dev.ocitag.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.FallbackIndex;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Referrers in OCI layouts: written as untagged {@code index.json} entries, found there and in a
 * referrers tag schema index, and carried from layout to layout by {@code --referrers}.
 */
class OciLayoutReferrersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SPDX = "application/spdx+json";
  @TempDir Path dir;
  private final OciLayoutBackend backend = new OciLayoutBackend();
  private final TestImage image = TestImages.ociIndex("layout-referrers");
  private final TestImage sbom = TestImages.sbom(image.manifest(), "layout");
  private final TestImage signature = TestImages.signature(sbom.manifest(), "layout");

  private static ImageRef layout(Path path) {
    return ImageRef.parse("oci:" + path);
  }

  private static List<JsonNode> entries(Path layout) throws IOException {
    List<JsonNode> list = new ArrayList<>();
    JSON.readTree(layout.resolve("index.json").toFile()).get("manifests").forEach(list::add);
    return list;
  }

  private static List<Digest> digests(List<Descriptor> descriptors) {
    return descriptors.stream().map(Descriptor::digest).toList();
  }

  private void pushBlobs(ImageRef repo, TestImage artifact) {
    artifact
        .blobs()
        .forEach(
            (digest, bytes) ->
                backend.pushBlob(
                    repo, Descriptor.of(digest, bytes.length), new ByteArrayInputStream(bytes)));
  }

  @Test
  void aReferrerIsWrittenAsOneUntaggedEntryWithItsArtifactTypeAndIsListed() throws IOException {
    Path target = dir.resolve("new");
    ImageRef repo = layout(target);
    pushBlobs(repo, sbom); // makes the layout; the subject itself is not there, as may be

    assertEquals(sbom.digest(), backend.putReferrer(repo, sbom.manifest()));
    assertEquals(sbom.digest(), backend.putReferrer(repo, sbom.manifest()), "a second time");

    List<JsonNode> entries = entries(target);
    assertEquals(1, entries.size(), entries::toString);
    JsonNode entry = entries.get(0);
    assertEquals(sbom.digest().toString(), entry.get("digest").asText());
    assertEquals(MediaTypes.OCI_MANIFEST, entry.get("mediaType").asText());
    assertEquals(sbom.manifest().size(), entry.get("size").asLong());
    assertEquals(SPDX, entry.get("artifactType").asText());
    assertFalse(entry.has("annotations"), "no tag: " + entry);
    assertEquals(List.of(), backend.tags(repo).toList());
    assertArrayEquals(sbom.bytes(), backend.fetch(repo.withDigest(sbom.digest())).bytes());
    assertEquals(
        List.of(Referrers.descriptorOf(sbom.manifest())),
        backend.referrers(repo, image.digest(), Set.of()));
    assertEquals(List.of(), backend.referrers(repo, sbom.digest(), Set.of()));
  }

  @Test
  void aReferrerWhoseBlobsAreMissingIsNotWritten() {
    ImageRef repo = layout(dir.resolve("bare"));
    OcitagException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            OcitagException.InvalidInput.class, () -> backend.putReferrer(repo, sbom.manifest()));
    assertTrue(e.getMessage().contains("references"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("bare/index.json")));
  }

  @Test
  void referrersOtherToolsLeftAreFoundInEntriesAndInAReferrersTagIndex() throws IOException {
    Path source = LayoutFixture.emptyLayout(dir.resolve("tools"));
    LayoutFixture.seed(source, image, "v1");
    // oras: an untagged entry for the SBOM
    LayoutFixture.seed(source, sbom, null);
    addEntry(source, sbom, null);
    // regctl: the signature listed in an index under the referrers tag of the image
    TestImage imageSignature = TestImages.signature(image.manifest(), "regctl");
    LayoutFixture.seed(source, imageSignature, null);
    byte[] fallback =
        FallbackIndex.with(null, Referrers.descriptorOf(imageSignature.manifest())).bytes();
    LayoutFixture.writeBlob(source, Digest.of(fallback), fallback);
    ObjectNode index = (ObjectNode) JSON.readTree(source.resolve("index.json").toFile());
    ObjectNode tagged = index.withArray("manifests").addObject();
    tagged.put("mediaType", MediaTypes.OCI_INDEX);
    tagged.put("digest", Digest.of(fallback).toString());
    tagged.put("size", fallback.length);
    tagged.putObject("annotations").put(Layout.REF_NAME, FallbackIndex.tag(image.digest()));
    JSON.writeValue(source.resolve("index.json").toFile(), index);
    // a referrer only in blobs/, named by no entry: not found (blobs are not scanned)
    TestImage hidden = TestImages.signature(image.manifest(), "hidden");
    LayoutFixture.seed(source, hidden, null);

    ImageRef repo = layout(source);
    List<Descriptor> all = backend.referrers(repo, image.digest(), Set.of());

    assertEquals(Set.of(sbom.digest(), imageSignature.digest()), Set.copyOf(digests(all)));
    assertEquals(2, all.size());
    assertEquals(
        List.of(sbom.digest()), digests(backend.referrers(repo, image.digest(), Set.of(SPDX))));
    assertEquals(
        List.of(imageSignature.digest()),
        digests(
            backend.referrers(
                repo, image.digest(), Set.of("application/vnd.cncf.notary.signature"))));
  }

  @Test
  void aPromotionFromLayoutToLayoutCarriesTheReferrersNestedOnesToo() throws IOException {
    Path source = LayoutFixture.emptyLayout(dir.resolve("src"));
    LayoutFixture.seed(source, image, "v1");
    for (TestImage referrer : List.of(sbom, signature)) {
      LayoutFixture.seed(source, referrer, null);
      addEntry(source, referrer, null);
    }
    ImageRef target = ImageRef.parse("oci:" + dir.resolve("dst") + ":prod");

    TagResult r =
        new TagEngine(backend, new TagEngine.Options(false, false, 2).withReferrers(Set.of()))
            .tag(ImageRef.parse("oci:" + source + ":v1"), List.of(target))
            .results()
            .get(0);

    assertEquals(Outcome.CREATED, r.outcome(), r.reason());
    assertEquals(2, r.transfer().referrers());
    assertEquals(
        List.of(sbom.digest()), digests(backend.referrers(target, image.digest(), Set.of())));
    assertEquals(
        List.of(signature.digest()), digests(backend.referrers(target, sbom.digest(), Set.of())));
    for (TestImage referrer : List.of(sbom, signature)) {
      assertArrayEquals(
          referrer.bytes(), Files.readAllBytes(blob(dir.resolve("dst"), referrer.digest())));
      for (Map.Entry<Digest, byte[]> b : referrer.blobs().entrySet()) {
        assertArrayEquals(b.getValue(), Files.readAllBytes(blob(dir.resolve("dst"), b.getKey())));
      }
    }
    List<JsonNode> entries = entries(dir.resolve("dst"));
    assertEquals(3, entries.size(), "the tag and two referrers: " + entries);
    assertEquals(List.of("prod"), backend.tags(target).toList());
  }

  @Test
  void aReferrerWithAMissingBlobFailsThePromotionNamingItAndLeavesNoTag() throws IOException {
    Path source = LayoutFixture.emptyLayout(dir.resolve("src"));
    LayoutFixture.seed(source, image, "v1");
    LayoutFixture.seed(source, sbom, null);
    addEntry(source, sbom, null);
    Digest layer = sbom.manifest().layers().get(0).digest();
    Files.delete(blob(source, layer));
    ImageRef target = ImageRef.parse("oci:" + dir.resolve("dst") + ":prod");

    TagResult r =
        new TagEngine(backend, new TagEngine.Options(false, false, 2).withReferrers(Set.of()))
            .tag(ImageRef.parse("oci:" + source + ":v1"), List.of(target))
            .results()
            .get(0);

    assertEquals(Outcome.FAILED, r.outcome());
    assertTrue(r.reason().contains(sbom.digest().toString()), r.reason());
    assertTrue(r.reason().contains(layer.toString()), r.reason());
    assertEquals(Optional.empty(), backend.resolve(target));
    assertEquals(List.of(), backend.tags(target).toList());
  }

  private static Path blob(Path layout, Digest digest) {
    return layout.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  /** An index.json entry for the manifest, as oras adds one (untagged when {@code tag} is null). */
  private static void addEntry(Path layout, TestImage manifest, String tag) throws IOException {
    ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
    ObjectNode entry = index.withArray("manifests").addObject();
    entry.put("mediaType", manifest.manifest().mediaType());
    entry.put("digest", manifest.digest().toString());
    entry.put("size", manifest.manifest().size());
    manifest.manifest().artifactType().ifPresent(t -> entry.put("artifactType", t));
    if (tag != null) {
      entry.putObject("annotations").put(Layout.REF_NAME, tag);
    }
    JSON.writeValue(layout.resolve("index.json").toFile(), index);
  }
}
