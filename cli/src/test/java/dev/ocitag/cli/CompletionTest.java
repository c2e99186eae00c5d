package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion scripts, run by the real shells on what a user would type. */
class CompletionTest {
  @TempDir Path dir;

  /**
   * Sources the script in bash and completes the words (the last one is being typed), split at
   * blanks only (COMP_WORDBREAKS without ':').
   */
  private String complete(String shellScript, String... words) throws Exception {
    return completeAsReadline(shellScript, String.join(" ", words), false, words);
  }

  /**
   * Completes {@code line} as readline hands it over: {@code words} as readline split them and,
   * where {@code colonSplits}, COMP_WORDBREAKS with its default ':'.
   */
  private String completeAsReadline(
      String shellScript, String line, boolean colonSplits, String... words) throws Exception {
    Path script = dir.resolve("ocitag.bash");
    Files.writeString(script, shellScript);
    StringBuilder w = new StringBuilder();
    for (String word : words) {
      w.append(" '").append(word).append("'");
    }
    String full = "ocitag " + line;
    String program =
        "source "
            + script
            + "; COMP_WORDBREAKS="
            + (colonSplits ? "' :'" : "' '")
            + "; COMP_WORDS=(ocitag"
            + w
            + "); COMP_CWORD="
            + words.length
            + "; COMP_LINE='"
            + full
            + "'; COMP_POINT="
            + full.length()
            + "; _ocitag; printf '%s\\n' \"${COMPREPLY[@]}\"";
    return run(List.of("bash", "-c", program));
  }

  private String run(List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.txt").toFile())
            .start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the shell finished");
    String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static String script(String shell) {
    CliRun run = CliRun.of("completion", shell);
    assertEquals(0, run.code(), run.toString());
    return run.stdout();
  }

  @Test
  void bashCompletesCommandsOptionsValuesAndLayoutPaths() throws Exception {
    String bash = script("bash");
    assertEquals("tag\ntags\n", complete(bash, "ta"));
    assertEquals("--dry-run\n", complete(bash, "tag", "--dry"));
    assertEquals("referrers\n", complete(bash, "ref"));
    assertEquals("--referrers\n--referrers-type\n", complete(bash, "tag", "--ref"));
    assertEquals("--referrers\n--referrers-type\n", complete(bash, "batch", "--ref"));
    assertEquals("--referrers-type\n", complete(bash, "referrers", "--ref"));
    assertEquals("\n", complete(bash, "digest", "--dry"), "digest has no --dry-run");
    assertEquals("--docker-config\n", complete(bash, "digest", "--dock"));
    assertEquals("json\n", complete(bash, "-o", "j"));
    assertEquals("bash\nzsh\n", complete(bash, "completion", ""));
    Files.createDirectories(dir.resolve("layouts/hello"));
    assertEquals("oci:layouts/hello\n", complete(bash, "tag", "oci:layouts/h"));
    // what bash really hands over: readline split "oci:layouts/h" at the colon, and replaces only
    // what follows it
    assertEquals(
        "layouts/hello\n",
        completeAsReadline(bash, "tag oci:layouts/h", true, "tag", "oci", ":", "layouts/h"));
    // the value of an option is not taken for the command
    assertEquals("--jobs\n", complete(bash, "--docker-config", "cfg", "tag", "--jo"));
  }

  @Test
  void bashCompletesRollbackAndTheUndoOptions() throws Exception {
    String bash = script("bash");
    Files.writeString(dir.resolve("release.jsonl"), "");
    assertEquals("rollback\n", complete(bash, "rol"));
    assertEquals("release.jsonl\n", complete(bash, "rollback", "rel"), "REPORT is a file");
    assertEquals("--atomic\n", complete(bash, "tag", "--at"));
    assertEquals("--atomic\n", complete(bash, "batch", "--at"));
    assertEquals("\n", complete(bash, "rollback", "--at"), "rollback has no --atomic");
    assertEquals("--report\n", complete(bash, "rollback", "--rep"));
    assertEquals("release.jsonl\n", complete(bash, "batch", "--report", "rel"));
    // --report takes a value: the word after it is not the command's parameter
    assertEquals("--dry-run\n", complete(bash, "rollback", "--report", "x.jsonl", "--dry"));
  }

  @Test
  void zshLoadsTheScriptAndRegistersTheFunction() throws Exception {
    boolean zsh =
        Files.isExecutable(Path.of("/usr/bin/zsh")) || Files.isExecutable(Path.of("/bin/zsh"));
    if (!zsh && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("CI=true and no zsh (./test.sh installs it)");
    }
    Assumptions.assumeTrue(zsh, "zsh is not installed (./test.sh installs it)");
    Path script = dir.resolve("ocitag.zsh");
    Files.writeString(script, script("zsh"));
    String out =
        run(
            List.of(
                "zsh",
                "-f",
                "-c",
                "source " + script + " && print -r -- ${_comps[ocitag]} && whence -w _ocitag"));
    assertTrue(out.contains("_ocitag: function"), out);
  }

  @Test
  void anUnknownShellIsAUsageError() throws IOException {
    CliRun run = CliRun.of("completion", "fish");
    assertEquals(2, run.code(), run.toString());
    assertTrue(run.stderr().contains("unknown shell 'fish'"), run.stderr());
    assertEquals(1, run.stderr().lines().count(), run.stderr());
  }
}
