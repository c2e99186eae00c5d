package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ocitag.core.Backends;
import dev.ocitag.core.TagBackendProvider;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The CLI names its backends in its jar ({@code META-INF/ocitag/providers}) so that a start finds
 * them without opening every jar on the class path: the list must name every backend module's
 * provider that ServiceLoader finds (core's test-jar providers aside), so a backend added with its
 * services file but left off the list fails here.
 */
class NamedBackendsTest {

  @Test
  void theCliNamesEveryBackendServiceLoaderFinds() {
    Set<String> named = new TreeSet<>();
    for (TagBackendProvider p : Backends.providers()) {
      named.add(p.getClass().getName());
    }
    Set<String> found = new TreeSet<>();
    for (TagBackendProvider p : ServiceLoader.load(TagBackendProvider.class)) {
      if (!p.getClass().getPackageName().equals("dev.ocitag.core")) { // core's test-jar providers
        found.add(p.getClass().getName());
      }
    }
    assertEquals(3, found.size(), found.toString());
    assertEquals(found, named);
  }
}
