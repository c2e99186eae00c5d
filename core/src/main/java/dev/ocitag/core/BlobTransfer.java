package dev.ocitag.core;

import java.io.InputStream;
import java.time.Duration;

/**
 * A backend that stores blobs (configs and layers) and can move them: what promotion to another
 * repository, registry or transport needs. Discovered with {@code instanceof}, like the other
 * optional capabilities.
 *
 * <p>Every {@code repository} argument is an {@link ImageRef} of this backend's store; only its
 * repository counts (tag and digest are ignored). Failures are {@link OcitagException}s: {@link
 * OcitagException.NotFound} for a missing blob (naming its digest), {@link OcitagException.Denied}
 * for missing rights, {@link OcitagException.Transient} where trying again may help (a dropped
 * connection: the engine then starts the blob over).
 */
public interface BlobTransfer {

  /** Whether the repository has the blob (a HEAD, or a file's existence). */
  boolean hasBlob(ImageRef repository, Descriptor blob);

  /**
   * Makes a blob that {@code from} (another repository of this same store) holds available in
   * {@code repository} without sending its bytes (the distribution API's cross-repository mount).
   * Returns false when this store cannot mount from there, or the mount was declined: the caller
   * then streams the blob. Leaves no upload open either way.
   */
  boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from);

  /**
   * The blob's bytes as a stream, which the caller closes. The stream is not checked here: {@link
   * #pushBlob} of the receiving store checks the digest.
   */
  InputStream openBlob(ImageRef repository, Descriptor blob);

  /**
   * Stores the blob, reading exactly {@code blob.size()} bytes from {@code body} (which it does not
   * close) and hashing them as they pass. Commits only when they hash to {@code blob.digest()};
   * otherwise cancels the upload, leaves nothing stored under that digest and throws {@link
   * OcitagException.Failed} naming both digests. Never holds the whole blob in memory.
   */
  void pushBlob(ImageRef repository, Descriptor blob, InputStream body);

  /**
   * How long after a blob's first attempt the caller may go on starting it over (reading it from
   * its source again) when {@link #pushBlob} fails as {@link OcitagException.Transient}: a store
   * that answers, even 503 or 429, is worth trying again until then, with a backoff or the wait it
   * asked for. A stream whose bytes were sent cannot be sent again by the store itself. By default
   * zero: no start-over beyond the few every caller makes.
   */
  default Duration retryWithin() {
    return Duration.ZERO;
  }
}
