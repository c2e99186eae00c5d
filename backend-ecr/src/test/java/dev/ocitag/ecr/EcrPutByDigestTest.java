package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ecr.model.ImageDetail;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;

/**
 * PutImage by digest alone: an index's children go in untagged, before the index; ECR refuses an
 * index whose children are missing. Read back by digest, also from an endpoint that answers as moto
 * does.
 */
class EcrPutByDigestTest {
  private static final TestImage INDEX = TestImages.ociIndex("by-digest");
  private static FakeEcr fake;
  private EcrBackend backend;
  private String repo;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    EcrTesting.useFakeCredentials();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void open() {
    backend = EcrTesting.open(fake);
    repo = EcrTesting.newRepositoryName("by-digest");
    fake.createRepository(repo);
    // the children's config and layers, as a blob upload would have left them
    INDEX.children().forEach(child -> fake.seedBlobs(repo, child.blobs().keySet()));
  }

  @AfterEach
  void close() {
    backend.close();
    fake.echoLikeMoto(false);
  }

  private ImageRef ref(String tagOrDigest) {
    return ImageRef.parse("ecr:" + repo + tagOrDigest);
  }

  private ImageRef byDigest(TestImage image) {
    return ref("").withDigest(image.digest());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void childrenByDigestThenTheIndexByTag(boolean moto) {
    fake.echoLikeMoto(moto);
    TestImage amd64 = INDEX.children().get(0);
    TestImage arm64 = INDEX.children().get(1);

    // the index first: ECR refuses it, its children are not there
    var refused =
        assertThrows(
            OcitagException.InvalidInput.class, () -> backend.put(ref(":multi"), INDEX.manifest()));
    assertTrue(refused.getMessage().contains(amd64.digest().toString()), refused.getMessage());
    assertEquals(Set.of(), fake.tags(repo));

    fake.resetCounts();
    assertEquals(amd64.digest(), backend.put(byDigest(amd64), amd64.manifest()));
    assertEquals(arm64.digest(), backend.put(byDigest(arm64), arm64.manifest()));
    assertEquals(Set.of(), fake.tags(repo), "by digest: untagged");
    assertEquals(INDEX.digest(), backend.put(ref(":multi"), INDEX.manifest()));
    assertEquals(3, fake.calls("PutImage"));

    assertEquals(Set.of("multi"), fake.tags(repo));
    assertArrayEquals(INDEX.bytes(), fake.manifestBytes(repo, "multi"));
    for (TestImage child : INDEX.children()) {
      assertArrayEquals(child.bytes(), backend.fetch(byDigest(child)).bytes());
      assertEquals(child.manifest().mediaType(), backend.fetch(byDigest(child)).mediaType());
      assertEquals(Optional.of(child.digest()), backend.resolve(byDigest(child)));
    }
    assertEquals(Optional.of(INDEX.digest()), backend.resolve(ref(":multi")));
    assertEquals(
        Optional.empty(),
        backend.resolve(ref("").withDigest(Digest.of("never stored".getBytes()))));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void describeImagesFindsAnUntaggedChildByItsDigest(boolean moto) {
    fake.echoLikeMoto(moto);
    TestImage child = INDEX.children().get(0);
    backend.put(byDigest(child), child.manifest());

    try (EcrClient raw = EcrTesting.rawClient(fake)) {
      DescribeImagesResponse described =
          raw.describeImages(
              b ->
                  b.repositoryName(repo)
                      .imageIds(
                          ImageIdentifier.builder()
                              .imageDigest(child.digest().toString())
                              .build()));
      ImageDetail detail = described.imageDetails().get(0);
      assertEquals(child.digest().toString(), detail.imageDigest());
      assertFalse(detail.hasImageTags() && !detail.imageTags().isEmpty(), detail.toString());
      assertEquals(child.manifest().mediaType(), detail.imageManifestMediaType());
      assertEquals(
          List.of(child.digest().toString()),
          raw
              .describeImages(b -> b.repositoryName(repo).filter(f -> f.tagStatus("UNTAGGED")))
              .imageDetails()
              .stream()
              .map(ImageDetail::imageDigest)
              .toList());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aChildPutTwiceByDigestIsStoredOnce(boolean moto) {
    fake.echoLikeMoto(moto);
    TestImage child = INDEX.children().get(0);
    assertEquals(child.digest(), backend.put(byDigest(child), child.manifest()));
    // ECR: ImageAlreadyExistsException, which changes nothing: the digest is there
    assertEquals(child.digest(), backend.put(byDigest(child), child.manifest()));
    assertArrayEquals(child.bytes(), backend.fetch(byDigest(child)).bytes());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aTargetWithAnotherDigestOrNeitherTagNorDigestIsRefusedBeforeAnyCall(boolean moto) {
    fake.echoLikeMoto(moto);
    TestImage child = INDEX.children().get(0);
    fake.resetCounts();
    var e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backend.put(byDigest(INDEX.children().get(1)), child.manifest()));
    assertTrue(e.getMessage().contains(child.digest().toString()), e.getMessage());
    assertThrows(OcitagException.InvalidInput.class, () -> backend.put(ref(""), child.manifest()));
    assertEquals(0, fake.calls("PutImage"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aTargetRepositoryThatDoesNotExistIsNotFound(boolean moto) {
    fake.echoLikeMoto(moto);
    TestImage child = INDEX.children().get(0);
    ImageRef absent = ImageRef.parse("ecr:no-such-target").withDigest(child.digest());
    var byDigest =
        assertThrows(OcitagException.NotFound.class, () -> backend.put(absent, child.manifest()));
    assertTrue(byDigest.getMessage().contains("no-such-target"), byDigest.getMessage());
    assertThrows(
        OcitagException.NotFound.class,
        () -> backend.put(ImageRef.parse("ecr:no-such-target:v1"), child.manifest()));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(absent));
  }
}
