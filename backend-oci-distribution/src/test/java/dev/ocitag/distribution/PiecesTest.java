package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackendProvider;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The small parts: endpoints, challenges, redaction, retry timing, the provider. */
class PiecesTest {
  @TempDir Path temp;

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:5000/a:1, https://127.0.0.1:5000/v2/, true",
    "127.1.2.3/a:1, https://127.1.2.3/v2/, true",
    "localhost:5000/a:1, https://localhost:5000/v2/, true",
    "[::1]:5000/a:1, https://[::1]:5000/v2/, true",
    "registry.example:5000/a:1, https://registry.example:5000/v2/, false",
    "alpine:3, https://registry-1.docker.io/v2/, false",
    "128.0.0.1/a:1, https://128.0.0.1/v2/, false",
  })
  void endpoints(String ref, String base, boolean loopback) {
    RegistryEndpoint.forgetSchemes();
    RegistryEndpoint e = RegistryEndpoint.of(ImageRef.parse(ref), false);
    assertEquals(base, e.base().toString()); // HTTPS first, loopback too
    assertEquals(loopback, e.loopback());
  }

  @Test
  void aLoopbackRegistryFoundToSpeakPlainHttpIsReachedOverHttpForTheRestOfTheProcess() {
    RegistryEndpoint.forgetSchemes();
    RegistryEndpoint e = RegistryEndpoint.of(ImageRef.parse("127.0.0.1:5999/a:1"), false);
    assertEquals("https://127.0.0.1:5999/v2/a/tags/list", e.url("a", "tags", "list").toString());
    RegistryEndpoint.rememberTls("127.0.0.1:5999", false);
    assertEquals("http://127.0.0.1:5999/v2/a/tags/list", e.url("a", "tags", "list").toString());
    RegistryEndpoint other = RegistryEndpoint.of(ImageRef.parse("127.0.0.1:5998/a:1"), false);
    assertEquals("https://127.0.0.1:5998/v2/", other.base().toString(), "per host:port");
    RegistryEndpoint.forgetSchemes();
  }

  @Test
  void plainHttpIsHonouredAndRepositoryPathsStaySegments() {
    RegistryEndpoint e = RegistryEndpoint.of(ImageRef.parse("registry.example/team/app:1"), true);
    assertEquals(
        "http://registry.example/v2/team/app/manifests/1",
        e.url("team/app", "manifests", "1").toString());
    assertEquals("docker.io", RegistryEndpoint.of(ImageRef.parse("alpine"), false).registry());
  }

  @Test
  void challengesParseQuotedParametersWithCommas() {
    Challenge c =
        Challenge.pick(
            List.of(
                "Basic realm=\"x\"",
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                    + "scope=\"repository:a/b:pull,push repository:c:pull\",error=\"insufficient_scope\""));
    assertEquals("bearer", c.scheme());
    assertEquals("https://auth.example/token", c.param("realm"));
    assertEquals("repository:a/b:pull,push repository:c:pull", c.param("scope"));
    assertEquals("basic", Challenge.pick(List.of("basic realm=\"Registry Realm\"")).scheme());
    assertNull(Challenge.pick(List.of()));
  }

  @Test
  void debugLinesRedactSecrets() {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("Authorization", List.of("Bearer eyJsecret"));
    h.put("Cookie", List.of("session=abc; Path=/"));
    h.put("Set-Cookie", List.of("a=one; Path=/", "b=two"));
    h.put("Accept", List.of("x"));
    h.put("Proxy-Authorization", List.of("Basic cHJveHk6cHc="));
    String line = DebugLog.headers(h, null);
    assertFalse(
        line.contains("eyJsecret")
            || line.contains("cHJveHk6cHc=")
            || line.contains("abc")
            || line.contains("one")
            || line.contains("two"),
        line);
    assertTrue(line.contains("Authorization: Bearer <redacted>"), line);
    assertTrue(line.contains("Accept: x"), line);
    String url =
        DebugLog.redact(URI.create("https://u:p@auth.example/token?refresh_token=r1&scope=s"));
    assertFalse(url.contains("r1") || url.contains("u:p"), url);
    assertEquals("https://auth.example/token?refresh_token=<redacted>&scope=s", url);
    String presigned =
        DebugLog.redact(
            URI.create(
                "https://b.s3.example/blob?X-Amz-Credential=AKID%2F1&X-Amz-Signature=f00d"
                    + "&X-Amz-Security-Token=tok&X-Amz-Expires=60"));
    assertEquals(
        "https://b.s3.example/blob?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>"
            + "&X-Amz-Security-Token=<redacted>&X-Amz-Expires=60",
        presigned);
  }

  @Test
  void retryAfterTakesSecondsAndDatesAndBackoffIsBounded() {
    assertEquals(Duration.ofSeconds(7), Retry.parseRetryAfter("7"));
    assertNull(Retry.parseRetryAfter("soon"));
    assertEquals(Duration.ZERO, Retry.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
    Retry retry = new Retry(null, Settings.defaults(), Duration.ofSeconds(60), null);
    for (int attempt = 1; attempt < 40; attempt++) {
      assertTrue(retry.backoff(attempt).compareTo(Settings.defaults().maxBackoff()) <= 0);
    }
    assertTrue(Retry.retryableStatus(503) && Retry.retryableStatus(429));
    assertFalse(Retry.retryableStatus(501) || Retry.retryableStatus(404));
  }

  @Test
  void linkHeadersWithOtherRelationsAreNotFollowed() {
    URI page = URI.create("https://r.example/v2/a/tags/list?n=2");
    assertNull(
        DistributionBackend.nextPage(
            page, page, List.of("</v2/a/tags/list?last=b>; rel=\"prev\"")));
    assertEquals(
        "https://r.example/v2/a/tags/list?last=b&n=2",
        DistributionBackend.nextPage(
                page,
                page,
                List.of("<https://x/>; rel=\"prev\", </v2/a/tags/list?last=b&n=2>; rel=\"next\""))
            .toString());
  }

  @Test
  void aQueryOnlyNextLinkKeepsThePathAndOtherOriginsAreRefused() {
    URI page = URI.create("https://r.example/v2/a/tags/list?n=2");
    assertEquals(
        "https://r.example/v2/a/tags/list?last=b&n=2",
        DistributionBackend.nextPage(page, page, List.of("<?last=b&n=2>; rel=\"next\""))
            .toString());
    for (String elsewhere :
        List.of(
            "<https://evil.example/v2/a/tags/list?last=b>",
            "<http://r.example/v2/a/tags/list?last=b>",
            "<ftp://r.example/list>",
            "<mailto:x@r.example>")) {
      OcitagException e =
          assertThrows(
              OcitagException.Failed.class,
              () ->
                  DistributionBackend.nextPage(page, page, List.of(elsewhere + "; rel=\"next\"")));
      assertTrue(e.getMessage().contains("not following"), e.getMessage());
    }
    // a page that a redirect had answered from elsewhere: its next page must still be ours
    URI redirected = URI.create("https://cdn.example/v2/a/tags/list?n=2");
    OcitagException e =
        assertThrows(
            OcitagException.Failed.class,
            () ->
                DistributionBackend.nextPage(
                    page, redirected, List.of("</v2/a/tags/list?last=b>; rel=\"next\"")));
    assertTrue(e.getMessage().contains("not on r.example"), e.getMessage());
    // the plain-HTTP fallback of a loopback registry: the page was asked over https
    URI asked = URI.create("https://127.0.0.1:5000/v2/a/tags/list");
    URI answered = URI.create("http://127.0.0.1:5000/v2/a/tags/list");
    assertEquals(
        "http://127.0.0.1:5000/v2/a/tags/list?last=b",
        DistributionBackend.nextPage(
                asked,
                answered,
                List.of("<http://127.0.0.1:5000/v2/a/tags/list?last=b>; rel=\"next\""))
            .toString());
  }

  @Test
  void theProviderIsFoundAndLoadsWithCoreAlone() throws Exception {
    assertTrue(
        ServiceLoader.load(TagBackendProvider.class).stream()
            .anyMatch(p -> p.type() == DistributionBackendProvider.class));
    // a class loader that sees this module and core only
    URL module =
        DistributionBackendProvider.class.getProtectionDomain().getCodeSource().getLocation();
    URL core = ImageRef.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader isolated =
        new URLClassLoader(new URL[] {module, core}, ClassLoader.getPlatformClassLoader())) {
      Class<?> provider = isolated.loadClass(DistributionBackendProvider.class.getName());
      Object instance = provider.getConstructor().newInstance();
      Object transport = provider.getMethod("transport").invoke(instance);
      assertEquals("docker", transport.toString());
    }
  }
}
