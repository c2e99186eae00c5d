package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The options a backend declares, and a run's values of them. */
class BackendOptionsTest {
  // per test, not static: each test makes its options anew
  private final BackendOption<Boolean> fast = BackendOption.flag("go fast", "-f", "--fast");
  private final BackendOption<String> name = BackendOption.text("NAME", "a name", "--name");
  private final BackendOption<Path> dir = BackendOption.path("DIR", "a directory", "--dir");
  private final BackendOption<Duration> timeout =
      BackendOption.of(
          "SECONDS",
          "how long to wait",
          s -> {
            if (s.equals("never")) {
              throw new OcitagException.InvalidInput("--timeout never: say 0 instead");
            }
            return Duration.ofSeconds(Long.parseLong(s));
          },
          Duration.ofSeconds(30),
          "--timeout");

  @Test
  void anOptionSaysWhatACommandLineOffers() {
    assertEquals(List.of("-f", "--fast"), fast.flags());
    assertEquals("--fast", fast.name(), "the long flag, the last");
    assertEquals("--fast", fast.toString());
    assertEquals("go fast", fast.help());
    assertNull(fast.metavar());
    assertFalse(fast.takesValue(), "a switch");
    assertEquals(Boolean.FALSE, fast.defaultValue());
    assertEquals(Boolean.TRUE, fast.parse(""));

    assertEquals("NAME", name.metavar());
    assertTrue(name.takesValue());
    assertNull(name.defaultValue());
    assertEquals("x y", name.parse("x y"));
    assertEquals(Path.of("/tmp/a"), dir.parse("/tmp/a"));
    assertNull(dir.defaultValue());
    assertEquals(Duration.ofSeconds(30), timeout.defaultValue());
    assertEquals(Duration.ofSeconds(5), timeout.parse("5"));
  }

  @Test
  void aBadValueIsInvalidInputNamingTheFlag() {
    OcitagException.InvalidInput e =
        assertThrows(OcitagException.InvalidInput.class, () -> timeout.parse("soon"));
    assertTrue(e.getMessage().startsWith("invalid value 'soon' for --timeout: "), e.getMessage());
    OcitagException.InvalidInput own =
        assertThrows(OcitagException.InvalidInput.class, () -> timeout.parse("never"));
    assertEquals("--timeout never: say 0 instead", own.getMessage(), "the parser's own words");
    assertThrows(IllegalArgumentException.class, () -> BackendOption.flag("no flag"));
  }

  @Test
  void aRunHasDefaultsUntilGivenAValueAndEachWithIsANewRun() {
    BackendOptions defaults = BackendOptions.defaults();
    assertEquals(8, defaults.parallelism());
    assertEquals(Duration.ofSeconds(30), defaults.get(timeout));
    assertEquals(Boolean.FALSE, defaults.get(fast));

    BackendOptions given = defaults.with(timeout, Duration.ofSeconds(2)).with(fast, true);
    assertEquals(Duration.ofSeconds(2), given.get(timeout));
    assertEquals(Boolean.TRUE, given.get(fast));
    assertEquals(Duration.ofSeconds(30), defaults.get(timeout), "the defaults are unchanged");
    assertEquals(
        Duration.ofSeconds(30), given.with(timeout, null).get(timeout), "null: the default");
    assertEquals(Boolean.TRUE, given.with(timeout, null).get(fast), "the others stay");

    BackendOptions one = given.withParallelism(1);
    assertEquals(1, one.parallelism());
    assertEquals(Duration.ofSeconds(2), one.get(timeout));
    assertEquals(8, given.parallelism());
    assertEquals(1, one.with(name, "n").parallelism());
    assertThrows(IllegalArgumentException.class, () -> defaults.withParallelism(0));
  }

  @Test
  void theDebugLogGetsLinesOnlyWhenThereIsOne() {
    BackendOptions quiet = BackendOptions.defaults();
    assertNull(quiet.debug());
    quiet.debug("nobody hears this");

    List<String> lines = new ArrayList<>();
    BackendOptions loud = quiet.withDebug(lines::add).withParallelism(3).with(name, "n");
    loud.debug("one");
    loud.debug().accept("two");
    assertEquals(List.of("one", "two"), lines);
    assertEquals(3, loud.parallelism());
    assertEquals("n", loud.withDebug(null).get(name));
  }
}
