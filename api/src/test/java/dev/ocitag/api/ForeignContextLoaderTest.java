package dev.ocitag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The backends are found even when the caller's thread has a context class loader that does not see
 * them (a build tool's plugin, say). In a JVM of its own: the backends are found once per JVM.
 */
class ForeignContextLoaderTest {
  @Test
  void backendsAreFoundWhateverTheContextClassLoader() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                ForeignContextLoaderMain.class.getName(),
                "oci:../examples/hello@" + OcitagTest.LATEST)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    assertEquals(0, p.exitValue(), out);
    assertEquals(OcitagTest.LATEST.toString(), out.strip());
  }
}
