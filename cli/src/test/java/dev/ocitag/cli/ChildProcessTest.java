package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The process tests' timeout applies: a child that hangs is destroyed and fails the test. */
class ChildProcessTest {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  @Test
  void aChildThatHangsIsDestroyedAndFailsWithWhatItPrinted() throws Exception {
    List<String> command =
        List.of(
            JAVA, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--version");
    try (ChildProcess quick = ChildProcess.start(command)) {
      ChildProcess.Result r = quick.finish(Duration.ofSeconds(60));
      assertEquals(0, r.code(), r.output());
      assertFalse(r.output().isBlank());
    }

    // prints a line, then sleeps far longer than the test waits
    try (ChildProcess hung = ChildProcess.start(List.of("sh", "-c", "echo started; sleep 60"))) {
      long start = System.nanoTime();
      AssertionFailedError e =
          assertThrows(AssertionFailedError.class, () -> hung.finish(Duration.ofSeconds(2)));
      assertTrue(System.nanoTime() - start < 20_000_000_000L, "did not wait for the child");
      assertTrue(e.getMessage().contains("did not finish within PT2S"), e.getMessage());
      assertTrue(e.getMessage().contains("started"), e.getMessage());
      assertFalse(hung.isAlive(), "destroyed");
    }
  }
}
