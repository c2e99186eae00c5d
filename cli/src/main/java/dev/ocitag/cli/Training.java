package dev.ocitag.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.tools.jib.registry.credentials.CredentialRetrievalException;
import com.google.cloud.tools.jib.registry.credentials.DockerCredentialHelper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training run for the class data archive the launcher makes after a build ({@code
 * -XX:ArchiveClassesAtExit}): it runs real commands so that the classes a short retag needs are
 * archived. A registry and an ECR endpoint are played by a loopback server here, answering as they
 * would on success; the layout commands run on a copy of the example layout, so the Quick start's
 * write (lock, temporary file, rename) is trained too. The registry is tried over HTTPS first, as
 * any loopback registry is; the JDK's HTTP server never answers a TLS ClientHello, so the first
 * registry command waits out the 2 s a handshake gets before plain HTTP is tried (once: the answer
 * is remembered for the rest of the run), and the TLS try is in the archive too.
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

  private Training() {}

  public static void main(String[] args) throws IOException {
    PrintStream sink =
        new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
    String layout = args.length > 0 ? args[0] : "examples/hello";
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", Training::answer);
    Path copy = copyOf(Path.of(layout)); // before the server starts: its thread keeps a JVM alive
    server.start();
    try {
      String registry = "127.0.0.1:" + server.getAddress().getPort();
      for (String format : new String[] {"text", "json"}) {
        Main.run(
            new String[] {"-o", format, "tag", "--dry-run", "oci:" + layout + ":latest", "t"},
            sink,
            sink);
        Main.run(new String[] {"-o", format, "tag", registry + "/train:src", "t"}, sink, sink);
        Main.run(new String[] {"-o", format, "digest", "oci:" + layout + ":latest"}, sink, sink);
      }
      Main.run(new String[] {"tag", "oci:" + copy + ":latest", "t"}, sink, sink);
      Main.run(new String[] {"manifest", registry + "/train:src"}, sink, sink);
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
      server.stop(0);
      deleteTree(copy);
    }
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

  private static Path copyOf(Path layout) throws IOException {
    Path copy = Files.createTempDirectory("ocitag-training");
    copyTree(layout, copy);
    return copy;
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

  private static void answer(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    byte[] manifest = MANIFEST.getBytes(StandardCharsets.UTF_8);
    byte[] body;
    int status;
    if (method.equals("POST")) { // the ECR API: JSON 1.1, answered as ECR would, no checks
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
