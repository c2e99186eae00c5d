package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.TagPolicy;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.ImageTagAlreadyExistsException;

/**
 * ECR's wildcard filters, judged by ECR's documented examples alone: the backend's {@link
 * TagMutability} and the test endpoint (whose matcher is written apart from it) are each held to
 * them, so neither can pass by agreeing with the other.
 *
 * <p>The examples, as documented:
 *
 * <ul>
 *   <li>AWS CDK, {@code ImageTagMutabilityExclusionFilter}: {@code IMMUTABLE_WITH_EXCLUSION} with
 *       {@code dev-*} and {@code test-*} makes "all tags immutable except for those starting with
 *       'dev-' or 'test-'"
 *       (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ecr.ImageTagMutabilityExclusionFilter.html).
 *   <li>ECR user guide, lifecycle policy {@code tagPatternList}: "if your images are tagged as
 *       prod, prod1, prod2, and so on, you would use the tag pattern list prod* to specify all of
 *       them"
 *       (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html).
 *   <li>ECR user guide, "Filter wildcards": "a filter with a wildcard (*) matches on any [name]
 *       where the wildcard replaces zero or more characters", with its table of filters against
 *       names (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html).
 *       Its rows with a wildcard are taken as they are; its row without one (there a filter matches
 *       any name that contains it) is left out, since the tag mutability guide asks for "tag names"
 *       there, a case no example documents.
 * </ul>
 */
class WildcardFilterDocumentedExamplesTest {
  private static final String CDK = "CDK ImageTagMutabilityExclusionFilter example";
  private static final String LIFECYCLE = "ECR lifecycle policy tagPatternList";
  private static final String TABLE = "ECR filter wildcards table";
  private static final TestImage SRC = TestImages.ociImage("wildcard-src");
  private static final TestImage OTHER = TestImages.ociImage("wildcard-other");
  private static FakeEcr fake;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    EcrTesting.useFakeCredentials();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  static Stream<Arguments> documented() {
    List<Arguments> rows = new ArrayList<>();
    String cdk = "dev-*;test-*";
    for (String tag : List.of("dev-1", "dev-feature-x", "dev-", "test-42")) {
      rows.add(Arguments.of(CDK, cdk, tag, true));
    }
    for (String tag : List.of("release-1", "latest", "dev", "mydev-1", "test")) {
      rows.add(Arguments.of(CDK, cdk, tag, false));
    }
    for (String tag : List.of("prod", "prod1", "prod2")) {
      rows.add(Arguments.of(LIFECYCLE, "prod*", tag, true));
    }
    List<String> names = List.of("prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo");
    String[][] table = {
      {"*prod", "Yes", "Yes", "No", "No", "No"},
      {"prod*", "Yes", "No", "Yes", "No", "Yes"},
      {"*prod*", "Yes", "Yes", "Yes", "Yes", "Yes"},
      {"prod*repo", "No", "No", "Yes", "No", "Yes"},
    };
    for (String[] row : table) {
      for (int i = 0; i < names.size(); i++) {
        rows.add(Arguments.of(TABLE, row[0], names.get(i), row[i + 1].equals("Yes")));
      }
    }
    return rows.stream();
  }

  @ParameterizedTest(name = "{0}: {1} excludes {2} = {3}")
  @MethodSource("documented")
  void theBackendsPolicyFollowsTheDocumentedExamples(
      String source, String filters, String tag, boolean excluded) {
    List<String> list = List.of(filters.split(";"));
    assertEquals(
        TagPolicy.Overwrite.of(excluded),
        new TagMutability("IMMUTABLE_WITH_EXCLUSION", list).mayMove(tag));
    assertEquals(
        TagPolicy.Overwrite.of(!excluded),
        new TagMutability("MUTABLE_WITH_EXCLUSION", list).mayMove(tag));
  }

  @ParameterizedTest(name = "{0}: {1} excludes {2} = {3}")
  @MethodSource("documented")
  void theTestEndpointFollowsTheDocumentedExamplesOnPutImage(
      String source, String filters, String tag, boolean excluded) {
    assertEquals(excluded, moves("IMMUTABLE_WITH_EXCLUSION", filters, tag));
    assertEquals(!excluded, moves("MUTABLE_WITH_EXCLUSION", filters, tag));
  }

  /** Whether the endpoint lets PutImage move an existing tag to another image. */
  private static boolean moves(String mutability, String filters, String tag) {
    String repo = EcrTesting.newRepositoryName("wildcard");
    fake.createRepository(repo, mutability, filters.split(";"));
    fake.seed(repo, OTHER, tag);
    fake.seed(repo, SRC, null);
    try (EcrClient raw = EcrTesting.rawClient(fake)) {
      raw.putImage(
          b ->
              b.repositoryName(repo)
                  .imageManifest(new String(SRC.bytes(), StandardCharsets.UTF_8))
                  .imageManifestMediaType(SRC.manifest().mediaType())
                  .imageTag(tag));
      assertEquals(SRC.digest(), fake.tagDigest(repo, tag));
      return true;
    } catch (ImageTagAlreadyExistsException e) {
      assertEquals(OTHER.digest(), fake.tagDigest(repo, tag));
      assertTrue(e.getMessage().contains(tag), e.getMessage());
      return false;
    }
  }

  @Test
  void theTestEndpointRefusesFiltersEcrRefuses() {
    assertThrows(
        IllegalArgumentException.class,
        () -> fake.createRepository("wildcard-bad", "IMMUTABLE_WITH_EXCLUSION", "v[0-9]+"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            fake.createRepository(
                "wildcard-many", "IMMUTABLE_WITH_EXCLUSION", "a*", "b*", "c*", "d*", "e*", "f*"));
  }
}
