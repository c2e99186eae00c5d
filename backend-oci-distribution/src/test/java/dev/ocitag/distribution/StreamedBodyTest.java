package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The check that makes a one-request upload safe: the last chunk of a body goes out only when the
 * bytes read hash to the blob's digest, so a registry never receives a whole body of wrong bytes.
 */
class StreamedBodyTest {
  private static final int CHUNK = 64 * 1024;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void bytesThatAreTheBlobAllGoOut() throws IOException {
    byte[] blob = random(3 * CHUNK + 17, 1);
    StreamedBody body =
        new StreamedBody(
            new ByteArrayInputStream(blob), blob.length, "sha256", Digest.of(blob).toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    body.writeTo(out);

    assertArrayEquals(blob, out.toByteArray());
    assertFalse(body.mismatch());
    assertEquals(Digest.of(blob).toString(), body.digest());
  }

  @Test
  void wrongBytesBreakOffBeforeTheLastChunk() {
    byte[] blob = random(3 * CHUNK + 17, 2);
    byte[] wrong = blob.clone();
    wrong[wrong.length - 1] ^= 1; // only the very last byte differs
    StreamedBody body =
        new StreamedBody(
            new ByteArrayInputStream(wrong), blob.length, "sha256", Digest.of(blob).toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    IOException e = assertThrows(IOException.class, () -> body.writeTo(out));

    assertTrue(body.mismatch());
    assertEquals(Digest.of(wrong).toString(), body.digest());
    assertTrue(e.getMessage().contains(Digest.of(blob).toString()), e.getMessage());
    assertEquals(3 * CHUNK, out.size(), "the last chunk was held back");
    assertArrayEquals(Arrays.copyOf(wrong, 3 * CHUNK), out.toByteArray());
  }

  @Test
  void anEmptyBodyIsCheckedToo() {
    byte[] blob = random(10, 3);
    StreamedBody body =
        new StreamedBody(
            new ByteArrayInputStream(new byte[0]), 0, "sha256", Digest.of(blob).toString());

    assertThrows(IOException.class, () -> body.writeTo(new ByteArrayOutputStream()));
    assertTrue(body.mismatch());
  }

  @Test
  void aSourceThatEndsEarlyIsToldApartFromAMismatch() {
    byte[] blob = random(2 * CHUNK, 4);
    StreamedBody body =
        new StreamedBody(
            new ByteArrayInputStream(blob, 0, CHUNK),
            blob.length,
            "sha256",
            Digest.of(blob).toString());

    assertThrows(IOException.class, () -> body.writeTo(new ByteArrayOutputStream()));
    assertTrue(body.sourceEnded());
    assertFalse(body.mismatch());
  }
}
