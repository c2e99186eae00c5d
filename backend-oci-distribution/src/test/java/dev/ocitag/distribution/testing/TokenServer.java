package dev.ocitag.distribution.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker token service (the Bearer side of distribution's auth) for tests: it checks Basic
 * credentials or an identity (refresh) token and issues JWTs signed with RS256 by a key generated
 * for the run; the registry trusts the key's self-signed certificate through {@code
 * auth.token.rootcertbundle}, and each JWT carries that certificate in {@code x5c}.
 *
 * <p>{@link RealRegistry#USER} gets every action it asks for, {@link RealRegistry#READER} only
 * pull. The identity token {@link #IDENTITY_TOKEN} stands for {@link RealRegistry#USER}.
 */
public final class TokenServer implements AutoCloseable {
  public static final String SERVICE = "ocitag-test-registry";
  public static final String ISSUER = "ocitag-test-issuer";
  public static final String IDENTITY_TOKEN = "identity-" + UUID.randomUUID();

  private final HttpServer server;
  private final PrivateKey key;
  private final X509Certificate certificate;
  private final Path certificatePem;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> scopesAsked = new CopyOnWriteArrayList<>();
  private volatile long expiresInSeconds = 300;

  private TokenServer(HttpServer server, PrivateKey key, X509Certificate cert, Path pem) {
    this.server = server;
    this.key = key;
    this.certificate = cert;
    this.certificatePem = pem;
  }

  /** Generates the signing key and certificate (JDK keytool) in {@code dir} and starts serving. */
  static TokenServer start(Path dir) throws Exception {
    Path keystore = dir.resolve("token-signing.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-alias",
                "token",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-sigalg",
                "SHA256withRSA",
                "-dname",
                "CN=ocitag test token issuer",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, "changeit".toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey("token", "changeit".toCharArray());
    X509Certificate cert = (X509Certificate) ks.getCertificate("token");
    Path pem = dir.resolve("token-signing.pem");
    Files.writeString(
        pem,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(cert.getEncoded())
            + "\n-----END CERTIFICATE-----\n");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 16);
    TokenServer ts = new TokenServer(server, key, cert, pem);
    server.createContext("/token", ts::handle);
    server.start();
    return ts;
  }

  public String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  Path certificatePem() {
    return certificatePem;
  }

  /** Token requests answered so far (granted or not). */
  public int requests() {
    return requests.get();
  }

  /** The scopes asked for, in order. */
  public List<String> scopesAsked() {
    return List.copyOf(scopesAsked);
  }

  /** The lifetime of tokens issued from now on. */
  public void expiresIn(long seconds) {
    this.expiresInSeconds = seconds;
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      String query = exchange.getRequestURI().getRawQuery();
      String user;
      List<String> scopes;
      boolean oauth = exchange.getRequestMethod().equals("POST");
      if (oauth) {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        List<String[]> params = params(form);
        String refresh = value(params, "refresh_token");
        if (!"refresh_token".equals(value(params, "grant_type"))
            || !IDENTITY_TOKEN.equals(refresh)) {
          send(
              exchange,
              401,
              "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad token\"}]}");
          return;
        }
        user = RealRegistry.USER;
        scopes = new ArrayList<>();
        String scope = value(params, "scope");
        if (scope != null) {
          scopes.addAll(List.of(scope.split(" ")));
        }
      } else {
        user = basicUser(exchange.getRequestHeaders().getFirst("Authorization"));
        if (user == null) {
          exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"token\"");
          send(
              exchange,
              401,
              "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}");
          return;
        }
        scopes = new ArrayList<>();
        for (String[] kv : params(query == null ? "" : query)) {
          if (kv[0].equals("scope")) {
            scopes.addAll(List.of(kv[1].split(" ")));
          }
        }
      }
      scopesAsked.addAll(scopes);
      String token = mint(user, scopes);
      long now = Instant.now().getEpochSecond();
      String body =
          (oauth ? "{\"access_token\":\"" : "{\"token\":\"")
              + token
              + "\",\"expires_in\":"
              + expiresInSeconds
              + ",\"issued_at\":\""
              + Instant.ofEpochSecond(now)
              + "\"}";
      send(exchange, 200, body);
    }
  }

  private static String basicUser(String header) {
    if (header == null || !header.startsWith("Basic ")) {
      return null;
    }
    String decoded =
        new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return null;
    }
    String user = decoded.substring(0, colon);
    String password = decoded.substring(colon + 1);
    if (user.equals(RealRegistry.USER) && password.equals(RealRegistry.PASSWORD)) {
      return user;
    }
    if (user.equals(RealRegistry.READER) && password.equals(RealRegistry.READER_PASSWORD)) {
      return user;
    }
    return null;
  }

  private static List<String[]> params(String text) {
    List<String[]> list = new ArrayList<>();
    for (String pair : text.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      list.add(new String[] {k, v});
    }
    return list;
  }

  private static String value(List<String[]> params, String name) {
    return params.stream()
        .filter(kv -> kv[0].equals(name))
        .map(kv -> kv[1])
        .findFirst()
        .orElse(null);
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** A token for one repository, for seeding without the backend under test. */
  public String mint(String user, String repository, List<String> actions) {
    return mint(user, List.of("repository:" + repository + ":" + String.join(",", actions)));
  }

  private String mint(String user, List<String> scopes) {
    Set<String> allowed =
        user.equals(RealRegistry.USER) ? Set.of("pull", "push", "delete", "*") : Set.of("pull");
    StringBuilder access = new StringBuilder("[");
    for (String scope : scopes) {
      // repository:<name>:<actions>; the name may not hold a colon, the actions are last
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) {
        continue;
      }
      String type = scope.substring(0, first);
      String name = scope.substring(first + 1, last);
      List<String> granted =
          List.of(scope.substring(last + 1).split(",")).stream().filter(allowed::contains).toList();
      if (access.length() > 1) {
        access.append(',');
      }
      access
          .append("{\"type\":\"")
          .append(type)
          .append("\",\"name\":\"")
          .append(name)
          .append("\",\"actions\":[")
          .append(String.join(",", granted.stream().map(a -> "\"" + a + "\"").toList()))
          .append("]}");
    }
    access.append(']');
    long now = Instant.now().getEpochSecond();
    try {
      String header =
          "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\""
              + Base64.getEncoder().encodeToString(certificate.getEncoded())
              + "\"]}";
      String claims =
          "{\"iss\":\""
              + ISSUER
              + "\",\"sub\":\""
              + user
              + "\",\"aud\":\""
              + SERVICE
              + "\",\"exp\":"
              + (now + expiresInSeconds)
              + ",\"nbf\":"
              + (now - 10)
              + ",\"iat\":"
              + now
              + ",\"jti\":\""
              + UUID.randomUUID()
              + "\",\"access\":"
              + access
              + "}";
      String signingInput = b64url(header) + "." + b64url(claims);
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(key);
      rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput
          + "."
          + Base64.getUrlEncoder().withoutPadding().encodeToString(rsa.sign());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64url(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
