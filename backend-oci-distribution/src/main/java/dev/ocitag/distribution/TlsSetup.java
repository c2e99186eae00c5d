package dev.ocitag.distribution;

import dev.ocitag.core.NativeCrypto;
import dev.ocitag.core.OcitagException;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What TLS trusts and presents for one registry. Trusted: the platform's CAs, plus those of {@code
 * --ca-file} and of docker's {@code certs.d} directory for the registry ({@code
 * /etc/docker/certs.d/HOST[:PORT]/*.crt}; also {@code /etc/containers/certs.d} and {@code
 * ~/.config/containers/certs.d} as podman and skopeo read them). Presented, when the registry asks:
 * the {@code *.cert} and matching {@code *.key} found there (mutual TLS). {@code --insecure} trusts
 * any certificate and host name.
 *
 * <p>Nothing costly happens before a TLS connection is made: the {@link SSLContext} is built on the
 * first one, and the platform's trust store (the JDK's {@code cacerts}) is read only when a
 * certificate has to be checked and the extra CAs did not vouch for it. A loopback registry that
 * turns out to speak plain HTTP thus costs no trust store.
 */
final class TlsSetup {
  /** Where certs.d directories are looked for unless {@code OCITAG_CERTS_D} says otherwise. */
  static final String CERTS_D_VARIABLE = "OCITAG_CERTS_D";

  /** How long a loopback registry not tried yet has to answer a TLS handshake. */
  static final Duration PROBE = Duration.ofSeconds(2);

  /** The platform's CAs alone: the process's shared client starts from it. */
  static final TlsSetup PLATFORM = new TlsSetup(false, List.of(), null, null, List.of());

  private final boolean insecure;
  private final List<X509Certificate> extraCas;
  private final ClientIdentity identity;
  private final Path certsDirHint;
  private final List<Path> read;
  private final X509ExtendedTrustManager trust;
  private final LazySocketFactory socketFactory;
  private final LazySocketFactory streamSocketFactory;

  private TlsSetup(
      boolean insecure,
      List<X509Certificate> extraCas,
      ClientIdentity identity,
      Path certsDirHint,
      List<Path> read) {
    this.insecure = insecure;
    this.extraCas = extraCas;
    this.identity = identity;
    this.certsDirHint = certsDirHint;
    this.read = read;
    this.trust = insecure ? new TrustEverything() : new LazyTrust(extraCas);
    this.socketFactory = new LazySocketFactory(this, false);
    this.streamSocketFactory = new LazySocketFactory(this, true);
  }

  /**
   * The TLS of a registry at {@code hostDirs} (its certs.d directory names: {@code host[:port]} as
   * requests name it, then as the reference does, when they differ).
   */
  static TlsSetup of(
      List<String> hostDirs, boolean insecure, Path caFile, Map<String, String> env) {
    List<X509Certificate> cas = new ArrayList<>();
    List<Path> read = new ArrayList<>();
    if (caFile != null) {
      if (!Files.isRegularFile(caFile)) {
        throw new OcitagException.InvalidInput("--ca-file " + caFile + ": no such file");
      }
      cas.addAll(Pem.certificates(caFile));
      read.add(caFile);
    }
    List<Path> roots = certsRoots(env);
    ClientIdentity identity = null;
    for (Path root : roots) {
      for (String host : hostDirs) {
        Path dir = root.resolve(host);
        if (!Files.isDirectory(dir)) {
          continue;
        }
        TreeSet<Path> files = new TreeSet<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
          list.forEach(files::add);
        } catch (IOException e) {
          throw new OcitagException.InvalidInput("cannot read " + dir + ": " + e.getMessage());
        }
        for (Path file : files) {
          String name = file.getFileName().toString();
          if (name.endsWith(".crt")) {
            cas.addAll(Pem.certificates(file));
            read.add(file);
          } else if (name.endsWith(".cert") && identity == null) {
            Path key = dir.resolve(name.substring(0, name.length() - 5) + ".key");
            if (!Files.isRegularFile(key)) {
              throw new OcitagException.InvalidInput(
                  "client certificate " + file + " has no key " + key.getFileName() + " beside it");
            }
            List<X509Certificate> chain = Pem.certificates(file);
            identity =
                new ClientIdentity(Pem.privateKey(key), chain.toArray(new X509Certificate[0]));
            read.add(file);
            read.add(key);
          }
        }
      }
    }
    Path hint = roots.isEmpty() ? null : roots.get(0).resolve(hostDirs.get(0));
    return new TlsSetup(insecure, List.copyOf(cas), identity, hint, List.copyOf(read));
  }

  /**
   * {@code OCITAG_CERTS_D} (directories separated by ':'), else docker's, the system's and the
   * user's containers directories.
   */
  static List<Path> certsRoots(Map<String, String> env) {
    String override = env.get(CERTS_D_VARIABLE);
    List<Path> roots = new ArrayList<>();
    if (override != null) {
      for (String dir : override.split(":")) {
        if (!dir.isBlank()) {
          roots.add(Path.of(dir));
        }
      }
      return roots;
    }
    roots.add(Path.of("/etc/docker/certs.d"));
    roots.add(Path.of("/etc/containers/certs.d"));
    String home = env.get("HOME");
    if (home != null && !home.isBlank()) {
      roots.add(Path.of(home, ".config", "containers", "certs.d"));
    }
    return roots;
  }

  SSLSocketFactory socketFactory() {
    return socketFactory;
  }

  /**
   * The TLS of blob streams: BoringSSL's ({@link NativeCrypto}) where available, which encrypts and
   * decrypts at full speed without C2; else the JDK's, as {@link #socketFactory()}. It trusts and
   * presents the same.
   */
  SSLSocketFactory streamSocketFactory() {
    return streamSocketFactory;
  }

  /** Whether blob streams' TLS is BoringSSL's (built on first use), for --debug and tests. */
  boolean streamsUseNativeTls() {
    return NativeCrypto.provider() != null;
  }

  X509ExtendedTrustManager trustManager() {
    return trust;
  }

  /** Accepts any host name with {@code --insecure}; null for OkHttp's own check. */
  HostnameVerifier hostnameVerifier() {
    return insecure ? (host, session) -> true : null;
  }

  /** The files read, for {@code --debug}. */
  List<Path> filesRead() {
    return read;
  }

  boolean presentsClientCertificate() {
    return identity != null;
  }

  /** Whether the platform's trust store (cacerts) has been read. */
  boolean platformTrustLoaded() {
    return trust instanceof LazyTrust lazy && lazy.platformLoaded();
  }

  /** The ways out of a certificate failure, for its one-line message. */
  String remedies() {
    return "to trust the registry's CA pass --ca-file PEM"
        + (certsDirHint == null ? "" : " or put it in " + certsDirHint.resolve("ca.crt"))
        + "; to skip verification pass --insecure";
  }

  /**
   * Whether a handshake failed because the server answered something that is not TLS (a plain HTTP
   * answer, or the connection closed before any TLS record came back), rather than because of its
   * certificate or a TLS alert.
   */
  static boolean serverSpokePlainText(SSLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NoTlsAnswer) {
        return true;
      }
      if (t instanceof CertificateException || t instanceof SSLPeerUnverifiedException) {
        return false;
      }
      String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (message.contains("alert")) {
        return false; // the server spoke TLS to say no
      }
      if (message.contains("unrecognized ssl message")
          || message.contains("plaintext connection")
          || message.contains("remote host terminated the handshake")
          || t instanceof EOFException
          || t instanceof SocketException) {
        return true;
      }
    }
    return false;
  }

  /** Why a handshake failed, in a few words: the JDK's own are long and name its internals. */
  static String reason(SSLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("unable to find valid certification path")) {
        return "its certificate is signed by no CA ocitag trusts";
      }
      if (t instanceof CertificateExpiredException) {
        return "its certificate has expired";
      }
      if (t instanceof SSLPeerUnverifiedException && m.startsWith("Hostname ")) {
        int colon = m.indexOf(':');
        return colon > 0 ? m.substring(0, colon) : m; // "Hostname x not verified"
      }
    }
    return String.valueOf(e.getMessage());
  }

  /** A TLS handshake the server did not answer in time (see {@link #PROBE}). */
  static final class NoTlsAnswer extends SSLHandshakeException {
    NoTlsAnswer(String host, Throwable cause) {
      super(host + " sent no TLS answer to the handshake");
      initCause(cause);
    }
  }

  private SSLSocketFactory build(boolean nativeTls) throws GeneralSecurityException, IOException {
    KeyManager[] keys = identity == null ? null : new KeyManager[] {identity};
    if (nativeTls) {
      if (NativeCrypto.provider() == null) {
        return socketFactory.real(); // the JDK's, and its session cache, shared
      }
      SSLContext context = SSLContext.getInstance("TLS", NativeCrypto.provider());
      context.init(keys, new TrustManager[] {new GenericAuthType(trust)}, null);
      return context.getSocketFactory();
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys, new TrustManager[] {trust}, null);
    return context.getSocketFactory();
  }

  /**
   * The trust manager as BoringSSL's TLS asks it: for TLS 1.3 it names the key exchange {@code
   * GENERIC}, which the JDK's trust managers refuse ("Unknown authType"); the JDK's own TLS says
   * {@code UNKNOWN} there.
   */
  static final class GenericAuthType extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trust;

    GenericAuthType(X509ExtendedTrustManager trust) {
      this.trust = trust;
    }

    private static String jdk(String authType) {
      return "GENERIC".equals(authType) ? "UNKNOWN" : authType;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkServerTrusted(chain, jdk(authType), socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkServerTrusted(chain, jdk(authType), engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      trust.checkServerTrusted(chain, jdk(authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      trust.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return trust.getAcceptedIssuers();
    }
  }

  /** Builds the TLS on the first socket: a plain-HTTP run never does. */
  private static final class LazySocketFactory extends SSLSocketFactory {
    private final TlsSetup setup;
    private final boolean nativeTls;
    private volatile SSLSocketFactory real;

    LazySocketFactory(TlsSetup setup, boolean nativeTls) {
      this.setup = setup;
      this.nativeTls = nativeTls;
    }

    private SSLSocketFactory real() throws IOException {
      SSLSocketFactory r = real;
      if (r == null) {
        synchronized (this) {
          r = real;
          if (r == null) {
            try {
              r = setup.build(nativeTls);
            } catch (GeneralSecurityException e) {
              throw new IOException("the JVM cannot set up TLS: " + e.getMessage(), e);
            }
            real = r;
          }
        }
      }
      return r;
    }

    private SSLSocketFactory unchecked() {
      try {
        return real();
      } catch (IOException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return unchecked().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return unchecked().getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return real().createSocket();
    }

    /**
     * The socket OkHttp layers TLS on. A loopback registry not tried yet gets {@link #PROBE} to
     * answer the handshake: a plain HTTP server may wait for a line end that a ClientHello never
     * sends (the JDK's own HTTP server does). OkHttp sets the socket's timeouts anew once the
     * handshake is done.
     */
    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      Socket tls = real().createSocket(s, host, port, autoClose);
      if (RegistryEndpoint.tlsUntried(host, port)) {
        int timeout = tls.getSoTimeout();
        tls.setSoTimeout(
            timeout == 0 ? (int) PROBE.toMillis() : Math.min(timeout, (int) PROBE.toMillis()));
      }
      return tls;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return real().createSocket(host, port);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      return real().createSocket(host, port, local, localPort);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return real().createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      return real().createSocket(host, port, local, localPort);
    }
  }

  /**
   * The extra CAs first, then the platform's, read on first need. {@link #getAcceptedIssuers()}
   * names only the extra ones: OkHttp asks for them when a client is built (for certificate
   * pinning, which ocitag does not use), and the JDK's TLS client does not need them.
   */
  static final class LazyTrust extends X509ExtendedTrustManager {
    private final X509Certificate[] extra;
    private volatile X509ExtendedTrustManager extraManager;
    private volatile X509ExtendedTrustManager platform;

    LazyTrust(List<X509Certificate> extraCas) {
      this.extra = extraCas.toArray(new X509Certificate[0]);
    }

    private interface Check {
      void run(X509ExtendedTrustManager manager) throws CertificateException;
    }

    private void check(Check check) throws CertificateException {
      if (extra.length > 0) {
        try {
          check.run(extraManager());
          return;
        } catch (CertificateException notOurs) {
          // the platform's CAs may still vouch for it
        }
      }
      check.run(platform());
    }

    /** Whether the platform's trust store has been read (tests check that it was not). */
    boolean platformLoaded() {
      return platform != null;
    }

    private X509ExtendedTrustManager extraManager() throws CertificateException {
      X509ExtendedTrustManager m = extraManager;
      if (m == null) {
        try {
          KeyStore store = KeyStore.getInstance("PKCS12");
          store.load(null, null);
          for (int i = 0; i < extra.length; i++) {
            store.setCertificateEntry("ca-" + i, extra[i]);
          }
          m = extraManager = fromFactory(store);
        } catch (GeneralSecurityException | IOException e) {
          throw new CertificateException("cannot use the extra CAs: " + e.getMessage(), e);
        }
      }
      return m;
    }

    private X509ExtendedTrustManager platform() throws CertificateException {
      X509ExtendedTrustManager m = platform;
      if (m == null) {
        synchronized (this) {
          m = platform;
          if (m == null) {
            try {
              m = platform = fromFactory(null);
            } catch (GeneralSecurityException e) {
              throw new CertificateException(
                  "cannot read the platform's CAs: " + e.getMessage(), e);
            }
          }
        }
      }
      return m;
    }

    private static X509ExtendedTrustManager fromFactory(KeyStore store)
        throws GeneralSecurityException {
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      for (TrustManager m : factory.getTrustManagers()) {
        if (m instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new GeneralSecurityException("no X.509 trust manager");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(m -> m.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(m -> m.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      check(m -> m.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("ocitag is not a TLS server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("ocitag is not a TLS server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("ocitag is not a TLS server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return extra.clone();
    }
  }

  /** {@code --insecure}: any certificate. */
  private static final class TrustEverything extends X509ExtendedTrustManager {
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /**
   * The certs.d client certificate, offered whenever the registry asks for one, whatever CAs it
   * names (as docker does), provided its key type is one the handshake can use.
   */
  private static final class ClientIdentity extends X509ExtendedKeyManager {
    private static final String ALIAS = "certs.d";
    private final PrivateKey key;
    private final X509Certificate[] chain;

    ClientIdentity(PrivateKey key, X509Certificate[] chain) {
      this.key = key;
      this.chain = chain;
    }

    private String alias(String[] keyTypes) {
      String algorithm = key.getAlgorithm();
      for (String type : keyTypes) {
        if (type.equals(algorithm) || (algorithm.equals("RSA") && type.equals("RSASSA-PSS"))) {
          return ALIAS;
        }
      }
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
      return alias(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(
        String[] keyTypes, Principal[] issuers, SSLEngine engine) {
      return alias(keyTypes);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return alias(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return ALIAS.equals(alias) ? key : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }
}
