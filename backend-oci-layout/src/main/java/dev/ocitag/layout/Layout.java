package dev.ocitag.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One OCI image layout directory: {@code oci-layout}, {@code index.json}, {@code
 * blobs/<alg>/<hex>}.
 *
 * <p>Writes are atomic (temp file, fsync, rename) and {@code index.json} is rewritten under an
 * exclusive lock, so concurrent ocitag processes never lose each other's tags. The lock is taken on
 * the {@code oci-layout} file, which is never replaced, so the layout gets no extra files.
 */
final class Layout {
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  private static final Map<Path, ReentrantLock> LOCKS_IN_THIS_JVM = new ConcurrentHashMap<>();

  private final Path root;

  private Layout(Path root) {
    this.root = root;
  }

  /** Opens an existing layout; NotFound if the directory or its {@code oci-layout} is missing. */
  static Layout open(String path) {
    Path given = Path.of(path);
    if (!Files.isDirectory(given)) {
      throw new OcitagException.NotFound("no OCI layout at '" + path + "': no such directory");
    }
    Path root;
    try {
      root = given.toRealPath();
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot open layout '" + path + "': " + e.getMessage(), e);
    }
    Path marker = root.resolve("oci-layout");
    if (!Files.isRegularFile(marker)) {
      throw new OcitagException.NotFound(
          "'" + path + "' is not an OCI image layout: it has no oci-layout file");
    }
    // Closing any descriptor of a file drops the process's POSIX lock on it, so this JVM opens
    // oci-layout only under the same in-JVM lock that guards the file lock (see updateIndex).
    JsonNode version;
    ReentrantLock local = localLock(root);
    local.lock();
    try {
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

  /** Stores a blob unless it is there already. */
  void writeBlob(Digest digest, byte[] bytes) {
    Path target = blobPath(digest);
    if (Files.isRegularFile(target)) {
      return;
    }
    try {
      Files.createDirectories(target.getParent());
      writeAtomically(target, bytes);
    } catch (IOException e) {
      throw new OcitagException.Failed("cannot write blob " + digest + ": " + e.getMessage(), e);
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
      throw new OcitagException.Failed(
          "cannot update " + root.resolve("index.json") + ": " + e.getMessage(), e);
    } finally {
      local.unlock();
    }
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    // Not Files.createTempFile: its name comes from SecureRandom, whose set-up (the security
    // providers) cost a cold retag ~5 ms. Writers hold the layout's lock; CREATE_NEW never takes
    // over a file. The new index.json gets the old one's permissions.
    Path tmp =
        target.resolveSibling(
            "."
                + target.getFileName()
                + "."
                + ProcessHandle.current().pid()
                + "."
                + System.nanoTime()
                + ".tmp");
    try {
      try (FileChannel out =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      keepPermissions(target, tmp);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void keepPermissions(Path from, Path to) throws IOException {
    if (Files.exists(from)
        && Files.getFileStore(to).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
    }
  }
}
