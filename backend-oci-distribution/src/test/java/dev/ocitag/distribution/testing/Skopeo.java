package dev.ocitag.distribution.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ocitag.core.ImageRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The independent check: {@code skopeo inspect --raw} reads a manifest through another client, and
 * {@code sha256sum} hashes it with another implementation.
 */
public final class Skopeo {
  private Skopeo() {}

  /** Skips (or fails with CI=true) when skopeo is not installed. */
  public static void require() {
    if (!Files.isExecutable(Path.of("/usr/bin/skopeo")) && !onPath("skopeo")) {
      String why = "skopeo is not installed (Debian package skopeo)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
  }

  private static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }

  /** The raw manifest bytes of {@code ref} as skopeo reads them (with the test credentials). */
  public static byte[] inspectRaw(RealRegistry registry, ImageRef ref) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "inspect", "--raw"));
    if (registry.isTls()) {
      // verifies the registry's certificate against the test CA (and shows the client certificate)
      cmd.add("--cert-dir");
      cmd.add(registry.certDir().toString());
    } else {
      cmd.add("--tls-verify=false"); // plain HTTP
    }
    if (registry.mode() != RealRegistry.Mode.OPEN) {
      cmd.add("--creds");
      cmd.add(RealRegistry.USER + ":" + RealRegistry.PASSWORD);
    }
    cmd.add("docker://" + ref);
    return run(cmd, null);
  }

  /** The raw manifest bytes of {@code ref} on an anonymous plain-HTTP registry. */
  public static byte[] inspectRaw(ImageRef ref) throws Exception {
    return run(
        List.of("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref), null);
  }

  /** {@code sha256sum} of these bytes, as {@code sha256:<hex>}. */
  public static String sha256sum(byte[] bytes) throws Exception {
    String out = new String(run(List.of("sha256sum"), bytes), StandardCharsets.US_ASCII);
    return "sha256:" + out.substring(0, out.indexOf(' '));
  }

  private static byte[] run(List<String> cmd, byte[] stdin) throws Exception {
    Path err = Files.createTempFile("ocitag-cmd", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd + " did not finish in 60s");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            cmd.get(0) + " failed (" + p.exitValue() + "): " + Files.readString(err));
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
