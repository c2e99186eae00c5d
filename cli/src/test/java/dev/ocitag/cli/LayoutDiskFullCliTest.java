package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.testing.ExternalTools;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.layout.LayoutFixture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layout on a disk that fills up: a real 1 MiB tmpfs, mounted for each test (root only; CI runs
 * as root, and with {@code CI=true} a failed mount fails the test). Whether the disk fills while
 * index.json or a blob is written, index.json is never truncated: a tag is there or not, no temp
 * file is left behind, and the error is one line (exit 1). Once there is room again, the same
 * command succeeds.
 */
class LayoutDiskFullCliTest {
  private static final String NO_SPACE = "No space left on device";
  @TempDir Path tmp;
  private Path disk;
  private boolean mounted;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    disk = Files.createDirectories(tmp.resolve("disk"));
    String why = mount("mount", "-t", "tmpfs", "-o", "size=1m", "ocitag-test", disk.toString());
    if (why != null) {
      why = "cannot mount a 1 MiB tmpfs (" + why + "); this test needs root";
      if (ExternalTools.ci()) {
        fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      String why = mount("umount", disk.toString());
      if (why != null) {
        fail("umount " + disk + ": " + why);
      }
    }
  }

  /** Runs mount or umount; null when it worked, else why not. */
  private static String mount(String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "did not finish in 30 s";
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }

  /** Fills the disk with a file, leaving {@code free} bytes; returns the file. */
  private Path fill(long free) throws IOException {
    Path filler = disk.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] chunk = new byte[4096];
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      assertTrue(String.valueOf(e.getMessage()).contains(NO_SPACE), e.toString());
    }
    try (FileChannel f = FileChannel.open(filler, StandardOpenOption.WRITE)) {
      f.truncate(Math.max(0, f.size() - free));
    }
    long usable = Files.getFileStore(disk).getUsableSpace();
    assertTrue(usable >= free && usable < free + 16 * 1024, "usable: " + usable);
    return filler;
  }

  /** Temporary files (".NAME.PID.N.T.tmp") anywhere under {@code dir}. */
  private static List<Path> tempFiles(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  /** The tags in index.json, parsed: proof it is whole. */
  private static List<String> tags(Path layout) throws IOException {
    return Json.read(Files.readAllBytes(layout.resolve("index.json")))
        .get("manifests")
        .findValues("org.opencontainers.image.ref.name")
        .stream()
        .map(n -> n.asText())
        .toList();
  }

  /** An image with a 600 KiB layer: more than is left on the disk. */
  private static TestImage bigImage() {
    byte[] layer = new byte[600 * 1024];
    new Random(6).nextBytes(layer);
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
            + "\"digest\":\""
            + Digest.of(config)
            + "\",\"size\":"
            + config.length
            + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
            + "\"digest\":\""
            + Digest.of(layer)
            + "\",\"size\":"
            + layer.length
            + "}]}";
    return new TestImage(
        Manifest.of(manifest.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST),
        Map.of(Digest.of(config), config, Digest.of(layer), layer),
        List.of());
  }

  @Test
  void aFullDiskWhileIndexJsonIsWrittenLeavesItWholeAndTheTagAbsent() throws Exception {
    Path hello = ExampleLayout.copy(disk.resolve("hello"));
    byte[] index = Files.readAllBytes(hello.resolve("index.json"));
    List<String> tags = tags(hello);
    Path filler = fill(0);

    // the manifest is in the layout already: only index.json is written
    CliRun full = CliRun.of("tag", "oci:" + hello + ":latest", "v9");

    assertEquals(1, full.code(), full::toString);
    assertEquals(1, full.stdout().lines().count(), full::toString);
    assertTrue(
        full.stdout().startsWith("failed    oci:" + hello + ":v9: cannot update "), full::toString);
    assertTrue(full.stdout().strip().endsWith(NO_SPACE), full::toString);
    assertArrayEquals(index, Files.readAllBytes(hello.resolve("index.json")));
    assertEquals(tags, tags(hello));
    assertEquals(List.of(), tempFiles(disk));

    Files.delete(filler);
    CliRun room = CliRun.of("tag", "oci:" + hello + ":latest", "v9");
    assertEquals(0, room.code(), room::toString);
    assertTrue(tags(hello).contains("v9"));
  }

  @Test
  void aFullDiskWhileABlobIsWrittenLeavesNoTagNoPartialBlobAndIndexJsonWhole() throws Exception {
    TestImage big = bigImage();
    Path source = LayoutFixture.emptyLayout(tmp.resolve("source"));
    LayoutFixture.seed(source, big, "big");
    Path target = ExampleLayout.copy(disk.resolve("target"));
    byte[] index = Files.readAllBytes(target.resolve("index.json"));
    List<String> tags = tags(target);
    Path filler = fill(200 * 1024);

    CliRun full = CliRun.of("tag", "oci:" + source + ":big", "oci:" + target + ":big");

    assertEquals(1, full.code(), full::toString);
    assertEquals(1, full.stdout().lines().count(), full::toString);
    assertTrue(full.stdout().contains(": cannot write blob sha256:"), full::toString);
    assertTrue(full.stdout().strip().endsWith(NO_SPACE), full::toString);
    assertArrayEquals(index, Files.readAllBytes(target.resolve("index.json")));
    assertEquals(tags, tags(target));
    assertEquals(List.of(), tempFiles(disk));
    Digest layer = Manifest.of(big.bytes(), MediaTypes.OCI_MANIFEST).layers().get(0).digest();
    assertFalse(
        Files.exists(target.resolve("blobs/sha256").resolve(layer.hex())), "no partial blob");

    Files.delete(filler);
    CliRun room = CliRun.of("tag", "oci:" + source + ":big", "oci:" + target + ":big");
    assertEquals(0, room.code(), room::toString);
    assertEquals(big.digest() + "\n", CliRun.of("digest", "oci:" + target + ":big").stdout());
  }

  @Test
  void aNewLayoutThatCannotBeMadeLeavesItsDirectoryEmptyForTheNextTry() throws Exception {
    TestImage big = bigImage();
    Path source = LayoutFixture.emptyLayout(tmp.resolve("source"));
    LayoutFixture.seed(source, big, "big");
    Path target = disk.resolve("new");
    Path filler = fill(0);

    CliRun full = CliRun.of("tag", "oci:" + source + ":big", "oci:" + target + ":big");

    assertEquals(1, full.code(), full::toString);
    assertEquals(1, full.stdout().lines().count(), full::toString);
    assertTrue(full.stdout().strip().endsWith(NO_SPACE), full::toString);
    try (Stream<Path> left = Files.list(target)) {
      assertEquals(List.of(), left.toList(), "no half-made layout");
    }

    Files.delete(filler);
    CliRun room = CliRun.of("tag", "oci:" + source + ":big", "oci:" + target + ":big");
    assertEquals(0, room.code(), room::toString);
    assertEquals(List.of("big"), tags(target));
  }
}
