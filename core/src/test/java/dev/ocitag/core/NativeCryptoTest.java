package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BoringSSL's digests as blobs are hashed with them: loaded on the platforms Conscrypt ships it for
 * (this test's CI machine is one: Linux x86-64 with glibc), off when told, and hashing as {@code
 * sha256sum} and {@code sha512sum} do, fed in uneven pieces.
 */
class NativeCryptoTest {
  @TempDir Path temp;

  @Test
  void loadedOnLinuxAndMacOsAndOffWhenTold() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    boolean shipped =
        (os.startsWith("linux") || os.startsWith("mac"))
            && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
    if (shipped) {
      assertNotNull(NativeCrypto.provider(), "Conscrypt ships BoringSSL for " + os + "/" + arch);
      assertEquals("Conscrypt", NativeCrypto.provider().getName());
      assertSame(NativeCrypto.provider(), NativeCrypto.hasher("SHA-256").getProvider());
      assertSame(
          NativeCrypto.provider(), new Digest("sha512", "0".repeat(128)).hasher().getProvider());
    }
    assertNull(NativeCrypto.load("false"));
    assertNull(NativeCrypto.load("FALSE"));
  }

  @Test
  void hashesAsSha256sumAndSha512sum() throws Exception {
    byte[] bytes = new byte[(1 << 20) + 7];
    new Random(11).nextBytes(bytes);
    Path file = temp.resolve("blob");
    Files.write(file, bytes);
    assertEquals(
        external("sha256sum", file), hex(hashInPieces(NativeCrypto.hasher("SHA-256"), bytes)));
    assertEquals(
        external("sha512sum", file), hex(hashInPieces(NativeCrypto.hasher("SHA-512"), bytes)));
    // the empty blob, and FIPS 180-2's "abc"
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        hex(NativeCrypto.hasher("SHA-256").digest()));
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        hex(NativeCrypto.hasher("SHA-256").digest("abc".getBytes(StandardCharsets.US_ASCII))));
  }

  private static byte[] hashInPieces(MessageDigest hash, byte[] bytes) {
    int[] pieces = {1, 63, 65, 8191, 64 * 1024};
    int at = 0;
    for (int i = 0; at < bytes.length; i++) {
      int n = Math.min(pieces[i % pieces.length], bytes.length - at);
      hash.update(bytes, at, n);
      at += n;
    }
    return hash.digest();
  }

  private static String hex(byte[] hash) {
    return HexFormat.of().formatHex(hash);
  }

  private static String external(String tool, Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(tool, file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    return out.substring(0, out.indexOf(' '));
  }
}
