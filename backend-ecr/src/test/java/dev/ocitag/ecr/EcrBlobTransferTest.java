package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.ecr.testing.FakeEcr;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Blobs through ECR's registry endpoint, between two ECR registries at once: account {@value
 * FakeEcr#ACCOUNT} in us-east-1 and account {@value #ACCOUNT_B} in eu-west-1. Each is a {@link
 * FakeEcr} (the API, insisting on its region) whose GetAuthorizationToken names a real registry as
 * its proxyEndpoint: registry:2 with htpasswd user {@code AWS} and the password the fake's token
 * carries, as ECR's registry endpoint takes {@code docker login -u AWS}.
 */
class EcrBlobTransferTest {
  static final String ACCOUNT_B = "210987654321";
  private static final String PASSWORD_A = "ecr-a-" + UUID.randomUUID();
  private static final String PASSWORD_B = "ecr-b-" + UUID.randomUUID();

  @RegisterExtension
  static final RealRegistry REGISTRY_A = RealRegistry.basic(FakeEcr.REGISTRY_USER, PASSWORD_A);

  @RegisterExtension
  static final RealRegistry REGISTRY_B = RealRegistry.basic(FakeEcr.REGISTRY_USER, PASSWORD_B);

  private static FakeEcr fakeA;
  private static FakeEcr fakeB;
  private final List<String> debug = EcrTesting.debugLines();
  private EcrBackend backendA;
  private EcrBackend backendB;

  @BeforeAll
  static void startFakes() throws Exception {
    EcrTesting.useFakeCredentials();
    fakeA = FakeEcr.start();
    fakeA.registry(REGISTRY_A.url(""), PASSWORD_A);
    fakeA.requireRegion("us-east-1");
    fakeB = FakeEcr.start(0, ACCOUNT_B);
    fakeB.registry(REGISTRY_B.url(""), PASSWORD_B);
    fakeB.requireRegion("eu-west-1");
  }

  @AfterAll
  static void stopFakes() {
    fakeA.close();
    fakeB.close();
  }

  @BeforeEach
  void open() {
    fakeA.resetCounts();
    fakeB.resetCounts();
    // One region configured for both: each host names its own, and wins.
    backendA = open(refA("any"), options(fakeA));
    backendB = open(refB("any"), options(fakeB));
  }

  @AfterEach
  void close() {
    backendA.close();
    backendB.close();
  }

  private BackendOptions options(FakeEcr fake) {
    return EcrTesting.options(fake, "ap-south-1", debug);
  }

  private static EcrBackend open(ImageRef ref, BackendOptions options) {
    return EcrBackend.open(ref, options, new PutRateLimiter(10_000, 100), EcrTesting.FAST_RETRIES);
  }

  private static ImageRef refA(String repoAndTag) {
    return ImageRef.parse(FakeEcr.ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com/" + repoAndTag);
  }

  private static ImageRef refB(String repoAndTag) {
    return ImageRef.parse(ACCOUNT_B + ".dkr.ecr.eu-west-1.amazonaws.com/" + repoAndTag);
  }

  /** An ECR repository of registry A, its image in the API and its blobs in the registry. */
  private static String seedA(String prefix, TestImage image, String tag) throws Exception {
    String repo = EcrTesting.newRepositoryName(prefix);
    fakeA.createRepository(repo);
    fakeA.seed(repo, image, tag);
    RegistrySeeder.seed(REGISTRY_A, REGISTRY_A.ref(repo), image, tag);
    return repo;
  }

  private static List<Descriptor> blobsOf(TestImage image) {
    List<Descriptor> all = new ArrayList<>();
    image.manifest().config().ifPresent(all::add);
    all.addAll(image.manifest().layers());
    return all;
  }

  /** Whether the registry itself (not through the backend) has the blob in that repository. */
  private static boolean registryHas(RealRegistry registry, String repo, Digest digest)
      throws Exception {
    HttpRequest head =
        HttpRequest.newBuilder(registry.url("/v2/" + repo + "/blobs/" + digest))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Authorization", registry.authorization(repo))
            .build();
    return registry.httpClient().send(head, HttpResponse.BodyHandlers.discarding()).statusCode()
        == 200;
  }

  private static String token(String password) {
    return Base64.getEncoder()
        .encodeToString((FakeEcr.REGISTRY_USER + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private void assertNoSecretInTheDebugLines() {
    for (String secret : List.of(PASSWORD_A, PASSWORD_B, token(PASSWORD_A), token(PASSWORD_B))) {
      assertTrue(debug.stream().noneMatch(l -> l.contains(secret)), debug::toString);
    }
  }

  @Test
  void theRegistryEndpointIsReachedWithTheTokensCredentials() throws Exception {
    TestImage image = TestImages.ociImage("login");
    String repo = seedA("login", image, "src");

    EcrBackend.BlobRegistry registry = backendA.registryOf(refA(repo));
    // the same repository name on the endpoint, whose manifest the seeder pushed there too
    ImageRef onEndpoint = registry.ref(refA(repo)).withTag("src");
    assertEquals(REGISTRY_A.host(), onEndpoint.registry());
    assertArrayEquals(image.bytes(), registry.backend().fetch(onEndpoint).bytes());
    assertEquals(1, fakeA.calls("GetAuthorizationToken"));
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("Authorization: Basic <redacted>")),
        debug::toString);
    assertNoSecretInTheDebugLines();
  }

  @Test
  void hasBlobAsksTheRegistryEndpointWithTheTokensCredentials() throws Exception {
    TestImage image = TestImages.ociImage("has-blob");
    String repo = seedA("has-blob", image, "src");
    Descriptor absent = TestImages.ociImage("never-pushed").manifest().layers().get(0);

    for (int i = 0; i < 5; i++) {
      for (Descriptor blob : blobsOf(image)) {
        assertTrue(backendA.hasBlob(refA(repo), blob), blob.digest()::toString);
      }
      assertFalse(backendA.hasBlob(refA(repo), absent));
    }
    var missing =
        assertThrows(OcitagException.NotFound.class, () -> backendA.openBlob(refA(repo), absent));
    assertTrue(missing.getMessage().contains(absent.digest().toString()), missing.getMessage());

    assertEquals(1, fakeA.calls("GetAuthorizationToken"), "one token for every blob");
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("Authorization: Basic <redacted>")),
        debug::toString);
    assertNoSecretInTheDebugLines();
  }

  @Test
  void anIndexIsCopiedToAnotherAccountAndRegionChildrenFirst() throws Exception {
    TestImage index = TestImages.ociIndex("cross-account");
    String source = seedA("promote-src", index, "v1");
    String target = EcrTesting.newRepositoryName("promote-dst");
    fakeB.createRepository(target);
    TestImage first = index.children().get(0);

    // ECR refuses a manifest whose blobs are not in the repository yet
    var layersNotFound =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backendB.put(refB(target).withDigest(first.digest()), first.manifest()));
    assertTrue(layersNotFound.getMessage().contains("lacks blobs"), layersNotFound.getMessage());

    for (TestImage child : index.children()) {
      for (Descriptor blob : blobsOf(child)) {
        if (backendB.hasBlob(refB(target), blob)) {
          continue; // the two children may share a blob
        }
        assertFalse(
            backendB.mountBlob(refB(target), blob, refA(source)), "no mount across accounts");
        try (InputStream in = backendA.openBlob(refA(source), blob)) {
          backendB.pushBlob(refB(target), blob, in);
        }
        assertTrue(backendB.hasBlob(refB(target), blob));
        assertTrue(registryHas(REGISTRY_B, target, blob.digest()));
      }
      assertEquals(
          child.digest(), backendB.put(refB(target).withDigest(child.digest()), child.manifest()));
    }
    assertEquals(index.digest(), backendB.put(refB(target + ":v1"), index.manifest()));

    assertArrayEquals(index.bytes(), fakeB.manifestBytes(target, "v1"));
    assertEquals(Set.of("v1"), fakeB.tags(target), "the children are untagged");
    for (TestImage child : index.children()) {
      assertArrayEquals(
          child.bytes(), backendB.fetch(refB(target).withDigest(child.digest())).bytes());
    }
    assertEquals(1, fakeA.calls("GetAuthorizationToken"));
    assertEquals(1, fakeB.calls("GetAuthorizationToken"));
    assertEquals(Set.of("us-east-1"), fakeA.regionsSeen());
    assertEquals(Set.of("eu-west-1"), fakeB.regionsSeen());
    assertTrue(fakeB.registryIdsSeen().contains(ACCOUNT_B), fakeB.registryIdsSeen()::toString);
    assertNoSecretInTheDebugLines();
  }

  @Test
  void aBlobIsMountedBetweenRepositoriesOfOneRegistry() throws Exception {
    TestImage image = TestImages.ociImage("mount");
    String source = seedA("mount-src", image, "src");
    String target = EcrTesting.newRepositoryName("mount-dst");
    fakeA.createRepository(target);
    Descriptor layer = image.manifest().layers().get(0);

    assertFalse(backendA.hasBlob(refA(target), layer));
    assertTrue(backendA.mountBlob(refA(target), layer, refA(source)));
    assertTrue(registryHas(REGISTRY_A, target, layer.digest()));
    assertEquals(1, fakeA.calls("GetAuthorizationToken"));
  }

  @Test
  void bytesThatDoNotHashToTheDigestAreNotStored() {
    String target = EcrTesting.newRepositoryName("bad-bytes");
    fakeB.createRepository(target);
    byte[] bytes = "what the descriptor promises".getBytes(StandardCharsets.UTF_8);
    byte[] other = "what arrives instead, as long".getBytes(StandardCharsets.UTF_8);
    Descriptor blob = Descriptor.of(Digest.of(bytes), other.length);

    var e =
        assertThrows(
            OcitagException.Failed.class,
            () -> backendB.pushBlob(refB(target), blob, new ByteArrayInputStream(other)));
    assertTrue(e.getMessage().contains(blob.digest().toString()), e.getMessage());
    assertFalse(backendB.hasBlob(refB(target), blob));
  }

  @Test
  void putImageFindsTheBlobsThatTheRegistryEndpointHolds() throws Exception {
    String target = EcrTesting.newRepositoryName("layers");
    fakeB.createRepository(target);
    TestImage image = TestImages.dockerImage("layers");
    Map<Digest, byte[]> blobs = image.blobs();
    Digest config = image.manifest().config().orElseThrow().digest();
    // the config only: the layer is missing
    RegistrySeeder.pushBlob(
        REGISTRY_B,
        REGISTRY_B.ref(target),
        config,
        blobs.get(config),
        REGISTRY_B.authorization(target));
    String layer = image.manifest().layers().get(0).digest().toString();

    var e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> backendB.put(refB(target + ":v1"), image.manifest()));
    // ECR names what is missing: the layer, not the config the registry endpoint holds
    assertTrue(e.getMessage().contains("digests '[" + layer + "]'"), e.getMessage());

    for (Map.Entry<Digest, byte[]> blob : blobs.entrySet()) {
      RegistrySeeder.pushBlob(
          REGISTRY_B,
          REGISTRY_B.ref(target),
          blob.getKey(),
          blob.getValue(),
          REGISTRY_B.authorization(target));
    }
    assertEquals(image.digest(), backendB.put(refB(target + ":v1"), image.manifest()));
    assertArrayEquals(image.bytes(), fakeB.manifestBytes(target, "v1"));
  }
}
