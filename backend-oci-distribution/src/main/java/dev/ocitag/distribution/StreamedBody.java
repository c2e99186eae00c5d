package dev.ocitag.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A request body read once from a stream, never held whole: exactly {@link #length()} bytes are
 * read from the source, hashed and counted as they pass on to the connection. It can be sent once
 * only, so once it has {@link #started()} no layer of the request path sends its request again.
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
  private volatile boolean started;
  private volatile long read;
  private volatile IOException sourceFailure;
  private volatile boolean sourceEnded;

  /**
   * @param algorithm the digest algorithm as the OCI spec names it: sha256 or sha512
   */
  StreamedBody(InputStream source, long length, String algorithm) {
    if (length < 0) {
      throw new IllegalArgumentException("negative length " + length);
    }
    this.source = source;
    this.length = length;
    try {
      this.hash = MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + algorithm, e);
    }
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

  /** {@code algorithm:hex} of the bytes read; call once, after the body was sent. */
  String digest() {
    String algorithm = hash.getAlgorithm().equals("SHA-512") ? "sha512" : "sha256";
    return algorithm + ":" + HexFormat.of().formatHex(hash.digest());
  }

  /** Copies the source to {@code out} in chunks, hashing them; only once. */
  void writeTo(OutputStream out) throws IOException {
    if (started) {
      throw new IOException("a streamed body is sent once only");
    }
    started = true;
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
      out.write(chunk, 0, n);
    }
  }
}
