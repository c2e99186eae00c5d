package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.Fuzzing;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Timeout;

/**
 * What a registry says in headers, on any text: {@code WWW-Authenticate} challenges and the {@code
 * Link} header of a tag list's pages. Either is read into what the backend acts on, or refused in
 * one of the documented kinds; what is acted on can be requested. An input is one header value per
 * line. The corpus is {@code
 * src/test/resources/dev/ocitag/distribution/RegistryHeadersFuzzTestInputs} (README, "Fuzzing").
 */
class RegistryHeadersFuzzTest {
  private static final URI TAGS = URI.create("https://registry.example/v2/team/app/tags/list?n=50");

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void wwwAuthenticate(byte[] input) {
    List<String> values = lines(input);
    List<Challenge> parsed = new ArrayList<>();
    for (String value : values) {
      Challenge c = Challenge.parse(value);
      if (c == null) {
        assertTrue(value.strip().isEmpty(), value);
        continue;
      }
      assertFalse(c.scheme().isEmpty());
      assertEquals(c.scheme().toLowerCase(Locale.ROOT), c.scheme());
      assertFalse(c.scheme().contains(" "), c.scheme());
      for (Map.Entry<String, String> p : c.params().entrySet()) {
        assertEquals(p.getKey().toLowerCase(Locale.ROOT), p.getKey());
        assertEquals(p.getValue().strip(), p.getValue());
      }
      parsed.add(c);
      String realm = c.param("realm");
      if (realm != null) {
        URI url = RegistryAuth.parseRealm(realm);
        if (url != null) { // a realm taken is one the token request goes to, or says it cannot
          try {
            assertNotNull(OkHttpTransport.httpUrl(url));
          } catch (RuntimeException e) {
            Fuzzing.expect(e, OcitagException.Failed.class);
          }
        }
      }
    }
    Challenge picked = Challenge.pick(values);
    Challenge bearer =
        parsed.stream().filter(c -> c.scheme().equals("bearer")).findFirst().orElse(null);
    Challenge basic =
        parsed.stream().filter(c -> c.scheme().equals("basic")).findFirst().orElse(null);
    if (bearer != null) {
      assertEquals(bearer, picked, "the first Bearer challenge");
    } else if (basic != null) {
      assertEquals(basic, picked, "else the first Basic one");
    } else if (parsed.isEmpty()) {
      assertNull(picked);
    } else {
      assertEquals(parsed.get(0), picked);
    }
  }

  /**
   * The next page of a tag list: the tag list's URL the registry answered from on the first line
   * (else a default), then the Link header values.
   */
  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void link(byte[] input) {
    URI page = pageOrDefault(Fuzzing.firstLine(input));
    List<String> links = lines(Fuzzing.afterFirstLine(input));
    URI next;
    try {
      next = DistributionBackend.nextPage(page, page, links);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.Failed.class);
      return;
    }
    if (next == null) {
      return;
    }
    assertEquals(
        page.getScheme().toLowerCase(Locale.ROOT), next.getScheme().toLowerCase(Locale.ROOT));
    assertTrue(page.getRawAuthority().equalsIgnoreCase(next.getRawAuthority()), next::toString);
    assertNotNull(HttpUrl.parse(next.toString()), () -> "not a URL to request: " + next);
    assertNotNull(DistributionBackend.repositoryOf(next), next::toString);
    assertSame(null, DistributionBackend.nextPage(page, next, List.of()));
  }

  private static URI pageOrDefault(String line) {
    try {
      URI uri = new URI(line);
      if (("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
          && uri.getHost() != null
          && uri.getRawPath().matches("/v2/.+/tags/list") // what the backend asks
          && HttpUrl.parse(line) != null) {
        return uri;
      }
    } catch (java.net.URISyntaxException e) {
      // the default page
    }
    return TAGS;
  }

  private static List<String> lines(byte[] input) {
    return List.of(new String(input, StandardCharsets.UTF_8).split("\n", -1));
  }
}
