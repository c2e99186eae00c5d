package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Timeout;

/**
 * Every reference form with every provider installed, as the CLI has them ({@code oci:}, {@code
 * ecr:} and ECR hosts, docker references): a reference or {@link OcitagException.InvalidInput},
 * nothing else; a reference is served by an installed provider and prints as text that parses back
 * to it. The corpus is {@code src/test/resources/dev/ocitag/cli/ReferenceFuzzTestInputs} (README,
 * "Fuzzing").
 */
class ReferenceFuzzTest {

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    ImageRef ref;
    try {
      ref = Backends.parse(text);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    assertEquals(ref.transport(), Backends.provider(ref).transport());
    assertEquals(ref, Backends.parse(ref.toString()), "printed and read again");
    assertEquals(ref.repositoryRef(), Backends.parse(ref.repositoryName()));
  }

  /** A target as {@code ocitag tag SOURCE TARGET} reads it: the source, a newline, the target. */
  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void targetArg(byte[] input) {
    String arg = new String(Fuzzing.afterFirstLine(input), StandardCharsets.UTF_8);
    ImageRef source;
    ImageRef target;
    try {
      source = Backends.parse(Fuzzing.firstLine(input));
      target = ImageRef.target(source, arg);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    boolean bareTag = arg.indexOf('/') < 0 && arg.indexOf(':') < 0 && arg.indexOf('@') < 0;
    if (bareTag) {
      assertTrue(target.sameRepository(source), () -> source + " " + arg + " -> " + target);
      assertEquals(arg, target.tag());
      assertNull(target.digest());
    } else {
      assertEquals(Backends.parse(arg), target);
    }
  }
}
