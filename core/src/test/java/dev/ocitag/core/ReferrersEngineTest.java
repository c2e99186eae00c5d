package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.InMemoryBackend.Operation;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --referrers} over two in-memory stores that list referrers as a registry with the
 * referrers API does: an index with an SBOM, a signature of that SBOM, and an attestation of one of
 * its children.
 */
class ReferrersEngineTest {
  private static final ImageRef SOURCE = ImageRef.parseDocker("a.test/app:src");
  private static final ImageRef TARGET = ImageRef.parseDocker("b.test/prod/app:v1");
  private static final String SPDX = "application/spdx+json";
  private static final String NOTATION = "application/vnd.cncf.notary.signature";
  private static final String INTOTO = "application/vnd.in-toto+json";

  private final InMemoryBackend a = new InMemoryBackend();
  private final InMemoryBackend b = new InMemoryBackend();
  private final TestImage index = TestImages.ociIndex("referred");
  private final TestImage sbom = TestImages.sbom(index.manifest(), "index");
  private final TestImage sbomSignature = TestImages.signature(sbom.manifest(), "sbom");
  private final TestImage attestation =
      TestImages.artifact(
          index.children().get(0).manifest(),
          INTOTO,
          "application/vnd.in-toto+json",
          "{\"_type\":\"https://in-toto.io/Statement/v1\"}");

  @BeforeEach
  void seed() {
    a.seed(SOURCE, index, "src");
    a.seed(SOURCE, sbom, null);
    a.seed(SOURCE, sbomSignature, null);
    a.seed(SOURCE, attestation, null);
  }

  private static Function<ImageRef, TagBackend> stores(TagBackend a, TagBackend b) {
    return ref ->
        switch (ref.registry()) {
          case "a.test" -> a;
          case "b.test" -> b;
          default -> throw new OcitagException.InvalidInput("no store " + ref.registry());
        };
  }

  private TagResult promote(TagEngine.Options options, ImageRef target) {
    return new TagEngine(stores(a, b), options, TagEngine.Listener.NONE)
        .tag(SOURCE, List.of(target))
        .results()
        .get(0);
  }

  private static TagEngine.Options referrers(String... types) {
    return new TagEngine.Options(false, false, 1).withReferrers(Set.of(types));
  }

  private static void assertOutcome(Outcome expected, TagResult r) {
    assertEquals(expected, r.outcome(), () -> r.target() + ": " + r.reason());
  }

  /** The target lists the referrer for its subject, and holds its bytes and blobs unchanged. */
  private void assertListed(ImageRef repo, TestImage referrer) {
    Digest subject = referrer.manifest().subject().orElseThrow().digest();
    List<Descriptor> listed = b.referrers(repo, subject, Set.of());
    assertTrue(
        listed.stream().anyMatch(d -> d.digest().equals(referrer.digest())),
        () -> referrer.digest() + " not among the referrers of " + subject + ": " + listed);
    assertArrayEquals(referrer.bytes(), b.fetch(repo.withDigest(referrer.digest())).bytes());
    referrer
        .blobs()
        .forEach((digest, bytes) -> assertArrayEquals(bytes, b.blob(repo, digest).orElseThrow()));
  }

  private void assertNotThere(ImageRef repo, TestImage referrer) {
    assertEquals(Optional.empty(), b.resolve(repo.withDigest(referrer.digest())));
  }

  @Test
  void referrersOfTheImageAndOfItsChildrenComeWithItNestedOnesToo() {
    TagResult r = promote(referrers(), TARGET);

    assertOutcome(Outcome.CREATED, r);
    assertEquals(3, r.transfer().referrers());
    ImageRef repo = TARGET.repositoryRef();
    assertListed(repo, sbom);
    assertListed(repo, sbomSignature);
    assertListed(repo, attestation);
    assertEquals(index.digest(), b.resolve(TARGET).orElseThrow());
    // the SBOM before its signature, and every referrer before the tag
    List<Operation> puts = b.operations("put");
    assertEquals(TARGET, puts.get(puts.size() - 1).ref());
    List<Digest> written = b.operations("putReferrer").stream().map(Operation::digest).toList();
    assertEquals(3, written.size(), written::toString);
    assertTrue(written.indexOf(sbom.digest()) < written.indexOf(sbomSignature.digest()));
    // the empty config is one blob, shared by the three artifacts
    assertEquals(
        1,
        b.operations("pushBlob").stream()
            .filter(o -> o.digest().equals(Digest.of(TestImages.EMPTY_JSON)))
            .count());
  }

  @Test
  void withoutTheOptionNoReferrerIsLookedAt() {
    TagResult r = promote(new TagEngine.Options(false, false, 1), TARGET);

    assertOutcome(Outcome.CREATED, r);
    assertEquals(0, r.transfer().referrers());
    assertEquals(List.of(), a.operations("referrers"));
    assertNotThere(TARGET, sbom);
  }

  @Test
  void aTypeChoosesAmongTheImagesReferrersAndWhatRefersToThemComesAlong() {
    TagResult r = promote(referrers(SPDX), TARGET);

    assertOutcome(Outcome.CREATED, r);
    assertEquals(2, r.transfer().referrers());
    assertListed(TARGET.repositoryRef(), sbom);
    assertListed(TARGET.repositoryRef(), sbomSignature); // a signature, of the chosen SBOM
    assertNotThere(TARGET, attestation);

    TagResult signatures = promote(referrers(NOTATION), ImageRef.parseDocker("b.test/sig:v1"));
    assertOutcome(Outcome.CREATED, signatures);
    assertEquals(0, signatures.transfer().referrers(), "the image itself has no signature");
  }

  @Test
  void aReferrerWhoseBlobIsMissingFailsTheTargetNamingItAndTheImageIsNotTagged() {
    InMemoryBackend source = new InMemoryBackend();
    source.seed(SOURCE, index, "src");
    Descriptor layer = sbom.manifest().layers().get(0);
    Map<Digest, byte[]> withoutLayer =
        Map.of(Digest.of(TestImages.EMPTY_JSON), TestImages.EMPTY_JSON);
    source.seed(SOURCE, new TestImage(sbom.manifest(), withoutLayer, List.of()), null);

    TagResult r =
        new TagEngine(stores(source, b), referrers(), TagEngine.Listener.NONE)
            .tag(SOURCE, List.of(TARGET))
            .results()
            .get(0);

    assertOutcome(Outcome.FAILED, r);
    assertInstanceOf(OcitagException.NotFound.class, r.error());
    assertTrue(r.reason().contains("referrer " + sbom.digest()), r.reason());
    assertTrue(r.reason().contains(layer.digest().toString()), r.reason());
    assertEquals(Optional.empty(), b.resolve(TARGET), "the image is not tagged");
    assertEquals(List.of(), b.referrers(TARGET, index.digest(), Set.of()));
  }

  @Test
  void aTargetInTheSourcesRepositoryHasItsReferrersAlready() {
    TagResult r = promote(referrers(), SOURCE.withTag("prod"));

    assertOutcome(Outcome.CREATED, r);
    assertNull(r.transfer());
    assertEquals(List.of(), a.operations("referrers"));
    assertEquals(List.of(), a.operations("putReferrer"));
  }

  @Test
  void anotherRunCarriesOnlyTheReferrersAddedSinceAndTheTagStaysUnchanged() {
    assertOutcome(Outcome.CREATED, promote(referrers(), TARGET));
    TestImage later = TestImages.signature(index.manifest(), "later");
    a.seed(SOURCE, later, null);
    b.clearOperations();

    TagResult again = promote(referrers(), TARGET);

    assertOutcome(Outcome.UNCHANGED, again);
    assertEquals(1, again.transfer().referrers());
    assertListed(TARGET.repositoryRef(), later);
    assertEquals(
        List.of(later.digest()),
        b.operations("putReferrer").stream().map(Operation::digest).toList());

    b.clearOperations();
    TagResult third = promote(referrers(), TARGET);
    assertOutcome(Outcome.UNCHANGED, third);
    assertNull(third.transfer(), "nothing to carry");
    assertEquals(List.of(), b.operations("putReferrer"));
    assertEquals(List.of(), b.operations("pushBlob"));
  }

  @Test
  void twoTargetsInOneRepositoryWriteEachReferrerOnce() {
    ImageRef v2 = TARGET.withTag("v2");

    List<TagResult> results =
        new TagEngine(
                stores(a, b),
                new TagEngine.Options(false, false, 8).withReferrers(Set.of()),
                TagEngine.Listener.NONE)
            .tag(SOURCE, List.of(TARGET, v2))
            .results();

    results.forEach(r -> assertOutcome(Outcome.CREATED, r));
    assertEquals(
        Set.of(0, 3),
        Set.of(results.get(0).transfer().referrers(), results.get(1).transfer().referrers()));
    assertEquals(3, b.operations("putReferrer").size(), () -> b.operations().toString());
    assertListed(TARGET.repositoryRef(), sbomSignature);
  }

  @Test
  void aDryRunListsNothingAndWritesNothing() {
    TagResult r = promote(new TagEngine.Options(true, false, 1).withReferrers(Set.of()), TARGET);

    assertOutcome(Outcome.CREATED, r);
    assertEquals(List.of(), b.operations("putReferrer"));
    assertEquals(List.of(), b.operations("put"));
  }

  @Test
  void aStoreThatListsNoReferrersFailsTheTargetUnderTheOption() {
    TagBackend plain = new PlainStore(b);

    TagResult r =
        new TagEngine(stores(a, plain), referrers(), TagEngine.Listener.NONE)
            .tag(SOURCE, List.of(TARGET))
            .results()
            .get(0);

    assertOutcome(Outcome.FAILED, r);
    assertInstanceOf(OcitagException.InvalidInput.class, r.error());
    assertTrue(r.reason().contains("--referrers"), r.reason());
    assertEquals(Optional.empty(), b.resolve(TARGET));
  }

  /** A store that moves blobs but lists no referrers: {@code b} seen through that much. */
  private record PlainStore(InMemoryBackend store) implements TagBackend, BlobTransfer {
    @Override
    public Manifest fetch(ImageRef ref) {
      return store.fetch(ref);
    }

    @Override
    public Optional<Digest> resolve(ImageRef ref) {
      return store.resolve(ref);
    }

    @Override
    public Digest put(ImageRef target, Manifest manifest) {
      return store.put(target, manifest);
    }

    @Override
    public java.util.stream.Stream<String> tags(ImageRef repository) {
      return store.tags(repository);
    }

    @Override
    public void untag(ImageRef ref) {
      store.untag(ref);
    }

    @Override
    public boolean hasBlob(ImageRef repository, Descriptor blob) {
      return store.hasBlob(repository, blob);
    }

    @Override
    public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
      return store.mountBlob(repository, blob, from);
    }

    @Override
    public java.io.InputStream openBlob(ImageRef repository, Descriptor blob) {
      return store.openBlob(repository, blob);
    }

    @Override
    public void pushBlob(ImageRef repository, Descriptor blob, java.io.InputStream body) {
      store.pushBlob(repository, blob, body);
    }
  }
}
