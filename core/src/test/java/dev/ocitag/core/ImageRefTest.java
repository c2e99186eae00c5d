package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The model's own rules. The grammar of every reference form, with the providers that claim them,
 * is tested in the cli module (ReferenceGrammarTest).
 */
class ImageRefTest {
  private static final String SHA = "sha256:" + "a".repeat(64);

  @Test
  void withoutProvidersTheDockerGrammarReadsAReference() {
    ImageRef ref = ImageRef.parse("r.io/a/b:1");
    assertEquals(new ImageRef(ImageRef.DOCKER, "r.io", "a/b", "1", null), ref);
    assertEquals("docker.io/library/alpine", ImageRef.parse("alpine").toString());
    OcitagException.InvalidInput e =
        assertThrows(OcitagException.InvalidInput.class, () -> ImageRef.parse("r.io/A"));
    assertTrue(e.getMessage().contains("'A' must be lower-case"), e.getMessage());
    OcitagException.InvalidInput none =
        assertThrows(
            OcitagException.InvalidInput.class,
            () ->
                Backends.open(new ImageRef("zz", "", "x", null, null), BackendOptions.defaults()));
    assertTrue(none.getMessage().contains("no backend for zz references"), none.getMessage());
  }

  @Test
  void aStoreNamedByItsTransportAloneKeepsItAsPrefix() {
    ImageRef ref = ImageRef.parseRepository("mem", "mem:a/b:1@" + SHA, "a/b:1@" + SHA);
    assertEquals("mem:a/b:1@" + SHA, ref.toString());
    assertEquals("mem:a/b", ref.repositoryName());
    assertThrows(
        OcitagException.InvalidInput.class, () -> ImageRef.parseRepository("mem", "mem:", ""));
  }

  @org.junit.jupiter.api.Test
  void referenceIsTheDigestWhenThereIsOneElseTheTag() {
    assertEquals(SHA, ImageRef.parse("r.io/a:t@" + SHA).reference());
    assertEquals("t", ImageRef.parse("r.io/a:t").reference());
    assertThrows(OcitagException.InvalidInput.class, () -> ImageRef.parse("r.io/a").reference());
    assertNull(ImageRef.parse("r.io/a:t").repositoryRef().tag());
  }

  @Test
  void equalityIsByEveryComponent() {
    Digest d = Digest.of(new byte[] {1});
    ImageRef ref = new ImageRef(ImageRef.DOCKER, "r.example", "a/b", "1", d);
    assertEquals(ref, ImageRef.parse("r.example/a/b:1@" + d));
    assertEquals(ref.hashCode(), ImageRef.parse("r.example/a/b:1@" + d).hashCode());
    assertEquals(new Digest("sha256", d.hex()).hashCode(), d.hashCode());
    List<ImageRef> others =
        List.of(
            new ImageRef("ecr", "r.example", "a/b", "1", d),
            new ImageRef(ImageRef.DOCKER, "q.example", "a/b", "1", d),
            new ImageRef(ImageRef.DOCKER, "r.example", "a/c", "1", d),
            new ImageRef(ImageRef.DOCKER, "r.example", "a/b", "2", d),
            new ImageRef(ImageRef.DOCKER, "r.example", "a/b", null, d),
            new ImageRef(ImageRef.DOCKER, "r.example", "a/b", "1", null),
            new ImageRef(ImageRef.DOCKER, "r.example", "a/b", "1", Digest.of(new byte[] {2})));
    for (ImageRef other : others) {
      assertNotEquals(ref, other);
      assertNotEquals(other, ref);
    }
  }
}
