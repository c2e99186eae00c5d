package dev.ocitag.core.testing;

import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagPolicy;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A complete backend held in memory: the reference implementation of the contract, used to test the
 * engine on its own. It can be made immutable (like an ECR repository with immutable tags: put
 * refuses to move a tag) or to store altered bytes (like a tool that re-serializes JSON).
 */
public final class InMemoryBackend implements TagBackend, TagPolicy {
  private final Map<String, Map<Digest, byte[]>> blobs = new ConcurrentHashMap<>();
  private final Map<String, Map<Digest, Manifest>> manifests = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Digest>> tags = new ConcurrentHashMap<>();
  private final boolean immutable;
  private final UnaryOperator<byte[]> storeAs;

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

  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    for (Descriptor d : manifest.references()) {
      boolean present =
          blobs.getOrDefault(key(target), Map.of()).containsKey(d.digest())
              || manifests.getOrDefault(key(target), Map.of()).containsKey(d.digest());
      if (!present && !manifest.subject().map(d::equals).orElse(false)) {
        throw new OcitagException.InvalidInput("blob unknown: " + d.digest());
      }
    }
    Manifest stored = Manifest.of(storeAs.apply(manifest.bytes()), manifest.mediaType());
    Map<String, Digest> repoTags =
        tags.computeIfAbsent(key(target), k -> new ConcurrentHashMap<>());
    synchronized (repoTags) {
      Digest current = repoTags.get(target.tag());
      if (immutable && current != null) {
        throw new OcitagException.Refused(
            "tag '" + target.tag() + "' already exists and the repository's tags are immutable");
      }
      manifests
          .computeIfAbsent(key(target), k -> new ConcurrentHashMap<>())
          .put(stored.digest(), stored);
      repoTags.put(target.tag(), stored.digest());
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
}
