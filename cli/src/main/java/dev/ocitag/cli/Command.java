package dev.ocitag.cli;

/** One subcommand: runs with the parsed command line and returns the exit code. */
interface Command {
  int run(Main main, Args args) throws Exception;
}
