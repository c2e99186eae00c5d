package dev.ocitag.core;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A resource of the application's own jar: the first entry of the class path ({@code
 * java.class.path}: the jar of {@code java -jar}, or the first of {@code -cp}), read there alone.
 *
 * <p>{@link ClassLoader#getResource} asks the JDK's loaders first, and for a name in no JDK package
 * they search every module of the runtime image: on JDK 25 that first search opens the image (~30
 * ms of a cold start of the release). A command line tool that knows its resources are in its own
 * jar reads them here, and asks the class loader only where they are not (in tests, say).
 */
public final class ClassPathHead {
  private ClassPathHead() {}

  /** The resource's bytes, or null where the first class path entry has no such resource. */
  public static InputStream open(String name) throws IOException {
    String classPath = System.getProperty("java.class.path", "");
    int separator = classPath.indexOf(File.pathSeparatorChar);
    String head = separator < 0 ? classPath : classPath.substring(0, separator);
    if (head.isEmpty()) {
      return null;
    }
    Path path = Path.of(head);
    if (Files.isDirectory(path)) {
      Path file = path.resolve(name);
      return Files.isRegularFile(file) ? Files.newInputStream(file) : null;
    }
    if (!Files.isRegularFile(path)) {
      return null;
    }
    try (ZipFile jar = new ZipFile(path.toFile())) {
      ZipEntry entry = jar.getEntry(name);
      if (entry == null) {
        return null;
      }
      try (InputStream in = jar.getInputStream(entry)) {
        return new ByteArrayInputStream(in.readAllBytes());
      }
    }
  }
}
