package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import dev.ocitag.ecr.testing.FakeEcr;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Promotion to, from and between ECR registries through the CLI, as a user runs it with {@code
 * --endpoint-url}: two {@link FakeEcr}s (account {@value FakeEcr#ACCOUNT} in us-east-1, account
 * {@value #ACCOUNT_B} in eu-west-1, behind one endpoint: {@link RegionRouter}), each handing out
 * through GetAuthorizationToken a real registry (htpasswd, user AWS) as its registry endpoint,
 * where the blobs go. What ECR holds is read from the fakes (manifests by tag and by digest) and
 * from the registry endpoints with the JDK's client and sha256sum (blobs); a layout target is
 * checked with skopeo.
 */
@Timeout(300)
class EcrPromotionCliTest {
  static final String ACCOUNT_B = "210987654321";
  private static final String PASSWORD_A = "ecr-a-" + UUID.randomUUID();
  private static final String PASSWORD_B = "ecr-b-" + UUID.randomUUID();
  private static final AtomicInteger REPOS = new AtomicInteger();

  @RegisterExtension static final RealRegistry SOURCE = RealRegistry.open();

  @RegisterExtension
  static final RealRegistry ENDPOINT_A = RealRegistry.basic(FakeEcr.REGISTRY_USER, PASSWORD_A);

  @RegisterExtension
  static final RealRegistry ENDPOINT_B = RealRegistry.basic(FakeEcr.REGISTRY_USER, PASSWORD_B);

  private static FakeEcr ecrA;
  private static FakeEcr ecrB;
  private static RegionRouter router;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    Skopeo.require();
    System.setProperty("aws.accessKeyId", FakeEcr.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", FakeEcr.SECRET_KEY);
    System.setProperty("ocitag.ecr.putRate", "10000");
    ecrA = FakeEcr.start();
    ecrA.registry(ENDPOINT_A.url(""), PASSWORD_A);
    ecrA.requireRegion("us-east-1");
    ecrB = FakeEcr.start(0, ACCOUNT_B);
    ecrB.registry(ENDPOINT_B.url(""), PASSWORD_B);
    ecrB.requireRegion("eu-west-1");
    router = RegionRouter.start(Map.of("us-east-1", ecrA, "eu-west-1", ecrB));
  }

  @AfterAll
  static void stop() {
    router.close();
    ecrA.close();
    ecrB.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("ocitag.ecr.putRate");
  }

  @BeforeEach
  void resetCounts() {
    ecrA.resetCounts();
    ecrB.resetCounts();
  }

  private static CliRun ocitag(String... args) {
    List<String> all =
        new ArrayList<>(List.of("--endpoint-url", router.endpoint(), "--region", "us-east-1"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  private static String newRepository(String prefix) {
    return "promo/" + prefix + "-" + REPOS.incrementAndGet();
  }

  private static String inA(String repositoryAndTag) {
    return FakeEcr.ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com/" + repositoryAndTag;
  }

  private static String inB(String repositoryAndTag) {
    return ACCOUNT_B + ".dkr.ecr.eu-west-1.amazonaws.com/" + repositoryAndTag;
  }

  /** An image in ECR A: the manifests in the API, the blobs in its registry endpoint. */
  private static String seedA(String prefix, TestImage image, String tag) throws Exception {
    String repo = newRepository(prefix);
    ecrA.createRepository(repo);
    ecrA.seed(repo, image, tag);
    RegistrySeeder.seed(ENDPOINT_A, ENDPOINT_A.ref(repo), image, tag);
    return repo;
  }

  /**
   * ECR holds the image: the fake's bytes for the tag and for each child by digest, and every blob
   * in the registry endpoint's repository of that name, hashing to its digest.
   */
  private static void assertInEcr(
      FakeEcr fake, RealRegistry endpoint, String repo, String tag, Promoted.Image image)
      throws Exception {
    assertArrayEquals(image.top(), fake.manifestBytes(repo, tag), repo + ":" + tag);
    for (Map.Entry<Digest, byte[]> child : image.children().entrySet()) {
      assertArrayEquals(
          child.getValue(), fake.manifestBytes(repo, child.getKey()), "child " + child.getKey());
    }
    for (Map.Entry<Digest, Long> blob : image.blobs().entrySet()) {
      HttpResponse<byte[]> r =
          endpoint
              .httpClient()
              .send(
                  HttpRequest.newBuilder(endpoint.url("/v2/" + repo + "/blobs/" + blob.getKey()))
                      .timeout(Duration.ofSeconds(30))
                      .header("Authorization", endpoint.authorization(repo))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, r.statusCode(), () -> "blob " + blob.getKey() + " in " + repo);
      assertEquals(blob.getValue().longValue(), r.body().length);
      assertEquals(blob.getKey().toString(), ExternalTools.sha256sum(r.body()));
    }
  }

  private static void assertNoSecret(CliRun run) {
    for (String password : List.of(PASSWORD_A, PASSWORD_B)) {
      String token =
          Base64.getEncoder()
              .encodeToString(
                  (FakeEcr.REGISTRY_USER + ":" + password).getBytes(StandardCharsets.UTF_8));
      for (String secret : List.of(password, token)) {
        assertFalse(run.stdout().contains(secret) || run.stderr().contains(secret), "a secret");
      }
    }
  }

  @Test
  void aRegistryImageGoesToEcrThroughItsRegistryEndpointAndARerunMovesNothing() throws Exception {
    ImageRef source = SOURCE.newRepository("to-ecr").withTag("1");
    RegistrySeeder.seed(SOURCE, source.repositoryRef(), TestImages.ociIndex("to-ecr"), "1");
    Promoted.Image image = Promoted.inRegistry(SOURCE, source);
    String repo = newRepository("from-registry");
    ecrA.createRepository(repo);
    String target = "ecr:" + repo + ":1";

    CliRun r = ocitag("--debug", "-o", "json", "tag", source.toString(), target);

    assertEquals(0, r.code(), r::toString);
    JsonNode result = PromotionCliTest.results(r).get(target);
    assertEquals("created", result.get("outcome").asText(), r::toString);
    PromotionCliTest.assertTransfer(result, image.blobs().size(), 0, 0, image.bytes(), 2);
    assertInEcr(ecrA, ENDPOINT_A, repo, "1", image);
    assertEquals(1, ecrA.calls("GetAuthorizationToken"), "one token for every blob");
    assertEquals(3, ecrA.calls("PutImage"), "two children by digest, then the tag");
    assertNoSecret(r);

    ecrA.resetCounts();
    CliRun again = ocitag("--debug", "-o", "json", "tag", source.toString(), target);

    assertEquals(0, again.code(), again::toString);
    JsonNode unchanged = PromotionCliTest.results(again).get(target);
    assertEquals("unchanged", unchanged.get("outcome").asText(), again::toString);
    assertFalse(unchanged.has("transfer"), unchanged::toString);
    assertEquals(Map.of("BatchGetImage", 1), ecrA.counts(), "no token, no PutImage");
    assertTrue(
        again
            .stderr()
            .lines()
            .noneMatch(l -> l.startsWith("debug: > ") && l.contains(ENDPOINT_A.host())),
        () -> "no registry endpoint call:\n" + again);
  }

  @Test
  void anEcrImageGoesIntoALayoutThatDidNotExist() throws Exception {
    TestImage seeded = TestImages.ociIndex("ecr-to-layout");
    String repo = seedA("to-layout", seeded, "v1");
    Path out = tmp.resolve("airgap/app");

    CliRun r = ocitag("-o", "json", "tag", "ecr:" + repo + ":v1", "oci:" + out + ":v1");

    assertEquals(0, r.code(), r::toString);
    Promoted.Image image = Promoted.of(seeded);
    PromotionCliTest.assertTransfer(
        PromotionCliTest.results(r).get("oci:" + out + ":v1"),
        image.blobs().size(),
        0,
        0,
        image.bytes(),
        2);
    Promoted.assertInLayout(out, "v1", image, tmp);
    assertEquals(1, ecrA.calls("GetAuthorizationToken"));
  }

  @Test
  void fromAccountAToAccountBInAnotherRegionTheBlobsStreamAndWithinAccountATheyAreMounted()
      throws Exception {
    TestImage seeded = TestImages.ociIndex("ecr-cross-account");
    Promoted.Image image = Promoted.of(seeded);
    String repo = seedA("cross-src", seeded, "v1");
    String repoB = newRepository("cross-dst");
    ecrB.createRepository(repoB);
    String repoA2 = newRepository("same-account");
    ecrA.createRepository(repoA2);
    String toB = inB(repoB + ":v1");
    String toA2 = inA(repoA2 + ":v1");

    CliRun r = ocitag("--debug", "-o", "json", "tag", inA(repo + ":v1"), toB, toA2);

    assertEquals(0, r.code(), r::toString);
    Map<String, JsonNode> results = PromotionCliTest.results(r);
    // no mount across accounts: streamed from A's registry endpoint into B's
    PromotionCliTest.assertTransfer(results.get(toB), image.blobs().size(), 0, 0, image.bytes(), 2);
    // within account A: mounted from the source repository, no blob bytes
    PromotionCliTest.assertTransfer(results.get(toA2), 0, image.blobs().size(), 0, 0, 2);
    assertInEcr(ecrB, ENDPOINT_B, repoB, "v1", image);
    assertInEcr(ecrA, ENDPOINT_A, repoA2, "v1", image);
    assertEquals(1, ecrA.calls("GetAuthorizationToken"));
    assertEquals(1, ecrB.calls("GetAuthorizationToken"));
    assertNoSecret(r);
  }

  @Test
  void aTargetRepositoryThatDoesNotExistIsNotFoundAndGetsNoBlob() throws Exception {
    ImageRef source = SOURCE.newRepository("to-nowhere").withTag("1");
    TestImage seeded = TestImages.ociImage("to-nowhere");
    RegistrySeeder.seed(SOURCE, source.repositoryRef(), seeded, "1");
    String repo = newRepository("never-created");
    String target = "ecr:" + repo + ":1";

    CliRun r = ocitag("tag", source.toString(), target);

    PromotionCliTest.assertFailedAlone(r, 4, target, repo);
    assertEquals(0, ecrA.calls("PutImage"));
    for (Digest blob : seeded.blobs().keySet()) {
      assertEquals(404, Promoted.headBlob(ENDPOINT_A, ENDPOINT_A.ref(repo), blob), "no blob");
    }
    assertTrue(ecrA.calls("BatchGetImage") + ecrA.calls("DescribeRepositories") > 0);
  }
}
