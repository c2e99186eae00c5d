package dev.ocitag.cli;

import dev.ocitag.cli.Args.Option;
import dev.ocitag.cli.Args.Spec;
import dev.ocitag.core.BackendOption;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ClassPathHead;
import dev.ocitag.core.OcitagException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;

/** {@code ocitag}: put tags on container images, byte-exact, in layouts, registries and ECR. */
public final class Main {

  enum Format {
    text,
    json
  }

  static final Option OUTPUT = Option.value("FORMAT", "text (default) or json", "-o", "--output");

  /** The backends' own options (registry, ECR, ...), as their providers declare them. */
  private static final Map<Option, BackendOption<?>> BACKEND_OPTIONS = new LinkedHashMap<>();

  static {
    for (BackendOption<?> o : Backends.options()) {
      String[] flags = o.flags().toArray(String[]::new);
      BACKEND_OPTIONS.put(
          o.takesValue()
              ? Option.value(o.metavar(), o.help(), flags)
              : Option.flag(o.help(), flags),
          o);
    }
  }

  static final Option VERBOSE = Option.flag("Say what is being done on stderr", "-v", "--verbose");
  static final Option DEBUG =
      Option.flag("Log requests (secrets redacted) and stack traces on stderr", "--debug");
  static final Option HELP = Option.flag("Show this help and exit", "-h", "--help");
  static final Option VERSION = Option.flag("Print the version and exit", "-V", "--version");
  static final List<Option> GLOBAL = global();

  private static List<Option> global() {
    List<Option> all = new ArrayList<>();
    all.add(OUTPUT);
    all.addAll(BACKEND_OPTIONS.keySet());
    all.addAll(List.of(VERBOSE, DEBUG, HELP, VERSION));
    return List.copyOf(all);
  }

  private static final Spec HELP_COMMAND =
      new Spec(
          "help",
          List.of("Show the help of ocitag or of one command."),
          List.of(),
          new Args.Params("[COMMAND]", 0, 1, "the command"));

  /** The subcommands, in the order help lists them; each class is loaded only when it runs. */
  private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

  private static final Map<String, Supplier<Command>> COMMANDS = new LinkedHashMap<>();

  static {
    add(TagCommand.SPEC, TagCommand::new);
    add(ManifestCommand.SPEC, ManifestCommand::new);
    add(DigestCommand.SPEC, DigestCommand::new);
    add(TagsCommand.SPEC, TagsCommand::new);
    add(UntagCommand.SPEC, UntagCommand::new);
    add(ReferrersCommand.SPEC, ReferrersCommand::new);
    add(BatchCommand.SPEC, BatchCommand::new);
    add(RollbackCommand.SPEC, RollbackCommand::new);
    add(CompletionCommand.SPEC, CompletionCommand::new);
    SPECS.put(HELP_COMMAND.name(), HELP_COMMAND);
  }

  private static void add(Spec spec, Supplier<Command> command) {
    SPECS.put(spec.name(), spec);
    COMMANDS.put(spec.name(), command);
  }

  private static final List<String> FOOTER =
      List.of(
          "References:",
          "  oci:PATH[:TAG|@DIGEST]             an OCI image layout on disk",
          "  ecr:REPO[:TAG|@DIGEST]             Amazon ECR, configured account and region",
          "  ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]   Amazon ECR",
          "  [HOST[:PORT]/]NAME[:TAG|@DIGEST]   any registry (OCI distribution API)",
          "",
          "Registries: HTTPS_PROXY, HTTP_PROXY and NO_PROXY choose proxies (as curl and docker",
          "read them). TLS trusts the system's CAs, --ca-file, and CAs in",
          "/etc/docker/certs.d/HOST[:PORT]/*.crt (also /etc/containers/certs.d, or the",
          "directories in OCITAG_CERTS_D), whose client.cert and client.key are sent when asked.",
          "",
          "Exit codes: 0 done, 1 failed, 2 usage or invalid input, 3 refused by policy (or a",
          "tag a rollback left alone), 4 not found, 5 authentication or permission denied.");

  final PrintStream out;
  final PrintStream err;
  Format output = Format.text;
  private Args args;
  private boolean debug;

  private Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
    int code = run(args, out, System.err);
    out.flush();
    exit(code);
  }

  /**
   * Ends the process with {@code code}. JDK 21 and later log every {@link System#exit} through a
   * {@link System.Logger}, and finding a logger backend is a ServiceLoader scan that opens every
   * jar on the class path (~40 ms of each cold start of the release, on JDK 25). Where that would
   * happen and no shutdown hook can matter (ocitag registers none; a runtime without JFR, as the
   * release's, has none that writes a recording), the process halts once its output is flushed.
   */
  static void exit(int code) {
    System.out.flush();
    System.err.flush();
    if (Runtime.version().feature() >= 21 && ModuleLayer.boot().findModule("jdk.jfr").isEmpty()) {
      Runtime.getRuntime().halt(code);
    }
    System.exit(code);
  }

  /** Runs one command line; returns the exit code. */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    Main main = new Main(out, err);
    main.debug = List.of(argv).contains("--debug");
    try {
      return main.dispatch(argv);
    } catch (OcitagException e) {
      out.flush();
      if (main.debug) {
        e.printStackTrace(err);
      }
      err.println("ocitag: " + oneLine(e.getMessage()));
      return ExitCode.of(e);
    } catch (Exception e) {
      out.flush();
      if (main.debug) {
        e.printStackTrace(err);
      }
      err.println(
          "ocitag: internal error: "
              + oneLine(String.valueOf(e))
              + (main.debug ? "" : " (run with --debug for details)"));
      return ExitCode.FAILED;
    } finally {
      out.flush();
    }
  }

  private int dispatch(String[] argv) throws Exception {
    args = Args.parse(argv, GLOBAL, SPECS);
    String format = args.value(OUTPUT);
    if (format != null) {
      try {
        output = Format.valueOf(format);
      } catch (IllegalArgumentException e) {
        throw new OcitagException.InvalidInput(
            "invalid value '" + format + "' for --output: want text or json");
      }
    }
    if (args.flag(VERSION)) {
      out.println(version());
      return ExitCode.OK;
    }
    Spec spec = args.command() == null ? null : SPECS.get(args.command());
    if (spec == HELP_COMMAND) {
      args.checkParams(spec);
      String name = args.params().isEmpty() ? null : args.params().get(0);
      if (name != null && !COMMANDS.containsKey(name)) {
        throw Args.usage(null, "unknown command '" + name + "'");
      }
      out.print(Args.help(name == null ? null : SPECS.get(name), GLOBAL, specs(), FOOTER));
      return ExitCode.OK;
    }
    if (args.flag(HELP) || spec == null) {
      out.print(Args.help(spec, GLOBAL, specs(), FOOTER));
      return spec == null && !args.flag(HELP) ? ExitCode.USAGE : ExitCode.OK;
    }
    args.checkParams(spec);
    return COMMANDS.get(spec.name()).get().run(this, args);
  }

  /** Every command's spec, help included, in the order help lists them. */
  static Map<String, Spec> specs() {
    Map<String, Spec> listed = new LinkedHashMap<>(SPECS);
    listed.put(HELP_COMMAND.name(), HELP_COMMAND);
    return listed;
  }

  static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  /** The backends' options as given on the command line, each parsed (and checked) here. */
  BackendOptions backendOptions(int parallelism) {
    BackendOptions options =
        BackendOptions.defaults()
            .withParallelism(parallelism)
            .withDebug(debug ? line -> err.println("debug: " + line) : null);
    for (Map.Entry<Option, BackendOption<?>> e : BACKEND_OPTIONS.entrySet()) {
      options = given(options, e.getKey(), e.getValue());
    }
    return options;
  }

  private <T> BackendOptions given(BackendOptions options, Option flag, BackendOption<T> option) {
    if (!option.takesValue()) {
      return args.flag(flag) ? options.with(option, option.parse("")) : options;
    }
    String value = args.value(flag);
    return value == null ? options : options.with(option, option.parse(value));
  }

  void verbose(String line) {
    if (args.flag(VERBOSE) || debug) {
      err.println("ocitag: " + line);
    }
  }

  private static String version() throws IOException {
    Properties p = new Properties();
    InputStream own = ClassPathHead.open("ocitag-version.properties");
    try (InputStream in =
        own != null ? own : Main.class.getResourceAsStream("/ocitag-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    }
    return "ocitag "
        + p.getProperty("version", "dev")
        + "\nJava "
        + Runtime.version()
        + " ("
        + System.getProperty("java.vm.name")
        + ")";
  }
}
