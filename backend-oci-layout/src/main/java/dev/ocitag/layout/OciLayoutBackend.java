package dev.ocitag.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.BlobTransfer;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.FallbackIndex;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Tags in an OCI image layout: a tag is the {@code org.opencontainers.image.ref.name} annotation of
 * a descriptor in {@code index.json}. The reference's repository is the layout's path. A target
 * layout that does not exist yet is made at the first write (a blob or a manifest).
 *
 * <p>Referrers are listed in {@code index.json} as untagged descriptors (with their {@code
 * artifactType}), as oras writes them: the image spec says nothing of referrers in a layout, and an
 * untagged entry is what every reader of a layout leaves alone. Listing reads the manifests that
 * {@code index.json} names and keeps those whose subject is the digest, plus the entries of an
 * index under the referrers tag schema's tag ({@code sha256-<hex>}), as regctl keeps them in its
 * layouts. Blobs that no entry names are not scanned: they may be layers of any size.
 */
final class OciLayoutBackend implements TagBackend, BlobTransfer, Referrers {

  @Override
  public Manifest fetch(ImageRef ref) {
    Layout layout = Layout.open(ref.repository());
    ArrayNode manifests = layout.manifests();
    Digest digest;
    String mediaType;
    if (ref.digest() != null) {
      digest = ref.digest();
      if (!layout.hasBlob(digest)) {
        throw new OcitagException.NotFound(
            "manifest " + digest + " is not in layout " + ref.repository());
      }
      mediaType =
          find(manifests, d -> digest.toString().equals(text(d, "digest")))
              .map(d -> text(d, "mediaType"))
              .orElse(null);
    } else {
      JsonNode entry =
          find(manifests, d -> ref.reference().equals(refName(d)))
              .orElseThrow(
                  () ->
                      new OcitagException.NotFound(
                          "tag '" + ref.tag() + "' is not in layout " + ref.repository()));
      digest = descriptorDigest(entry, layout);
      mediaType = text(entry, "mediaType");
    }
    return Manifest.of(layout.readBlob(digest), mediaType);
  }

  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    // No layout yet (a target that the first write will create): nothing is tagged there.
    Optional<Layout> found = Layout.find(ref.repository());
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Layout layout = found.get();
    if (ref.digest() != null) {
      return layout.hasBlob(ref.digest()) ? Optional.of(ref.digest()) : Optional.empty();
    }
    return find(layout.manifests(), d -> ref.reference().equals(refName(d)))
        .map(d -> descriptorDigest(d, layout));
  }

  /**
   * With a tag, stores the manifest and points the tag's index.json entry at it; with only a digest
   * (an index's child), stores the manifest's blob and adds no entry. Creates the layout if there
   * is none yet, but only once everything the manifest references is known to be there.
   */
  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    String tag = target.tag();
    if (tag == null && target.digest() == null) {
      throw new OcitagException.InvalidInput("reference '" + target + "' names no tag or digest");
    }
    if (target.digest() != null && !target.digest().equals(manifest.digest())) {
      throw new OcitagException.InvalidInput(
          "cannot store manifest " + manifest.digest() + " under digest " + target.digest());
    }
    Optional<Layout> existing = Layout.find(target.repository());
    List<Digest> missing = new ArrayList<>();
    for (Descriptor d : manifest.references()) {
      // a subject may be absent (referrers come before it); a foreign layer is never copied
      boolean optional = d.isForeign() || manifest.subject().map(d::equals).orElse(false);
      if (!optional && !existing.map(l -> l.hasBlob(d.digest(), d.size())).orElse(false)) {
        missing.add(d.digest());
      }
    }
    if (!missing.isEmpty()) {
      throw new OcitagException.InvalidInput(
          "manifest "
              + manifest.digest()
              + " references "
              + (missing.size() == 1 ? "blob " : missing.size() + " blobs, first ")
              + missing.get(0)
              + ", not in layout "
              + target.repository());
    }
    Layout layout = existing.orElseGet(() -> Layout.openOrCreate(target.repository()));
    layout.writeBlob(manifest.digest(), manifest.bytes());
    if (tag == null) {
      // Report what is on disk now, read back and hashed, not what we meant to write.
      return Digest.of(layout.readBlob(manifest.digest()));
    }
    layout.updateIndex(
        entries -> {
          ObjectNode entry = entries.objectNode();
          entry.put("mediaType", manifest.mediaType());
          entry.put("digest", manifest.digest().toString());
          entry.put("size", manifest.size());
          entry.putObject("annotations").put(Layout.REF_NAME, tag);
          int at = removeTag(entries, tag);
          if (at < 0) {
            entries.add(entry);
          } else {
            entries.insert(at, entry);
          }
          return true;
        });
    JsonNode stored =
        find(layout.manifests(), d -> tag.equals(refName(d)))
            .orElseThrow(
                () -> new OcitagException.Failed("tag '" + tag + "' vanished after writing"));
    return Digest.of(layout.readBlob(descriptorDigest(stored, layout)));
  }

  /**
   * The manifests {@code index.json} names (each read once) whose subject is the digest, and what a
   * referrers tag schema's index there lists. Entries whose blob is missing or is no manifest are
   * passed over. No layout there yet: none.
   */
  @Override
  public List<Descriptor> referrers(ImageRef repository, Digest subject, Set<String> types) {
    Optional<Layout> found = Layout.find(repository.repository());
    if (found.isEmpty()) {
      return List.of();
    }
    Layout layout = found.get();
    String fallbackTag = FallbackIndex.tag(subject);
    List<Descriptor> listed = new ArrayList<>();
    Set<Digest> read = new HashSet<>();
    for (JsonNode entry : layout.manifests()) {
      Digest digest = descriptorDigest(entry, layout);
      String mediaType = text(entry, "mediaType");
      boolean fallback = fallbackTag.equals(refName(entry));
      if ((!fallback && !read.add(digest))
          || (mediaType != null && !MediaTypes.ALL.contains(mediaType))
          || entry.path("size").asLong(0) > Manifest.MAX_BYTES) {
        continue;
      }
      Manifest manifest;
      try {
        manifest = Manifest.of(layout.readBlob(digest), mediaType);
      } catch (OcitagException.NotFound | OcitagException.InvalidInput e) {
        continue; // a layout may lack blobs; an entry may name another kind of document
      }
      if (fallback && MediaTypes.OCI_INDEX.equals(manifest.mediaType())) {
        listed.addAll(manifest.children());
      } else if (manifest.subject().map(d -> d.digest().equals(subject)).orElse(false)) {
        listed.add(Referrers.descriptorOf(manifest));
      }
    }
    return Referrers.select(listed, types);
  }

  /**
   * Stores the referrer by digest (as {@link #put}) and adds an untagged {@code index.json} entry
   * for it, unless an entry names it already.
   */
  @Override
  public Digest putReferrer(ImageRef repository, Manifest referrer) {
    Digest stored = put(repository.withDigest(referrer.digest()), referrer);
    Descriptor d = Referrers.descriptorOf(referrer);
    Layout.open(repository.repository())
        .updateIndex(
            entries -> {
              for (JsonNode e : entries) {
                if (d.digest().toString().equals(text(e, "digest"))) {
                  return false;
                }
              }
              ObjectNode entry = entries.addObject();
              entry.put("mediaType", d.mediaType());
              entry.put("digest", d.digest().toString());
              entry.put("size", d.size());
              if (d.artifactType() != null) {
                entry.put("artifactType", d.artifactType());
              }
              return true;
            });
    return stored;
  }

  @Override
  public boolean hasBlob(ImageRef repository, Descriptor blob) {
    return Layout.find(repository.repository())
        .map(l -> l.hasBlob(blob.digest(), blob.size()))
        .orElse(false);
  }

  /**
   * Within one layout the blob is already there. From another layout it is not linked (that would
   * tie two layouts' files together): false, and the engine streams it.
   */
  @Override
  public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
    if (!from.transport().equals(OciLayoutBackendProvider.TRANSPORT)) {
      return false;
    }
    try {
      Optional<Layout> here = Layout.find(repository.repository());
      Optional<Layout> there = Layout.find(from.repository());
      return here.isPresent()
          && there.isPresent()
          && here.get().root().equals(there.get().root())
          && here.get().hasBlob(blob.digest(), blob.size());
    } catch (OcitagException e) {
      return false; // 'from' is no layout: the stream from it will say why
    }
  }

  @Override
  public InputStream openBlob(ImageRef repository, Descriptor blob) {
    return Layout.open(repository.repository()).openBlob(blob.digest());
  }

  @Override
  public void pushBlob(ImageRef repository, Descriptor blob, InputStream body) {
    Layout.openOrCreate(repository.repository()).writeBlob(blob.digest(), blob.size(), body);
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    Layout layout = Layout.open(repository.repository());
    Set<String> tags = new LinkedHashSet<>();
    layout.manifests().forEach(d -> Optional.ofNullable(refName(d)).ifPresent(tags::add));
    return tags.stream();
  }

  @Override
  public void untag(ImageRef ref) {
    if (ref.tag() == null) {
      throw new OcitagException.InvalidInput("untag needs a tag: '" + ref + "' names none");
    }
    Layout layout = Layout.open(ref.repository());
    if (!layout.updateIndex(entries -> removeTag(entries, ref.tag()) >= 0)) {
      throw new OcitagException.NotFound(
          "tag '" + ref.tag() + "' is not in layout " + ref.repository());
    }
  }

  /**
   * Removes the descriptors that carry this tag (the blobs stay: other tags or indexes may use
   * them) and returns the position of the first, or -1.
   */
  private static int removeTag(ArrayNode entries, String tag) {
    int first = -1;
    int i = 0;
    for (Iterator<JsonNode> it = entries.iterator(); it.hasNext(); i++) {
      if (tag.equals(refName(it.next()))) {
        it.remove();
        if (first < 0) {
          first = i;
        }
        i--;
      }
    }
    return first;
  }

  private static Optional<JsonNode> find(
      ArrayNode entries, java.util.function.Predicate<JsonNode> p) {
    for (JsonNode d : entries) {
      if (p.test(d)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  private static String refName(JsonNode descriptor) {
    JsonNode name = descriptor.path("annotations").get(Layout.REF_NAME);
    return name != null && name.isTextual() ? name.asText() : null;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static Digest descriptorDigest(JsonNode descriptor, Layout layout) {
    String digest = text(descriptor, "digest");
    if (digest == null) {
      throw new OcitagException.InvalidInput(
          "corrupt index.json in " + layout.root() + ": a descriptor has no digest");
    }
    try {
      return Digest.parse(digest);
    } catch (OcitagException.InvalidInput e) {
      throw new OcitagException.InvalidInput(
          "corrupt index.json in " + layout.root() + ": " + e.getMessage());
    }
  }
}
