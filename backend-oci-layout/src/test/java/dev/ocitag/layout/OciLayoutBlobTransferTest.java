package dev.ocitag.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.testing.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blobs in and out of a layout as streams, checked against their digests. */
class OciLayoutBlobTransferTest {
  @TempDir Path dir;
  private final OciLayoutBackend backend = new OciLayoutBackend();

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** The sha256 of the bytes, by MessageDigest here rather than by the code under test. */
  private static Digest sha256(byte[] bytes) throws Exception {
    return Digest.parse(
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
  }

  private static ImageRef layout(Path path) {
    return ImageRef.parse("oci:" + path);
  }

  private static List<Path> tempFiles(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  @Test
  void aMultiMebibyteBlobGoesInAndComesOutByteForByte() throws Exception {
    byte[] bytes = random(5 * 1024 * 1024 + 12_345, 1);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    byte[] trailing = "not part of the blob".getBytes(StandardCharsets.UTF_8);
    ByteArrayInputStream body = new ByteArrayInputStream(concat(bytes, trailing));
    ImageRef repo = layout(dir.resolve("target"));

    assertFalse(backend.hasBlob(repo, blob));
    backend.pushBlob(repo, blob, body);

    assertEquals(trailing.length, body.available(), "reads exactly the blob's size");
    Path file = dir.resolve("target/blobs/sha256").resolve(blob.digest().hex());
    String sha256sum = new String(ExternalTools.run("sha256sum", file.toString()), "UTF-8");
    assertEquals(blob.digest().hex(), sha256sum.substring(0, sha256sum.indexOf(' ')));
    assertTrue(backend.hasBlob(repo, blob));
    try (InputStream in = backend.openBlob(repo, blob)) {
      assertArrayEquals(bytes, in.readAllBytes());
    }
    assertEquals(List.of(), tempFiles(dir));
  }

  @Test
  void wrongBytesAreFailedNamingBothDigestsAndLeaveNothing() throws Exception {
    byte[] expected = random(300_000, 2);
    byte[] actual = random(300_000, 3);
    Descriptor blob = Descriptor.of(sha256(expected), expected.length);
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));

    OcitagException e =
        assertThrows(
            OcitagException.Failed.class,
            () -> backend.pushBlob(repo, blob, new ByteArrayInputStream(actual)));

    assertTrue(e.getMessage().contains(blob.digest().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(sha256(actual).toString()), e.getMessage());
    assertFalse(Files.exists(dir.resolve("blobs/sha256").resolve(blob.digest().hex())));
    assertFalse(backend.hasBlob(repo, blob));
    assertEquals(List.of(), tempFiles(dir));
  }

  @Test
  void aStreamThatEndsEarlyIsFailedAndLeavesNothing() throws Exception {
    byte[] bytes = random(200_000, 4);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));
    InputStream shortBody = new ByteArrayInputStream(bytes, 0, bytes.length - 1);

    OcitagException e =
        assertThrows(OcitagException.Failed.class, () -> backend.pushBlob(repo, blob, shortBody));

    assertTrue(e.getMessage().contains("ended after 199999 of 200000 bytes"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("blobs/sha256").resolve(blob.digest().hex())));
    assertEquals(List.of(), tempFiles(dir));
  }

  @Test
  void aSourceThatFailsMidwayIsTransientAndLeavesNothing() throws Exception {
    byte[] bytes = random(200_000, 5);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));
    InputStream body =
        new InputStream() {
          private int sent;

          @Override
          public int read() {
            throw new UnsupportedOperationException("reads in chunks");
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (sent >= 100_000) {
              throw new IOException("connection reset");
            }
            int n = Math.min(len, 50_000);
            System.arraycopy(bytes, sent, b, off, n);
            sent += n;
            return n;
          }
        };

    OcitagException e =
        assertThrows(OcitagException.Transient.class, () -> backend.pushBlob(repo, blob, body));

    assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("blobs/sha256").resolve(blob.digest().hex())));
    assertEquals(List.of(), tempFiles(dir));
  }

  @Test
  void aFailingWriteIsOneLineFailedAndLeavesNothing() throws Exception {
    // A full disk cannot be had without root; a file where the blob's directory belongs fails the
    // write the same way (an IOException from the file system).
    byte[] bytes = random(1_000, 8);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));
    Files.delete(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("blobs/sha256"), "in the way");

    OcitagException e =
        assertThrows(
            OcitagException.Failed.class,
            () -> backend.pushBlob(repo, blob, new ByteArrayInputStream(bytes)));

    assertTrue(e.getMessage().startsWith("cannot write blob " + blob.digest()), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertEquals("in the way", Files.readString(dir.resolve("blobs/sha256")));
    assertEquals(List.of(), tempFiles(dir));
  }

  @Test
  void aDamagedBlobOfTheWrongSizeIsNotThereAndAPushReplacesIt() throws Exception {
    byte[] bytes = random(10_000, 6);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));
    LayoutFixture.writeBlob(dir, blob.digest(), java.util.Arrays.copyOf(bytes, 9_000));

    assertFalse(backend.hasBlob(repo, blob), "a truncated file is not the blob");
    assertTrue(backend.hasBlob(repo, Descriptor.of(blob.digest(), -1)), "size unknown: exists");

    backend.pushBlob(repo, blob, new ByteArrayInputStream(bytes));

    assertTrue(backend.hasBlob(repo, blob));
    assertArrayEquals(
        bytes, Files.readAllBytes(dir.resolve("blobs/sha256").resolve(blob.digest().hex())));
  }

  @Test
  void aMissingBlobIsNotFoundNamingItsDigest() throws Exception {
    ImageRef repo = layout(LayoutFixture.emptyLayout(dir));
    Descriptor absent = Descriptor.of(sha256(new byte[] {1}), 1);

    OcitagException e =
        assertThrows(OcitagException.NotFound.class, () -> backend.openBlob(repo, absent));

    assertTrue(e.getMessage().contains(absent.digest().toString()), e.getMessage());
  }

  @Test
  void readingALayoutThatDoesNotExistIsNotFoundAndCreatesNothing() throws Exception {
    Path missing = dir.resolve("missing");
    ImageRef repo = layout(missing);
    Descriptor blob = Descriptor.of(sha256(new byte[] {1}), 1);

    assertThrows(OcitagException.NotFound.class, () -> backend.openBlob(repo, blob));
    assertThrows(OcitagException.NotFound.class, () -> backend.fetch(repo.withTag("x")));
    assertThrows(OcitagException.NotFound.class, () -> backend.tags(repo));
    assertEquals(java.util.Optional.empty(), backend.resolve(repo.withTag("x")));
    assertEquals(java.util.Optional.empty(), backend.resolve(repo.withDigest(blob.digest())));
    assertFalse(backend.hasBlob(repo, blob));
    assertFalse(backend.mountBlob(repo, blob, repo));

    assertFalse(Files.exists(missing));
  }

  @Test
  void aBlobMountsOnlyWithinTheSameLayout() throws Exception {
    byte[] bytes = random(1_000, 7);
    Descriptor blob = Descriptor.of(sha256(bytes), bytes.length);
    Path one = LayoutFixture.emptyLayout(dir.resolve("one"));
    Path two = LayoutFixture.emptyLayout(dir.resolve("two"));
    LayoutFixture.writeBlob(one, blob.digest(), bytes);
    LayoutFixture.writeBlob(two, blob.digest(), bytes);
    Descriptor absent = Descriptor.of(sha256(new byte[] {1}), 1);

    // the same layout, spelt differently
    assertTrue(backend.mountBlob(layout(one), blob, layout(dir.resolve("two/../one"))));
    assertFalse(backend.mountBlob(layout(one), absent, layout(one)));
    assertFalse(backend.mountBlob(layout(one), blob, layout(two)), "another layout: stream");
    assertFalse(
        backend.mountBlob(layout(one), blob, ImageRef.parse("registry.example/one:latest")));
    assertFalse(backend.mountBlob(layout(one), blob, layout(dir.resolve("nowhere"))));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
