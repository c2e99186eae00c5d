package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Start-up is a feature: a command loads only the backend its reference needs. Checked in a fresh
 * JVM with -verbose:class, the way a user's run starts.
 */
class LazyLoadingTest {
  @RegisterExtension static final RealRegistry registry = RealRegistry.open();

  private static List<String> loadedClasses(String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-verbose:class",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(List.of(args));
    ChildProcess.Result r;
    try (ChildProcess p = ChildProcess.start(command)) {
      r = p.finish(Duration.ofSeconds(60));
    }
    assertEquals(0, r.code(), r.output());
    return r.output().lines().filter(l -> l.startsWith("[") && l.contains("class,load")).toList();
  }

  private static long count(List<String> loaded, String prefix) {
    return loaded.stream().filter(l -> l.contains("] " + prefix)).count();
  }

  @Test
  void aLayoutCommandLoadsNeitherTheAwsSdkNorTheRegistryBackend() throws Exception {
    List<String> loaded = loadedClasses("digest", "oci:../examples/hello:latest");
    assertTrue(count(loaded, "dev.ocitag.layout.") > 0, "the layout backend ran");
    assertEquals(0, count(loaded, "software.amazon."), "no AWS SDK class");
    assertEquals(0, count(loaded, "dev.ocitag.distribution."), "no registry backend class");
    assertEquals(0, count(loaded, "sun.net.www.protocol.http."), "no HTTP client class");
    assertEquals(
        0, count(loaded, "com.fasterxml.jackson.databind.ObjectMapper"), "no ObjectMapper");
  }

  @Test
  void aRegistryRetagLoadsNoAwsSdkClass() throws Exception {
    var repo = registry.newRepository("lazy");
    RegistrySeeder.seed(registry, repo, TestImages.ociImage("lazy"), "src");

    List<String> loaded = loadedClasses("tag", repo + ":src", "copy");

    assertTrue(
        count(loaded, "dev.ocitag.distribution.JdkTransport") > 0, "the registry backend ran");
    assertEquals(0, count(loaded, "software.amazon."), "no AWS SDK class");
    assertEquals(
        0, count(loaded, "com.fasterxml.jackson.databind.ObjectMapper"), "no ObjectMapper");
  }
}
