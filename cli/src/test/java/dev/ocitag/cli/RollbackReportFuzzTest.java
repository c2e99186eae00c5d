package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.Fuzzing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;

/**
 * The report {@code ocitag rollback} reads, a {@code -o json} output or a {@code --report} file,
 * checked in full before anything is written: results or {@link OcitagException.InvalidInput},
 * nothing else. Every result read is one rollback can act on: its target a tag (no digest) that an
 * installed provider serves and that prints as text parsing back to it, its digests those its
 * outcome needs; and what a rollback of them would write, its {@code -o json} report and its {@code
 * --report} file, reads back as the same results (a rollback can be rolled back). The corpus is
 * {@code src/test/resources/dev/ocitag/cli/RollbackReportFuzzTestInputs} (README, "Fuzzing"):
 * reports the CLI wrote (layouts and a registry; tag, batch, rollback, dry runs, --atomic, --report
 * files) and tricky ones.
 */
class RollbackReportFuzzTest {
  private static final String NAME = "fuzzed.json";
  private static final Path REPORT_FILE = reportFilePath();

  private static Path reportFilePath() {
    try {
      Path dir = Files.createTempDirectory("ocitag-fuzz");
      dir.toFile().deleteOnExit();
      Path file = dir.resolve("report.jsonl");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void read(byte[] input) {
    ReportReader.Read read;
    try {
      read = ReportReader.read(NAME, input);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      assertTrue(e.getMessage().startsWith("report " + NAME + ": "), e::getMessage);
      return;
    }
    for (String warning : read.warnings()) {
      assertTrue(warning.startsWith(NAME + " line "), warning);
    }
    for (TagResult r : read.results()) {
      ImageRef target = r.target();
      assertNotNull(target.tag(), target::toString);
      assertNull(target.digest(), target::toString);
      assertEquals(target, Backends.parse(target.toString()), "printed and read again");
      assertEquals(target.transport(), Backends.provider(target).transport());
      assertNotNull(r.outcome());
      switch (r.outcome()) {
        case CREATED -> {
          assertNotNull(r.digest(), "created: a digest");
          assertNull(r.previousDigest(), "created: no previous digest");
        }
        case MOVED -> {
          assertNotNull(r.digest(), "moved: a digest");
          assertNotNull(r.previousDigest(), "moved: a previous digest");
        }
        case REMOVED -> {
          assertNull(r.digest(), "removed: no digest");
          assertNotNull(r.previousDigest(), "removed: a previous digest");
        }
        default -> {}
      }
      assertNull(r.error());
      assertNull(r.transfer());
    }
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    ReportPrinter.printRollback(
        NAME,
        read.results(),
        false,
        Main.Format.json,
        new PrintStream(json, true, StandardCharsets.UTF_8));
    readsBack(read, json.toByteArray(), "written as a rollback's -o json and read again");
    readsBack(read, reportFile(read), "written to a --report file and read again");
  }

  private static void readsBack(ReportReader.Read read, byte[] written, String how) {
    ReportReader.Read again = ReportReader.read("again", written);
    assertEquals(read.results(), again.results(), how);
    assertTrue(again.warnings().isEmpty(), () -> how + ": " + again.warnings());
  }

  /** The results as a rollback's {@code --report} file records them, one line each. */
  private static byte[] reportFile(ReportReader.Read read) {
    try {
      Files.deleteIfExists(REPORT_FILE);
      try (ReportFile file =
          ReportFile.open(
              REPORT_FILE.toString(), "rollback", false, false, TagEngine.Listener.NONE)) {
        read.results().forEach(r -> file.targetDone(null, null, r));
      }
      return Files.readAllBytes(REPORT_FILE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
