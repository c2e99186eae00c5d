package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The contract holds for the reference implementation, so a failing backend is the backend's fault;
 * and its blob moves do what {@link BlobTransfer} says, so the engine's tests over it mean
 * something.
 */
class InMemoryBackendContractTest extends TagBackendContract {
  private static final AtomicInteger REPOS = new AtomicInteger();
  private InMemoryBackend backend;

  @Override
  protected TagBackend openBackend() {
    backend = new InMemoryBackend();
    return backend;
  }

  @Override
  protected ImageRef newRepository() {
    return ImageRef.parse("mem.test/repo" + REPOS.incrementAndGet());
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) {
    backend.seed(repository, image, tag);
  }

  private final byte[] bytes = TestImages.gzip("a blob to move\n");
  private final Descriptor blob = Descriptor.of(Digest.of(bytes), bytes.length);

  @Test
  void pushBlobReadsExactlyTheSizeAndStoresBytesThatHashToTheDigest() throws Exception {
    byte[] more = Arrays.copyOf(bytes, bytes.length + 5);
    InputStream body = new ByteArrayInputStream(more);

    backend.pushBlob(repo(), blob, body);

    assertEquals(5, body.available(), "what follows the blob is left unread");
    assertTrue(backend.hasBlob(repo(), blob));
    assertArrayEquals(bytes, backend.blob(repo(), blob.digest()).orElseThrow());
    try (InputStream in = backend.openBlob(repo(), blob)) {
      assertArrayEquals(bytes, in.readAllBytes());
    }
  }

  @Test
  void pushBlobOfOtherBytesOrTooFewStoresNothingAndSaysWhy() {
    byte[] other = bytes.clone();
    other[0] ^= 1;

    OcitagException mismatch =
        assertThrows(
            OcitagException.Failed.class,
            () -> backend.pushBlob(repo(), blob, new ByteArrayInputStream(other)));
    OcitagException shortStream =
        assertThrows(
            OcitagException.Failed.class,
            () ->
                backend.pushBlob(repo(), blob, new ByteArrayInputStream(Arrays.copyOf(bytes, 3))));

    assertTrue(mismatch.getMessage().contains(blob.digest().toString()), mismatch.getMessage());
    assertTrue(mismatch.getMessage().contains(Digest.of(other).toString()), mismatch.getMessage());
    assertTrue(shortStream.getMessage().contains("after 3 of "), shortStream.getMessage());
    assertFalse(backend.hasBlob(repo(), blob));
    assertEquals(Optional.empty(), backend.blob(repo(), blob.digest()));
  }

  @Test
  void openBlobOfAMissingBlobIsNotFoundNamingItsDigest() {
    OcitagException e =
        assertThrows(OcitagException.NotFound.class, () -> backend.openBlob(repo(), blob));
    assertTrue(e.getMessage().contains(blob.digest().toString()), e.getMessage());
  }

  @Test
  void aMountWorksOnlyFromARepositoryOfThisStoreThatHoldsTheBlob() {
    ImageRef holder = ImageRef.parse("mem.test/holder");
    ImageRef otherRegistry = ImageRef.parse("elsewhere.test/holder");
    backend.pushBlob(holder, blob, new ByteArrayInputStream(bytes));
    backend.pushBlob(otherRegistry, blob, new ByteArrayInputStream(bytes));

    assertFalse(backend.mountBlob(repo(), blob, ImageRef.parse("mem.test/empty")));
    assertFalse(backend.mountBlob(repo(), blob, otherRegistry), "another registry's repository");
    assertFalse(backend.hasBlob(repo(), blob));
    assertTrue(backend.mountBlob(repo(), blob, holder));
    assertArrayEquals(bytes, backend.blob(repo(), blob.digest()).orElseThrow());
  }

  @Test
  void putByDigestStoresTheManifestUntagged() {
    TestImage image = TestImages.ociImage("untagged");
    image
        .blobs()
        .forEach(
            (digest, content) ->
                backend.pushBlob(
                    repo(),
                    Descriptor.of(digest, content.length),
                    new ByteArrayInputStream(content)));

    Digest stored = backend.put(repo().withDigest(image.digest()), image.manifest());

    assertEquals(image.digest(), stored);
    assertArrayEquals(image.bytes(), backend.fetch(repo().withDigest(image.digest())).bytes());
    assertEquals(List.of(), backend.tags(repo()).toList());
    assertThrows(
        OcitagException.InvalidInput.class,
        () -> backend.put(repo().withDigest(blob.digest()), image.manifest()),
        "a digest that is not the manifest's");
  }
}
