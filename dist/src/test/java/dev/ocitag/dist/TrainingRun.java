package dev.ocitag.dist;

import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.TestCertificates;
import dev.ocitag.ecr.testing.FakeEcr;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mindrot.jbcrypt.BCrypt;

/**
 * Makes the release's class data archive at build time (run by the dist module's antrun step, in
 * Maven's JDK): starts what the training talks to, runs {@link Training} in the release's own
 * runtime, with bin/ocitag's JVM flags and class path (plus the training jar, last), under {@code
 * -XX:DumpLoadedClassList}, then dumps a static archive of the classes it loaded ({@code
 * -Xshare:dump -XX:SharedClassListFile}) with bin/ocitag's class path alone: the training's own
 * classes are not found there, so they stay out, and the archive needs no training jar where it is
 * used. Only this build's loopback servers are contacted:
 *
 * <ul>
 *   <li>a docker-registry process over HTTPS (a private CA, HTTP/2 as real registries offer it)
 *       with Basic auth (htpasswd), and one over plain HTTP without auth;
 *   <li>{@link FakeEcr} (the ECR API, SigV4 checked) and {@link FakeSts} (an OIDC web identity
 *       exchanged for credentials, as a CI job's role is assumed);
 *   <li>a docker credential helper, a shell script on the training's PATH.
 * </ul>
 *
 * <p>Usage: {@code TrainingRun TREE TRAINING_JAR EXAMPLE_LAYOUT CLASSPATH JVM_FLAGS}, where
 * CLASSPATH is bin/ocitag's ({@code $lib/NAME.jar:...}). Needs docker-registry (Debian package
 * docker-registry); without it the build fails with that one line.
 */
public final class TrainingRun {
  private static final String USER = "training";

  private TrainingRun() {}

  public static void main(String[] args) throws Exception {
    Path tree = Path.of(args[0]).toAbsolutePath();
    Path trainingJar = Path.of(args[1]).toAbsolutePath();
    Path layout = Path.of(args[2]).toAbsolutePath().normalize();
    String classPath = args[3].replace("$lib", tree.resolve("lib").toString());
    List<String> flags = List.of(args[4].trim().split("\\s+"));
    Path archive = tree.resolve("lib/ocitag.jsa");
    if (!onPath("docker-registry")) {
      System.err.println(
          "TrainingRun: docker-registry is missing (Debian package docker-registry; ./test.sh"
              + " installs it): the class data archive is trained against a real registry");
      System.exit(1);
    }
    Path work = Files.createTempDirectory("ocitag-training");
    String failure = null;
    List<Process> registries = new ArrayList<>();
    String password = "pw-" + System.nanoTime();
    String token = "oidc-token-" + System.nanoTime();
    try (FakeEcr ecr = FakeEcr.start();
        FakeSts sts = FakeSts.start(token)) {
      ecr.createRepository("app");
      ecr.seed("app", TestImages.ociImage("training"), "src");

      TestCertificates certs = TestCertificates.forHosts("localhost", "127.0.0.1");
      Path ca = certs.writeCa(work.resolve("ca.pem"));
      Files.writeString(work.resolve("registry.crt"), certs.server.certificatePem());
      Files.writeString(work.resolve("registry.key"), certs.server.privateKeyPkcs8Pem());
      Files.writeString(
          work.resolve("htpasswd"), USER + ":" + BCrypt.hashpw(password, BCrypt.gensalt(4)) + "\n");
      int securePort = freePort();
      registries.add(registry(work, "secure", securePort, true));
      int plainPort = freePort();
      registries.add(registry(work, "plain", plainPort, false));
      waitForPort(securePort, registries.get(0));
      waitForPort(plainPort, registries.get(1));
      String secure = "localhost:" + securePort;

      // credentials as `docker login` writes them, and through a credential helper
      Path docker = Files.createDirectories(work.resolve("docker"));
      String auth =
          Base64.getEncoder()
              .encodeToString((USER + ":" + password).getBytes(StandardCharsets.UTF_8));
      Files.writeString(
          docker.resolve("config.json"),
          "{\"auths\":{\"" + secure + "\":{\"auth\":\"" + auth + "\"}}}\n");
      Path helperConfig = Files.createDirectories(work.resolve("docker-helper"));
      Files.writeString(
          helperConfig.resolve("config.json"),
          "{\"credHelpers\":{\"" + secure + "\":\"training\"}}\n");
      Path helpers = Files.createDirectories(work.resolve("bin"));
      Path helper = helpers.resolve("docker-credential-training");
      Files.writeString(
          helper,
          "#!/bin/sh\nread -r server\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' '"
              + secure
              + "' '"
              + USER
              + "' '"
              + password
              + "'\n");
      Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
      Path tokenFile = Files.writeString(work.resolve("oidc-token"), token);

      Path copy = work.resolve("layout");
      copyTree(layout, copy);

      List<String> command = new ArrayList<>();
      command.add(tree.resolve("runtime/bin/java").toString());
      command.addAll(flags);
      Path classList = work.resolve("classes.lst");
      command.add("-XX:DumpLoadedClassList=" + classList);
      command.add("-cp");
      command.add(classPath + ":" + trainingJar);
      command.add(Training.class.getName());
      command.addAll(
          List.of(
              layout.toString(),
              copy.toString(),
              secure,
              ca.toString(),
              docker.toString(),
              helperConfig.toString(),
              "127.0.0.1:" + plainPort,
              ecr.endpoint(),
              FakeEcr.ACCOUNT));
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("training.log").toFile());
      var env = builder.environment();
      env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("DOCKER_"));
      env.put("PATH", helpers + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
      env.put("HOME", work.toString()); // no ~/.docker, ~/.aws of the one building
      env.put("DOCKER_CONFIG", work.resolve("no-docker-config").toString());
      env.put("AWS_CONFIG_FILE", work.resolve("no-aws-config").toString());
      env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-aws-credentials").toString());
      env.put("AWS_EC2_METADATA_DISABLED", "true");
      env.put("AWS_REGION", "us-east-1");
      // what a CI job's OIDC role gives: the SDK's default chain exchanges the token at STS
      env.put("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.toString());
      env.put("AWS_ROLE_ARN", FakeSts.ROLE);
      env.put("AWS_ROLE_SESSION_NAME", "training");
      env.put("AWS_ENDPOINT_URL_STS", sts.endpoint());
      long start = System.nanoTime();
      String log =
          await(builder.start(), 10, "the training run", work.resolve("training.log"), classList);
      if (sts.granted() == 0) {
        throw new Failed("the web identity path never reached STS:\n" + log);
      }
      dump(tree, flags, classPath, classList, archive, work.resolve("dump.log"));
      System.out.printf(
          "TrainingRun: %s (%d KiB, %d classes listed) in %d ms%n",
          archive,
          Files.size(archive) / 1024,
          Files.readAllLines(classList).stream().filter(l -> !l.startsWith("@")).count(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    } catch (Failed e) {
      failure = e.getMessage();
    } finally {
      // also when the training failed: no registry outlives the build
      for (Process p : registries) {
        p.destroy();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      deleteTree(work);
    }
    if (failure != null) {
      System.err.println("TrainingRun: " + failure);
      System.exit(1);
    }
  }

  /** A training or dump that failed: reported once the servers are stopped. */
  private static final class Failed extends RuntimeException {
    Failed(String message) {
      super(message);
    }
  }

  /**
   * The static archive of the listed classes, dumped by the release's runtime with bin/ocitag's
   * class path (and its JVM flags: an archive is refused by a JVM whose heap or GC settings
   * differ).
   */
  private static void dump(
      Path tree, List<String> flags, String classPath, Path classList, Path archive, Path log)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(tree.resolve("runtime/bin/java").toString());
    command.addAll(flags);
    command.add("-Xshare:dump");
    command.add("-XX:SharedClassListFile=" + classList);
    command.add("-XX:SharedArchiveFile=" + archive);
    command.add("-cp");
    command.add(classPath);
    await(
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(),
        5,
        "dumping the class data archive",
        log,
        archive);
  }

  /**
   * Waits at most {@code minutes} for {@code process} (its input closed), whose output goes to
   * {@code log}; it must exit 0 and leave {@code output}. Returns the log; fails naming {@code
   * what} with the log otherwise.
   */
  private static String await(Process process, long minutes, String what, Path log, Path output)
      throws Exception {
    process.getOutputStream().close();
    boolean done = process.waitFor(minutes, TimeUnit.MINUTES);
    if (!done) {
      process.destroyForcibly();
    }
    String text = Files.readString(log);
    if (!done || process.exitValue() != 0 || !Files.isRegularFile(output)) {
      throw new Failed(
          what
              + " failed"
              + (done ? " (exit " + process.exitValue() + ")" : " (timed out)")
              + ":\n"
              + text);
    }
    return text;
  }

  /** A docker-registry process on 127.0.0.1:port; {@code secure}: TLS and Basic auth. */
  private static Process registry(Path work, String name, int port, boolean secure)
      throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    String config =
        "version: 0.1\n"
            + "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            + "storage:\n  filesystem:\n    rootdirectory: "
            + dir.resolve("storage")
            + "\n  delete:\n    enabled: true\n"
            + "http:\n  addr: 127.0.0.1:"
            + port
            + "\n  secret: training-"
            + System.nanoTime()
            + "\n"
            + (secure
                ? "  tls:\n    certificate: "
                    + work.resolve("registry.crt")
                    + "\n    key: "
                    + work.resolve("registry.key")
                    + "\nauth:\n  htpasswd:\n    realm: training\n    path: "
                    + work.resolve("htpasswd")
                    + "\n"
                : "");
    Files.writeString(dir.resolve("config.yml"), config);
    return new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("registry.log").toFile())
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void waitForPort(int port, Process registry) throws Exception {
    for (int i = 0; i < 300; i++) {
      if (!registry.isAlive()) {
        throw new IOException("docker-registry exited (" + registry.exitValue() + ")");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IOException("docker-registry does not answer on port " + port);
  }

  static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }

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

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(f);
      }
    }
  }
}
