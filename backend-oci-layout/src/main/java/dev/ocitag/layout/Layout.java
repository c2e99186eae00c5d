package dev.ocitag.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One OCI image layout directory: {@code oci-layout}, {@code index.json}, {@code
 * blobs/<alg>/<hex>}.
 *
 * <p>Writes are atomic (temp file, fsync, rename) and {@code index.json} is rewritten under an
 * exclusive lock, so concurrent ocitag processes never lose each other's tags. The lock is taken on
 * the {@code oci-layout} file, which is never replaced, so the layout gets no extra files. Blobs
 * are streamed to a temporary file beside their final name and renamed to it only once their digest
 * is checked. A missing or empty directory becomes a layout at its first write.
 */
final class Layout {
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  private static final Map<Path, ReentrantLock> LOCKS_IN_THIS_JVM = new ConcurrentHashMap<>();
  private static final AtomicLong TEMP_FILES = new AtomicLong();
  private static final byte[] LAYOUT_VERSION =
      "{\"imageLayoutVersion\": \"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EMPTY_INDEX =
      ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}")
          .getBytes(StandardCharsets.UTF_8);

  private final Path root;

  private Layout(Path root) {
    this.root = root;
  }

  /** Opens an existing layout; NotFound if the directory or its {@code oci-layout} is missing. */
  static Layout open(String path) {
    Path given = directory(path);
    if (!Files.isDirectory(given)) {
      throw new OcitagException.NotFound("no OCI layout at '" + path + "': no such directory");
    }
    return load(realPath(given, path), path);
  }

  /**
   * The layout at {@code path}, or empty when there is none yet: the directory is missing or empty,
   * so a write would create it. A non-empty directory without {@code oci-layout} is NotFound.
   */
  static Optional<Layout> find(String path) {
    Path given = directory(path);
    if (!Files.isDirectory(given)) {
      return Optional.empty();
    }
    Path root = realPath(given, path);
    if (!Files.exists(root.resolve("oci-layout"))) {
      // under the lock: another thread may be making the layout just now (see openOrCreate)
      ReentrantLock local = localLock(root);
      local.lock();
      try {
        if (!Files.exists(root.resolve("oci-layout")) && isEmpty(root, path)) {
          return Optional.empty();
        }
      } finally {
        local.unlock();
      }
    }
    return Optional.of(load(root, path));
  }

  /**
   * Opens the layout for writing, making one (directories, {@code oci-layout}, an empty {@code
   * index.json}) in a missing or empty directory. A non-empty directory that is not a layout is
   * left alone: NotFound, nothing written.
   */
  static Layout openOrCreate(String path) {
    Path given = directory(path);
    try {
      Files.createDirectories(given);
    } catch (IOException e) {
      throw new OcitagException.Failed(
          "cannot create layout directory '" + path + "': " + oneLine(e), e);
    }
    Path root = realPath(given, path);
    // Threads of this JVM create a layout one at a time. Another process creating the same layout
    // at the same moment may find it half made (not empty, no oci-layout yet) and fail with the
    // clear error below; what it had written is never replaced (see writeNew).
    ReentrantLock local = localLock(root);
    local.lock();
    try {
      if (!Files.exists(root.resolve("oci-layout"))) {
        if (!isEmpty(root, path)) {
          // NotFound, as reading it says (and the engine's look at the target first does)
          throw new OcitagException.NotFound(
              "'"
                  + path
                  + "' is not an OCI image layout: it has no oci-layout file, and ocitag makes a"
                  + " new layout only in an empty or missing directory");
        }
        create(root);
      }
      return load(root, path);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot create layout '" + path + "': " + oneLine(e), e);
    } finally {
      local.unlock();
    }
  }

  /**
   * Makes the layout's files in an empty directory, {@code oci-layout} last: until it is there,
   * nobody takes the directory for a layout. When a write fails (a full disk), what this call made
   * is removed again, so the directory stays empty and a later write makes the layout, instead of a
   * half-made one that is no layout and not empty.
   */
  private static void create(Path root) throws IOException {
    Path blobs = root.resolve("blobs");
    Path index = root.resolve("index.json");
    boolean madeBlobs = !Files.exists(blobs);
    boolean madeIndex = false;
    try {
      Files.createDirectories(blobs);
      madeIndex = writeNew(index, EMPTY_INDEX);
      writeNew(root.resolve("oci-layout"), LAYOUT_VERSION);
    } catch (IOException | RuntimeException e) {
      if (madeIndex) {
        deleteQuietly(index);
      }
      if (madeBlobs) {
        deleteQuietly(blobs);
      }
      throw e;
    }
  }

  /** The path, unless it is something other than a directory. */
  private static Path directory(String path) {
    Path given = Path.of(path);
    if (Files.exists(given) && !Files.isDirectory(given)) {
      throw new OcitagException.InvalidInput(
          "'" + path + "' is a file, not an OCI layout directory");
    }
    return given;
  }

  private static Path realPath(Path given, String path) {
    try {
      return given.toRealPath();
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot open layout '" + path + "': " + oneLine(e), e);
    }
  }

  private static boolean isEmpty(Path root, String path) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      return !entries.iterator().hasNext();
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot list '" + path + "': " + oneLine(e), e);
    }
  }

  /** Checks {@code oci-layout} of an existing directory. */
  private static Layout load(Path root, String path) {
    Path marker = root.resolve("oci-layout");
    // Closing any descriptor of a file drops the process's POSIX lock on it, so this JVM opens
    // oci-layout only under the same in-JVM lock that guards the file lock (see updateIndex). The
    // lock also waits for a layout that another thread is making (see openOrCreate).
    JsonNode version;
    ReentrantLock local = localLock(root);
    local.lock();
    try {
      if (!Files.isRegularFile(marker)) {
        throw new OcitagException.NotFound(
            "'" + path + "' is not an OCI image layout: it has no oci-layout file");
      }
      version = readJson(marker, "oci-layout").get("imageLayoutVersion");
    } finally {
      local.unlock();
    }
    if (version == null || !version.isTextual()) {
      throw new OcitagException.InvalidInput(
          "corrupt oci-layout in '" + path + "': no imageLayoutVersion");
    }
    return new Layout(root);
  }

  private static ReentrantLock localLock(Path root) {
    return LOCKS_IN_THIS_JVM.computeIfAbsent(root, r -> new ReentrantLock());
  }

  Path root() {
    return root;
  }

  /** The manifest descriptors of index.json, as stored. */
  ArrayNode manifests() {
    return manifests(readIndex());
  }

  private ObjectNode readIndex() {
    JsonNode index = readJson(root.resolve("index.json"), "index.json");
    if (!index.isObject()) {
      throw new OcitagException.InvalidInput(
          "corrupt index.json in " + root + ": not a JSON object");
    }
    JsonNode manifests = index.get("manifests");
    if (manifests != null && !manifests.isArray()) {
      throw new OcitagException.InvalidInput(
          "corrupt index.json in " + root + ": 'manifests' is not an array");
    }
    return (ObjectNode) index;
  }

  private static ArrayNode manifests(ObjectNode index) {
    JsonNode m = index.get("manifests");
    return m == null ? index.putArray("manifests") : (ArrayNode) m;
  }

  private static JsonNode readJson(Path file, String what) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new OcitagException.NotFound(
          "'" + file.getParent() + "' is not an OCI image layout: it has no " + what);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      JsonNode node = Json.read(bytes);
      if (node.isMissingNode()) {
        throw new OcitagException.InvalidInput(
            "corrupt " + what + " in " + file.getParent() + ": empty");
      }
      return node;
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw new OcitagException.InvalidInput(
          "corrupt "
              + what
              + " in "
              + file.getParent()
              + ": "
              + (m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m));
    }
  }

  Path blobPath(Digest digest) {
    return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  boolean hasBlob(Digest digest) {
    return Files.isRegularFile(blobPath(digest));
  }

  /** Whether the blob's file is there, with this size unless {@code size} is negative (unknown). */
  boolean hasBlob(Digest digest, long size) {
    Path path = blobPath(digest);
    try {
      return Files.isRegularFile(path) && (size < 0 || Files.size(path) == size);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot read blob " + digest + ": " + oneLine(e), e);
    }
  }

  /** The blob's file as a stream, unchecked; NotFound naming the digest if it is missing. */
  InputStream openBlob(Digest digest) {
    try {
      return Files.newInputStream(blobPath(digest));
    } catch (NoSuchFileException e) {
      throw new OcitagException.NotFound("blob " + digest + " is not in layout " + root);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot read blob " + digest + ": " + oneLine(e), e);
    }
  }

  /** Reads a blob and checks its digest; InvalidInput if the content does not match. */
  byte[] readBlob(Digest digest) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(blobPath(digest));
    } catch (NoSuchFileException e) {
      throw new OcitagException.NotFound("blob " + digest + " is not in layout " + root);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot read blob " + digest + ": " + e.getMessage(), e);
    }
    if (!digest.matches(bytes)) {
      throw new OcitagException.InvalidInput(
          "blob "
              + digest
              + " in layout "
              + root
              + " is corrupt: its "
              + bytes.length
              + " bytes do not hash to its name");
    }
    return bytes;
  }

  /** Stores a small blob (a manifest) unless it is there already with these bytes. */
  void writeBlob(Digest digest, byte[] bytes) {
    Path target = blobPath(digest);
    try {
      // a damaged copy (a truncated file) is replaced, not trusted for its name
      if (Files.isRegularFile(target) && Arrays.equals(bytes, Files.readAllBytes(target))) {
        return;
      }
      Files.createDirectories(target.getParent());
      writeAtomically(target, bytes);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot write blob " + digest + ": " + oneLine(e), e);
    }
  }

  /**
   * Streams a blob into place: reads exactly {@code size} bytes of {@code body} (to its end if the
   * size is negative) into a temporary file beside the blob's, hashing them as they pass, and
   * renames it to the digest's name only when they hash to it. Otherwise nothing is left behind.
   */
  void writeBlob(Digest digest, long size, InputStream body) {
    Path target = blobPath(digest);
    MessageDigest hash = digest.hasher();
    Path tmp = null;
    try {
      Files.createDirectories(target.getParent());
      tmp = tempBeside(target);
      long received = 0;
      try (FileChannel out =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        byte[] buffer = new byte[64 * 1024];
        while (size < 0 || received < size) {
          int want = size < 0 ? buffer.length : (int) Math.min(buffer.length, size - received);
          int n = readSource(body, buffer, want, digest, received);
          if (n < 0) {
            break;
          }
          hash.update(buffer, 0, n);
          ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
          received += n;
        }
        Digest got = new Digest(digest.algorithm(), HexFormat.of().formatHex(hash.digest()));
        if (size >= 0 && received != size) {
          throw new OcitagException.Failed(
              "blob "
                  + digest
                  + ": its stream ended after "
                  + received
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
                  + received
                  + " bytes received hash to "
                  + got
                  + "; nothing stored");
        }
        out.force(true);
      }
      move(tmp, target);
    } catch (IOException e) {
      // a full disk (ENOSPC), a read-only file system, ...
      throw new OcitagException.Failed(
          "cannot write blob " + digest + " to layout " + root + ": " + oneLine(e), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** A read of the source's stream; its failure may pass on a second try (a dropped connection). */
  private static int readSource(
      InputStream body, byte[] buffer, int want, Digest digest, long received) {
    try {
      return body.read(buffer, 0, want);
    } catch (IOException e) {
      throw new OcitagException.Transient(
          "reading blob " + digest + " failed after " + received + " bytes: " + oneLine(e), e);
    }
  }

  /**
   * Rewrites index.json under the layout lock: reads the current index, lets {@code change} edit
   * its manifests array in place, and replaces the file atomically. {@code change} returns whether
   * it changed anything; when it did not, nothing is written. Returns that answer.
   */
  boolean updateIndex(Predicate<ArrayNode> change) {
    ReentrantLock local = localLock(root);
    local.lock();
    try (FileChannel marker =
            FileChannel.open(root.resolve("oci-layout"), StandardOpenOption.WRITE);
        FileLock ignored = marker.lock()) {
      ObjectNode index = readIndex();
      boolean changed = change.test(manifests(index));
      if (changed) {
        writeAtomically(root.resolve("index.json"), Json.write(index));
      }
      return changed;
    } catch (IOException e) {
      // index.json is replaced by a rename or not at all: it still holds every tag it held
      throw new OcitagException.Failed(
          "cannot update " + root.resolve("index.json") + ": " + oneLine(e), e);
    } finally {
      local.unlock();
    }
  }

  /** Replaces {@code target} with these bytes in one rename, after writing and syncing them. */
  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = writeTemp(target, bytes);
    try {
      keepPermissions(target, tmp);
      move(tmp, target);
    } finally {
      deleteQuietly(tmp); // the failure being reported matters more than a stray temp file
    }
  }

  /**
   * Puts these bytes at {@code target} unless a file is there already (made meanwhile by another
   * process creating the same layout, whose tags must not be overwritten with an empty index).
   */
  /** Returns whether this call made the file (false: someone else had). */
  private static boolean writeNew(Path target, byte[] bytes) throws IOException {
    Path tmp = writeTemp(target, bytes);
    try {
      // link(2) fails if the name is taken, with no moment between checking and writing
      Files.createLink(target, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false; // made by someone else: theirs stays
    } catch (UnsupportedOperationException | FileSystemException e) {
      // no hard links on this file system: a rename that refuses a taken name (checked just before)
      if (Files.exists(target)) {
        return false;
      }
      try {
        Files.move(tmp, target);
        return true;
      } catch (FileAlreadyExistsException taken) {
        return false; // as above
      }
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static Path writeTemp(Path target, byte[] bytes) throws IOException {
    Path tmp = tempBeside(target);
    try (FileChannel out =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      out.force(true);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw e;
    }
    return tmp;
  }

  /**
   * A new name beside {@code target}, on its file system so that the rename is atomic. Not
   * Files.createTempFile: its name comes from SecureRandom, whose set-up (the security providers)
   * cost a cold retag ~5 ms. Process id and counter make it unique; CREATE_NEW never takes over a
   * file.
   */
  private static Path tempBeside(Path target) {
    return target.resolveSibling(
        "."
            + target.getFileName()
            + "."
            + ProcessHandle.current().pid()
            + "."
            + TEMP_FILES.incrementAndGet()
            + "."
            + System.nanoTime()
            + ".tmp");
  }

  private static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // the failure being reported matters more; a stray .tmp file is harmless
      }
    }
  }

  /** An IOException's message on one line, for an OcitagException's. */
  static String oneLine(IOException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = m.indexOf('\n');
    return newline < 0 ? m : m.substring(0, newline);
  }

  private static void keepPermissions(Path from, Path to) throws IOException {
    if (Files.exists(from)
        && Files.getFileStore(to).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
    }
  }
}
