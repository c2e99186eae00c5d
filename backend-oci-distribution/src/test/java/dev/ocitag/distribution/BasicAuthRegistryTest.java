package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The contract against an htpasswd registry, credentials from a docker config directory. */
class BasicAuthRegistryTest extends RegistryContractTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.basic();

  @TempDir Path temp;

  @Override
  RealRegistry registry() {
    return REGISTRY;
  }

  @Override
  BackendOptions options() throws Exception {
    return withDockerConfig(
        REGISTRY.writeDockerConfig(
            temp.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD));
  }

  private TagBackend open(BackendOptions options) {
    return DistributionBackend.open(REGISTRY.ref("any:x"), options, Settings.defaults());
  }

  @Test
  void withoutCredentialsItIsDeniedAndSaysHowToLogIn() throws Exception {
    TestImage image = TestImages.ociImage("anon");
    seed(repo(), image, "src");
    List<String> debug = new ArrayList<>();
    BackendOptions empty =
        BackendOptions.defaults()
            .with(RegistryOptions.DOCKER_CONFIG, temp.resolve("empty"))
            .withDebug(debug::add);
    try (TagBackend anonymous = open(empty)) {
      OcitagException.Denied e =
          assertThrows(OcitagException.Denied.class, () -> anonymous.fetch(repo().withTag("src")));
      assertTrue(e.getMessage().contains("--docker-config"), e.getMessage());
    }
    // one anonymous request, its challenge, and no retry: missing credentials do not heal
    assertEquals(1, debug.stream().filter(l -> l.startsWith("> GET")).count(), debug.toString());
  }

  @Test
  void aWrongPasswordIsDeniedAndNeverPrinted() throws Exception {
    TestImage image = TestImages.ociImage("wrongpw");
    seed(repo(), image, "src");
    List<String> debug = new ArrayList<>();
    Path config = REGISTRY.writeDockerConfig(temp.resolve("wrong"), RealRegistry.USER, "not-it-42");
    BackendOptions options =
        BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, config).withDebug(debug::add);
    try (TagBackend backend = open(options)) {
      OcitagException.Denied e =
          assertThrows(OcitagException.Denied.class, () -> backend.fetch(repo().withTag("src")));
      assertFalse(e.getMessage().contains("not-it-42"));
    }
    assertFalse(debug.isEmpty());
    assertTrue(debug.stream().noneMatch(l -> l.contains("not-it-42")), String.valueOf(debug));
    assertTrue(
        debug.stream().noneMatch(l -> l.contains(basic64("not-it-42"))), String.valueOf(debug));
  }

  @Test
  void withDebugTheRightPasswordIsNeverPrintedEither() throws Exception {
    TestImage image = TestImages.ociImage("debugpw");
    seed(repo(), image, "src");
    List<String> debug = new ArrayList<>();
    Path config = options().get(RegistryOptions.DOCKER_CONFIG);
    BackendOptions options =
        BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, config).withDebug(debug::add);
    try (TagBackend backend = open(options)) {
      assertArrayEquals(image.bytes(), backend.fetch(repo().withTag("src")).bytes());
    }
    assertTrue(debug.stream().anyMatch(l -> l.contains("Authorization: Basic <redacted>")));
    assertTrue(debug.stream().noneMatch(l -> l.contains(RealRegistry.PASSWORD)));
    assertTrue(debug.stream().noneMatch(l -> l.contains(basic64(RealRegistry.PASSWORD))));
  }

  private static String basic64(String password) {
    return java.util.Base64.getEncoder()
        .encodeToString((RealRegistry.USER + ":" + password).getBytes());
  }
}
