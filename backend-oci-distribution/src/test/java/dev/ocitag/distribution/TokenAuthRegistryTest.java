package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.TokenServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a registry that takes Bearer tokens from a token server in the test. */
class TokenAuthRegistryTest extends RegistryContractTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.token();

  @TempDir Path temp;

  @Override
  RealRegistry registry() {
    return REGISTRY;
  }

  private TokenServer tokens() {
    return REGISTRY.tokenServer().orElseThrow();
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
  void tokensAreCachedPerScopeAcrossRequests() throws Exception {
    TestImage image = TestImages.ociImage("cache");
    seed(repo(), image, "src");
    int before = tokens().requests();
    try (TagBackend backend = open(options())) {
      TagEngine engine = new TagEngine(backend, new TagEngine.Options(false, false, 4));
      List<String> many = IntStream.range(0, 10).mapToObj(i -> "c" + i).toList();
      TagReport report =
          engine.tag(repo().withTag("src"), many.stream().map(repo()::withTag).toList());
      assertTrue(report.results().stream().allMatch(r -> r.outcome() == Outcome.CREATED));
      for (int i = 0; i < 5; i++) {
        backend.fetch(repo().withTag("c" + i));
      }
    }
    // one pull token, one push token (a push token may be fetched by two racing writers at most
    // once each, as they share a lock): never one per request
    int asked = tokens().requests() - before;
    assertTrue(asked >= 2 && asked <= 3, "token requests: " + asked);
  }

  @Test
  void anExpiredTokenIsReplacedOnce() throws Exception {
    TestImage image = TestImages.ociImage("expiry");
    seed(repo(), image, "src");
    tokens().expiresIn(1); // the backend keeps a 10s margin: every use asks anew, never loops
    try (TagBackend backend = open(options())) {
      assertArrayEquals(image.bytes(), backend.fetch(repo().withTag("src")).bytes());
      assertArrayEquals(image.bytes(), backend.fetch(repo().withTag("src")).bytes());
    } finally {
      tokens().expiresIn(300);
    }
  }

  @Test
  void anIdentityTokenIsExchangedThroughOAuth() throws Exception {
    TestImage image = TestImages.ociImage("identity");
    seed(repo(), image, "src");
    Path dir = Files.createDirectories(temp.resolve("idtoken"));
    Files.writeString(
        dir.resolve("config.json"),
        "{\"auths\":{\"http://"
            + REGISTRY.host()
            + "/v1/\":{\"identitytoken\":\""
            + TokenServer.IDENTITY_TOKEN
            + "\"}}}");
    List<String> debug = new ArrayList<>();
    BackendOptions options =
        BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, dir).withDebug(debug::add);
    try (TagBackend backend = open(options)) {
      new TagEngine(backend, TagEngine.Options.defaults())
          .tag(repo().withTag("src"), List.of(repo().withTag("via-identity")));
      assertEquals(Optional.of(image.digest()), backend.resolve(repo().withTag("via-identity")));
    }
    assertTrue(debug.stream().noneMatch(l -> l.contains(TokenServer.IDENTITY_TOKEN)));
  }

  @Test
  void aReaderCanFetchButItsPushIsDenied() throws Exception {
    TestImage image = TestImages.ociImage("reader");
    seed(repo(), image, "src");
    BackendOptions reader =
        withDockerConfig(
            REGISTRY.writeDockerConfig(
                temp.resolve("reader"), RealRegistry.READER, RealRegistry.READER_PASSWORD));
    int before = tokens().requests();
    try (TagBackend backend = open(reader)) {
      assertArrayEquals(image.bytes(), backend.fetch(repo().withTag("src")).bytes());
      TagReport report =
          new TagEngine(backend, TagEngine.Options.defaults())
              .tag(repo().withTag("src"), List.of(repo().withTag("nope")));
      assertEquals(Outcome.FAILED, report.results().get(0).outcome());
      assertTrue(
          report.results().get(0).error() instanceof OcitagException.Denied,
          String.valueOf(report.results().get(0)));
    }
    assertTrue(tokens().requests() - before <= 4, "bounded token requests");
    assertEquals(Optional.empty(), backendResolve("nope"));
  }

  private Optional<dev.ocitag.core.Digest> backendResolve(String tag) {
    return backend().resolve(repo().withTag(tag));
  }
}
