package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestTest {
  @Test
  void sha256OfKnownInputs() {
    assertEquals(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Digest.of(new byte[0]).toString());
    assertEquals(
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        Digest.of("hello".getBytes(StandardCharsets.UTF_8)).toString());
  }

  @Test
  void matchesHashesWithItsOwnAlgorithm() {
    byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
    Digest sha512 =
        Digest.parse(
            "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
                + "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043");
    assertTrue(sha512.matches(hello));
    assertFalse(sha512.matches(new byte[0]));
    assertTrue(Digest.of(hello).matches(hello));
  }

  @Test
  void rejectsWhatIsNotADigest() {
    for (String bad :
        new String[] {
          "",
          "sha256",
          "sha256:",
          ":abc",
          "sha256:xyz",
          "md5:d41d8cd98f00b204e9800998ecf8427e",
          "SHA256:" + "a".repeat(64),
          "sha256:" + "A".repeat(64),
          "sha256:" + "a".repeat(63) + "g",
          "sha256:" + "a".repeat(63)
        }) {
      assertThrows(OcitagException.InvalidInput.class, () -> Digest.parse(bad), bad);
    }
    assertEquals(
        "invalid digest ':abc': want algorithm:hex, e.g. sha256:<64 hex>",
        assertThrows(OcitagException.InvalidInput.class, () -> Digest.parse(":abc")).getMessage());
    assertEquals(
        "invalid sha256 digest 'sha256:" + "A".repeat(64) + "': want 64 lower-case hex characters",
        assertThrows(
                OcitagException.InvalidInput.class, () -> Digest.parse("sha256:" + "A".repeat(64)))
            .getMessage());
  }

  @Test
  void equalDigestsHashAlikeAndOthersApart() {
    Digest a = Digest.of(new byte[] {1});
    assertEquals(Digest.parse(a.toString()).hashCode(), a.hashCode());
    assertNotEquals(a.hashCode(), Digest.of(new byte[] {2}).hashCode());
  }
}
