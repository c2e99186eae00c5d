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
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.CredentialHelpers;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.TokenServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where credentials come from: every form of the docker config ({@code auths} with {@code auth},
 * {@code username}/{@code password}, {@code identitytoken}; {@code credHelpers}; {@code
 * credsStore}), used against real registries (htpasswd and token auth), with helper scripts on the
 * PATH the lookup is given; and what goes wrong: a broken config, a missing, failing or hanging
 * helper.
 */
class CredentialsTest {
  @RegisterExtension static final RealRegistry BASIC = RealRegistry.basic();
  @RegisterExtension static final RealRegistry TOKEN = RealRegistry.token();

  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir Path temp;

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private Path config(String json) throws Exception {
    Path dir = Files.createTempDirectory(temp, "docker");
    Files.writeString(dir.resolve("config.json"), json);
    return dir;
  }

  private static Optional<Credentials> lookup(Path dir, String path, String registry) {
    return DockerConfig.lookup(dir, env(path), registry, BOUND, null);
  }

  private static Map<String, String> env(String path) {
    return path == null ? Map.of() : Map.of("PATH", path);
  }

  /**
   * Retags a fresh image on {@code registry} with the credentials the config in {@code dir} (and
   * the helpers on {@code path}) give, and returns the report; the debug lines go to {@code debug}.
   */
  private static TagReport retag(
      RealRegistry registry, Path dir, String path, List<String> debug, String salt)
      throws Exception {
    ImageRef repo = registry.newRepository("creds");
    TestImage image = TestImages.ociImage(salt);
    RegistrySeeder.seed(registry, repo, image, "src");
    BackendOptions options =
        BackendOptions.defaults().with(RegistryOptions.DOCKER_CONFIG, dir).withDebug(debug::add);
    try (TagBackend backend =
        DistributionBackend.open(
            RegistryEndpoint.of(repo, false), options, Settings.defaults(), env(path))) {
      TagReport report =
          new TagEngine(backend, TagEngine.Options.defaults())
              .tag(repo.withTag("src"), List.of(repo.withTag("copy")));
      if (report.results().get(0).outcome() == Outcome.CREATED) {
        assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("copy")).bytes());
      }
      return report;
    }
  }

  private static void assertCreated(TagReport report) {
    assertEquals(Outcome.CREATED, report.results().get(0).outcome(), report.toString());
  }

  private static void assertNoSecret(List<String> lines, String... secrets) {
    for (String line : lines) {
      for (String secret : secrets) {
        assertFalse(line.contains(secret), "a secret in: " + line);
      }
    }
  }

  // --- auths -------------------------------------------------------------------------------

  @Test
  void authsWithAuthRetagsOnAnHtpasswdRegistry() throws Exception {
    String pair = RealRegistry.USER + ":" + RealRegistry.PASSWORD;
    Path dir = config("{\"auths\":{\"" + BASIC.host() + "\":{\"auth\":\"" + base64(pair) + "\"}}}");
    List<String> debug = new ArrayList<>();
    assertCreated(retag(BASIC, dir, null, debug, "auths-auth"));
    assertTrue(debug.stream().anyMatch(l -> l.contains("auths in")), debug.toString());
    assertNoSecret(debug, RealRegistry.PASSWORD, base64(pair));
  }

  @Test
  void authsWithUsernameAndPasswordRetagsOnAnHtpasswdRegistry() throws Exception {
    Path dir =
        config(
            "{\"auths\":{\"https://"
                + BASIC.host()
                + "/v1/\":{\"username\":\""
                + RealRegistry.USER
                + "\",\"password\":\""
                + RealRegistry.PASSWORD
                + "\"}}}");
    List<String> debug = new ArrayList<>();
    assertCreated(retag(BASIC, dir, null, debug, "auths-userpass"));
    assertNoSecret(debug, RealRegistry.PASSWORD);
  }

  @Test
  void authsWithUserAndPasswordGetATokenOnATokenRegistry() throws Exception {
    Path dir =
        TOKEN.writeDockerConfig(temp.resolve("token"), RealRegistry.USER, RealRegistry.PASSWORD);
    List<String> debug = new ArrayList<>();
    assertCreated(retag(TOKEN, dir, null, debug, "auths-token"));
    assertNoSecret(debug, RealRegistry.PASSWORD);
  }

  @Test
  void anIdentityTokenInAuthsIsExchangedAtTheTokenService() throws Exception {
    // as docker login stores one: the user in auth, no password, the token beside it
    Path dir =
        config(
            "{\"auths\":{\""
                + TOKEN.host()
                + "\":{\"auth\":\""
                + base64(RealRegistry.USER + ":")
                + "\",\"identitytoken\":\""
                + TokenServer.IDENTITY_TOKEN
                + "\"}}}");
    Credentials found = lookup(dir, null, TOKEN.host()).orElseThrow();
    assertTrue(found.isIdentityToken());
    assertEquals(RealRegistry.USER, found.username());
    List<String> debug = new ArrayList<>();
    assertCreated(retag(TOKEN, dir, null, debug, "identity"));
    assertNoSecret(debug, TokenServer.IDENTITY_TOKEN);
  }

  @Test
  void authsReadsEveryFormAndAnEmptyEntryIsNoCredentials() throws Exception {
    Path dir =
        config(
            "{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yi1wdw==\"},"
                + "\"https://reg.example:5000/v1/\":{\"username\":\"u\",\"password\":\"p:w\"},"
                + "\"HTTP://Upper.Example\":{\"auth\":\""
                + base64("up:per")
                + "\"},"
                + "\"id.example\":{\"identityToken\":\"refresh-me\"},"
                + "\"empty.example\":{}}}");
    Credentials hub = lookup(dir, null, "docker.io").orElseThrow();
    assertEquals("hub", hub.username());
    assertEquals("hub-pw", hub.password());
    assertFalse(hub.toString().contains("hub-pw"), hub.toString());
    assertEquals("p:w", lookup(dir, null, "reg.example:5000").orElseThrow().password());
    assertEquals("per", lookup(dir, null, "upper.example").orElseThrow().password());
    assertTrue(lookup(dir, null, "id.example").orElseThrow().isIdentityToken());
    assertEquals(Optional.empty(), lookup(dir, null, "empty.example"));
    assertEquals(Optional.empty(), lookup(dir, null, "other.example"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
        "https://registry-1.docker.io/v2/",
        "http://index.docker.io/v1/"
      })
  void everyDockerHubKeyServesDockerIo(String key) throws Exception {
    Path dir = config("{\"auths\":{\"" + key + "\":{\"auth\":\"" + base64("hub:pw") + "\"}}}");
    assertEquals("hub", lookup(dir, null, "docker.io").orElseThrow().username());
    assertEquals(Optional.empty(), lookup(dir, null, "quay.io"));
  }

  @Test
  void theConfigComesFromTheFlagThenDockerConfigThenHome() throws Exception {
    Path fromEnv = config("{\"auths\":{\"r.example\":{\"auth\":\"YTpi\"}}}");
    assertEquals(
        "a",
        DockerConfig.lookup(
                null, Map.of("DOCKER_CONFIG", fromEnv.toString()), "r.example", BOUND, null)
            .orElseThrow()
            .username());
    assertEquals(
        Optional.empty(),
        DockerConfig.lookup(
            temp.resolve("nothing"),
            Map.of("DOCKER_CONFIG", fromEnv.toString()),
            "r.example",
            BOUND,
            null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{not json",
        "[]",
        "",
        "{\"auths\":{\"r.example\":{\"auth\":\"%%%\"}}}",
        "{\"auths\":{\"r.example\":{\"auth\":\"bm9jb2xvbg==\"}}}",
        "{\"credHelpers\":{\"r.example\":\"../../bin/sh\"}}"
      })
  void aBrokenConfigIsInvalidInputInOneLine(String json) throws Exception {
    Path dir = config(json);
    OcitagException.InvalidInput e =
        assertThrows(
            OcitagException.InvalidInput.class, () -> lookup(dir, "/usr/bin", "r.example"));
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  // --- helpers -----------------------------------------------------------------------------

  @Test
  void credHelpersSupplyThePasswordForAnHtpasswdRegistry() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.answering("ocitagtest", BASIC.host(), RealRegistry.USER, RealRegistry.PASSWORD);
    helpers.notFound("store");
    Path dir =
        config(
            "{\"credsStore\":\"store\",\"credHelpers\":{\""
                + BASIC.host()
                + "\":\"ocitagtest\"},\"auths\":{\""
                + BASIC.host()
                + "\":{\"auth\":\""
                + base64("wrong:wrong")
                + "\"}}}");
    List<String> debug = new ArrayList<>();
    assertCreated(retag(BASIC, dir, helpers.path(), debug, "credhelpers"));
    // the helper wins over auths and the store, and is asked once for the whole run
    assertEquals(List.of(BASIC.host()), helpers.asked("ocitagtest"));
    assertEquals(List.of(), helpers.asked("store"));
    assertNoSecret(debug, RealRegistry.PASSWORD);
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("docker-credential-ocitagtest")), "" + debug);
  }

  @Test
  void credsStoreSuppliesThePasswordWhenAuthsHasOnlyAPlaceholder() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.answering("store", BASIC.host(), RealRegistry.USER, RealRegistry.PASSWORD);
    // what docker login writes next to a store: an empty entry
    Path dir = config("{\"credsStore\":\"store\",\"auths\":{\"" + BASIC.host() + "\":{}}}");
    List<String> debug = new ArrayList<>();
    assertCreated(retag(BASIC, dir, helpers.path(), debug, "credsstore"));
    assertEquals(List.of(BASIC.host()), helpers.asked("store"));
    assertNoSecret(debug, RealRegistry.PASSWORD);
  }

  @Test
  void anAuthsEntryWinsOverTheStore() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.answering("store", BASIC.host(), "wrong", "wrong");
    Path dir =
        config(
            "{\"credsStore\":\"store\",\"auths\":{\""
                + BASIC.host()
                + "\":{\"auth\":\""
                + base64(RealRegistry.USER + ":" + RealRegistry.PASSWORD)
                + "\"}}}");
    assertCreated(retag(BASIC, dir, helpers.path(), new ArrayList<>(), "auths-over-store"));
    assertEquals(List.of(), helpers.asked("store"));
  }

  @Test
  void aHelperIdentityTokenIsExchangedAtTheTokenService() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.answering("idhelper", TOKEN.host(), "<token>", TokenServer.IDENTITY_TOKEN);
    Path dir = config("{\"credHelpers\":{\"" + TOKEN.host() + "\":\"idhelper\"}}");
    List<String> debug = new ArrayList<>();
    assertCreated(retag(TOKEN, dir, helpers.path(), debug, "helper-identity"));
    assertNoSecret(debug, TokenServer.IDENTITY_TOKEN);
  }

  @Test
  void helpersAreAskedAboutDockerHubUnderDockerLoginsKey() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.answering("hub", "https://index.docker.io/v1/", "hubuser", "hubsecret");
    helpers.answering("store", "https://index.docker.io/v1/", "storeuser", "storesecret");
    // a credHelpers key in any Docker Hub form
    Path helper = config("{\"credHelpers\":{\"index.docker.io\":\"hub\"}}");
    assertEquals("hubuser", lookup(helper, helpers.path(), "docker.io").orElseThrow().username());
    Path store = config("{\"credsStore\":\"store\"}");
    assertEquals("storeuser", lookup(store, helpers.path(), "docker.io").orElseThrow().username());
    assertEquals(
        List.of("https://index.docker.io/v1/"), helpers.asked("hub"), "what the helper was asked");
    assertEquals(List.of("https://index.docker.io/v1/"), helpers.asked("store"));
  }

  @Test
  void aHelperWithoutCredentialsMeansAnonymous() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.notFound("store");
    helpers.printing("emptysecret", "{\"Username\":\"u\",\"Secret\":\"\"}");
    Path dir = config("{\"credsStore\":\"store\"}");
    assertEquals(Optional.empty(), lookup(dir, helpers.path(), BASIC.host()));
    Path empty = config("{\"credsStore\":\"emptysecret\"}");
    assertEquals(Optional.empty(), lookup(empty, helpers.path(), BASIC.host()));
    // anonymous, so the htpasswd registry denies (exit 5), not a helper failure (exit 1)
    OcitagException.Denied denied =
        assertThrows(
            OcitagException.Denied.class,
            () -> retag(BASIC, dir, helpers.path(), new ArrayList<>(), "anonymous"));
    assertTrue(denied.getMessage().contains("no credentials"), denied.getMessage());
    assertEquals(List.of(BASIC.host(), BASIC.host()), helpers.asked("store"));
  }

  @Test
  void aSecretWithoutAUserNameIsUsedAsDockerDoes() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.printing("nouser", "{\"Username\":\"\",\"Secret\":\"s3cret\"}");
    Path dir = config("{\"credsStore\":\"nouser\"}");
    Credentials found = lookup(dir, helpers.path(), "r.example").orElseThrow();
    assertEquals("", found.username());
    assertEquals("s3cret", found.password());
  }

  @Test
  void aMissingHelperIsAOneLineFailure() throws Exception {
    Path dir = config("{\"credsStore\":\"nosuchstore\"}");
    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> lookup(dir, temp.toString(), "r.example"));
    assertTrue(e.getMessage().contains("docker-credential-nosuchstore"), e.getMessage());
    assertTrue(e.getMessage().contains("not on the PATH"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  @Test
  void aFailingHelperIsAFailureInItsOwnWords() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    helpers.failing("broken", "keychain is locked");
    helpers.printing("garbage", "{not json");
    Path dir = config("{\"credsStore\":\"broken\"}");
    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> lookup(dir, helpers.path(), "r.example"));
    assertTrue(e.getMessage().contains("docker-credential-broken"), e.getMessage());
    assertTrue(e.getMessage().contains("keychain is locked"), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    Path garbage = config("{\"credsStore\":\"garbage\"}");
    OcitagException.Failed g =
        assertThrows(
            OcitagException.Failed.class, () -> lookup(garbage, helpers.path(), "r.example"));
    assertTrue(g.getMessage().contains("not JSON"), g.getMessage());
    // a home-made helper that echoes a bare token: the token never reaches the message
    helpers.printing("echoer", "ghp_t0kenThatMustNotBePrinted");
    Path echoer = config("{\"credsStore\":\"echoer\"}");
    OcitagException.Failed t =
        assertThrows(
            OcitagException.Failed.class, () -> lookup(echoer, helpers.path(), "r.example"));
    assertFalse(t.getMessage().contains("t0kenThatMustNotBePrinted"), t.getMessage());
    assertTrue(t.getMessage().contains("docker-credential-echoer"), t.getMessage());
  }

  @Test
  void aHangingHelperIsStoppedAtTheBoundWithItsChildren() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    String marker = CredentialHelpers.sleepMarker();
    helpers.hanging("prompt", marker);
    Path dir = config("{\"credHelpers\":{\"" + BASIC.host() + "\":\"prompt\"}}");
    long t0 = System.nanoTime();
    OcitagException.Failed e =
        assertThrows(
            OcitagException.Failed.class,
            () ->
                DockerConfig.lookup(
                    dir, env(helpers.path()), BASIC.host(), Duration.ofMillis(1500), null));
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(millis >= 1400 && millis < 10_000, "took " + millis + " ms");
    assertEquals(
        "credential helper docker-credential-prompt did not answer for "
            + BASIC.host()
            + " within 1.5 s and was stopped (is it waiting for a prompt?)",
        e.getMessage());
    assertEquals(List.of(BASIC.host()), helpers.asked("prompt"), "the helper did run");
    // the helper's child (its "prompt") is gone too
    assertTrue(CredentialHelpers.gone(marker, 5), "sleep " + marker + " still runs");
  }

  @Test
  void aTimedOutLookupFailsEveryRequestOfTheBackendWithoutAskingAgain() throws Exception {
    CredentialHelpers helpers = CredentialHelpers.in(temp.resolve("bin"));
    String marker = CredentialHelpers.sleepMarker();
    helpers.hanging("prompt", marker);
    Path dir = config("{\"credHelpers\":{\"" + BASIC.host() + "\":\"prompt\"}}");
    System.setProperty(DockerConfig.TIMEOUT_PROPERTY, "1");
    try {
      long t0 = System.nanoTime();
      OcitagException.Failed e =
          assertThrows(
              OcitagException.Failed.class,
              () -> retag(BASIC, dir, helpers.path(), new ArrayList<>(), "hang"));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e.getMessage().contains("docker-credential-prompt"), e.getMessage());
      // the GET and the HEAD sent at once share one lookup: one run of the helper, one wait
      assertEquals(List.of(BASIC.host()), helpers.asked("prompt"));
      assertTrue(millis < 8_000, "took " + millis + " ms");
      assertTrue(CredentialHelpers.gone(marker, 5), "sleep " + marker + " still runs");
    } finally {
      System.clearProperty(DockerConfig.TIMEOUT_PROPERTY);
    }
  }

  @Test
  void theTimeoutPropertyMustBeSeconds() {
    System.setProperty(DockerConfig.TIMEOUT_PROPERTY, "soon");
    try {
      OcitagException.InvalidInput e =
          assertThrows(OcitagException.InvalidInput.class, DockerConfig::timeout);
      assertTrue(e.getMessage().contains(DockerConfig.TIMEOUT_PROPERTY), e.getMessage());
      System.setProperty(DockerConfig.TIMEOUT_PROPERTY, "2.5");
      assertEquals(Duration.ofMillis(2500), DockerConfig.timeout());
    } finally {
      System.clearProperty(DockerConfig.TIMEOUT_PROPERTY);
    }
    assertEquals(Duration.ofSeconds(30), DockerConfig.timeout());
  }
}
