package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.net.InetAddress;
import java.time.Duration;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What fuzzing the registry's headers found (RegistryHeadersFuzzTest), replayed against a registry
 * over real HTTP: each header is refused in one line of a documented kind, where it was an internal
 * error (or, for one Link, another repository's tags) before.
 */
@Timeout(60)
class RegistryHeaderFindingsTest {
  private static final Settings FAST =
      Settings.defaults()
          .withRetries(2, Duration.ofMillis(20), Duration.ofSeconds(2))
          .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5));

  private MockWebServer server;
  private DistributionBackend backend;
  private ImageRef repo;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.start(InetAddress.getLoopbackAddress(), 0);
    repo = ImageRef.parse("127.0.0.1:" + server.getPort() + "/team/app");
    backend = DistributionBackend.open(repo, BackendOptions.defaults(), FAST);
  }

  @AfterEach
  void stop() {
    backend.close();
    server.close();
  }

  /**
   * A Link to a page that is not this tag list: off the registry's API (a string index out of range
   * before), or another repository's list (followed before, its tags added to these).
   */
  @ParameterizedTest
  @ValueSource(strings = {"</x>", "</>", "</v2/other/tags/list?last=b>"})
  void aNextPageElsewhereThanTheTagListIsNotFollowed(String link) {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .setHeader("Link", link + "; rel=\"next\"")
            .body("{\"name\":\"team/app\",\"tags\":[\"a\"]}")
            .build());

    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> backend.tags(repo).toList());
    assertTrue(e.getMessage().contains("not following it"), e.getMessage());
  }

  /**
   * A realm port past 65535: URI takes it, OkHttp does not (an IllegalArgumentException before).
   */
  @Test
  void aBearerRealmOnAPortNoConnectionCanGoToIsUnusable() {
    challenge("https://auth.example:99999/token");

    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> backend.resolve(repo.withTag("1")));
    assertTrue(e.getMessage().contains("without a usable realm"), e.getMessage());
  }

  /**
   * A realm host URI does not split off its authority (a compose service's name), over plain HTTP:
   * refused as any clear-text realm is (a null pointer before).
   */
  @Test
  void aClearTextRealmOnAHostWithAnUnderscoreIsRefusedAsClearText() {
    challenge("http://auth_service/token");

    OcitagException.Denied e =
        assertThrows(OcitagException.Denied.class, () -> backend.resolve(repo.withTag("1")));
    assertTrue(e.getMessage().contains("(http://auth_service/token) is not https"), e.getMessage());
  }

  /**
   * A realm host that {@link java.net.URI} and the realm check take and OkHttp does not (fuzzing
   * found {@code auth.\uFFFD\uFFFDample}, from bytes that are not UTF-8): the transport says so in
   * one line (an IllegalArgumentException of OkHttp's before).
   */
  @ParameterizedTest
  @ValueSource(strings = {"https://xn--zz/token", "https://auth.\uFFFD\uFFFDample/token"})
  void aRealmHostNoConnectionCanGoToIsAOneLineFailure(String realm) {
    challenge(realm);

    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> backend.resolve(repo.withTag("1")));
    assertTrue(e.getMessage().contains("not a URL a connection can go to"), e.getMessage());
  }

  /** The same for an upload Location on a port past 65535. */
  @Test
  void anUploadLocationNoConnectionCanGoToIsAOneLineFailure() {
    byte[] blob = "a blob".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Descriptor descriptor = Descriptor.of(Digest.of(blob), blob.length);
    server.enqueue(
        new MockResponse.Builder()
            .code(202)
            .setHeader("Location", "http://127.0.0.1:99999/v2/team/app/blobs/uploads/1")
            .build());

    OcitagException.Failed e =
        assertThrows(
            OcitagException.Failed.class,
            () -> backend.pushBlob(repo, descriptor, new java.io.ByteArrayInputStream(blob)));
    assertTrue(e.getMessage().contains("not a URL a connection can go to"), e.getMessage());
  }

  private void challenge(String realm) {
    server.enqueue(
        new MockResponse.Builder()
            .code(401)
            .addHeaderLenient("WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"mock\"")
            .build());
  }
}
