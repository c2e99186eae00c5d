package dev.ocitag.core.engine;

import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Carries an image's referrers (signatures, SBOMs, attestations) to another repository with {@code
 * --referrers}: every manifest whose subject is the image or one of its children, and, in turn,
 * every manifest whose subject is such a referrer (the signature of an SBOM), each byte for byte
 * with its blobs and children ({@link ContentCopy}), then written so that the target lists it
 * ({@link Referrers#putReferrer}). A subject's referrers go before their own referrers.
 *
 * <p>{@code artifactTypes} (from {@code --referrers-type}) choose among the referrers of the image
 * and its children only; what refers to a chosen referrer comes with it whatever its type, since a
 * signature of an SBOM is what verifies that SBOM. Referrers the target lists already are not
 * written again, but their own referrers are still looked at (a signature added since the last
 * promotion).
 */
final class ReferrerCopy {
  private final ContentCopy content;
  private final Set<String> artifactTypes;

  ReferrerCopy(ContentCopy content, Set<String> artifactTypes) {
    this.content = content;
    this.artifactTypes = Set.copyOf(artifactTypes);
  }

  /**
   * Throws {@link OcitagException.InvalidInput} unless both stores know referrers; what {@link
   * #copy} would throw first, for a dry run to report.
   */
  static void checkCapable(
      TagBackend source, ImageRef sourceRepo, TagBackend target, ImageRef targetRepo) {
    capability(source, sourceRepo);
    capability(target, targetRepo);
  }

  /** Copies the referrers of {@code top} and of its children; what moved, with the count. */
  Transfer copy(
      TagBackend source,
      ImageRef sourceRepo,
      Manifest top,
      TagBackend target,
      ImageRef targetRepo) {
    Referrers from = capability(source, sourceRepo);
    Referrers to = capability(target, targetRepo);
    ImageRef src = sourceRepo.repositoryRef();
    ImageRef dst = targetRepo.repositoryRef();
    // one target at a time per repository: the second finds what the first wrote listed
    synchronized (content.referrerWriter(target, dst)) {
      return copy(source, from, src, top, target, to, dst);
    }
  }

  private Transfer copy(
      TagBackend source,
      Referrers from,
      ImageRef src,
      Manifest top,
      TagBackend target,
      Referrers to,
      ImageRef dst) {
    record Subject(Digest digest, boolean chosen) {}
    Deque<Subject> subjects = new ArrayDeque<>();
    for (Digest d : tree(source, src, top)) {
      subjects.add(new Subject(d, true));
    }
    Set<Digest> seen = new HashSet<>();
    Transfer moved = Transfer.NONE;
    int written = 0;
    while (!subjects.isEmpty()) {
      Subject subject = subjects.poll();
      List<Descriptor> listed =
          from.referrers(src, subject.digest(), subject.chosen() ? artifactTypes : Set.of());
      if (listed.isEmpty()) {
        continue;
      }
      Set<Digest> there = new HashSet<>();
      to.referrers(dst, subject.digest(), Set.of()).forEach(d -> there.add(d.digest()));
      for (Descriptor referrer : listed) {
        if (!seen.add(referrer.digest())) {
          continue;
        }
        if (!there.contains(referrer.digest())) {
          try {
            moved = moved.plus(one(source, src, target, to, dst, referrer.digest()));
          } catch (OcitagException e) {
            throw within(e, referrer.digest(), subject.digest());
          }
          written++;
        }
        subjects.add(new Subject(referrer.digest(), false));
      }
    }
    return moved.plus(new Transfer(0, 0, 0, 0, 0, 0, written));
  }

  /** One referrer: fetched and checked, its content placed, then written to be listed. */
  private Transfer one(
      TagBackend source, ImageRef src, TagBackend target, Referrers to, ImageRef dst, Digest d) {
    Manifest referrer = source.fetch(src.withDigest(d));
    if (!referrer.digest().equals(d)) {
      throw new OcitagException.Failed("fetched it, but its bytes hash to " + referrer.digest());
    }
    Transfer moved = content.copy(source, src, referrer, target, dst);
    Digest stored = to.putReferrer(dst, referrer);
    if (!d.equals(stored)) {
      throw new OcitagException.Failed(
          "digest mismatch: the store reports " + stored + " for its bytes");
    }
    return moved;
  }

  /** The image's digest and those of all its children (nested indexes fetched to see theirs). */
  private static Set<Digest> tree(TagBackend source, ImageRef src, Manifest top) {
    Set<Digest> all = new LinkedHashSet<>();
    all.add(top.digest());
    List<Manifest> indexes = new ArrayList<>(List.of(top));
    while (!indexes.isEmpty()) {
      Manifest index = indexes.remove(indexes.size() - 1);
      for (Descriptor child : index.children()) {
        if (all.add(child.digest()) && MediaTypes.isIndex(child.mediaType())) {
          indexes.add(source.fetch(src.withDigest(child.digest())));
        }
      }
    }
    return all;
  }

  /**
   * The failure, of the same kind, naming the referrer and its subject. A refusal (a store that
   * will not move the referrers tag) is a failure here: it is not the image's tag that was refused.
   */
  private static OcitagException within(OcitagException e, Digest referrer, Digest subject) {
    String m = "referrer " + referrer + " of " + subject + ": " + e.getMessage();
    if (e instanceof OcitagException.NotFound) {
      return new OcitagException.NotFound(m, e);
    }
    if (e instanceof OcitagException.Denied) {
      return new OcitagException.Denied(m, e);
    }
    if (e instanceof OcitagException.InvalidInput) {
      return new OcitagException.InvalidInput(m, e);
    }
    if (e instanceof OcitagException.Transient) {
      return new OcitagException.Transient(m, e);
    }
    return new OcitagException.Failed(m, e);
  }

  private static Referrers capability(TagBackend backend, ImageRef ref) {
    if (backend instanceof Referrers r) {
      return r;
    }
    throw new OcitagException.InvalidInput(
        "'"
            + ref.repositoryName()
            + "' cannot take part in --referrers: its store lists no referrers");
  }
}
