package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.Fuzzing;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;

/**
 * A batch file, text or JSON, checked in full before anything runs: retags or {@link
 * OcitagException.InvalidInput}, nothing else. What it holds is a retag plan the engine takes:
 * every source once, every target a tag without digest, once. The corpus is {@code
 * src/test/resources/dev/ocitag/cli/BatchFileFuzzTestInputs} (README, "Fuzzing").
 */
class BatchFileFuzzTest {

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void parse(byte[] input) {
    BatchFile batch;
    try {
      batch = BatchFile.parse(input);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    assertFalse(batch.retags().isEmpty(), "a batch names a retag");
    int count = 0;
    for (Map.Entry<ImageRef, List<ImageRef>> retag : batch.retags().entrySet()) {
      ImageRef source = retag.getKey();
      assertEquals(source, Backends.parse(source.toString()));
      assertFalse(retag.getValue().isEmpty(), () -> source + " has no target");
      assertEquals(retag.getValue().size(), new HashSet<>(retag.getValue()).size(), "merged");
      for (ImageRef target : retag.getValue()) {
        assertNotNull(target.tag(), target::toString);
        assertNull(target.digest(), target::toString);
      }
      count += retag.getValue().size();
    }
    assertEquals(count, batch.targetCount());
  }
}
