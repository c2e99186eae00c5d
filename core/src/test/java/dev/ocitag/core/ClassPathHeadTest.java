package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resources read from the class path's first entry alone: a jar (as {@code java -jar} and the
 * release's {@code -cp} have it), a directory, neither; and the providers an application names
 * there. {@code java.class.path} is set for each test and put back after.
 */
class ClassPathHeadTest {
  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty("java.class.path");
  }

  @AfterEach
  void restore() {
    System.setProperty("java.class.path", saved);
  }

  private static Path jar(Path dir, String name, String content) throws Exception {
    Path jar = dir.resolve("app.jar");
    try (OutputStream file = Files.newOutputStream(jar);
        ZipOutputStream zip = new ZipOutputStream(file)) {
      zip.putNextEntry(new ZipEntry(name));
      zip.write(content.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return jar;
  }

  private static byte[] read(String name) throws Exception {
    try (InputStream in = ClassPathHead.open(name)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  @Test
  void readsTheFirstEntryOnlyWhetherJarOrDirectory(@TempDir Path tmp) throws Exception {
    Path jar = jar(tmp, "app/version.properties", "version=1.2\n");
    Path dir = Files.createDirectories(tmp.resolve("classes/app"));
    Files.writeString(dir.resolve("version.properties"), "version=dir\n");

    System.setProperty("java.class.path", jar + File.pathSeparator + tmp.resolve("classes"));
    assertArrayEquals(
        "version=1.2\n".getBytes(StandardCharsets.UTF_8), read("app/version.properties"));
    assertNull(read("app/other.properties"));

    System.setProperty("java.class.path", tmp.resolve("classes") + File.pathSeparator + jar);
    assertArrayEquals(
        "version=dir\n".getBytes(StandardCharsets.UTF_8), read("app/version.properties"));

    System.setProperty("java.class.path", tmp.resolve("missing.jar").toString());
    assertNull(read("app/version.properties"));
    System.setProperty("java.class.path", "");
    assertNull(read("app/version.properties"));
  }

  @Test
  void theProvidersTheApplicationJarNamesAreTheOnesLoaded(@TempDir Path tmp) throws Exception {
    Path jar = jar(tmp, Backends.NAMED, "dev.ocitag.core.ShadowRegistryProvider\n");
    System.setProperty("java.class.path", jar.toString());
    List<TagBackendProvider> named = Backends.named(ClassPathHeadTest.class.getClassLoader(), true);
    assertEquals(1, named.size(), named.toString());
    assertEquals(ShadowRegistryProvider.class, named.get(0).getClass());
  }
}
