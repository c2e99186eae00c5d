package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code WWW-Authenticate} as registries write it, and as some write it loosely. */
class ChallengeTest {

  @Test
  void quotedValuesKeepCommasAndEscapedQuotesAndUnquotedOnesEndAtACommaAndKeysAreLowerCase() {
    Challenge c =
        Challenge.parse(
            "Bearer REALM=\"https://a.example/t?x=1,2\",Service = reg.example , "
                + "scope=\"repository:a:pull\\\"x\\\\\"");
    assertEquals("bearer", c.scheme());
    assertEquals(
        Map.of(
            "realm", "https://a.example/t?x=1,2",
            "service", "reg.example",
            "scope", "repository:a:pull\"x\\"),
        c.params());
  }

  @Test
  void whatIsLeftOpenEndsTheHeader() {
    assertEquals(
        "https://a.example/t",
        Challenge.parse("Bearer realm=\"https://a.example/t").param("realm"));
    assertEquals(Map.of("realm", "x"), Challenge.parse("Bearer realm=x,service").params());
    assertEquals(Map.of(), Challenge.parse("Basic").params());
    assertEquals("basic", Challenge.parse("  Basic  ").scheme());
    assertNull(Challenge.parse("   "));
    assertEquals(Map.of("realm", ""), Challenge.parse("Bearer realm=").params());
  }

  @Test
  void theFirstBearerIsPickedElseTheFirstBasicElseTheFirstOfAnyScheme() {
    assertEquals(
        "b1",
        Challenge.pick(List.of("Basic realm=a1", "Bearer realm=b1", "Bearer realm=b2"))
            .param("realm"));
    assertEquals(
        "a1",
        Challenge.pick(List.of("Negotiate x=n", "Basic realm=a1", "Basic realm=a2"))
            .param("realm"));
    assertEquals("n1", Challenge.pick(List.of("", "Negotiate x=n1", "NTLM x=n2")).param("x"));
    assertNull(Challenge.pick(List.of("", " ")));
  }
}
