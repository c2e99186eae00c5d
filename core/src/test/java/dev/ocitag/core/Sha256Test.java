package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our SHA-256 against the standard's vectors and against the JDK's, length by length. */
class Sha256Test {

  private static String hex(String text) {
    return HexFormat.of().formatHex(Sha256.hash(text.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void theStandardsTestVectors() {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf")
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(""));
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex("abc"));
    assertEquals(
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    assertEquals(
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        hex("a".repeat(1_000_000)));
  }

  @Test
  void agreesWithTheJdkOnEveryLengthAroundTheBlockBoundaries() throws Exception {
    Random random = new Random(42);
    MessageDigest jdk = MessageDigest.getInstance("SHA-256");
    for (int length = 0; length <= 300; length++) {
      byte[] data = new byte[length];
      random.nextBytes(data);
      assertArrayEquals(jdk.digest(data), Sha256.hash(data), "length " + length);
    }
    byte[] large = new byte[4 * 1024 * 1024 + 7];
    random.nextBytes(large);
    assertArrayEquals(jdk.digest(large), Sha256.hash(large), "4 MiB + 7");
  }

  @Test
  void digestsUseIt() {
    byte[] data = "{\"schemaVersion\":2}\n".getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.of(data);
    assertEquals(HexFormat.of().formatHex(Sha256.hash(data)), d.hex());
    assertEquals(true, d.matches(data));
    assertEquals(false, d.matches("{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8)));
  }
}
