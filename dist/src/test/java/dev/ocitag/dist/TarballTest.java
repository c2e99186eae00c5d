package dev.ocitag.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.Skopeo;
import dev.ocitag.ecr.testing.FakeEcr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release tarball as a user meets it: unpacked with tar somewhere else than where it was built
 * (the class data archive must still fit), read-only, run with no JDK on the PATH: a layout, an
 * HTTPS registry with a private CA and Basic auth, ECR through an OIDC web identity (STS), an
 * unsupported platform, an archive that does not fit.
 */
class TarballTest {
  private static final Path TARBALL = Path.of(System.getProperty("dist.tarball"));
  private static final Path EXAMPLE = Path.of(System.getProperty("dist.example")).toAbsolutePath();
  private static final String VERSION = System.getProperty("dist.version");

  @RegisterExtension static final RealRegistry registry = RealRegistry.basic().tls();

  @TempDir static Path unpacked;
  static Path ocitag;
  static Map<String, String> treeBefore;

  @BeforeAll
  static void unpack() throws Exception {
    Command.run(List.of("tar", "-xzf", TARBALL.toString(), "-C", unpacked.toString())).expect(0);
    Path home = unpacked.resolve("ocitag-" + VERSION);
    ocitag = home.resolve("bin/ocitag");
    try (Stream<Path> files = Files.walk(home)) {
      for (Path f : (Iterable<Path>) files::iterator) { // read-only, as under /opt for a user
        Files.setPosixFilePermissions(
            f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "r-xr-xr-x" : "r--r--r--"));
      }
    }
    for (Path x : List.of(ocitag, home.resolve("runtime/bin/java"))) {
      Files.setPosixFilePermissions(x, PosixFilePermissions.fromString("r-xr-xr-x"));
    }
    try (Stream<Path> libs = Files.list(home.resolve("runtime/lib"))) {
      for (Path f : (Iterable<Path>) libs::iterator) {
        if (f.getFileName().toString().equals("jspawnhelper")) {
          Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
      }
    }
    treeBefore = snapshot(home);
  }

  /** Every file of the tree with its size and modification time. */
  private static Map<String, String> snapshot(Path home) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(home)) {
      for (Path f : (Iterable<Path>) all::iterator) {
        files.put(
            home.relativize(f).toString(),
            Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis());
      }
    }
    return files;
  }

  /** Runs bin/ocitag with a PATH without a JDK and without ~/.docker or ~/.aws of the machine. */
  private static Command ocitag(Map<String, String> env, String... args) throws Exception {
    List<String> argv = new ArrayList<>();
    argv.add(ocitag.toString());
    argv.addAll(List.of(args));
    Map<String, String> all = new HashMap<>();
    all.put("PATH", "/usr/bin:/bin");
    all.put("JAVA_HOME", "/nonexistent");
    all.put("DOCKER_CONFIG", unpacked.resolve("no-docker").toString());
    all.put("AWS_CONFIG_FILE", unpacked.resolve("no-aws-config").toString());
    all.put("AWS_SHARED_CREDENTIALS_FILE", unpacked.resolve("no-aws-credentials").toString());
    all.put("AWS_EC2_METADATA_DISABLED", "true");
    all.putAll(env);
    return Command.run(argv, all);
  }

  private static Command ocitag(String... args) throws Exception {
    return ocitag(Map.of(), args);
  }

  @Test
  void isWithinItsSizeTarget() throws IOException {
    long size = Files.size(TARBALL);
    assertTrue(size <= 60_000_000L, TARBALL + " is " + size + " bytes, over 60 MB");
  }

  @Test
  void printsItsVersionAndWithoutACommandItsHelp() throws Exception {
    assertTrue(ocitag("--version").expect(0).stdout().contains(VERSION));
    Command usage = ocitag().expect(2);
    assertTrue((usage.stdout() + usage.err()).contains("Usage: ocitag"), usage.toString());
  }

  @Test
  void tagsALayoutWithItsClassesFromTheArchive(@TempDir Path tmp) throws Exception {
    Command.require("skopeo", "the independent check of the digest (Debian package skopeo)");
    Path layout = tmp.resolve("hello");
    TrainingRun.copyTree(EXAMPLE, layout);
    Path classes = tmp.resolve("classes.log");
    Command tagged =
        ocitag(
            Map.of("OCITAG_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes),
            "tag",
            "oci:" + layout + ":latest",
            "v2");
    tagged.expect(0);
    assertTrue(
        tagged.stdout().startsWith("created   oci:" + layout + ":v2 sha256:"), tagged.toString());
    String ours = ocitag("digest", "oci:" + layout + ":v2").expect(0).stdout().trim();
    byte[] raw =
        Command.run(List.of("skopeo", "inspect", "--raw", "oci:" + layout + ":v2")).expect(0).out();
    assertEquals(Command.sha256(raw), ours, "skopeo agrees on the digest");

    // unpacked elsewhere than where it was trained, the archive still serves the run's classes (all
    // but a few lambda and method handle classes spun at run time; a run without the archive gets
    // none from it, see runsWithoutTheArchiveWhenItDoesNotFit)
    List<String> loaded = Files.readAllLines(classes);
    long shared = loaded.stream().filter(l -> l.contains("source: shared objects file")).count();
    assertTrue(
        shared >= 0.9 * loaded.size(),
        shared + " of " + loaded.size() + " classes from the archive");
  }

  @Test
  void retagsOnAnHttpsRegistryWithACaAndBasicAuth(@TempDir Path tmp) throws Exception {
    Skopeo.require();
    Path docker =
        registry.writeDockerConfig(tmp.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD);
    String ca = registry.caPem().toString();
    String repo = registry.host() + "/dist/app";
    ocitag(
            "--ca-file",
            ca,
            "--docker-config",
            docker.toString(),
            "tag",
            "oci:" + EXAMPLE + ":latest",
            repo + ":src")
        .expect(0);
    Command retag =
        ocitag("--ca-file", ca, "--docker-config", docker.toString(), "tag", repo + ":src", "prod")
            .expect(0);
    assertTrue(retag.stdout().startsWith("created   " + repo + ":prod sha256:"), retag.toString());
    String digest = retag.stdout().trim().substring(retag.stdout().indexOf("sha256:"));
    byte[] raw = Skopeo.inspectRaw(registry, dev.ocitag.core.ImageRef.parse(repo + ":prod"));
    assertEquals(Skopeo.sha256sum(raw), digest);
    // the system's CAs alone do not trust the test CA: refused, one line, exit 1
    Command untrusted = ocitag("--docker-config", docker.toString(), "tag", repo + ":src", "other");
    assertEquals(1, untrusted.code(), untrusted.toString());
    assertEquals(1, untrusted.err().lines().count(), untrusted.toString());
  }

  @Test
  void promotesWithBoringSslFromItsTreeWhereTheTemporaryDirectoryHoldsNothing(@TempDir Path tmp)
      throws Exception {
    Skopeo.require();
    Path lib = ocitag.getParent().resolveSibling("lib");
    assertTrue(Files.isRegularFile(lib.resolve("libconscrypt_openjdk_jni-linux-x86_64.so")));
    Path conscrypt;
    try (Stream<Path> jars = Files.list(lib)) {
      conscrypt =
          jars.filter(j -> j.getFileName().toString().startsWith("conscrypt-"))
              .findFirst()
              .orElseThrow();
    }
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(conscrypt.toFile())) {
      assertTrue(jar.getEntry("org/conscrypt/Conscrypt.class") != null, "its classes");
      assertTrue(
          jar.stream().noneMatch(e -> e.getName().startsWith("META-INF/native/")),
          "no library left in the jar to unpack");
    }
    Path docker =
        registry.writeDockerConfig(tmp.resolve("docker"), RealRegistry.USER, RealRegistry.PASSWORD);
    String target = registry.host() + "/dist/promoted:1";
    // /proc as java.io.tmpdir: a directory no one, root included, can create a file in
    Command promoted =
        ocitag(
            Map.of("OCITAG_JAVA_OPTS", "-Djava.io.tmpdir=/proc -verbose:jni"),
            "--debug",
            "--ca-file",
            registry.caPem().toString(),
            "--docker-config",
            docker.toString(),
            "tag",
            "oci:" + EXAMPLE + ":latest",
            target);
    promoted.expect(0);
    assertTrue(
        promoted.stdout().contains("Registering JNI native method org.conscrypt.NativeCrypto"),
        "BoringSSL loaded from lib/");
    assertTrue(
        promoted.err().contains("debug: tls: blob streams use BoringSSL (Conscrypt)"),
        promoted.err());
    // JDK 25 warns about System.loadLibrary unless native access is enabled (bin/ocitag does)
    assertTrue(promoted.err().lines().noneMatch(l -> l.contains("WARNING")), promoted.err());
    Matcher created =
        Pattern.compile("created   \\S+ (sha256:[0-9a-f]{64})").matcher(promoted.stdout());
    assertTrue(created.find(), promoted.toString());
    byte[] raw = Skopeo.inspectRaw(registry, dev.ocitag.core.ImageRef.parse(target));
    assertEquals(Skopeo.sha256sum(raw), created.group(1));
  }

  @Test
  void tagsInEcrWithAnOidcRoleThroughSts(@TempDir Path tmp) throws Exception {
    String token = "oidc-" + System.nanoTime();
    try (FakeEcr ecr = FakeEcr.start();
        FakeSts sts = FakeSts.start(token)) {
      ecr.createRepository("app");
      ecr.seed("app", TestImages.ociImage("dist"), "src");
      Path tokenFile = Files.writeString(tmp.resolve("token"), token);
      Map<String, String> env =
          Map.of(
              "AWS_WEB_IDENTITY_TOKEN_FILE",
              tokenFile.toString(),
              "AWS_ROLE_ARN",
              FakeSts.ROLE,
              "AWS_ENDPOINT_URL_STS",
              sts.endpoint(),
              "AWS_REGION",
              "us-east-1");
      ocitag(env, "--endpoint-url", ecr.endpoint(), "tag", "ecr:app:src", "prod").expect(0);
      assertEquals(ecr.tagDigest("app", "src"), ecr.tagDigest("app", "prod"));
      assertEquals(1, sts.granted());

      Files.writeString(tokenFile, "a token STS refuses");
      Command denied = ocitag(env, "--endpoint-url", ecr.endpoint(), "tag", "ecr:app:src", "x");
      assertEquals(5, denied.code(), denied.toString());
      assertEquals(1, denied.err().lines().count(), denied.toString());
      assertFalse(ecr.tags("app").contains("x"));
    }
  }

  @Test
  void refusesAnotherPlatformWithOneLine(@TempDir Path tmp) throws Exception {
    Path fake = Files.createDirectories(tmp.resolve("bin"));
    Path uname = fake.resolve("uname");
    Files.writeString(uname, "#!/bin/sh\necho 'Darwin arm64'\n");
    Files.setPosixFilePermissions(uname, PosixFilePermissions.fromString("rwxr-xr-x"));
    Command refused = ocitag(Map.of("PATH", fake + ":/usr/bin:/bin"), "--version");
    assertEquals(1, refused.code(), refused.toString());
    assertEquals("", refused.stdout());
    assertEquals(
        List.of(
            "ocitag: this build runs on Linux x86_64, not on Darwin arm64; see the README for other"
                + " ways to run ocitag"),
        refused.err().lines().toList());
  }

  @Test
  void runsC1AloneWithBoringSslAndC2ForPromotionsWithoutAndTheArchiveServesBoth(@TempDir Path tmp)
      throws Exception {
    Path layout = tmp.resolve("hello");
    TrainingRun.copyTree(EXAMPLE, layout);
    Path batch = tmp.resolve("promote.txt");
    Files.writeString(batch, "oci:" + layout + ":latest oci:" + tmp.resolve("far") + ":v1\n");
    List<List<String>> commands =
        List.of(
            List.of("tag", "oci:" + layout + ":latest", "v2"),
            List.of("tag", "oci:" + layout + ":latest", "oci:" + tmp.resolve("other") + ":v1"),
            List.of("batch", batch.toString()),
            List.of("--report", tmp.resolve("r.jsonl").toString(), "tag", layout + "x", "v3"),
            List.of("--version"),
            // BoringSSL turned off: the promotions' JDK crypto wants C2
            List.of("-Docitag.nativeCrypto=false", "tag", "oci:" + layout + ":latest", "v4"),
            List.of(
                "-Docitag.nativeCrypto=false",
                "tag",
                "oci:" + layout + ":latest",
                "oci:" + tmp.resolve("other") + ":v2"));
    List<String> levels = new ArrayList<>();
    List<String> mappings = new ArrayList<>();
    List<Integer> codes = new ArrayList<>();
    for (List<String> command : commands) {
      Path classes = tmp.resolve("classes.log");
      Files.deleteIfExists(classes);
      String opts = "-XX:+PrintFlagsFinal -Xlog:class+load=info:file=" + classes;
      if (command.get(0).startsWith("-D")) { // a JVM option, not the command's
        opts = opts + " " + command.get(0);
        command = command.subList(1, command.size());
      }
      Command run = ocitag(Map.of("OCITAG_JAVA_OPTS", opts), command.toArray(String[]::new));
      Matcher level = Pattern.compile("intx TieredStopAtLevel\\s+= (\\d)").matcher(run.stdout());
      assertTrue(level.find(), run.toString());
      levels.add(level.group(1));
      Matcher mode = Pattern.compile("int ArchiveRelocationMode\\s+= (\\d)").matcher(run.stdout());
      assertTrue(mode.find(), run.toString());
      mappings.add(mode.group(1));
      codes.add(run.code());
      List<String> loaded = Files.readAllLines(classes);
      long shared = loaded.stream().filter(l -> l.contains("source: shared objects file")).count();
      assertTrue(
          shared >= 0.8 * loaded.size(),
          command + ": " + shared + " of " + loaded.size() + " classes from the archive");
    }
    // C1 alone (BoringSSL hashes and encrypts the promotions' blobs), and C2 as well for a
    // promotion without it; the fourth (a bad source, exit 2) is no promotion, its --report's file
    // no target
    assertEquals(List.of("1", "1", "1", "1", "1", "1", "4"), levels);
    // the archive mapped where it was made while every reference is a layout (or there is none);
    // relocated for a batch file (not read ahead) and for a source that is no layout
    assertEquals(List.of("0", "0", "1", "1", "0", "0", "0"), mappings);
    assertEquals(List.of(0, 0, 0, 2, 0, 0, 0), codes);
  }

  @Test
  void runsWithoutTheArchiveWhenItDoesNotFit(@TempDir Path tmp) throws Exception {
    Path home = tmp.resolve("ocitag");
    Command.run(List.of("cp", "-r", ocitag.getParent().getParent().toString(), home.toString()))
        .expect(0);
    Path archive = home.resolve("lib/ocitag.jsa");
    Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-r--r--"));
    Files.write(archive, new byte[4096]); // an archive of another build: zeros
    Path classes = tmp.resolve("classes.log");
    Command run =
        Command.run(
            List.of(home.resolve("bin/ocitag").toString(), "digest", "oci:" + EXAMPLE + ":latest"),
            Map.of("OCITAG_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes));
    run.expect(0);
    assertEquals(
        "sha256:7143580665883bf4a770e8582aa3e742a246d8cdab57fac0870c6163a760f70a\n", run.stdout());
    assertEquals("", run.err(), "no JVM message: only slower");
    assertTrue(
        Files.readAllLines(classes).stream().noneMatch(l -> l.contains("shared objects file")));
  }

  @Test
  void writesNothingIntoItsTree() throws Exception {
    ocitag("--version").expect(0);
    ocitag("digest", "oci:" + EXAMPLE + ":latest").expect(0);
    assertEquals(treeBefore, snapshot(ocitag.getParent().getParent()));
  }
}
