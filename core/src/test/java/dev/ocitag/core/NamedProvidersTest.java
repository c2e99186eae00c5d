package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that names its providers in {@link Backends#NAMED} (as the CLI does, so that a
 * start does not open every jar on its class path to find them): the named ones, in a fresh class
 * loader over a directory holding the resource, as a jar would.
 */
class NamedProvidersTest {

  private static URLClassLoader loaderWith(Path dir, String resource) throws Exception {
    if (resource != null) {
      Path file = dir.resolve(Backends.NAMED);
      Files.createDirectories(file.getParent());
      Files.writeString(file, resource);
    }
    return new URLClassLoader(
        new URL[] {dir.toUri().toURL()}, NamedProvidersTest.class.getClassLoader());
  }

  @Test
  void namedProvidersAreTheOnesLoadedAndAnAbsentClassIsLeftOut(@TempDir Path dir) throws Exception {
    try (URLClassLoader loader =
        loaderWith(
            dir,
            "# the application's backends\n\n"
                + "  dev.ocitag.core.MemoryStoreProvider  # in-memory stores\n"
                + "dev.ocitag.core.NoSuchProvider\n")) {
      List<TagBackendProvider> named = Backends.named(loader, false);
      assertEquals(1, named.size(), named.toString());
      assertEquals(MemoryStoreProvider.class, named.get(0).getClass());
    }
  }

  @Test
  void withoutTheResourceServiceLoaderDecides(@TempDir Path dir) throws Exception {
    try (URLClassLoader loader = loaderWith(dir, null)) {
      assertNull(Backends.named(loader, false));
    }
    // core's own tests name nothing: ServiceLoader found both test providers
    assertEquals(2, Backends.providers().size());
  }

  @Test
  void aNamedClassThatIsNoProviderIsRefusedByName(@TempDir Path dir) throws Exception {
    try (URLClassLoader loader = loaderWith(dir, "java.lang.String\n")) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> Backends.named(loader, false));
      assertTrue(e.getMessage().contains(Backends.NAMED), e.getMessage());
      assertTrue(e.getMessage().contains("java.lang.String"), e.getMessage());
    }
  }
}
