package dev.ocitag.distribution.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ocitag.core.ImageRef;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real distribution registry as a process of this machine ({@code docker-registry serve}, the
 * binary {@code .ci/podman.sh} builds {@code registry:2} from), anonymous and plain HTTP on
 * 127.0.0.1, its storage in a temporary directory: unlike a container, it can be killed ({@code
 * SIGKILL}, so connections are refused from then on) and brought back on the same port with the
 * same storage in milliseconds. Without the binary the test is skipped, except with {@code
 * CI=true}, where it fails.
 */
public final class RegistryProcess implements RegistrySeeder.Target, AutoCloseable {
  private final Path dir;
  private final int port;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private Process process;

  private RegistryProcess(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** The binary, or a skip (a failure with CI=true) when it is not installed. */
  private static String binary() {
    for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "docker-registry"))) {
        return Path.of(d, "docker-registry").toString();
      }
    }
    String why =
        "docker-registry is not installed (Debian package docker-registry; .ci/podman.sh up"
            + " installs it)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("CI=true and " + why);
    }
    Assumptions.abort(why);
    return null;
  }

  /** Starts a registry with empty storage on a free port and waits until it answers. */
  public static RegistryProcess start() throws IOException, InterruptedException {
    String bin = binary();
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    RegistryProcess registry =
        new RegistryProcess(Files.createTempDirectory("ocitag-registry-process-"), port);
    Files.createDirectories(registry.dir.resolve("storage"));
    Files.writeString(
        registry.dir.resolve("config.yml"),
        "version: 0.1\n"
            + "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            + "storage:\n  filesystem:\n    rootdirectory: "
            + registry.dir.resolve("storage")
            + "\n  delete:\n    enabled: true\n"
            + "  maintenance:\n    uploadpurging:\n      enabled: false\n"
            + "http:\n  addr: 127.0.0.1:"
            + port
            + "\n  secret: ocitag-test-secret\n  draintimeout: 20s\n");
    registry.launch(bin);
    return registry;
  }

  private void launch(String bin) throws IOException, InterruptedException {
    process =
        new ProcessBuilder(bin, "serve", dir.resolve("config.yml").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("registry.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "docker-registry exited " + process.exitValue() + ": " + log());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) url("/v2/").toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int code = c.getResponseCode();
        c.disconnect();
        if (code == 200) {
          return;
        }
        last = "HTTP " + code;
      } catch (IOException e) {
        last = e.toString(); // not listening yet
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("docker-registry did not answer on " + host() + ": " + last);
  }

  /**
   * Stops it ({@code SIGTERM}): it closes its port at once, so connections are refused from then
   * on, and ends the requests under way before it exits. Its storage stays sound, unlike after
   * {@link #kill}: distribution's filesystem driver rewrites a manifest's revision link in place
   * (truncate, then write) on every PUT of it, so a kill between the two leaves the link empty, and
   * the registry answers 500 for every tag of that manifest from then on.
   */
  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  /** Kills it at once ({@code SIGKILL}); see {@link #stop}. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Starts it again on the same port with the same storage. */
  public void restart() throws IOException, InterruptedException {
    stop();
    launch(binary());
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** The registry's storage directory (its {@code docker/registry/v2/repositories/...}). */
  public Path storage() {
    return dir.resolve("storage");
  }

  public int port() {
    return port;
  }

  /** A reference on this registry, such as {@code ref("app:1.0")}. */
  public ImageRef ref(String repositoryAndTag) {
    return ImageRef.parse(host() + "/" + repositoryAndTag);
  }

  @Override
  public URI url(String path) {
    return URI.create("http://" + host() + path);
  }

  @Override
  public HttpClient httpClient() {
    return client;
  }

  @Override
  public String authorization(String repository) {
    return null;
  }

  /** What the registry logged, for failure messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("registry.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }
}
