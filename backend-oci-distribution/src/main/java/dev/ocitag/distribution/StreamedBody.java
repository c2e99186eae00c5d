package dev.ocitag.distribution;

import dev.ocitag.core.NativeCrypto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A request body read once from a stream, never held whole: exactly {@link #length()} bytes are
 * read from the source, hashed and counted as they pass on to the connection. It can be sent once
 * only, so once it has {@link #started()} no layer of the request path sends its request again.
 *
 * <p>With an expected digest, the last chunk is held back until the bytes read hash to it: when
 * they do not ({@link #mismatch()}), the body breaks off short of its announced length, so the
 * request that carries it (an upload's committing PUT) cannot complete, and nothing is stored.
 *
 * <p>What went wrong on the way is kept apart: the source failing ({@link #sourceFailure()}) or
 * ending early ({@link #sourceEnded()}) is not the connection's fault, and the caller reports it as
 * such.
 */
final class StreamedBody {
  private static final int CHUNK = 64 * 1024;

  private final InputStream source;
  private final long length;
  private final MessageDigest hash;
  private final String expected;
  private volatile String computed;
  private volatile boolean mismatch;
  private volatile boolean started;
  private volatile long read;
  private volatile IOException sourceFailure;
  private volatile boolean sourceEnded;

  /**
   * @param algorithm the digest algorithm as the OCI spec names it: sha256 or sha512
   * @param expected {@code algorithm:hex} the bytes must hash to before the last of them is sent,
   *     or null to send them all unchecked
   */
  StreamedBody(InputStream source, long length, String algorithm, String expected) {
    if (length < 0) {
      throw new IllegalArgumentException("negative length " + length);
    }
    this.source = source;
    this.length = length;
    this.expected = expected;
    this.hash = NativeCrypto.hasher(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
  }

  long length() {
    return length;
  }

  /** Whether reading the source has begun: its bytes cannot be sent a second time. */
  boolean started() {
    return started;
  }

  /** How many bytes were read from the source (and hashed) so far. */
  long read() {
    return read;
  }

  /** The source's own failure while it was read, or null. */
  IOException sourceFailure() {
    return sourceFailure;
  }

  /** Whether the source ended before {@link #length()} bytes. */
  boolean sourceEnded() {
    return sourceEnded;
  }

  /** The digest the bytes must hash to, or null. */
  String expected() {
    return expected;
  }

  /** Whether the bytes read did not hash to the expected digest, so the body broke off. */
  boolean mismatch() {
    return mismatch;
  }

  /** {@code algorithm:hex} of the bytes read; after the body was sent, or broke off. */
  String digest() {
    if (computed == null) {
      String algorithm = hash.getAlgorithm().equals("SHA-512") ? "sha512" : "sha256";
      computed = algorithm + ":" + HexFormat.of().formatHex(hash.digest());
    }
    return computed;
  }

  /** Before the last bytes go out: the bytes read must hash to the expected digest. */
  private void check() throws IOException {
    if (expected != null && !digest().equals(expected)) {
      mismatch = true;
      throw new IOException(
          "the " + read + " bytes read hash to " + computed + ", not to " + expected);
    }
  }

  /**
   * Copies the source to {@code out} in chunks, hashing them; only once. With an expected digest
   * that the bytes do not hash to, it throws before the last chunk is written.
   */
  void writeTo(OutputStream out) throws IOException {
    if (started) {
      throw new IOException("a streamed body is sent once only");
    }
    started = true;
    if (length == 0) {
      check();
      return;
    }
    byte[] chunk = new byte[CHUNK];
    while (read < length) {
      int n;
      try {
        n = source.read(chunk, 0, (int) Math.min(chunk.length, length - read));
      } catch (IOException e) {
        sourceFailure = e;
        throw e;
      }
      if (n < 0) {
        sourceEnded = true;
        throw new IOException("the source ended after " + read + " of " + length + " bytes");
      }
      hash.update(chunk, 0, n);
      read += n;
      if (read == length) {
        check(); // the last chunk goes out only if the bytes are the blob
      }
      out.write(chunk, 0, n);
    }
  }
}
