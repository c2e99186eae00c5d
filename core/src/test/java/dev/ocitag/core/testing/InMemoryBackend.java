package dev.ocitag.core.testing;

import dev.ocitag.core.BlobTransfer;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagPolicy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A complete backend held in memory: the reference implementation of the contract, used to test the
 * engine on its own. It can be made immutable (like an ECR repository with immutable tags: put
 * refuses to move a tag) or to store altered bytes (like a tool that re-serializes JSON).
 *
 * <p>It moves blobs ({@link BlobTransfer}) as a registry does: a mount works only from another
 * repository of this store that holds the blob, a push is stored only when its bytes hash to the
 * digest. It lists referrers as a registry with the referrers API does: every manifest stored in
 * the repository whose subject is the digest. For tests of the engine it logs what was asked of it
 * ({@link #operations}) and can serve its blob streams through a fault ({@link
 * #serveBlobsThrough}).
 */
public final class InMemoryBackend implements TagBackend, TagPolicy, BlobTransfer, Referrers {
  private final Map<String, Map<Digest, byte[]>> blobs = new ConcurrentHashMap<>();
  private final Map<String, Map<Digest, Manifest>> manifests = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Digest>> tags = new ConcurrentHashMap<>();
  private final boolean immutable;
  private final UnaryOperator<byte[]> storeAs;
  private final List<Operation> operations = new ArrayList<>();
  private volatile UnaryOperator<InputStream> blobStreams = UnaryOperator.identity();
  private volatile Duration retryWithin = Duration.ZERO;

  /**
   * One call made to this backend: a blob call, or a put.
   *
   * @param name {@code hasBlob}, {@code mountBlob}, {@code openBlob}, {@code pushBlob}, {@code
   *     put}, {@code referrers} (the digest: the subject) or {@code putReferrer}
   * @param ref the repository (for a blob call) or the put's target, as given
   * @param digest the blob's digest, or the manifest's for a put
   */
  public record Operation(String name, ImageRef ref, Digest digest) {}

  public InMemoryBackend() {
    this(false, UnaryOperator.identity());
  }

  public InMemoryBackend(boolean immutable, UnaryOperator<byte[]> storeAs) {
    this.immutable = immutable;
    this.storeAs = storeAs;
  }

  private static String key(ImageRef ref) {
    return ref.repositoryName();
  }

  /** Stores an image (children first) without going through put. */
  public void seed(ImageRef repo, TestImage image, String tag) {
    image.children().forEach(child -> seed(repo, child, null));
    blobs.computeIfAbsent(key(repo), k -> new ConcurrentHashMap<>()).putAll(image.blobs());
    manifests
        .computeIfAbsent(key(repo), k -> new ConcurrentHashMap<>())
        .put(image.digest(), image.manifest());
    if (tag != null) {
      tags.computeIfAbsent(key(repo), k -> new ConcurrentHashMap<>()).put(tag, image.digest());
    }
  }

  /** Every blob call and put so far, in the order they were made. */
  public List<Operation> operations() {
    synchronized (operations) {
      return List.copyOf(operations);
    }
  }

  /** The calls of one kind so far ({@code openBlob}, {@code put}, ...). */
  public List<Operation> operations(String name) {
    return operations().stream().filter(o -> o.name().equals(name)).toList();
  }

  public void clearOperations() {
    synchronized (operations) {
      operations.clear();
    }
  }

  /**
   * Every stream {@link #openBlob} returns from now on passes through this (to cut or alter it).
   */
  public void serveBlobsThrough(UnaryOperator<InputStream> fault) {
    blobStreams = fault;
  }

  /** What {@link #retryWithin} answers from now on (zero, the SPI's default, until set). */
  public void retryWithin(Duration d) {
    retryWithin = d;
  }

  @Override
  public Duration retryWithin() {
    return retryWithin;
  }

  /** The blob's bytes as stored in the repository, if it is there. */
  public Optional<byte[]> blob(ImageRef repository, Digest digest) {
    return Optional.ofNullable(blobs.getOrDefault(key(repository), Map.of()).get(digest))
        .map(byte[]::clone);
  }

  private void log(String name, ImageRef ref, Digest digest) {
    synchronized (operations) {
      operations.add(new Operation(name, ref, digest));
    }
  }

  @Override
  public Manifest fetch(ImageRef ref) {
    Digest digest =
        resolve(ref).orElseThrow(() -> new OcitagException.NotFound("manifest unknown: " + ref));
    return manifests.get(key(ref)).get(digest);
  }

  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    if (ref.digest() != null) {
      return manifests.getOrDefault(key(ref), Map.of()).containsKey(ref.digest())
          ? Optional.of(ref.digest())
          : Optional.empty();
    }
    return Optional.ofNullable(tags.getOrDefault(key(ref), Map.of()).get(ref.tag()));
  }

  /**
   * With a tag, stores the manifest and points the tag at it; with only a digest, stores it
   * untagged. Like a registry it refuses a manifest whose blobs or children are missing, except a
   * subject (referrers may come first) and foreign layers (registries need not hold them).
   */
  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    log("put", target, manifest.digest());
    if (target.tag() == null && target.digest() == null) {
      throw new OcitagException.InvalidInput("reference '" + target + "' names no tag or digest");
    }
    if (target.tag() == null && !target.digest().equals(manifest.digest())) {
      throw new OcitagException.InvalidInput(
          "cannot store manifest " + manifest.digest() + " under digest " + target.digest());
    }
    for (Descriptor d : manifest.references()) {
      boolean present =
          blobs.getOrDefault(key(target), Map.of()).containsKey(d.digest())
              || manifests.getOrDefault(key(target), Map.of()).containsKey(d.digest());
      boolean optional = d.isForeign() || manifest.subject().map(d::equals).orElse(false);
      if (!present && !optional) {
        throw new OcitagException.InvalidInput("blob unknown: " + d.digest());
      }
    }
    Manifest stored = Manifest.of(storeAs.apply(manifest.bytes()), manifest.mediaType());
    Map<String, Digest> repoTags =
        tags.computeIfAbsent(key(target), k -> new ConcurrentHashMap<>());
    synchronized (repoTags) {
      Digest current = target.tag() == null ? null : repoTags.get(target.tag());
      if (immutable && current != null) {
        throw new OcitagException.Refused(
            "tag '" + target.tag() + "' already exists and the repository's tags are immutable");
      }
      manifests
          .computeIfAbsent(key(target), k -> new ConcurrentHashMap<>())
          .put(stored.digest(), stored);
      if (target.tag() != null) {
        repoTags.put(target.tag(), stored.digest());
      }
    }
    return stored.digest();
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    return tags.getOrDefault(key(repository), Map.of()).keySet().stream().sorted();
  }

  @Override
  public void untag(ImageRef ref) {
    if (tags.getOrDefault(key(ref), Map.of()).remove(ref.tag()) == null) {
      throw new OcitagException.NotFound("tag unknown: " + ref);
    }
  }

  @Override
  public Overwrite mayOverwrite(ImageRef target) {
    return Overwrite.of(!immutable);
  }

  @Override
  public boolean hasBlob(ImageRef repository, Descriptor blob) {
    log("hasBlob", repository, blob.digest());
    return holds(repository, blob);
  }

  private boolean holds(ImageRef repository, Descriptor blob) {
    byte[] bytes = blobs.getOrDefault(key(repository), Map.of()).get(blob.digest());
    return bytes != null && (blob.size() < 0 || bytes.length == blob.size());
  }

  /** Links the blob when {@code from} is a repository of this store (same registry) that has it. */
  @Override
  public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
    log("mountBlob", repository, blob.digest());
    boolean sameStore =
        from.transport().equals(repository.transport())
            && from.registry().equals(repository.registry());
    byte[] bytes = blobs.getOrDefault(key(from), Map.of()).get(blob.digest());
    if (!sameStore || bytes == null) {
      return false;
    }
    blobs
        .computeIfAbsent(key(repository), k -> new ConcurrentHashMap<>())
        .put(blob.digest(), bytes);
    return true;
  }

  @Override
  public InputStream openBlob(ImageRef repository, Descriptor blob) {
    log("openBlob", repository, blob.digest());
    byte[] bytes = blobs.getOrDefault(key(repository), Map.of()).get(blob.digest());
    if (bytes == null) {
      throw new OcitagException.NotFound(
          "blob " + blob.digest() + " is not in repository " + key(repository));
    }
    return blobStreams.apply(new ByteArrayInputStream(bytes));
  }

  /**
   * Reads exactly {@code blob.size()} bytes (to the end when the size is unknown), hashing them as
   * they come, and stores them only when they hash to the digest. A read that fails is {@link
   * OcitagException.Transient}: the sender may start over.
   */
  @Override
  public void pushBlob(ImageRef repository, Descriptor blob, InputStream body) {
    log("pushBlob", repository, blob.digest());
    Digest digest = blob.digest();
    MessageDigest hash = messageDigest(digest);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    long size = blob.size();
    while (size < 0 || received.size() < size) {
      int want = size < 0 ? buffer.length : (int) Math.min(buffer.length, size - received.size());
      int n;
      try {
        n = body.read(buffer, 0, want);
      } catch (IOException e) {
        throw new OcitagException.Transient(
            "reading blob " + digest + " failed after " + received.size() + " bytes: " + e, e);
      }
      if (n < 0) {
        break;
      }
      hash.update(buffer, 0, n);
      received.write(buffer, 0, n);
    }
    Digest got = new Digest(digest.algorithm(), HexFormat.of().formatHex(hash.digest()));
    if (size >= 0 && received.size() != size) {
      throw new OcitagException.Failed(
          "blob "
              + digest
              + ": its stream ended after "
              + received.size()
              + " of "
              + size
              + " bytes (they hash to "
              + got
              + "); nothing stored");
    }
    if (!got.equals(digest)) {
      throw new OcitagException.Failed(
          "blob "
              + digest
              + ": the "
              + received.size()
              + " bytes received hash to "
              + got
              + "; nothing stored");
    }
    blobs
        .computeIfAbsent(key(repository), k -> new ConcurrentHashMap<>())
        .put(digest, received.toByteArray());
  }

  @Override
  public List<Descriptor> referrers(ImageRef repository, Digest subject, Set<String> types) {
    log("referrers", repository, subject);
    List<Descriptor> found =
        manifests.getOrDefault(key(repository), Map.of()).values().stream()
            .filter(m -> m.subject().map(s -> s.digest().equals(subject)).orElse(false))
            .map(Referrers::descriptorOf)
            .sorted(java.util.Comparator.comparing(d -> d.digest().toString()))
            .toList();
    return Referrers.select(found, types);
  }

  @Override
  public Digest putReferrer(ImageRef repository, Manifest referrer) {
    log("putReferrer", repository, referrer.digest());
    return put(repository.withDigest(referrer.digest()), referrer);
  }

  private static MessageDigest messageDigest(Digest digest) {
    String algorithm = digest.algorithm().equals("sha512") ? "SHA-512" : "SHA-256";
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + algorithm, e);
    }
  }
}
