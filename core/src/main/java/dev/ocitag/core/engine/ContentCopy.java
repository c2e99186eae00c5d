package dev.ocitag.core.engine;

import dev.ocitag.core.BlobTransfer;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.TagBackend;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Puts what a manifest needs into another repository (of the same store or another): its blobs,
 * then its children by digest (an index's, all of them, bottom up), so that the tag, written last
 * by the engine, never names anything missing.
 *
 * <p>Each blob is, in this order of preference: skipped (the target has it), mounted (from the
 * source's repository when both are in one store, or from the repository of the target's store that
 * this run streams it into first: the source is read once per store), or streamed from the source
 * into the target, whose {@link BlobTransfer#pushBlob} checks the digest before committing. A blob
 * this run has streamed into the store already is mounted without asking first whether the target
 * has it (a mount of a blob the repository holds succeeds too): one request, not two. A stream that
 * breaks or an upload the store turns away ({@link OcitagException.Transient}) starts over from the
 * source, after a wait, a few times and then for as long as the target allows. One run shares this
 * object across its targets, so two targets never copy the same blob into the same repository
 * twice.
 */
final class ContentCopy {
  private static final int ATTEMPTS = 3;
  private static final Duration BASE_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(8);

  private final ExecutorService blobs;
  private final TagEngine.Listener listener;

  /** Blobs placed (or found) in a repository this run: store, repository, digest. */
  private final Map<Placement, CompletableFuture<Kind>> placed = new ConcurrentHashMap<>();

  /**
   * Per target store and digest, the first stream of the blob into that store in this run, done
   * with the repository it went to: the other repositories of that store mount it from there, so
   * the source is read once per store.
   */
  private final Map<StoreBlob, CompletableFuture<ImageRef>> streamed = new ConcurrentHashMap<>();

  /**
   * Per target store, repository and digest, the child manifest a target of this run puts there,
   * done once it is in place: another target in the same repository waits for it instead of putting
   * the same bytes again, and one that found the child present waits for a put still under way (a
   * retry after a lost answer), so that no index goes up while a child it names is being written.
   * docker-registry 2.x rewrites a manifest's link file in place on every put of it, and refuses an
   * index put that reads the file meanwhile (MANIFEST_BLOB_UNKNOWN: found by the soak).
   */
  private final Map<Placement, CompletableFuture<Boolean>> childPuts = new ConcurrentHashMap<>();

  /**
   * Per target store and repository, what {@link ReferrerCopy} holds while it writes referrers
   * there: two targets of one run in one repository do not merge into its referrers lists at once.
   */
  private final Map<Placement, Object> referrerWriters = new ConcurrentHashMap<>();

  ContentCopy(ExecutorService blobs, TagEngine.Listener listener) {
    this.blobs = blobs;
    this.listener = listener;
  }

  private enum Kind {
    COPIED,
    MOUNTED,
    SKIPPED,
    FOREIGN
  }

  private record Placement(TagBackend store, ImageRef repository, Digest digest) {}

  private record StoreBlob(TagBackend store, Digest digest) {}

  /** The lock for writing referrers into this repository of this store during the run. */
  Object referrerWriter(TagBackend store, ImageRef repository) {
    return referrerWriters.computeIfAbsent(
        new Placement(store, repository.repositoryRef(), null), k -> new Object());
  }

  /** The source's content for one target repository. */
  Transfer copy(
      TagBackend source,
      ImageRef sourceRepo,
      Manifest top,
      TagBackend target,
      ImageRef targetRepo) {
    BlobTransfer from = capability(source, sourceRepo);
    BlobTransfer to = capability(target, targetRepo);
    ImageRef src = sourceRepo.repositoryRef();
    ImageRef dst = targetRepo.repositoryRef();
    // Children first: which are missing, and what they need.
    List<Manifest> children = new ArrayList<>(); // bottom up: a child before its parent
    Map<Digest, Descriptor> needed = new LinkedHashMap<>();
    List<CompletableFuture<Boolean>> underWay = new ArrayList<>(); // present, but being put
    collect(source, src, top, target, dst, children, needed, underWay);
    AtomicInteger copied = new AtomicInteger();
    AtomicInteger mounted = new AtomicInteger();
    AtomicInteger skipped = new AtomicInteger();
    AtomicInteger foreign = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    List<CompletableFuture<Void>> work = new ArrayList<>();
    for (Descriptor blob : needed.values()) {
      work.add(
          CompletableFuture.runAsync(
              () -> {
                Kind kind = place(source, from, src, target, to, dst, blob);
                listener.blobDone();
                switch (kind) {
                  case COPIED -> {
                    copied.incrementAndGet();
                    bytes.addAndGet(blob.size());
                  }
                  case MOUNTED -> mounted.incrementAndGet();
                  case SKIPPED -> skipped.incrementAndGet();
                  case FOREIGN -> foreign.incrementAndGet();
                }
              },
              blobs));
    }
    await(work);
    int written = 0;
    for (Manifest child : children) {
      written += putChild(target, dst, child) ? 1 : 0;
    }
    for (CompletableFuture<Boolean> put : underWay) {
      try {
        put.join();
      } catch (CompletionException e) {
        // the child was there when it was looked up; that put's target reports its own failure
      }
    }
    return new Transfer(
        copied.get(), mounted.get(), skipped.get(), foreign.get(), bytes.get(), written);
  }

  /**
   * Puts a child by digest, unless another target of this run puts (or put) it into the same
   * repository: then waits for that put, and fails as it failed. Returns whether this call wrote
   * it.
   */
  private boolean putChild(TagBackend target, ImageRef dst, Manifest child) {
    Placement key = new Placement(target, dst, child.digest());
    return once(
            childPuts,
            key,
            () -> {
              Digest stored = target.put(dst.withDigest(child.digest()), child);
              if (!child.digest().equals(stored)) {
                throw new OcitagException.Failed(
                    "digest mismatch: the store reports "
                        + stored
                        + " for child "
                        + child.digest());
              }
              return Boolean.TRUE;
            })
        != null;
  }

  /**
   * Does {@code work} for {@code key} once per run: when another target does (or did) it, waits for
   * that and fails as it failed, returning null. A failure leaves the key free, so that a later
   * target may try again.
   */
  private static <K, T> T once(Map<K, CompletableFuture<T>> runs, K key, Supplier<T> work) {
    CompletableFuture<T> mine = new CompletableFuture<>();
    CompletableFuture<T> earlier = runs.putIfAbsent(key, mine);
    if (earlier != null) {
      try {
        earlier.join();
      } catch (CompletionException e) {
        throw rethrow(e);
      }
      return null;
    }
    try {
      T done = work.get();
      mine.complete(done);
      return done;
    } catch (RuntimeException e) {
      runs.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * Walks the manifest: an index's children that the target lacks are fetched (and checked) and
   * walked in turn; an image's config and layers are what it needs. Children the target already has
   * are complete there (registries refuse a manifest whose blobs are missing) and are left.
   */
  private void collect(
      TagBackend source,
      ImageRef src,
      Manifest manifest,
      TagBackend target,
      ImageRef dst,
      List<Manifest> children,
      Map<Digest, Descriptor> needed,
      List<CompletableFuture<Boolean>> underWay) {
    if (manifest.isIndex()) {
      for (Descriptor d : manifest.children()) {
        if (children.stream().anyMatch(c -> c.digest().equals(d.digest()))) {
          continue;
        }
        if (target.resolve(dst.withDigest(d.digest())).isPresent()) {
          CompletableFuture<Boolean> put = childPuts.get(new Placement(target, dst, d.digest()));
          if (put != null) {
            underWay.add(put);
          }
          continue;
        }
        Manifest child = source.fetch(src.withDigest(d.digest()));
        if (!child.digest().equals(d.digest())) {
          throw new OcitagException.Failed(
              "fetched child "
                  + d.digest()
                  + " of "
                  + src
                  + " but its bytes hash to "
                  + child.digest());
        }
        collect(source, src, child, target, dst, children, needed, underWay);
        children.add(child);
      }
      return;
    }
    manifest.config().ifPresent(c -> needed.putIfAbsent(c.digest(), c));
    for (Descriptor layer : manifest.layers()) {
      needed.putIfAbsent(layer.digest(), layer);
    }
  }

  private Kind place(
      TagBackend source,
      BlobTransfer from,
      ImageRef src,
      TagBackend target,
      BlobTransfer to,
      ImageRef dst,
      Descriptor blob) {
    if (blob.isForeign()) {
      return Kind.FOREIGN;
    }
    Placement key = new Placement(target, dst, blob.digest());
    Kind kind = once(placed, key, () -> transfer(source, from, src, target, to, dst, blob));
    return kind == null ? Kind.SKIPPED : kind; // null: another target of this run put it there
  }

  private Kind transfer(
      TagBackend source,
      BlobTransfer from,
      ImageRef src,
      TagBackend target,
      BlobTransfer to,
      ImageRef dst,
      Descriptor blob) {
    StoreBlob key = new StoreBlob(target, blob.digest());
    ImageRef filled = holder(key);
    if (filled != null && !filled.equals(dst) && to.mountBlob(dst, blob, filled)) {
      // this run put it in another repository of the store: the mount is the one request (the
      // registry mounts a blob the repository has as well); the HEAD below only where it fails
      return Kind.MOUNTED;
    }
    if (to.hasBlob(dst, blob)) {
      return Kind.SKIPPED;
    }
    if (source == target && to.mountBlob(dst, blob, src)) {
      return Kind.MOUNTED;
    }
    CompletableFuture<ImageRef> mine = new CompletableFuture<>();
    CompletableFuture<ImageRef> first = streamed.putIfAbsent(key, mine);
    if (first != null) { // another repository of this store gets (or got) it: mount from there
      ImageRef holder = null;
      try {
        holder = first.join();
      } catch (CompletionException e) {
        // that stream failed: this target streams it itself
      }
      if (holder != null
          && !holder.equals(dst)
          && !holder.equals(filled) // that mount was tried above
          && to.mountBlob(dst, blob, holder)) {
        return Kind.MOUNTED;
      }
      stream(from, src, to, dst, blob);
      return Kind.COPIED;
    }
    try {
      stream(from, src, to, dst, blob);
      mine.complete(dst);
      return Kind.COPIED;
    } catch (RuntimeException e) {
      streamed.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /** The repository this run streamed the blob into, once it is there; else null, not waiting. */
  private ImageRef holder(StoreBlob key) {
    CompletableFuture<ImageRef> first = streamed.get(key);
    return first != null && first.isDone() && !first.isCompletedExceptionally()
        ? first.join()
        : null;
  }

  /**
   * Streams the blob from the source into the target, starting over when an attempt fails as {@link
   * OcitagException.Transient} (a stream that broke, an upload the registry turned away): after the
   * wait the store asked for, else a backoff with full jitter; {@link #ATTEMPTS} times, and beyond
   * that for as long as the target's {@link BlobTransfer#retryWithin} allows since the first
   * attempt began.
   */
  private void stream(
      BlobTransfer from, ImageRef src, BlobTransfer to, ImageRef dst, Descriptor blob) {
    long start = System.nanoTime();
    long within = to.retryWithin().toNanos();
    for (int attempt = 1; ; attempt++) {
      InputStream in = null;
      Duration wait;
      try {
        in = new Counting(from.openBlob(src, blob), listener);
        to.pushBlob(dst, blob, in);
        return;
      } catch (OcitagException.Transient e) {
        wait = e.retryAfter() != null ? e.retryAfter() : backoff(attempt);
        boolean inTime = System.nanoTime() - start + wait.toNanos() < within;
        if (!inTime && (attempt >= ATTEMPTS || wait.compareTo(MAX_BACKOFF) > 0)) {
          throw e;
        }
      } finally {
        closeQuietly(in); // the push has read what it needs; a failed close changes nothing
      }
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OcitagException.Failed("interrupted while waiting to start a blob over", e);
      }
    }
  }

  /** Full jitter: uniformly between 0 and 100 ms * 2^(attempt-1), at most {@link #MAX_BACKOFF}. */
  private static Duration backoff(int attempt) {
    long cap =
        Math.min(MAX_BACKOFF.toMillis(), BASE_BACKOFF.toMillis() << Math.min(attempt - 1, 20));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException | RuntimeException e) {
        // the blob is stored (and checked) or the attempt failed already
      }
    }
  }

  /**
   * Throws {@link OcitagException.InvalidInput} unless both stores move blobs; what {@link #copy}
   * would throw first, for a dry run to report.
   */
  static void checkCapable(
      TagBackend source, ImageRef sourceRepo, TagBackend target, ImageRef targetRepo) {
    capability(source, sourceRepo);
    capability(target, targetRepo);
  }

  private static BlobTransfer capability(TagBackend backend, ImageRef ref) {
    if (backend instanceof BlobTransfer t) {
      return t;
    }
    throw new OcitagException.InvalidInput(
        "'"
            + ref.repositoryName()
            + "' cannot take part in a copy between repositories: its"
            + " store does not move blobs");
  }

  static void await(List<CompletableFuture<Void>> work) {
    try {
      CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      work.forEach(w -> w.cancel(true));
      throw rethrow(e);
    }
  }

  private static RuntimeException rethrow(CompletionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException r) {
      return r;
    }
    return new OcitagException.Failed(String.valueOf(cause), cause);
  }

  /** Tells the listener how many bytes went by. */
  private static final class Counting extends FilterInputStream {
    private final TagEngine.Listener listener;

    Counting(InputStream in, TagEngine.Listener listener) {
      super(in);
      this.listener = listener;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        listener.bytes(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        listener.bytes(n);
      }
      return n;
    }
  }
}
