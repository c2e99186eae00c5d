package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Timeout;

/**
 * The docker reference grammar and the {@code TRANSPORT:PATH} grammar on any text: a reference or
 * {@link OcitagException.InvalidInput}, nothing else; what parses prints as text that parses back
 * to the same reference. The corpus is {@code
 * src/test/resources/dev/ocitag/core/ImageRefFuzzTestInputs} (README, "Fuzzing"); with providers
 * installed, the cli module fuzzes {@code Backends.parse}.
 */
class ImageRefFuzzTest {

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void parseDocker(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    ImageRef ref;
    try {
      ref = ImageRef.parseDocker(text);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    assertEquals(ImageRef.DOCKER, ref.transport());
    assertFalse(ref.registry().isEmpty(), "a docker reference names its registry");
    assertFalse(ref.repository().isEmpty());
    assertEquals(ref.repository().toLowerCase(Locale.ROOT), ref.repository());
    assertTrue(ref.registry().length() + 1 + ref.repository().length() <= 255, ref::toString);
    assertTrue(ref.tag() == null || (!ref.tag().isEmpty() && ref.tag().length() <= 128));
    assertEquals(ref, ImageRef.parseDocker(ref.toString()), "printed and read again");
    assertEquals(ref, ImageRef.parseDocker("docker://" + ref));
    assertEquals(ref.repositoryRef(), ImageRef.parseDocker(ref.repositoryName()));
  }

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void parseRepository(byte[] input) {
    String text = "mem:" + new String(input, StandardCharsets.UTF_8);
    ImageRef ref;
    try {
      ref = ImageRef.parseRepository("mem", text, text.substring(4));
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    assertEquals("", ref.registry());
    assertNotNull(ref.repository());
    String printed = ref.toString();
    assertTrue(printed.startsWith("mem:"), printed);
    assertEquals(ref, ImageRef.parseRepository("mem", printed, printed.substring(4)));
  }
}
