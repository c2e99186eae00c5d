package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Descriptor;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.ecr.testing.FakeEcr;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The login to ECR's registry endpoint: GetAuthorizationToken once per registry (account and
 * region), its token kept until shortly before it expires, never in a debug line, and not asked for
 * at all by a retag.
 */
class EcrRegistryLoginTest {
  private static final String PASSWORD = "ecr-registry-password-" + System.nanoTime();
  private static final URI REGISTRY = URI.create("http://127.0.0.1:5999");
  private static FakeEcr fake;
  private final MovableClock clock = new MovableClock();
  private final List<String> debug = EcrTesting.debugLines();
  private EcrBackend backend;

  /** A clock the test moves, so that twelve hours of token life pass at once. */
  private static final class MovableClock extends Clock {
    private Instant now = Instant.now();

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

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
    fake.registry(REGISTRY, PASSWORD);
    fake.resetCounts();
    backend =
        EcrBackend.open(
            ImageRef.parse("ecr:any"),
            EcrTesting.options(fake, "us-east-1", debug),
            new PutRateLimiter(10_000, 100),
            EcrTesting.FAST_RETRIES,
            clock);
  }

  @AfterEach
  void close() {
    backend.close();
    fake.echoLikeMoto(false);
    fake.deny("GetAuthorizationToken", false);
    fake.registry(null, PASSWORD);
  }

  private int tokenCalls() {
    return fake.calls("GetAuthorizationToken");
  }

  @Test
  void oneTokenServesEveryRepositoryOfTheRegistry() {
    RegistryLogin login = backend.registryOf(ImageRef.parse("ecr:app")).login();
    for (int i = 0; i < 20; i++) {
      assertSame(login, backend.registryOf(ImageRef.parse("ecr:app-" + (i % 3))).login());
    }
    assertEquals(1, tokenCalls());
    assertEquals(REGISTRY, login.endpoint(), "the proxyEndpoint ECR returned");
    assertEquals("AWS", login.username());
    assertEquals(PASSWORD, login.password());
  }

  @Test
  void aRegistryHostAsksForThatAccountsToken() {
    backend.registryOf(ImageRef.parse("ecr:app"));
    ImageRef host = ImageRef.parse(FakeEcr.ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com/app");
    backend.registryOf(host);
    backend.registryOf(host);

    // the caller's registry and the one the host names are told apart: they may differ
    assertEquals(2, tokenCalls());
    assertTrue(fake.registryIdsSeen().contains(FakeEcr.ACCOUNT), fake.registryIdsSeen()::toString);
  }

  @Test
  void aTokenIsRenewedShortlyBeforeItExpires() {
    ImageRef repo = ImageRef.parse("ecr:app");
    RegistryLogin first = backend.registryOf(repo).login();
    clock.advance(Duration.ofHours(12).minus(Duration.ofMinutes(6)));
    assertSame(first, backend.registryOf(repo).login());
    assertEquals(1, tokenCalls());

    clock.advance(Duration.ofMinutes(2)); // within the margin before the 12 hours are up
    RegistryLogin second = backend.registryOf(repo).login();
    assertEquals(2, tokenCalls());
    assertTrue(second.refreshAt().isAfter(first.refreshAt()));
    assertSame(second, backend.registryOf(repo).login());
    assertEquals(2, tokenCalls());
  }

  @Test
  void motosTokenThatExpiredIn2015IsStillKeptAWhile() {
    fake.echoLikeMoto(true);
    ImageRef repo = ImageRef.parse("ecr:app");
    backend.registryOf(repo);
    clock.advance(Duration.ofMinutes(14));
    backend.registryOf(repo);
    assertEquals(1, tokenCalls(), "not one call per blob");
    clock.advance(Duration.ofMinutes(2));
    backend.registryOf(repo);
    assertEquals(2, tokenCalls());
    assertTrue(debug.stream().anyMatch(l -> l.contains("expired at 2015")), debug::toString);
  }

  @Test
  void aRetagNeverAsksForAToken() {
    String repo = EcrTesting.newRepositoryName("login-retag");
    fake.createRepository(repo);
    TestImage image = TestImages.ociIndex("login-retag");
    fake.seed(repo, image, "src");
    ImageRef src = ImageRef.parse("ecr:" + repo + ":src");

    List<TagResult> results =
        new TagEngine(backend, TagEngine.Options.defaults())
            .tag(src, List.of(src.withTag("copy")))
            .results();

    assertEquals(Outcome.CREATED, results.get(0).outcome());
    assertEquals(0, tokenCalls());
  }

  @Test
  void aDeniedGetAuthorizationTokenIsDenied() {
    fake.deny("GetAuthorizationToken", true);
    Descriptor blob = TestImages.ociImage("denied").manifest().layers().get(0);
    var e =
        assertThrows(
            OcitagException.Denied.class, () -> backend.hasBlob(ImageRef.parse("ecr:app"), blob));
    assertTrue(e.getMessage().startsWith("GetAuthorizationToken"), e.getMessage());
    assertTrue(e.getMessage().contains("ecr:GetAuthorizationToken"), e.getMessage());
  }

  @Test
  void thePasswordAndTheTokenAreInNoDebugLine() {
    RegistryLogin login = backend.registryOf(ImageRef.parse("ecr:app")).login();
    String token =
        Base64.getEncoder().encodeToString(("AWS:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertTrue(debug.stream().anyMatch(l -> l.contains("GetAuthorizationToken")), debug::toString);
    assertTrue(
        debug.stream().noneMatch(l -> l.contains(PASSWORD) || l.contains(token)), debug::toString);
    assertFalse(login.toString().contains(PASSWORD), login::toString);
  }

  @Test
  void aPlainHttpRegistryEndpointOffThisMachineIsRefused() {
    fake.registry(URI.create("http://registry.example.com:5000"), PASSWORD);
    var e =
        assertThrows(
            OcitagException.Refused.class, () -> backend.registryOf(ImageRef.parse("ecr:app")));
    assertTrue(e.getMessage().contains("clear text"), e.getMessage());
    assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
  }

  @Test
  void aRepositoryInAnotherRegionNeedsItsOwnBackend() {
    ImageRef elsewhere = ImageRef.parse(FakeEcr.ACCOUNT + ".dkr.ecr.eu-west-1.amazonaws.com/app");
    var e = assertThrows(OcitagException.InvalidInput.class, () -> backend.registryOf(elsewhere));
    assertTrue(e.getMessage().contains("eu-west-1"), e.getMessage());
    assertEquals(0, tokenCalls());
  }

  @Test
  void noMountFromAnotherAccountOrRegionAndNoCallToFindThatOut() {
    Descriptor blob = TestImages.ociImage("mount").manifest().layers().get(0);
    ImageRef target = ImageRef.parse("ecr:app");
    for (String from :
        List.of(
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/app",
            FakeEcr.ACCOUNT + ".dkr.ecr.eu-west-1.amazonaws.com/app",
            "registry.example.com/app")) {
      assertFalse(backend.mountBlob(target, blob, ImageRef.parse(from)), from);
    }
    assertEquals(0, tokenCalls());
  }
}
