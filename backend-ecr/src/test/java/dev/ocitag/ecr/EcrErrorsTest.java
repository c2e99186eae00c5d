package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each of the service's answers, through the real SDK, ends as the right ocitag failure. */
class EcrErrorsTest {
  private static FakeEcr fake;
  private EcrBackend backend;
  private String repo;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void open() {
    EcrTesting.useFakeCredentials();
    fake.resetCounts();
    backend = EcrTesting.open(fake);
    repo = EcrTesting.newRepositoryName("errors");
    fake.createRepository(repo);
  }

  @AfterEach
  void close() {
    backend.close();
    fake.expireCredentials(false);
    fake.stripTrailingNewlineOnPut(false);
    EcrTesting.useFakeCredentials();
  }

  private ImageRef ref(String tagOrDigest) {
    return ImageRef.parse("ecr:" + repo + tagOrDigest);
  }

  @Test
  void missingRepositoryIsNotFound() {
    ImageRef absent = ImageRef.parse("ecr:no-such-repo:x");
    var e = assertThrows(OcitagException.NotFound.class, () -> backend.fetch(absent));
    assertTrue(e.getMessage().contains("no-such-repo"), e.getMessage());
    assertThrows(OcitagException.NotFound.class, () -> backend.resolve(absent));
    assertThrows(
        OcitagException.NotFound.class,
        () -> backend.put(absent, TestImages.ociImage("x").manifest()));
    assertThrows(OcitagException.NotFound.class, () -> backend.tags(absent));
    assertThrows(OcitagException.NotFound.class, () -> backend.mayOverwrite(absent));
  }

  @Test
  void missingLayersNameWhatIsMissing() {
    TestImage orphan = TestImages.ociImage("orphan");
    var e =
        assertThrows(
            OcitagException.InvalidInput.class, () -> backend.put(ref(":o"), orphan.manifest()));
    String layer = orphan.manifest().layers().get(0).digest().toString();
    assertTrue(e.getMessage().contains(layer), e.getMessage());
    assertTrue(e.getMessage().contains("per repository"), e.getMessage());
  }

  @Test
  void missingChildrenOfAnIndexNameThem() {
    TestImage index = TestImages.ociIndex("orphan-index");
    var e =
        assertThrows(
            OcitagException.InvalidInput.class, () -> backend.put(ref(":i"), index.manifest()));
    assertTrue(
        e.getMessage().contains(index.children().get(0).digest().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("child manifests"), e.getMessage());
  }

  @Test
  void changedBytesOnTheWayAreImageDigestDoesNotMatchAndFail() {
    TestImage image = TestImages.ociImage("newline");
    fake.seed(repo, image, "src");
    fake.stripTrailingNewlineOnPut(true);

    TagReport report =
        new TagEngine(backend, TagEngine.Options.defaults()).tag(ref(":src"), List.of(ref(":x")));

    assertEquals(Outcome.FAILED, report.results().get(0).outcome());
    assertTrue(
        report.results().get(0).error() instanceof OcitagException.Failed,
        () -> String.valueOf(report.results().get(0).error()));
    assertTrue(report.results().get(0).reason().contains("does not match"));
    assertEquals(null, fake.tagDigest(repo, "x"));
  }

  @Test
  void serverErrorsAreRetried() {
    TestImage image = TestImages.ociImage("retry");
    fake.seed(repo, image, "src");
    fake.failNext("BatchGetImage", 2);

    assertEquals(image.digest(), backend.fetch(ref(":src")).digest());
    assertEquals(3, fake.calls("BatchGetImage"));
  }

  @Test
  void throttlingIsRetriedButBounded() {
    TestImage image = TestImages.ociImage("throttle");
    fake.seed(repo, image, "src");
    fake.throttleNext("ListImages", 2);
    assertEquals(List.of("src"), backend.tags(ref("")).toList());
    assertEquals(3, fake.calls("ListImages"));

    fake.resetCounts();
    fake.throttleNext("ListImages", 100);
    try {
      var e = assertThrows(OcitagException.Transient.class, () -> backend.tags(ref("")));
      assertTrue(e.getMessage().contains("throttled"), e.getMessage());
      assertEquals(EcrClients.MAX_ATTEMPTS, fake.calls("ListImages"));
    } finally {
      fake.throttleNext("ListImages", -(100 - EcrClients.MAX_ATTEMPTS));
    }
  }

  @Test
  void expiredCredentialsAreDeniedWithAHint() {
    fake.expireCredentials(true);
    var e = assertThrows(OcitagException.Denied.class, () -> backend.fetch(ref(":src")));
    assertTrue(e.getMessage().contains("expired"), e.getMessage());
    assertTrue(e.getMessage().contains("--profile"), e.getMessage());
  }

  @Test
  void accessDeniedIsDeniedAndNamesThePermission() {
    TestImage image = TestImages.ociImage("denied");
    fake.seed(repo, image, "src");
    fake.deny("PutImage", true);
    try {
      TagReport report =
          new TagEngine(backend, TagEngine.Options.defaults()).tag(ref(":src"), List.of(ref(":x")));
      var error = report.results().get(0).error();
      assertTrue(error instanceof OcitagException.Denied, () -> String.valueOf(error));
      assertTrue(error.getMessage().contains("ecr:PutImage"), error.getMessage());
      assertEquals(1, fake.calls("PutImage"), "not retried");
    } finally {
      fake.deny("PutImage", false);
    }
  }

  @Test
  void unknownAccessKeyIsDenied() {
    System.setProperty("aws.accessKeyId", "AKIAUNKNOWNKEY000000");
    try (EcrBackend other = EcrTesting.open(fake)) {
      var e = assertThrows(OcitagException.Denied.class, () -> other.fetch(ref(":src")));
      assertTrue(e.getMessage().contains("UnrecognizedClientException"), e.getMessage());
    }
  }

  @Test
  void aWrongSecretFailsTheSignatureAndIsDenied() {
    System.setProperty("aws.secretAccessKey", "not-the-secret");
    int before = fake.badSignatures();
    try (EcrBackend other = EcrTesting.open(fake)) {
      assertThrows(OcitagException.Denied.class, () -> other.fetch(ref(":src")));
    }
    assertEquals(before + 1, fake.badSignatures(), "the fake really checks signatures");
  }

  @Test
  void missingCredentialsAreDeniedWithAHint(@TempDir Path empty) {
    assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null, "AWS_ACCESS_KEY_ID is set");
    assumeTrue(System.getenv("AWS_PROFILE") == null, "AWS_PROFILE is set");
    assumeTrue(System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null, "web identity is set");
    assumeTrue(System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null, "ECS is set");
    EcrTesting.clearCredentials();
    withIsolatedAwsConfig(
        empty,
        () -> {
          try (EcrBackend other = EcrTesting.open(fake)) {
            var e = assertThrows(OcitagException.Denied.class, () -> other.fetch(ref(":src")));
            assertTrue(e.getMessage().contains("no AWS credentials found"), e.getMessage());
            assertTrue(e.getMessage().contains("AWS_ACCESS_KEY_ID"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            assertTrue(e.getMessage().length() < 300, e.getMessage());
          }
        });
  }

  @Test
  void missingRegionIsAOneLineHint(@TempDir Path empty) {
    assumeTrue(System.getenv("AWS_REGION") == null, "AWS_REGION is set");
    assumeTrue(System.getenv("AWS_DEFAULT_REGION") == null, "AWS_DEFAULT_REGION is set");
    EcrTesting.clearCredentials();
    BackendOptions noRegion = EcrTesting.options(fake, null, null);
    withIsolatedAwsConfig(
        empty,
        () -> {
          var e =
              assertThrows(
                  OcitagException.InvalidInput.class,
                  () -> EcrBackend.open(ImageRef.parse("ecr:r:t"), noRegion));
          assertEquals("no AWS region: set --region or AWS_REGION", e.getMessage());
        });
  }

  @Test
  void aRegistryHostGivesAccountAndRegion() {
    TestImage image = TestImages.ociImage("host");
    fake.seed(repo, image, "src");
    BackendOptions optionsWithOtherRegion = EcrTesting.options(fake, "ap-south-1", null);
    ImageRef hostRef =
        ImageRef.parse(FakeEcr.ACCOUNT + ".dkr.ecr.eu-west-3.amazonaws.com/" + repo + ":src");
    try (EcrBackend hostBackend = EcrBackend.open(hostRef, optionsWithOtherRegion)) {
      assertEquals(image.digest(), hostBackend.fetch(hostRef).digest());
    }
    assertTrue(fake.regionsSeen().contains("eu-west-3"), fake.regionsSeen().toString());
    assertTrue(fake.registryIdsSeen().contains(FakeEcr.ACCOUNT));

    ImageRef otherAccount =
        ImageRef.parse("210987654321.dkr.ecr.eu-west-3.amazonaws.com/" + repo + ":src");
    try (EcrBackend b = EcrBackend.open(otherAccount, EcrTesting.options(fake))) {
      assertThrows(OcitagException.NotFound.class, () -> b.fetch(otherAccount));
    }
  }

  @Test
  void theRegistryIdOptionNamesTheAccount() {
    TestImage image = TestImages.ociImage("registry-id");
    fake.seed(repo, image, "src");
    BackendOptions o = EcrTesting.options(fake);
    BackendOptions own =
        BackendOptions.defaults()
            .with(EcrOptions.REGION, "us-east-1")
            .with(EcrOptions.ENDPOINT_URL, o.get(EcrOptions.ENDPOINT_URL))
            .with(EcrOptions.REGISTRY_ID, FakeEcr.ACCOUNT)
            .withParallelism(1);
    try (EcrBackend b = EcrBackend.open(ref(":src"), own)) {
      assertEquals(image.digest(), b.fetch(ref(":src")).digest());
    }
    BackendOptions other =
        BackendOptions.defaults()
            .with(EcrOptions.REGION, "us-east-1")
            .with(EcrOptions.ENDPOINT_URL, o.get(EcrOptions.ENDPOINT_URL))
            .with(EcrOptions.REGISTRY_ID, "210987654321")
            .withParallelism(1);
    try (EcrBackend b = EcrBackend.open(ref(":src"), other)) {
      var e = assertThrows(OcitagException.NotFound.class, () -> b.fetch(ref(":src")));
      assertTrue(e.getMessage().contains("210987654321"), e.getMessage());
    }
  }

  @Test
  void aProfileGivesRegionAndCredentials(@TempDir Path dir) throws Exception {
    TestImage image = TestImages.ociImage("profile");
    fake.seed(repo, image, "src");
    java.nio.file.Files.writeString(
        dir.resolve("config"), "[profile ocitag-demo]\nregion = ca-central-1\n");
    java.nio.file.Files.writeString(
        dir.resolve("credentials"),
        "[ocitag-demo]\naws_access_key_id = "
            + FakeEcr.ACCESS_KEY
            + "\naws_secret_access_key = "
            + FakeEcr.SECRET_KEY
            + "\n");
    EcrTesting.clearCredentials();
    BackendOptions o = EcrTesting.options(fake);
    BackendOptions profile =
        BackendOptions.defaults()
            .with(EcrOptions.PROFILE, "ocitag-demo")
            .with(EcrOptions.ENDPOINT_URL, o.get(EcrOptions.ENDPOINT_URL))
            .withParallelism(1);
    withAwsConfig(
        dir,
        () -> {
          try (EcrBackend b = EcrBackend.open(ref(":src"), profile)) {
            assertEquals(image.digest(), b.fetch(ref(":src")).digest());
          }
        });
    assertTrue(fake.regionsSeen().contains("ca-central-1"), fake.regionsSeen().toString());
  }

  @Test
  void unknownAndUnusableProfilesAreOneLineErrors(@TempDir Path dir) throws Exception {
    java.nio.file.Files.writeString(
        dir.resolve("config"),
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
            + "sso_account_id = 123456789012\nsso_role_name = r\nregion = us-east-1\n"
            + "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
            + "source_profile = keyless\nregion = us-east-1\n"
            + "[profile keyless]\nregion = us-east-1\n");
    EcrTesting.clearCredentials();
    String endpoint = EcrTesting.options(fake).get(EcrOptions.ENDPOINT_URL);
    withAwsConfig(
        dir,
        () -> {
          for (String profile : List.of("sso", "role", "nosuch")) {
            BackendOptions o =
                BackendOptions.defaults()
                    .with(EcrOptions.PROFILE, profile)
                    .with(EcrOptions.ENDPOINT_URL, endpoint)
                    .withParallelism(1);
            OcitagException e =
                assertThrows(
                    OcitagException.class,
                    () -> {
                      try (EcrBackend b = EcrBackend.open(ref(":src"), o)) {
                        b.fetch(ref(":src"));
                      }
                    });
            assertTrue(
                profile.equals("nosuch")
                    ? e instanceof OcitagException.InvalidInput
                    : e instanceof OcitagException.Denied,
                () -> profile + ": " + e);
            assertTrue(e.getMessage().contains("'" + profile + "'"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
          }
        });
  }

  @Test
  void aBadRegistryIdOrEndpointIsInvalidInput() {
    BackendOptions o = EcrTesting.options(fake);
    BackendOptions badId =
        BackendOptions.defaults()
            .with(EcrOptions.REGION, "us-east-1")
            .with(EcrOptions.ENDPOINT_URL, o.get(EcrOptions.ENDPOINT_URL))
            .with(EcrOptions.REGISTRY_ID, "12ab")
            .withParallelism(1);
    assertThrows(
        OcitagException.InvalidInput.class,
        () -> EcrBackend.open(ImageRef.parse("ecr:r:t"), badId));
    BackendOptions badUrl =
        BackendOptions.defaults()
            .with(EcrOptions.REGION, "us-east-1")
            .with(EcrOptions.ENDPOINT_URL, "ftp://x")
            .withParallelism(1);
    var e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> EcrBackend.open(ImageRef.parse("ecr:r:t"), badUrl));
    assertTrue(e.getMessage().startsWith("--endpoint-url 'ftp://x'"), e.getMessage());
  }

  @Test
  void untagNeedsATagAndRemovesOnlyIt() {
    TestImage image = TestImages.ociImage("untag");
    fake.seed(repo, image, "a");
    fake.seed(repo, image, "b");
    assertThrows(
        OcitagException.InvalidInput.class,
        () -> backend.untag(ImageRef.parse("ecr:" + repo + "@" + image.digest())));
    backend.untag(ref(":a"));
    assertEquals(java.util.Set.of("b"), fake.tags(repo));
    assertEquals(Optional.of(image.digest()), backend.resolve(ref("@" + image.digest())));
    assertThrows(OcitagException.NotFound.class, () -> backend.untag(ref(":a")));
  }

  @Test
  void theFakeRefusesManifestsOverFourMebibytes() {
    // Manifest.of already refuses them; a raw call shows the endpoint enforces the limit too.
    String big = "{\"schemaVersion\":2,\"pad\":\"" + "x".repeat(FakeEcr.MAX_MANIFEST_BYTES) + "\"}";
    try (var raw =
        EcrClients.build(
            EcrClients.target(ref(""), EcrTesting.options(fake)), EcrTesting.options(fake))) {
      var e =
          assertThrows(
              software.amazon.awssdk.services.ecr.model.InvalidParameterException.class,
              () -> raw.putImage(b -> b.repositoryName(repo).imageManifest(big).imageTag("big")));
      assertTrue(e.getMessage().contains("4194304"), e.getMessage());
      assertTrue(
          EcrErrors.map("PutImage", e) instanceof OcitagException.InvalidInput, "mapped as input");
    }
  }

  @Test
  void debugLinesNameTheCallsAndCarryNoSecrets() {
    TestImage image = TestImages.ociImage("debug");
    fake.seed(repo, image, "src");
    List<String> lines = EcrTesting.debugLines();
    try (EcrBackend debugging =
        EcrTesting.open(fake, EcrTesting.options(fake, "us-east-1", lines))) {
      debugging.fetch(ref(":src"));
    }
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("ECR > BatchGetImage")), lines::toString);
    assertTrue(lines.stream().anyMatch(l -> l.contains("HTTP 200")), lines::toString);
    assertTrue(
        lines.stream()
            .noneMatch(
                l ->
                    l.contains(FakeEcr.SECRET_KEY)
                        || l.contains(FakeEcr.ACCESS_KEY)
                        || l.contains("Signature")),
        lines::toString);
  }

  /** Points the SDK at empty AWS config files and away from instance metadata, then restores. */
  private static void withIsolatedAwsConfig(Path dir, Runnable body) {
    withAwsConfig(dir, body);
  }

  /** Points the SDK at DIR/config and DIR/credentials and away from instance metadata. */
  private static void withAwsConfig(Path dir, Runnable body) {
    String[] keys = {"aws.configFile", "aws.sharedCredentialsFile", "aws.disableEc2Metadata"};
    String[] saved = new String[keys.length];
    for (int i = 0; i < keys.length; i++) {
      saved[i] = System.getProperty(keys[i]);
    }
    System.setProperty("aws.configFile", dir.resolve("config").toString());
    System.setProperty("aws.sharedCredentialsFile", dir.resolve("credentials").toString());
    System.setProperty("aws.disableEc2Metadata", "true");
    try {
      body.run();
    } finally {
      for (int i = 0; i < keys.length; i++) {
        if (saved[i] == null) {
          System.clearProperty(keys[i]);
        } else {
          System.setProperty(keys[i], saved[i]);
        }
      }
    }
  }
}
