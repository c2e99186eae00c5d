package dev.ocitag.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A content digest {@code algorithm:hex}, as in the OCI image-spec. Only sha256 and sha512. */
public record Digest(String algorithm, String hex) {

  public Digest {
    int expected =
        switch (algorithm) {
          case "sha256" -> 64;
          case "sha512" -> 128;
          default ->
              throw new OcitagException.InvalidInput(
                  "unsupported digest algorithm '" + algorithm + "' (sha256 or sha512)");
        };
    if (hex.length() != expected || !hex.chars().allMatch(Digest::isLowerHex)) {
      throw new OcitagException.InvalidInput(
          "invalid "
              + algorithm
              + " digest '"
              + algorithm
              + ":"
              + hex
              + "': want "
              + expected
              + " lower-case hex characters");
    }
  }

  private static boolean isLowerHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  /** Parses {@code sha256:<64 hex>} or {@code sha512:<128 hex>}. */
  public static Digest parse(String text) {
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new OcitagException.InvalidInput(
          "invalid digest '" + text + "': want algorithm:hex, e.g. sha256:<64 hex>");
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  /** The sha256 digest of these exact bytes. */
  public static Digest of(byte[] bytes) {
    return new Digest("sha256", HexFormat.of().formatHex(hash("SHA-256", bytes)));
  }

  /** Hashes these bytes with this digest's algorithm and tells whether they match. */
  public boolean matches(byte[] bytes) {
    byte[] hash = hash(algorithm.equals("sha256") ? "SHA-256" : "SHA-512", bytes);
    return hex.equals(HexFormat.of().formatHex(hash));
  }

  /**
   * A new {@link MessageDigest} of this digest's algorithm, for hashing a blob as it streams:
   * BoringSSL's where available ({@link NativeCrypto}), else the JDK's.
   */
  public MessageDigest hasher() {
    return NativeCrypto.hasher(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
  }

  private static byte[] hash(String algorithm, byte[] bytes) {
    try {
      return MessageDigest.getInstance(algorithm).digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + algorithm, e);
    }
  }

  // by hand, as in ImageRef: no ObjectMethods bootstrap at start-up
  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && algorithm.equals(d.algorithm) && hex.equals(d.hex);
  }

  @Override
  public int hashCode() {
    return 31 * algorithm.hashCode() + hex.hashCode();
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
