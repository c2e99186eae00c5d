package dev.ocitag.core.engine;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;

/**
 * What happened to one target tag.
 *
 * @param digest the digest the tag points at afterwards (for blocked: still points at), or null
 * @param previousDigest where the tag pointed before, or null if it did not exist
 * @param reason why it was blocked or failed, or null
 * @param error the failure behind a {@link Outcome#FAILED} result, or null
 * @param transfer for a target outside the source's repository that was written: the blobs and
 *     manifests moved; else null
 */
public record TagResult(
    ImageRef target,
    Outcome outcome,
    Digest digest,
    Digest previousDigest,
    String reason,
    OcitagException error,
    Transfer transfer) {

  public TagResult(
      ImageRef target,
      Outcome outcome,
      Digest digest,
      Digest previousDigest,
      String reason,
      OcitagException error) {
    this(target, outcome, digest, previousDigest, reason, error, null);
  }
}
