package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.CredentialHelpers;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI with credential helpers, each run a JVM of its own as a user's is (a helper is found on
 * the PATH of ocitag's environment): a helper's password retags on an htpasswd registry; a helper
 * that never answers is stopped at the bound and the run ends with one line; a broken config or a
 * missing helper is one line with its exit code.
 */
class CredentialHelperCliTest {
  @RegisterExtension static final RealRegistry registry = RealRegistry.basic();
  @TempDir Path tmp;

  private record Run(int code, String stdout, String stderr, long millis) {}

  private Run ocitag(String path, List<String> jvm, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("PATH", path);
    Path err = tmp.resolve("stderr");
    long t0 = System.nanoTime();
    Process p = builder.redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean ended = p.waitFor(120, TimeUnit.SECONDS);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    if (!ended) {
      p.destroyForcibly();
    }
    assertTrue(ended, "ocitag ended");
    return new Run(p.exitValue(), out, Files.readString(err), millis);
  }

  private Path config(String json) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "docker");
    Files.writeString(dir.resolve("config.json"), json);
    return dir;
  }

  @Test
  void aHelpersPasswordRetagsAndNeverShows() throws Exception {
    ImageRef repo = registry.newRepository("cli-helper");
    TestImage image = TestImages.ociImage("cli-helper");
    RegistrySeeder.seed(registry, repo, image, "1.0");
    CredentialHelpers helpers = CredentialHelpers.in(tmp.resolve("bin"));
    helpers.answering("store", registry.host(), RealRegistry.USER, RealRegistry.PASSWORD);
    Path dir = config("{\"credsStore\":\"store\"}");

    Run run =
        ocitag(
            helpers.path(),
            List.of(),
            "--debug",
            "--docker-config",
            dir.toString(),
            "tag",
            repo + ":1.0",
            "2.0");
    assertEquals(0, run.code(), run.stderr());
    assertFalse(run.stderr().contains(RealRegistry.PASSWORD), "the password never shows");
    assertTrue(run.stderr().contains("docker-credential-store"), run.stderr());
    assertArrayEquals(
        image.bytes(),
        RegistryCliTest.skopeoRaw(
            repo.withTag("2.0"), "--creds", RealRegistry.USER + ":" + RealRegistry.PASSWORD));
  }

  @Test
  void aHelperThatNeverAnswersIsStoppedAndTheRunEndsInOneLine() throws Exception {
    ImageRef repo = registry.newRepository("cli-hang");
    RegistrySeeder.seed(registry, repo, TestImages.ociImage("cli-hang"), "1.0");
    CredentialHelpers helpers = CredentialHelpers.in(tmp.resolve("bin"));
    String marker = CredentialHelpers.sleepMarker();
    helpers.hanging("pinentry", marker);
    Path dir = config("{\"credHelpers\":{\"" + registry.host() + "\":\"pinentry\"}}");

    Run run =
        ocitag(
            helpers.path(),
            List.of("-Docitag.credentialTimeout=2"),
            "--docker-config",
            dir.toString(),
            "tag",
            repo + ":1.0",
            "2.0");
    assertEquals(1, run.code(), run.stderr());
    assertEquals(1, run.stderr().lines().count(), run.stderr());
    assertTrue(run.stderr().contains("docker-credential-pinentry"), run.stderr());
    assertTrue(run.stderr().contains(registry.host()), run.stderr());
    assertTrue(run.stderr().contains("within 2 s"), run.stderr());
    // the bound, plus a JVM's start: far from "for ever"
    assertTrue(run.millis() < 15_000, "took " + run.millis() + " ms");
    assertEquals(List.of(registry.host()), helpers.asked("pinentry"), "asked once");
    assertTrue(CredentialHelpers.gone(marker, 5), "the helper's child was stopped");
  }

  @Test
  void aMissingHelperFailsInOneLine() throws Exception {
    ImageRef repo = registry.newRepository("cli-missing");
    RegistrySeeder.seed(registry, repo, TestImages.ociImage("cli-missing"), "1.0");
    Path dir = config("{\"credsStore\":\"nosuchhelper\"}");
    Run run =
        ocitag(
            "/usr/bin:/bin",
            List.of(),
            "--docker-config",
            dir.toString(),
            "tag",
            repo + ":1.0",
            "x");
    assertEquals(1, run.code(), run.stderr());
    assertEquals(1, run.stderr().lines().count(), run.stderr());
    assertTrue(run.stderr().contains("docker-credential-nosuchhelper"), run.stderr());
    assertTrue(run.stderr().contains("not on the PATH"), run.stderr());
  }

  @Test
  void aBrokenConfigIsInvalidInputInOneLine() throws Exception {
    ImageRef repo = registry.newRepository("cli-broken");
    RegistrySeeder.seed(registry, repo, TestImages.ociImage("cli-broken"), "1.0");
    Path dir = config("{\"auths\": {\"" + registry.host() + "\": {\"auth\": ");
    CliRun run = CliRun.of("--docker-config", dir.toString(), "tag", repo + ":1.0", "x");
    assertEquals(2, run.code(), run::toString);
    assertEquals(1, run.stderr().lines().count(), run::toString);
    assertTrue(run.stderr().contains(dir.resolve("config.json").toString()), run::toString);
  }
}
