package dev.ocitag.cli;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.OcitagException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code ocitag}: put tags on container images, byte-exact, in layouts, registries and ECR. */
@Command(
    name = "ocitag",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = "Put tags on container images, byte-exact: OCI layouts, registries, Amazon ECR.",
    subcommands = {
      TagCommand.class,
      ManifestCommand.class,
      DigestCommand.class,
      TagsCommand.class,
      UntagCommand.class,
      BatchCommand.class,
      CommandLine.HelpCommand.class
    },
    footerHeading = "%nReferences:%n",
    footer = {
      "  oci:PATH[:TAG|@DIGEST]             an OCI image layout on disk",
      "  ecr:REPO[:TAG|@DIGEST]             Amazon ECR, configured account and region",
      "  ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG|@DIGEST]   Amazon ECR",
      "  [HOST[:PORT]/]NAME[:TAG|@DIGEST]   any registry (OCI distribution API)",
      "",
      "Exit codes: 0 done, 1 failed, 2 usage or invalid input, 3 refused by policy,",
      "4 not found, 5 authentication or permission denied."
    })
public final class Main {

  enum Format {
    text,
    json
  }

  @Option(
      names = {"-o", "--output"},
      scope = ScopeType.INHERIT,
      paramLabel = "FORMAT",
      description = "text (default) or json")
  Format output = Format.text;

  @Option(
      names = "--plain-http",
      scope = ScopeType.INHERIT,
      description = "Use HTTP, not HTTPS (automatic for loopback registries)")
  boolean plainHttp;

  @Option(
      names = "--insecure",
      scope = ScopeType.INHERIT,
      description = "Skip TLS certificate verification")
  boolean insecure;

  @Option(
      names = "--docker-config",
      scope = ScopeType.INHERIT,
      paramLabel = "DIR",
      description =
          "Docker config directory for registry credentials (default: $DOCKER_CONFIG or ~/.docker)")
  Path dockerConfig;

  @Option(names = "--region", scope = ScopeType.INHERIT, description = "AWS region for ECR")
  String region;

  @Option(names = "--profile", scope = ScopeType.INHERIT, description = "AWS profile for ECR")
  String profile;

  @Option(
      names = "--endpoint-url",
      scope = ScopeType.INHERIT,
      paramLabel = "URL",
      description = "ECR API endpoint (default: $AWS_ENDPOINT_URL_ECR or AWS's)")
  String endpointUrl;

  @Option(
      names = "--registry-id",
      scope = ScopeType.INHERIT,
      paramLabel = "ACCOUNT",
      description = "ECR registry (account) id for ecr: references")
  String registryId;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Say what is being done on stderr")
  boolean verbose;

  @Option(
      names = "--debug",
      scope = ScopeType.INHERIT,
      description = "Log requests and responses (secrets redacted) and stack traces on stderr")
  boolean debug;

  PrintStream out;
  PrintStream err;

  public static void main(String[] args) {
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
    int code = run(args, out, System.err);
    out.flush();
    System.exit(code);
  }

  /** Runs one command line; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Main main = new Main();
    main.out = out;
    main.err = err;
    CommandLine cli = new CommandLine(main);
    cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cli.setExitCodeExceptionMapper(
        e -> e instanceof OcitagException o ? ExitCode.of(o) : ExitCode.FAILED);
    cli.setParameterExceptionHandler(
        (e, a) -> {
          String command = e.getCommandLine().getCommandSpec().qualifiedName();
          err.println("ocitag: " + e.getMessage() + " (see '" + command + " --help')");
          return ExitCode.USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parsed) -> {
          out.flush();
          if (main.debug) {
            e.printStackTrace(err);
          }
          if (e instanceof OcitagException o) {
            err.println("ocitag: " + oneLine(o.getMessage()));
            return ExitCode.of(o);
          }
          err.println(
              "ocitag: internal error: "
                  + oneLine(String.valueOf(e))
                  + (main.debug ? "" : " (run with --debug for details)"));
          return ExitCode.FAILED;
        });
    int code = cli.execute(args);
    out.flush();
    return code;
  }

  static String oneLine(String message) {
    return message == null ? "" : message.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  BackendOptions backendOptions(int parallelism) {
    return new BackendOptions(
        plainHttp,
        insecure,
        dockerConfig,
        region,
        profile,
        endpointUrl,
        registryId,
        parallelism,
        debug ? line -> err.println("debug: " + line) : null);
  }

  void verbose(String line) {
    if (verbose || debug) {
      err.println("ocitag: " + line);
    }
  }

  /** The version, from the build. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("/ocitag-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "ocitag " + p.getProperty("version", "dev"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
      };
    }
  }
}
