package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.CredentialHelpers;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up is a feature: a command loads only the backend its reference needs, and Jib core (the
 * credential helpers) only when a registry asks for credentials a helper holds. Checked in a fresh
 * JVM with -verbose:class, the way a user's run starts.
 */
class LazyLoadingTest {
  @RegisterExtension static final RealRegistry registry = RealRegistry.open();
  @RegisterExtension static final RealRegistry basic = RealRegistry.basic();

  private static final String JIB = "com.google.cloud.tools.jib.";

  @TempDir Path tmp;

  private static List<String> loadedClasses(String... args)
      throws IOException, InterruptedException {
    return loadedClasses(Map.of(), args);
  }

  private static List<String> loadedClasses(Map<String, String> env, String... args)
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
    try (ChildProcess p = ChildProcess.start(command, env)) {
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
    // every provider is asked to claim the reference and to declare its options; nothing more
    assertEquals(
        List.of(),
        loaded.stream()
            .filter(
                l -> l.contains("] dev.ocitag.distribution.") || l.contains("] dev.ocitag.ecr."))
            .filter(
                l ->
                    !l.matches(
                        ".*] dev\\.ocitag\\.(distribution\\.(DistributionBackendProvider|RegistryOptions)"
                            + "|ecr\\.(EcrBackendProvider|EcrOptions))[ $].*"))
            .toList(),
        "no registry or ECR backend class but their providers and options");
    assertEquals(0, count(loaded, "okhttp3."), "no OkHttp class");
    assertEquals(0, count(loaded, "sun.net.www.protocol.http."), "no HTTP client class");
    assertEquals(
        0, count(loaded, "com.fasterxml.jackson.databind.ObjectMapper"), "no ObjectMapper");
    assertEquals(0, count(loaded, JIB), "no Jib core class");
    assertEquals(0, count(loaded, "com.google."), "no Google library class");
  }

  @Test
  void noLayoutCommandLoadsJib() throws Exception {
    Path layout = tmp.resolve("hello");
    ExampleLayout.copy(layout);
    String oci = "oci:" + layout;
    String[][] commands = {
      {"tag", oci + ":latest", "v2", "v3"},
      {"tag", "--dry-run", oci + ":latest", "v4"},
      {"manifest", oci + ":latest"},
      {"tags", oci},
      {"untag", oci + ":v3"},
      {"-o", "json", "tag", oci + ":latest", oci + ":v5"}
    };
    for (String[] command : commands) {
      List<String> loaded = loadedClasses(command);
      assertTrue(count(loaded, "dev.ocitag.layout.") > 0, "the layout backend ran");
      assertEquals(0, count(loaded, "com.google."), String.join(" ", command) + ": no Google/Jib");
    }
  }

  @Test
  void aRegistryRetagLoadsNoAwsSdkClass() throws Exception {
    var repo = registry.newRepository("lazy");
    RegistrySeeder.seed(registry, repo, TestImages.ociImage("lazy"), "src");

    List<String> loaded = loadedClasses("tag", repo + ":src", "copy");

    assertTrue(
        count(loaded, "dev.ocitag.distribution.OkHttpTransport") > 0, "the registry backend ran");
    assertEquals(0, count(loaded, "software.amazon."), "no AWS SDK class");
    assertEquals(
        0, count(loaded, "com.fasterxml.jackson.databind.ObjectMapper"), "no ObjectMapper");
    assertEquals(0, count(loaded, JIB), "an anonymous registry loads no Jib core class");
    assertEquals(0, count(loaded, "com.google."), "nor any Google library class");
    assertEquals(0, count(loaded, "dev.ocitag.distribution.DockerConfig"), "nor reads credentials");
  }

  @Test
  void credentialsFromAuthsLoadNoJibClassAndAHelperLoadsJib() throws Exception {
    ImageRef repo = basic.newRepository("lazy-auth");
    RegistrySeeder.seed(basic, repo, TestImages.ociImage("lazy-auth"), "src");
    Path config =
        basic.writeDockerConfig(tmp.resolve("auths"), RealRegistry.USER, RealRegistry.PASSWORD);

    List<String> auths =
        loadedClasses("--docker-config", config.toString(), "tag", repo + ":src", "a");
    assertTrue(count(auths, "dev.ocitag.distribution.DockerConfig") > 0, "credentials were read");
    assertEquals(0, count(auths, JIB), "the auths of a docker config need no Jib class");

    CredentialHelpers helpers = CredentialHelpers.in(tmp.resolve("bin"));
    helpers.answering("lazy", basic.host(), RealRegistry.USER, RealRegistry.PASSWORD);
    Path store = Files.createDirectories(tmp.resolve("store"));
    Files.writeString(store.resolve("config.json"), "{\"credsStore\":\"lazy\"}");
    List<String> helped =
        loadedClasses(
            Map.of("PATH", helpers.path()),
            "--docker-config",
            store.toString(),
            "tag",
            repo + ":src",
            "h");
    assertEquals(List.of(basic.host()), helpers.asked("lazy"));
    assertTrue(
        count(helped, JIB + "registry.credentials.DockerCredentialHelper") > 0, "Jib ran it");
  }
}
