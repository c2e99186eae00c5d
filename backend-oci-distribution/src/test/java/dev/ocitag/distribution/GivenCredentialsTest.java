package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend opened at an endpoint with a user and password given by the caller (what ECR's
 * GetAuthorizationToken hands out), not from a docker config: against an htpasswd registry.
 */
class GivenCredentialsTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.basic();

  @TempDir Path temp;

  private final List<String> debug = new CopyOnWriteArrayList<>();

  /** An empty docker config directory: whatever authenticates comes from the caller. */
  private BackendOptions options() {
    return BackendOptions.defaults()
        .with(RegistryOptions.DOCKER_CONFIG, temp.resolve("empty"))
        .withDebug(debug::add);
  }

  private URI endpoint() {
    return URI.create("http://" + REGISTRY.host());
  }

  @Test
  void theGivenPasswordAnswersTheBasicChallengeAndStaysOutOfTheDebugLines() throws Exception {
    ImageRef repo = REGISTRY.newRepository("given");
    TestImage image = TestImages.ociImage("given");
    RegistrySeeder.seed(REGISTRY, repo, image, "src");

    try (TagBackend backend =
        DistributionBackend.open(endpoint(), RealRegistry.USER, RealRegistry.PASSWORD, options())) {
      assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("src")).bytes());
      assertEquals(image.digest(), backend.put(repo.withTag("copy"), image.manifest()));
    }

    String basic =
        Base64.getEncoder()
            .encodeToString(
                (RealRegistry.USER + ":" + RealRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("Authorization: Basic <redacted>")),
        debug::toString);
    assertTrue(
        debug.stream().noneMatch(l -> l.contains(RealRegistry.PASSWORD) || l.contains(basic)),
        debug::toString);
  }

  @Test
  void aWrongPasswordIsDeniedWithoutNamingIt() throws Exception {
    ImageRef repo = REGISTRY.newRepository("given");
    RegistrySeeder.seed(REGISTRY, repo, TestImages.ociImage("given-wrong"), "src");
    String wrong = "not-the-password-" + System.nanoTime();

    try (TagBackend backend =
        DistributionBackend.open(endpoint(), RealRegistry.USER, wrong, options())) {
      var e = assertThrows(OcitagException.Denied.class, () -> backend.fetch(repo.withTag("src")));
      assertFalse(e.getMessage().contains(wrong), e.getMessage());
    }
    assertTrue(debug.stream().noneMatch(l -> l.contains(wrong)), debug::toString);
  }

  @Test
  void anEndpointThatIsNoHttpUrlIsInvalidInputAndItsUserInfoIsNotRepeated() {
    for (String bad :
        List.of("ftp://" + REGISTRY.host(), "http://user:hunter2@" + REGISTRY.host(), "/v2/")) {
      var e =
          assertThrows(
              OcitagException.InvalidInput.class,
              () -> DistributionBackend.open(URI.create(bad), "u", "p", options()),
              bad);
      assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }
  }
}
