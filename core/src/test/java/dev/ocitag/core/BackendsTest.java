package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Providers found through ServiceLoader (core's test providers: {@code mem:} references and the
 * docker references of {@code shadow.example}): who claims a reference, who opens it, their
 * options, and the stores of a run.
 */
class BackendsTest {

  @BeforeEach
  void forget() {
    MemoryStoreProvider.OPENED.clear();
  }

  @Test
  void theMostSpecificProviderClaimsAndTheDockerGrammarReadsTheRest() {
    assertEquals(
        List.of("mem", "shadow"),
        Backends.providers().stream().map(TagBackendProvider::transport).toList());

    assertEquals(new ImageRef("mem", "", "a/app", "1", null), Backends.parse("mem:a/app:1"));
    assertEquals(
        new ImageRef("shadow", "shadow.example", "team/app", "v1", null),
        Backends.parse("shadow.example/team/app:v1"));
    assertEquals(
        new ImageRef(ImageRef.DOCKER, "r.example", "team/app", null, null),
        Backends.parse("r.example/team/app"),
        "no provider claims it: the docker grammar");

    OcitagException.InvalidInput own =
        assertThrows(OcitagException.InvalidInput.class, () -> Backends.parse("mem:A"));
    assertTrue(own.getMessage().contains("'A' must be lower-case"), own.getMessage());
    OcitagException.InvalidInput blank =
        assertThrows(OcitagException.InvalidInput.class, () -> Backends.parse(" "));
    assertTrue(blank.getMessage().contains("empty"), blank.getMessage());
  }

  @Test
  void theProviderOfATransportOpensItsReferences() {
    ImageRef ref = Backends.parse("mem:a/app:1");
    assertInstanceOf(MemoryStoreProvider.class, Backends.provider(ref));
    assertInstanceOf(
        ShadowRegistryProvider.class, Backends.provider(Backends.parse("shadow.example/x")));
    OcitagException.InvalidInput none =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> Backends.provider(Backends.parse("r.example/x:1")));
    assertEquals(
        "no backend for docker references such as 'r.example/x:1' is installed", none.getMessage());

    TagBackend backend =
        Backends.open(ref, BackendOptions.defaults().with(MemoryStoreProvider.LABEL, "L"));
    assertSame(MemoryStoreProvider.OPENED.get(0).backend(), backend);
    assertEquals("L", MemoryStoreProvider.OPENED.get(0).label(), "the options reach the provider");
  }

  @Test
  void everyOptionIsListedOnceInProviderThenDeclarationOrder() {
    assertEquals(
        List.of(MemoryStoreProvider.LABEL, MemoryStoreProvider.SHARED, ShadowRegistryProvider.PORT),
        Backends.options());
  }

  @Test
  void aRunOpensOneBackendPerStoreAndClosesThemAll() {
    Stores stores = new Stores(BackendOptions.defaults().with(MemoryStoreProvider.LABEL, "run"));
    TagBackend a = stores.apply(Backends.parse("mem:a/one:1"));
    assertSame(a, stores.apply(Backends.parse("mem:a/two:1")), "one store, one backend");
    TagBackend b = stores.apply(Backends.parse("mem:b/one:1"));
    assertNotSame(a, b);
    TagBackend shadow = stores.apply(Backends.parse("shadow.example/x:1"));
    assertSame(shadow, stores.apply(Backends.parse("shadow.example/y/z:2")), "by registry");
    assertEquals(
        "shadow.example",
        Backends.provider(Backends.parse("shadow.example/x:1"))
            .store(Backends.parse("shadow.example/x:1")));
    assertEquals(2, MemoryStoreProvider.OPENED.size());
    assertEquals("run", MemoryStoreProvider.OPENED.get(1).label());
    assertThrows(
        OcitagException.InvalidInput.class, () -> stores.apply(Backends.parse("r.example/x:1")));

    stores.close();
    for (MemoryStoreProvider.Opened opened : MemoryStoreProvider.OPENED) {
      assertEquals(1, opened.closes()[0], opened.ref()::toString);
    }
    assertNotSame(a, stores.apply(Backends.parse("mem:a/one:1")), "closed: opened anew");
    stores.close();
  }
}
