package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a real registry with htpasswd auth, credentials from a docker config. */
class RegistryAuthCliTest {
  @RegisterExtension static final RealRegistry registry = RealRegistry.basic();
  @TempDir Path tmp;

  @Test
  void credentialsComeFromTheDockerConfigAndNeverShowInDebugOutput() throws Exception {
    ImageRef repo = registry.newRepository("cli-auth");
    TestImage image = TestImages.ociImage("cli-auth");
    RegistrySeeder.seed(registry, repo, image, "1.0");
    Path config =
        registry.writeDockerConfig(tmp.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD);

    CliRun denied = CliRun.of("tag", repo + ":1.0", "nope");
    assertEquals(5, denied.code(), denied::toString);
    assertEquals(1, denied.stderr().lines().count(), denied::toString);

    CliRun tagged =
        CliRun.of("--debug", "--docker-config", config.toString(), "tag", repo + ":1.0", "2.0");
    assertEquals(0, tagged.code(), tagged::toString);
    assertFalse(tagged.stderr().contains(RealRegistry.PASSWORD), "the password never shows");
    String auth =
        java.util.Base64.getEncoder()
            .encodeToString(
                (RealRegistry.USER + ":" + RealRegistry.PASSWORD)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertFalse(tagged.stderr().contains(auth), "nor its Basic form");
    byte[] raw =
        RegistryCliTest.skopeoRaw(
            repo.withTag("2.0"), "--creds", RealRegistry.USER + ":" + RealRegistry.PASSWORD);
    assertArrayEquals(image.bytes(), raw);
    assertTrue(Files.isRegularFile(config.resolve("config.json")));
  }
}
