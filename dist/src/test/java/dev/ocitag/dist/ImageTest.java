package dev.ocitag.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image Jib wrote (target/ocitag-image.tar, an OCI archive, FROM scratch), loaded into podman
 * and run as CI jobs run it: its version, its help without arguments, a tag on a bind-mounted
 * layout, and a tag on its own image (the archive unpacked as a layout), each checked with skopeo.
 */
class ImageTest {
  private static final Path IMAGE_TAR = Path.of(System.getProperty("dist.image"));
  private static final Path EXAMPLE = Path.of(System.getProperty("dist.example")).toAbsolutePath();
  private static final String VERSION = System.getProperty("dist.version");

  static String image;

  /**
   * podman's environment: without the DOCKER_CONFIG the build sets for every test (an empty
   * directory, which podman would read as its auth file).
   */
  private static final Map<String, String> PODMAN_ENV = podmanEnv();

  private static Map<String, String> podmanEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("DOCKER_CONFIG", null);
    return env;
  }

  /**
   * podman, through the API service .ci/podman.sh starts (DOCKER_HOST) where there is one: its
   * containers get the limits that service was set up with, as the test registries do.
   */
  private static Command podman(String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("podman"));
    String host = System.getenv("DOCKER_HOST");
    if (host != null && host.startsWith("unix://")) {
      argv.add("--url");
      argv.add(host);
    }
    argv.addAll(List.of(args));
    return Command.run(argv, PODMAN_ENV);
  }

  @BeforeAll
  static void load() throws Exception {
    String why = null;
    if (!TrainingRun.onPath("podman")) {
      why = "podman is not installed (./test.sh installs it)";
    } else if (podman("version").code() != 0) {
      why = "podman does not run here (./test.sh sets it up: .ci/podman.sh)";
    }
    if (why != null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    Command loaded = podman("load", "-q", "-i", IMAGE_TAR.toString());
    loaded.expect(0);
    Matcher m = Pattern.compile("Loaded image(?:\\(s\\))?: *(\\S+)").matcher(loaded.stdout());
    if (!m.find()) {
      fail("podman load printed no image: " + loaded);
    }
    image = m.group(1);
  }

  @AfterAll
  static void remove() throws Exception {
    if (image != null) {
      podman("rmi", "-f", image);
    }
  }

  private static Command run(List<String> podmanOptions, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("run", "--rm", "--network", "none"));
    argv.addAll(podmanOptions);
    argv.add(image);
    argv.addAll(List.of(args));
    return podman(argv.toArray(String[]::new));
  }

  @Test
  void isWithinItsSizeTarget() throws Exception {
    long size = Files.size(IMAGE_TAR);
    assertTrue(size <= 80_000_000L, IMAGE_TAR + " is " + size + " bytes, over 80 MB");
  }

  @Test
  void printsItsVersion() throws Exception {
    assertTrue(run(List.of(), "--version").expect(0).stdout().contains(VERSION));
  }

  @Test
  void withoutArgumentsPrintsTheHelpAndExits2() throws Exception {
    Command usage = run(List.of());
    assertEquals(2, usage.code(), usage.toString());
    assertTrue((usage.stdout() + usage.err()).contains("Usage: ocitag"), usage.toString());
  }

  @Test
  void tagsAMountedLayout(@TempDir Path tmp) throws Exception {
    Command.require("skopeo", "the independent check of the digest (Debian package skopeo)");
    TrainingRun.copyTree(EXAMPLE, tmp.resolve("hello"));
    Command tagged = run(List.of("-v", tmp + ":/data"), "tag", "oci:/data/hello:latest", "v2");
    tagged.expect(0);
    assertTrue(
        tagged.stdout().startsWith("created   oci:/data/hello:v2 sha256:"), tagged.toString());
    String digest = tagged.stdout().trim().substring(tagged.stdout().indexOf("sha256:"));
    byte[] raw =
        Command.run(List.of("skopeo", "inspect", "--raw", "oci:" + tmp.resolve("hello") + ":v2"))
            .expect(0)
            .out();
    assertEquals(Command.sha256(raw), digest);
  }

  @Test
  void retagsItsOwnImage(@TempDir Path tmp) throws Exception {
    Command.require("skopeo", "the independent check of the digest (Debian package skopeo)");
    Path layout = Files.createDirectories(tmp.resolve("ocitag-image"));
    Command.run(List.of("tar", "-xf", IMAGE_TAR.toString(), "-C", layout.toString())).expect(0);
    JsonNode index = Json.read(Files.readAllBytes(layout.resolve("index.json")));
    String own = index.path("manifests").path(0).path("digest").asText();
    assertTrue(own.startsWith("sha256:"), index.toString());

    Command tagged =
        run(List.of("-v", tmp + ":/data"), "tag", "oci:/data/ocitag-image@" + own, "stable");
    tagged.expect(0);
    assertEquals("created   oci:/data/ocitag-image:stable " + own + "\n", tagged.stdout());
    byte[] raw =
        Command.run(List.of("skopeo", "inspect", "--raw", "oci:" + layout + ":stable"))
            .expect(0)
            .out();
    assertEquals(own, Command.sha256(raw), "skopeo reads the tag at the image's own digest");
  }
}
