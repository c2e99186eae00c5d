package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.ecr.testing.FakeEcr;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Referrers on ECR: ListImageReferrers (FakeEcr answers it from the images it holds, as ECR indexes
 * subjects) to list them, PutImage by digest to write them; a promotion from one ECR repository to
 * another with {@code --referrers}, its blobs through the registry endpoint.
 */
class EcrReferrersTest {
  private static final String PASSWORD = "ecr-referrers-" + UUID.randomUUID();
  private static final String SPDX = "application/spdx+json";

  @RegisterExtension
  static final RealRegistry REGISTRY = RealRegistry.basic(FakeEcr.REGISTRY_USER, PASSWORD);

  private static FakeEcr fake;
  private final List<String> debug = EcrTesting.debugLines();
  private EcrBackend backend;

  private final TestImage image = TestImages.ociIndex("ecr-referred");
  private final TestImage sbom = TestImages.sbom(image.manifest(), "ecr");
  private final TestImage signature = TestImages.signature(sbom.manifest(), "ecr");
  private final TestImage attestation =
      TestImages.artifact(
          image.children().get(1).manifest(),
          "application/vnd.in-toto+json",
          "application/vnd.in-toto+json",
          "{\"_type\":\"statement\"}");

  @BeforeAll
  static void startFake() throws Exception {
    EcrTesting.useFakeCredentials();
    fake = FakeEcr.start();
    fake.registry(REGISTRY.url(""), PASSWORD);
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void open() {
    fake.resetCounts();
    BackendOptions options = EcrTesting.options(fake, "us-east-1", debug);
    backend =
        EcrBackend.open(
            ref("any", "x"), options, new PutRateLimiter(10_000, 100), EcrTesting.FAST_RETRIES);
  }

  @AfterEach
  void close() {
    backend.close();
  }

  private static ImageRef ref(String repo, String tag) {
    return ImageRef.parse(FakeEcr.ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com/" + repo + ":" + tag);
  }

  /** An ECR repository with the image and its referrers in the API, their blobs in the registry. */
  private String seed() throws Exception {
    String repo = EcrTesting.newRepositoryName("referrers");
    fake.createRepository(repo);
    for (TestImage t : List.of(image, sbom, signature, attestation)) {
      fake.seed(repo, t, t == image ? "v1" : null);
      RegistrySeeder.seed(REGISTRY, REGISTRY.ref(repo), t, t == image ? "v1" : null);
    }
    return repo;
  }

  private static List<Digest> digests(List<Descriptor> descriptors) {
    return descriptors.stream().map(Descriptor::digest).toList();
  }

  @Test
  void listImageReferrersListsThemWithTheirTypesAndFilters() throws Exception {
    String repo = seed();
    ImageRef r = ref(repo, "v1").repositoryRef();

    assertEquals(
        List.of(Referrers.descriptorOf(sbom.manifest())),
        backend.referrers(r, image.digest(), Set.of()));
    assertEquals(
        List.of(signature.digest()), digests(backend.referrers(r, sbom.digest(), Set.of())));
    assertEquals(List.of(), backend.referrers(r, image.children().get(1).digest(), Set.of(SPDX)));
    assertEquals(
        List.of(attestation.digest()),
        digests(backend.referrers(r, image.children().get(1).digest(), Set.of())));
    assertEquals(4, fake.calls("ListImageReferrers"));
  }

  @Test
  void aPromotionToAnotherRepositoryCarriesTheReferrersByPutImage() throws Exception {
    String from = seed();
    String to = EcrTesting.newRepositoryName("referrers-prod");
    fake.createRepository(to);

    TagResult r =
        new TagEngine(backend, new TagEngine.Options(false, false, 2).withReferrers(Set.of()))
            .tag(ref(from, "v1"), List.of(ref(to, "v1")))
            .results()
            .get(0);

    assertEquals(Outcome.CREATED, r.outcome(), r.reason());
    assertEquals(3, r.transfer().referrers());
    for (TestImage referrer : List.of(sbom, signature, attestation)) {
      assertArrayEquals(referrer.bytes(), fake.manifestBytes(to, referrer.digest()));
    }
    ImageRef target = ref(to, "v1").repositoryRef();
    assertEquals(
        List.of(sbom.digest()), digests(backend.referrers(target, image.digest(), Set.of())));
    assertEquals(
        List.of(signature.digest()), digests(backend.referrers(target, sbom.digest(), Set.of())));
    assertTrue(fake.calls("PutImage") >= 6, "two children, three referrers, the tag");
  }
}
