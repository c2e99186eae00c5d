package dev.ocitag.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the CLI: exit code, stdout bytes, stderr text. */
record CliRun(int code, byte[] stdoutBytes, String stderr) {

  static CliRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int code = Main.run(args, o, e);
    return new CliRun(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  String stdout() {
    return new String(stdoutBytes, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr;
  }
}
