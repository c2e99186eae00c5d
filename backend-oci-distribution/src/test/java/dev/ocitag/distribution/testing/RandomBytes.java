package dev.ocitag.distribution.testing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * {@code length} pseudo-random bytes from a seed, made as they are read: a blob of any size that no
 * one holds in memory, the same bytes each time for the same seed.
 */
public final class RandomBytes extends InputStream {
  private static final int CHUNK = 64 * 1024;

  private final SplittableRandom random;
  private final long length;
  private final byte[] chunk = new byte[CHUNK];
  private int inChunk = CHUNK;
  private long served;

  public RandomBytes(long seed, long length) {
    this.random = new SplittableRandom(seed);
    this.length = length;
  }

  /** {@code sha256:<hex>} of the stream of this seed and length. */
  public static String sha256(long seed, long length) throws IOException {
    try (RandomBytes in = new RandomBytes(seed, length)) {
      MessageDigest hash = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        hash.update(buffer, 0, n);
      }
      return "sha256:" + HexFormat.of().formatHex(hash.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int offset, int count) {
    if (served >= length) {
      return -1;
    }
    if (inChunk == CHUNK) {
      random.nextBytes(chunk); // always whole chunks: the sequence depends on the seed alone
      inChunk = 0;
    }
    int n = (int) Math.min(Math.min(count, CHUNK - inChunk), length - served);
    System.arraycopy(chunk, inChunk, buffer, offset, n);
    inChunk += n;
    served += n;
    return n;
  }
}
