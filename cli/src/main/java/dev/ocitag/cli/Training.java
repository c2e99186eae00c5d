package dev.ocitag.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.tools.jib.registry.credentials.CredentialRetrievalException;
import com.google.cloud.tools.jib.registry.credentials.DockerCredentialHelper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The training run for the class data archive the launcher makes after a build ({@code
 * -XX:ArchiveClassesAtExit}): it runs real commands so that the classes a short retag needs are
 * archived. A registry and an ECR endpoint are played by loopback servers here, answering as they
 * would on success; the layout commands run on a copy of the example layout, so the Quick start's
 * write (lock, temporary file, rename) is trained too.
 *
 * <p>The registry path is the one users take: HTTPS, its certificate checked (a private CA given
 * with {@code --ca-file}, made here with the JDK's keytool), Basic credentials from a docker config
 * after the registry's 401 challenge. A plain-HTTP registry is trained with {@code --plain-http}
 * (the JDK's HTTP server never answers a TLS ClientHello, so the loopback probe would only wait).
 * Where the JDK has no keytool, the HTTPS part is left out.
 *
 * <p>Usage: {@code java -XX:ArchiveClassesAtExit=ocitag.jsa -cp ocitag.jar dev.ocitag.cli.Training
 * EXAMPLE_LAYOUT}
 */
final class Training {
  private static final String MANIFEST =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
          + "\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\","
          + "\"size\":2},\"layers\":[]}";

  /** The throwaway credentials of the training registry (loopback, gone when training ends). */
  private static final String USER = "training";

  private static final String PASSWORD = "training";

  private Training() {}

  public static void main(String[] args) throws Exception {
    PrintStream sink =
        new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
    String layout = args.length > 0 ? args[0] : "examples/hello";
    Path work = Files.createTempDirectory("ocitag-training");
    Path copy = work.resolve("layout");
    copyTree(Path.of(layout), copy); // before the servers start: their threads keep a JVM alive
    HttpServer plain =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    plain.createContext("/", exchange -> answer(exchange, false));
    HttpsServer tls = httpsServer(work);
    plain.start();
    if (tls != null) {
      tls.start();
    }
    try {
      String registry = "127.0.0.1:" + plain.getAddress().getPort();
      String[] secure =
          tls == null
              ? null
              : new String[] {
                "--ca-file",
                work.resolve("ca.pem").toString(),
                "--docker-config",
                dockerConfig(work, "localhost:" + tls.getAddress().getPort()).toString()
              };
      String secureRegistry = tls == null ? null : "localhost:" + tls.getAddress().getPort();
      for (String format : new String[] {"text", "json"}) {
        Main.run(
            new String[] {"-o", format, "tag", "--dry-run", "oci:" + layout + ":latest", "t"},
            sink,
            sink);
        if (secure != null) {
          Main.run(
              concat(secure, "-o", format, "tag", secureRegistry + "/train:src", "t"), sink, sink);
        }
        Main.run(
            new String[] {"--plain-http", "-o", format, "tag", registry + "/train:src", "t"},
            sink,
            sink);
        Main.run(new String[] {"-o", format, "digest", "oci:" + layout + ":latest"}, sink, sink);
      }
      Main.run(new String[] {"tag", "oci:" + copy + ":latest", "t"}, sink, sink);
      if (secure != null) {
        Main.run(concat(secure, "manifest", secureRegistry + "/train:src"), sink, sink);
      }
      Main.run(new String[] {"tags", "oci:" + layout}, sink, sink);
      System.setProperty("aws.accessKeyId", "AKIDTRAINING");
      System.setProperty("aws.secretAccessKey", "training");
      Main.run(
          new String[] {
            "--endpoint-url",
            "http://" + registry,
            "--region",
            "us-east-1",
            "tag",
            "ecr:train:src",
            "t"
          },
          sink,
          sink);
      credentialHelper();
    } finally {
      plain.stop(0);
      if (tls != null) {
        tls.stop(0);
      }
      deleteTree(work);
    }
  }

  private static String[] concat(String[] first, String... rest) {
    String[] all = Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }

  /**
   * An HTTPS server on loopback whose self-signed certificate (for localhost, exported to {@code
   * work/ca.pem}) keytool makes; null where there is no keytool or it fails.
   */
  private static HttpsServer httpsServer(Path work) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path store = work.resolve("training.p12");
    if (!Files.isExecutable(keytool)
        || !run(
            keytool.toString(),
            "-genkeypair",
            "-alias",
            "training",
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-dname",
            "CN=localhost",
            "-ext",
            "SAN=dns:localhost",
            "-validity",
            "2",
            "-storetype",
            "PKCS12",
            "-keystore",
            store.toString(),
            "-storepass",
            PASSWORD,
            "-keypass",
            PASSWORD)
        || !run(
            keytool.toString(),
            "-exportcert",
            "-rfc",
            "-alias",
            "training",
            "-keystore",
            store.toString(),
            "-storepass",
            PASSWORD,
            "-file",
            work.resolve("ca.pem").toString())) {
      return null;
    }
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext("/", exchange -> answer(exchange, true));
    return server;
  }

  private static boolean run(String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return false;
    }
    return p.exitValue() == 0;
  }

  /** A docker config with Basic credentials for the registry, as {@code docker login} writes. */
  private static Path dockerConfig(Path work, String registry) throws IOException {
    Path dir = Files.createDirectories(work.resolve("docker"));
    String auth =
        Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        dir.resolve("config.json"),
        "{\"auths\":{\"" + registry + "\":{\"auth\":\"" + auth + "\"}}}\n");
    return dir;
  }

  /**
   * A credential helper's answer read by Jib core, as a run with {@code credsStore} or {@code
   * credHelpers} reads it: archives Jib's helper runner and the Jackson databind it parses the
   * answer with (about 1,000 classes that a run with a helper loads and one without never does).
   */
  private static void credentialHelper() throws IOException {
    Path dir = Files.createTempDirectory("ocitag-training-helper");
    Path helper = dir.resolve("docker-credential-training");
    try {
      Files.writeString(helper, "#!/bin/sh\nprintf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n");
      if (helper.toFile().setExecutable(true)) {
        new DockerCredentialHelper("127.0.0.1", helper).retrieve();
      }
    } catch (IOException | CredentialRetrievalException e) {
      // no shell here: the archive goes without these classes
    } finally {
      deleteTree(dir);
    }
  }

  /** Copies a directory tree; the CLI tests copy the example layout with it too. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }

  /** BatchGetImage: src exists, other tags do not; PutImage: stored; anything else: empty. */
  private static byte[] ecr(HttpExchange exchange, byte[] manifest) throws IOException {
    String operation = exchange.getRequestHeaders().getFirst("X-Amz-Target");
    JsonNode request = Json.read(exchange.getRequestBody().readAllBytes());
    String digest = Digest.of(manifest).toString();
    String image =
        "{\"registryId\":\"123456789012\",\"repositoryName\":\"train\",\"imageId\":"
            + "{\"imageDigest\":\"%s\",\"imageTag\":\"%s\"},\"imageManifest\":%s,"
            + "\"imageManifestMediaType\":\"application/vnd.oci.image.manifest.v1+json\"}";
    String text;
    if (operation != null && operation.endsWith(".BatchGetImage")) {
      StringBuilder images = new StringBuilder();
      StringBuilder failures = new StringBuilder();
      for (JsonNode id : request.path("imageIds")) {
        String tag = id.path("imageTag").asText("src");
        if (tag.equals("src")) {
          images
              .append(images.length() == 0 ? "" : ",")
              .append(String.format(image, digest, tag, quote(MANIFEST)));
        } else {
          failures
              .append(failures.length() == 0 ? "" : ",")
              .append("{\"imageId\":{\"imageTag\":\"")
              .append(tag)
              .append("\"},\"failureCode\":\"ImageNotFound\",\"failureReason\":\"none\"}");
        }
      }
      text = "{\"images\":[" + images + "],\"failures\":[" + failures + "]}";
    } else if (operation != null && operation.endsWith(".PutImage")) {
      text =
          "{\"image\":"
              + String.format(image, digest, request.path("imageTag").asText(), quote(MANIFEST))
              + "}";
    } else {
      text = "{}";
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String quote(String json) {
    return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** As a registry answers; {@code basic}: a 401 challenge until Basic credentials come. */
  private static void answer(HttpExchange exchange, boolean basic) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    byte[] manifest = MANIFEST.getBytes(StandardCharsets.UTF_8);
    byte[] body;
    int status;
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (basic && (authorization == null || !authorization.startsWith("Basic "))) {
      exchange.getRequestBody().readAllBytes();
      exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"training\"");
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      status = 401;
      body =
          "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}"
              .getBytes(StandardCharsets.UTF_8);
    } else if (method.equals("POST")) { // the ECR API: JSON 1.1, answered as ECR would, no checks
      exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
      status = 200;
      body = ecr(exchange, manifest);
    } else if (path.endsWith("/manifests/src")
        || path.endsWith("/manifests/t") && method.equals("PUT")) {
      exchange.getRequestBody().readAllBytes();
      exchange
          .getResponseHeaders()
          .add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
      exchange.getResponseHeaders().add("Docker-Content-Digest", Digest.of(manifest).toString());
      status = method.equals("PUT") ? 201 : 200;
      body = method.equals("PUT") ? new byte[0] : manifest;
    } else if (path.equals("/v2/") || path.equals("/v2")) {
      status = 200;
      body = "{}".getBytes(StandardCharsets.UTF_8);
    } else {
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      status = 404;
      body =
          "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"
              .getBytes(StandardCharsets.UTF_8);
    }
    boolean head = method.equals("HEAD");
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      exchange.getResponseBody().write(body);
    }
    exchange.close();
  }
}
