package dev.ocitag.distribution.testing;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Runs a {@link RealRegistry} outside JUnit, for demonstrations and benchmarks: {@code
 * RealRegistryMain open|basic|token DOCKER_CONFIG_DIR [tls]}. Needs a container engine (see {@code
 * .ci/podman.sh}). Writes a docker config with the test user's credentials into the directory,
 * prints {@code READY 127.0.0.1:PORT} (with {@code tls}, then {@code CA <file>}) and serves until
 * its standard input closes or it is terminated.
 */
public final class RealRegistryMain {
  private RealRegistryMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3 || (args.length == 3 && !args[2].equals("tls"))) {
      System.err.println("usage: RealRegistryMain open|basic|token DOCKER_CONFIG_DIR [tls]");
      System.exit(2);
    }
    RealRegistry registry =
        switch (args[0].toLowerCase(Locale.ROOT)) {
          case "open" -> RealRegistry.open();
          case "basic" -> RealRegistry.basic();
          case "token" -> RealRegistry.token();
          default -> {
            System.err.println("RealRegistryMain: mode: open, basic or token");
            System.exit(2);
            yield null;
          }
        };
    if (args.length == 3) {
      registry.tls();
    }
    if (!RealRegistry.engineAvailable()) {
      System.err.println(
          "RealRegistryMain: no container engine for "
              + RealRegistry.image()
              + "; as root: eval \"$(.ci/podman.sh up)\"");
      System.exit(1);
    }
    registry.start();
    Runtime.getRuntime().addShutdownHook(new Thread(registry::stop));
    registry.writeDockerConfig(Path.of(args[1]), RealRegistry.USER, RealRegistry.PASSWORD);
    System.out.println("READY " + registry.host());
    System.out.println("USER " + RealRegistry.USER);
    if (registry.isTls()) {
      System.out.println("CA " + registry.caPem());
    }
    System.out.flush();
    while (System.in.read() >= 0) {
      // serve until stdin closes
    }
    registry.stop();
  }
}
