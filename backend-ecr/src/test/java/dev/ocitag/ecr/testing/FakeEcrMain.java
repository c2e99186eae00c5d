package dev.ocitag.ecr.testing;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;

/**
 * Runs {@link FakeEcr} as a process, for demonstrations, the CLI's tests and the benchmark:
 *
 * <pre>
 * java -cp ... dev.ocitag.ecr.testing.FakeEcrMain [--port N] [--latency MS] [--bench-repos N] [--moto]
 * </pre>
 *
 * ({@code --moto}: BatchGetImage answers as moto and LocalStack do, see {@link
 * FakeEcr#echoLikeMoto}.)
 *
 * <p>It prints {@code endpoint http://127.0.0.1:PORT} when ready and serves until killed. Clients
 * sign with {@code AWS_ACCESS_KEY_ID=}{@value FakeEcr#ACCESS_KEY} and {@code
 * AWS_SECRET_ACCESS_KEY=} {@value FakeEcr#SECRET_KEY}. Seeded repositories (every one has {@code
 * src}, an OCI manifest with odd indentation and a trailing newline):
 *
 * <ul>
 *   <li>{@code app} (MUTABLE): {@code old} (another image), {@code multi} (OCI index), {@code list}
 *       (Docker manifest list);
 *   <li>{@code locked} (IMMUTABLE): {@code same} (on src's digest), {@code taken} (another image);
 *   <li>{@code mixed} (IMMUTABLE_WITH_EXCLUSION, filter {@code dev-*}): {@code release} and {@code
 *       dev-1} (another image);
 *   <li>{@code bench} (MUTABLE): {@code other} (another image);
 *   <li>with {@code --bench-repos N}: {@code b0} to {@code bN-1} (MUTABLE), for bench/speed.sh.
 * </ul>
 */
public final class FakeEcrMain {
  private FakeEcrMain() {}

  public static void main(String[] args) throws Exception {
    int port = 0;
    int latency = 0;
    int benchRepos = 0;
    boolean moto = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--latency" -> latency = Integer.parseInt(args[++i]);
        case "--bench-repos" -> benchRepos = Integer.parseInt(args[++i]);
        case "--moto" -> moto = true;
        default -> {
          System.err.println(
              "usage: FakeEcrMain [--port N] [--latency MS] [--bench-repos N] [--moto]");
          System.exit(2);
        }
      }
    }
    FakeEcr fake = FakeEcr.start(port);
    fake.latency(latency);
    fake.echoLikeMoto(moto);
    TestImage src = TestImages.ociImage("demo");
    TestImage other = TestImages.dockerImage("demo-other");

    fake.createRepository("app");
    fake.seed("app", src, "src");
    fake.seed("app", other, "old");
    fake.seed("app", TestImages.ociIndex("demo"), "multi");
    fake.seed("app", TestImages.dockerManifestList("demo"), "list");

    fake.createRepository("locked", "IMMUTABLE");
    fake.seed("locked", src, "src");
    fake.seed("locked", src, "same");
    fake.seed("locked", other, "taken");

    fake.createRepository("mixed", "IMMUTABLE_WITH_EXCLUSION", "dev-*");
    fake.seed("mixed", src, "src");
    fake.seed("mixed", other, "release");
    fake.seed("mixed", other, "dev-1");

    fake.createRepository("bench");
    fake.seed("bench", src, "src");
    fake.seed("bench", other, "other");
    for (int i = 0; i < benchRepos; i++) {
      fake.createRepository("b" + i);
      fake.seed("b" + i, src, "src");
    }

    System.out.println("endpoint " + fake.endpoint());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(fake::close));
    Thread.currentThread().join();
  }
}
