package dev.ocitag.core;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.conscrypt.Conscrypt;

/**
 * BoringSSL (through Conscrypt) for the bytes of blobs: their TLS and their digests, where this
 * platform has it (Linux and macOS on x86-64 and ARM64, Windows on x86-64, as Conscrypt ships it).
 *
 * <p>The JDK's own AES-GCM and SHA-256 reach their speed only once C2 has compiled them, which on a
 * two-core machine costs seconds of CPU per promotion and leaves the registries short of it;
 * through C1 alone they run at 10-40 MB/s. BoringSSL's run at full speed from the first byte, so a
 * promotion needs no C2 at all. Manifests, tokens and the rest stay on the JDK's TLS: a retag does
 * not load the native library (0.15-0.2 s on a two-core machine, unpacking it from the jar
 * included).
 *
 * <p>Loaded on first use (or ahead, {@link #warmUp()}). Where it cannot load (another platform, a
 * directory to unpack it into that cannot hold executables) or {@code -Docitag.nativeCrypto=false}
 * is set, the JDK's serve.
 */
public final class NativeCrypto {
  /** The system property that turns it off ({@code false}). */
  public static final String PROPERTY = "ocitag.nativeCrypto";

  private NativeCrypto() {}

  private static final class Loaded {
    static final Provider PROVIDER = load(System.getProperty(PROPERTY));
  }

  /** Conscrypt's provider unless {@code setting} (the property's value) is false or it fails. */
  static Provider load(String setting) {
    if ("false".equalsIgnoreCase(setting)) {
      return null;
    }
    try {
      return Conscrypt.isAvailable() ? Conscrypt.newProvider() : null;
    } catch (LinkageError | RuntimeException e) {
      return null; // no library for this platform, or it would not load: the JDK's serve
    }
  }

  private static final AtomicBoolean WARMING = new AtomicBoolean();

  /**
   * Loads BoringSSL and Conscrypt's TLS classes on a daemon thread, once: a run that will stream
   * blobs calls it at its start, so that the ~0.2-0.4 s this takes on a small machine passes while
   * the manifests' first round trips wait on the network instead of before the first blob moves.
   */
  public static void warmUp() {
    if (!WARMING.compareAndSet(false, true)) {
      return;
    }
    Thread warm = new Thread(NativeCrypto::load, "ocitag-native-crypto");
    warm.setDaemon(true);
    warm.start();
  }

  private static void load() {
    Provider p = provider();
    if (p == null) {
      return;
    }
    try { // the classes of a TLS client socket and of a digest; nothing is connected or trusted
      SSLContext context = SSLContext.getInstance("TLS", p);
      context.init(null, new TrustManager[] {new TrustNothing()}, null);
      context.getSocketFactory().createSocket().close();
      MessageDigest.getInstance("SHA-256", p).digest();
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      // only a warm-up: the run meets the same failure where it matters, and reports it there
    }
  }

  /** A trust manager for the warm-up's context, which never connects. */
  private static final class TrustNothing implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("not used");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("not used");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Conscrypt's provider, loaded on the first call; null where it is not available. */
  public static Provider provider() {
    return Loaded.PROVIDER;
  }

  /**
   * A new {@link MessageDigest} for a JCA algorithm name ({@code SHA-256}, {@code SHA-512}):
   * BoringSSL's where available, else the JDK's. For hashing blobs as they stream.
   */
  public static MessageDigest hasher(String algorithm) {
    Provider p = provider();
    try {
      if (p != null) {
        try {
          return MessageDigest.getInstance(algorithm, p);
        } catch (NoSuchAlgorithmException notThere) {
          // the JDK's below
        }
      }
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + algorithm, e);
    }
  }
}
