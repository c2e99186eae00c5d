package dev.ocitag.dist;

import dev.ocitag.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The training run behind the release's class data archive: real commands, as users type them, in
 * the release's runtime and on its class path (this class alone comes from the training jar, after
 * the product's jars; the archive is dumped from the list of classes it loaded with bin/ocitag's
 * class path alone, so this class stays out of it). {@link TrainingRun} starts the servers and this
 * JVM. Each command's exit code is checked: a training that fails fails the build, so it is also
 * the first run of the jlink'd runtime on TLS, the ECR API and STS.
 *
 * <p>Arguments: EXAMPLE_LAYOUT LAYOUT_COPY HTTPS_REGISTRY CA_PEM DOCKER_CONFIG HELPER_CONFIG
 * PLAIN_REGISTRY ECR_ENDPOINT ECR_ACCOUNT. AWS credentials come from the environment: a web
 * identity (OIDC) token for STS; the access keys are set as system properties for the first ECR
 * commands, then cleared so the default chain goes on to the web identity.
 */
public final class Training {
  private Training() {}

  public static void main(String[] args) {
    String example = args[0];
    String copy = args[1];
    String secure = args[2];
    String[] tls = {"--ca-file", args[3], "--docker-config", args[4]};
    String[] helper = {"--ca-file", args[3], "--docker-config", args[5]};
    String plain = args[6];
    String[] ecr = {"--endpoint-url", args[7], "--region", "us-east-1"};
    String ecrHost = args[8] + ".dkr.ecr.us-east-1.amazonaws.com";
    List<String> failures = new ArrayList<>();
    Runner run = new Runner(failures);

    run.expect(0, "--version");
    run.expect(2); // no command: the help, exit 2 (the image without arguments)
    run.expect(0, "help", "tag");
    for (String format : new String[] {"text", "json"}) {
      // a layout: read, plan, tag, list
      run.expect(0, "-o", format, "digest", "oci:" + example + ":latest");
      run.expect(0, "-o", format, "tag", "--dry-run", "oci:" + example + ":latest", "t");
      run.expect(0, "-o", format, "tag", "oci:" + copy + ":latest", "v2-" + format);
      run.expect(0, "-o", format, "tags", "oci:" + copy);
      run.expect(4, "-o", format, "digest", "oci:" + copy + ":missing");
      // an HTTPS registry: promotion into it (blobs), then the retag users time
      run.expect(0, join(tls, "-o", format, "tag", "oci:" + copy + ":latest", secure + "/app:src"));
      run.expect(0, join(tls, "-o", format, "tag", secure + "/app:src", "v1", "stable"));
      run.expect(0, join(tls, "-o", format, "digest", secure + "/app:stable"));
      run.expect(4, join(tls, "-o", format, "digest", secure + "/app:missing"));
      // a plain-HTTP loopback registry: the TLS probe falls back; and --plain-http
      run.expect(0, "-o", format, "tag", "oci:" + copy + ":amd64", plain + "/app:src");
      run.expect(0, "--plain-http", "-o", format, "tag", plain + "/app:src", "v1");
    }
    run.expect(0, join(tls, "manifest", secure + "/app:src"));
    run.expect(0, join(tls, "tags", secure + "/app"));
    run.expect(0, join(tls, "untag", secure + "/app:v1"));
    run.expect(0, join(helper, "tag", secure + "/app:src", "helper"));
    run.expect(0, join(tls, "tag", secure + "/app:src", "oci:" + copy + ":pulled"));
    run.expect(0, "untag", "oci:" + copy + ":pulled");
    run.expect(0, "manifest", "oci:" + copy + ":latest");

    // ECR: access keys from system properties, then the OIDC web identity through STS
    System.setProperty("aws.accessKeyId", "AKIAOCITAGTESTKEY000");
    System.setProperty("aws.secretAccessKey", "ocitag/test/secret/key/not/a/real/one0000");
    run.expect(0, join(ecr, "tag", "ecr:app:src", "keys"));
    run.expect(0, join(ecr, "-o", "json", "tag", ecrHost + "/app:src", "keys-json"));
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    run.expect(0, join(ecr, "tag", ecrHost + "/app:src", "oidc"));
    run.expect(0, join(ecr, "digest", "ecr:app:oidc"));
    run.expect(4, join(ecr, "digest", "ecr:app:missing"));
    run.expect(0, "completion", "bash");

    if (!failures.isEmpty()) {
      System.err.println("training: " + failures.size() + " commands did not do what they should:");
      failures.forEach(System.err::println);
      System.exit(1);
    }
    System.out.println("training: " + run.count + " commands");
  }

  private static String[] join(String[] first, String... rest) {
    String[] all = Arrays.copyOf(first, first.length + rest.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }

  /** Runs commands in this JVM, as bin/ocitag would in a new one, and checks their exit codes. */
  private static final class Runner {
    private final List<String> failures;
    int count;

    Runner(List<String> failures) {
      this.failures = failures;
    }

    void expect(int code, String... argv) {
      count++;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int got =
          Main.run(
              argv,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      if (got != code) {
        failures.add(
            "ocitag "
                + String.join(" ", argv)
                + ": exit "
                + got
                + ", expected "
                + code
                + "\n"
                + err.toString(StandardCharsets.UTF_8));
      }
    }
  }
}
