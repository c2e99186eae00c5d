package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.core.Digest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Google application default credentials, in a JVM of their own ({@link CredentialProbe}): Google's
 * library reads its configuration from environment variables. Google's endpoints are played by a
 * loopback server: the OAuth token service (the {@code token_uri} of a service account key made
 * here) and the metadata server ({@code GCE_METADATA_HOST}), so nothing leaves the machine and
 * every request the library makes is counted.
 */
public class GoogleApplicationDefaultTest {
  private static final String ACCESS_TOKEN = "ya29.test-" + System.nanoTime();

  @TempDir Path temp;
  private HttpServer google;
  private final List<String> tokenRequests = new CopyOnWriteArrayList<>();
  private final List<String> metadataRequests = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startGoogle() throws IOException {
    google = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    google.createContext("/token", this::token);
    google.createContext("/", this::metadata);
    google.start();
  }

  @AfterEach
  void stopGoogle() {
    google.stop(0);
  }

  private String googleHost() {
    return "127.0.0.1:" + google.getAddress().getPort();
  }

  private void token(HttpExchange exchange) throws IOException {
    try (exchange) {
      String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      tokenRequests.add(URLDecoder.decode(form, StandardCharsets.UTF_8));
      byte[] body =
          ("{\"access_token\":\""
                  + ACCESS_TOKEN
                  + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}")
              .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  /** Not Google's metadata server: no Metadata-Flavor answer, so "not on Google's machines". */
  private void metadata(HttpExchange exchange) throws IOException {
    try (exchange) {
      metadataRequests.add(exchange.getRequestURI().toString());
      exchange.sendResponseHeaders(404, -1);
    }
  }

  /** A service account key file whose token service is the loopback server. */
  private Path serviceAccountKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    String pkcs8 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
    String pem =
        "-----BEGIN PRIVATE KEY-----\\n"
            + pkcs8.replace("\n", "\\n")
            + "\\n-----END PRIVATE KEY-----\\n";
    Path key = temp.resolve("service-account.json");
    Files.writeString(
        key,
        "{\"type\":\"service_account\",\"project_id\":\"ocitag-test\","
            + "\"private_key_id\":\"k1\",\"private_key\":\""
            + pem
            + "\",\"client_email\":\"ci@ocitag-test.iam.gserviceaccount.com\","
            + "\"client_id\":\"1234\",\"token_uri\":\"http://"
            + googleHost()
            + "/token\"}");
    return key;
  }

  private record Probe(int code, List<String> lines, String stderr, List<String> classes) {}

  private Probe probe(Path dockerConfig, Map<String, String> env, String... registries)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:file=" + temp.resolve("classes.log"),
                "-cp",
                System.getProperty("java.class.path"),
                CredentialProbe.class.getName(),
                dockerConfig.toString()));
    command.addAll(List.of(registries));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(k -> k.startsWith("GOOGLE_") || k.startsWith("GCE_"));
    environment.remove("NO_GCE_CHECK");
    environment.put("HOME", temp.toString());
    environment.put("CLOUDSDK_CONFIG", Files.createDirectories(temp.resolve("gcloud")).toString());
    // the metadata server, were the library to look for one, is the loopback server
    environment.put("GCE_METADATA_HOST", googleHost());
    environment.putAll(env);
    Path err = temp.resolve("probe.err");
    Process p = builder.redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe finished");
    List<String> classes =
        Files.readAllLines(temp.resolve("classes.log")).stream()
            .filter(l -> l.contains("class,load"))
            .toList();
    return new Probe(p.exitValue(), out.lines().toList(), Files.readString(err), classes);
  }

  private Path emptyDockerConfig() throws IOException {
    return Files.createDirectories(temp.resolve("docker"));
  }

  private static String asToken(String registry) {
    return registry
        + " oauth2accesstoken "
        + Digest.of(ACCESS_TOKEN.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void googlesRegistriesGetAnAccessTokenAndNoOtherRegistryDoes() throws Exception {
    Probe probe =
        probe(
            emptyDockerConfig(),
            Map.of("GOOGLE_APPLICATION_CREDENTIALS", serviceAccountKey().toString()),
            "gcr.io",
            "eu.gcr.io",
            "europe-west1-docker.pkg.dev",
            "evilgcr.io",
            "docker.pkg.dev",
            "quay.io",
            "127.0.0.1:5000");
    assertEquals(0, probe.code(), probe.stderr());
    assertEquals(
        List.of(
            asToken("gcr.io"),
            asToken("eu.gcr.io"),
            asToken("europe-west1-docker.pkg.dev"),
            "evilgcr.io none",
            "docker.pkg.dev none",
            "quay.io none",
            "127.0.0.1:5000 none"),
        probe.lines(),
        probe.stderr());
    // one token per lookup, asked for with the service account's signed assertion and GCR's scope
    assertEquals(3, tokenRequests.size(), tokenRequests.toString());
    assertTrue(
        tokenRequests.get(0).contains("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer"));
    String assertion = tokenRequests.get(0).replaceAll(".*assertion=([^&]*).*", "$1");
    String claims =
        new String(
            Base64.getUrlDecoder().decode(assertion.split("\\.")[1]), StandardCharsets.UTF_8);
    assertTrue(claims.contains("devstorage.read_write"), claims);
    assertEquals(List.of(), metadataRequests, "no metadata server asked: the key was there");
    assertFalse(probe.stderr().contains(ACCESS_TOKEN), "the token never shows in debug lines");
  }

  @Test
  void withoutGoogleCredentialsGooglesRegistriesAreAnonymous() throws Exception {
    Probe probe = probe(emptyDockerConfig(), Map.of(), "gcr.io", "us-docker.pkg.dev");
    assertEquals(0, probe.code(), probe.stderr());
    assertEquals(List.of("gcr.io none", "us-docker.pkg.dev none"), probe.lines(), probe.stderr());
    assertEquals(List.of(), tokenRequests);
    // Google's library looked for a metadata server (here the loopback one) and found none
    assertFalse(metadataRequests.isEmpty(), "the metadata server was asked");
  }

  @Test
  void otherRegistriesNeverLoadGooglesLibraryNorAskAnything() throws Exception {
    Probe probe =
        probe(
            emptyDockerConfig(),
            Map.of("GOOGLE_APPLICATION_CREDENTIALS", serviceAccountKey().toString()),
            "quay.io",
            "127.0.0.1:5000",
            "docker.io");
    assertEquals(0, probe.code(), probe.stderr());
    assertEquals(
        List.of("quay.io none", "127.0.0.1:5000 none", "docker.io none"),
        probe.lines(),
        probe.stderr());
    assertEquals(List.of(), tokenRequests);
    assertEquals(List.of(), metadataRequests);
    List<String> google =
        probe.classes().stream().filter(l -> l.contains("] com.google.")).toList();
    assertEquals(List.of(), google, "no class of Jib or Google's libraries");
    assertTrue(
        probe.classes().stream()
            .anyMatch(l -> l.contains("] dev.ocitag.distribution.DockerConfig ")),
        "the lookup ran");
  }

  @Test
  void theDockerConfigWinsOverGoogleCredentials() throws Exception {
    Path dir = emptyDockerConfig();
    Files.writeString(
        dir.resolve("config.json"),
        "{\"auths\":{\"gcr.io\":{\"auth\":\""
            + Base64.getEncoder().encodeToString("_json_key:k".getBytes(StandardCharsets.UTF_8))
            + "\"}}}");
    Map<String, String> env = new HashMap<>();
    env.put("GOOGLE_APPLICATION_CREDENTIALS", serviceAccountKey().toString());
    Probe probe = probe(dir, env, "gcr.io");
    assertEquals(0, probe.code(), probe.stderr());
    assertEquals(
        List.of("gcr.io _json_key " + Digest.of("k".getBytes(StandardCharsets.UTF_8))),
        probe.lines());
    assertEquals(List.of(), tokenRequests);
  }
}
