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
  void whatNoProviderClaimsTheDockerGrammarReads() {
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

  @Test
  void theFirstComponentIsARegistryWhenItLooksLikeAHost() {
    // distribution's splitDockerDomain: a dot, a port, localhost, capitals or an IPv6 literal
    assertEquals("r.example", ImageRef.parseDocker("r.example/app").registry());
    assertEquals("r:5000", ImageRef.parseDocker("r:5000/app").registry());
    assertEquals("localhost", ImageRef.parseDocker("localhost/app").registry());
    assertEquals("Registry", ImageRef.parseDocker("Registry/app").registry());
    assertEquals("[::1]", ImageRef.parseDocker("[::1]/app").registry());
    ImageRef hub = ImageRef.parseDocker("team/app");
    assertEquals(ImageRef.DOCKER_HUB, hub.registry());
    assertEquals("team/app", hub.repository());
    assertEquals("library/app", ImageRef.parseDocker("index.docker.io/app").repository());
    assertTrue(
        message(() -> ImageRef.parseDocker("docker.io//app")).contains("repository '/app' has"),
        "a path that is not one name gets no library/");
  }

  @Test
  void aNameOf255CharactersAndATagOf128AreTheLongestTaken() {
    String path = "a".repeat(255 - "r.io/".length());
    assertEquals(path, ImageRef.parseDocker("r.io/" + path).repository());
    assertTrue(
        message(() -> ImageRef.parseDocker("r.io/" + path + "a")).contains("longer than 255"));
    String tag = "t".repeat(128);
    assertEquals(tag, ImageRef.parseDocker("r.io/a:" + tag).tag());
    assertTrue(message(() -> ImageRef.parseDocker("r.io/a:" + tag + "t")).contains("longer than"));
  }

  @Test
  void eachGrammarSaysWhichPartIsBad() {
    assertEquals(
        "invalid reference ' r.io/a': it contains white space",
        message(() -> ImageRef.parseDocker(" r.io/a")));
    assertEquals(
        "invalid reference '': the reference is empty", message(() -> ImageRef.parseDocker("")));
    assertTrue(
        message(() -> ImageRef.parseDocker("@" + SHA)).endsWith("the repository name is empty"));
    assertTrue(message(() -> ImageRef.parseDocker("r.io/a:-x")).contains("tag '-x' may hold"));
    assertTrue(
        message(() -> ImageRef.parseRepository("mem", "mem:a b", "a b")).contains("white space"));
    assertTrue(
        message(() -> ImageRef.parseRepository("mem", "mem:A", "A"))
            .contains("must be lower-case"));
    assertTrue(
        message(() -> ImageRef.parseRepository("mem", "mem:a//b", "a//b"))
            .contains("empty path component"));
  }

  @Test
  void aBareTargetIsATagOfTheSourceRepositoryAndAnythingElseAFullReference() {
    ImageRef source = ImageRef.parse("r.io/team/app:1@" + SHA);
    assertEquals(ImageRef.parse("r.io/team/app:v2"), ImageRef.target(source, "v2"));
    assertEquals(ImageRef.parse("other:3"), ImageRef.target(source, "other:3"));
    assertEquals(ImageRef.parse("r.io/x"), ImageRef.target(source, "r.io/x"));
    assertEquals(ImageRef.parse("x@" + SHA), ImageRef.target(source, "x@" + SHA));
    assertEquals(
        "invalid reference '-v2': tag '-v2' may hold only letters, digits, '_', '.' and '-', and"
            + " not start with '.' or '-'",
        message(() -> ImageRef.target(source, "-v2")),
        "named as given, not as the source's repository with it");
    // a target that starts with '/', ':' or '@' is a full reference (with nothing before it)
    assertTrue(message(() -> ImageRef.target(source, ":v2")).endsWith("name is empty"));
    assertTrue(message(() -> ImageRef.target(source, "@" + SHA)).endsWith("name is empty"));
    assertTrue(
        message(() -> ImageRef.target(source, "/v2")).contains("repository '/v2' has an empty"));
  }

  @Test
  void equalReferencesHashAlikeAndOthersApart() {
    ImageRef ref = ImageRef.parse("r.io/a:1");
    assertEquals(ImageRef.parse("r.io/a:1").hashCode(), ref.hashCode());
    for (String other : List.of("r.io/a:2", "r.io/b:1", "q.io/a:1", "r.io/a@" + SHA)) {
      assertNotEquals(ref.hashCode(), ImageRef.parse(other).hashCode(), other);
    }
  }

  private static String message(org.junit.jupiter.api.function.Executable parse) {
    return assertThrows(OcitagException.InvalidInput.class, parse).getMessage();
  }
}
