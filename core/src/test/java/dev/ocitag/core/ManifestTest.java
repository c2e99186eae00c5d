package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void keepsTheExactBytesAndHashesThem() {
    byte[] bytes =
        utf8(
            "{ \"schemaVersion\" : 2,\n\t\"config\":{\"digest\":\""
                + Digest.of(new byte[0])
                + "\"},\"layers\":[] }\n\n");
    Manifest m = Manifest.of(bytes, null);
    assertArrayEquals(bytes, m.bytes());
    assertEquals(Digest.of(bytes), m.digest());
    assertEquals(bytes.length, m.size());
    m.bytes()[0] = 'x';
    assertArrayEquals(bytes, m.bytes(), "bytes() hands out a copy");
  }

  @Test
  void theServedMediaTypeWinsThenTheDeclaredOneThenTheShape() {
    TestImage docker = TestImages.dockerImage("mt");
    assertEquals(MediaTypes.DOCKER_MANIFEST, Manifest.of(docker.bytes(), null).mediaType());
    assertEquals(
        MediaTypes.DOCKER_MANIFEST,
        Manifest.of(
                docker.bytes(),
                "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8")
            .mediaType());
    assertEquals(
        MediaTypes.DOCKER_MANIFEST,
        Manifest.of(docker.bytes(), "application/octet-stream").mediaType());
    TestImage bare = TestImages.ociImageWithoutMediaType("mt");
    assertEquals(MediaTypes.OCI_MANIFEST, Manifest.of(bare.bytes(), null).mediaType());
    assertEquals(
        MediaTypes.OCI_INDEX,
        Manifest.of(utf8("{\"schemaVersion\":2,\"manifests\":[]}"), null).mediaType());
  }

  @Test
  void schemaOneIsRefusedClearly() {
    byte[] v1 = utf8("{\"schemaVersion\":1,\"name\":\"a\",\"tag\":\"b\",\"fsLayers\":[]}");
    for (String served :
        new String[] {null, MediaTypes.DOCKER_SCHEMA1_SIGNED, MediaTypes.DOCKER_SCHEMA1}) {
      OcitagException e =
          assertThrows(OcitagException.InvalidInput.class, () -> Manifest.of(v1, served));
      assertTrue(e.getMessage().contains("schema 1"), e.getMessage());
    }
  }

  /**
   * Found by ManifestFuzzTest: served as {@code application/json} and declaring no media type, a
   * document was a null pointer instead of the schema 1 refusal.
   */
  @Test
  void servedAsPlainJsonWithoutAMediaTypeIsRefusedAsSchemaOne() {
    OcitagException e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> Manifest.of(utf8("{\"schemaVersion\":2}"), "application/json"));
    assertTrue(e.getMessage().contains("schema 1"), e.getMessage());
    assertEquals(
        MediaTypes.OCI_INDEX,
        Manifest.of(
                utf8("{\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}"),
                "application/json")
            .mediaType());
  }

  @Test
  void theSizeCapIsFourMebibytes() {
    String head = "{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{\"pad\":\"";
    String tail = "\"}}";
    int pad = Manifest.MAX_BYTES - head.length() - tail.length();
    assertEquals(Manifest.MAX_BYTES, Manifest.of(utf8(head + "x".repeat(pad) + tail), null).size());
    OcitagException e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () -> Manifest.of(utf8(head + "x".repeat(pad + 1) + tail), null));
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
  }

  @Test
  void whatIsNotAManifestIsInvalidInput() {
    for (String text :
        List.of("not json", "[1,2]", "{\"hello\":1}", "", "{\"mediaType\":\"text/plain\"}")) {
      assertThrows(OcitagException.InvalidInput.class, () -> Manifest.of(utf8(text), null), text);
    }
  }

  @Test
  void viewsAreReadFromTheBytes() {
    TestImage index = TestImages.ociIndex("views");
    Manifest m = index.manifest();
    assertTrue(m.isIndex());
    assertEquals(2, m.children().size());
    assertEquals("linux/amd64", m.children().get(0).platform());
    assertEquals(index.children().get(1).digest(), m.children().get(1).digest());
    assertEquals(Map.of("org.example.salt", "views"), m.annotations());

    TestImage image = TestImages.ociImage("views");
    Manifest im = image.manifest();
    Digest config = im.config().orElseThrow().digest();
    Digest layer = im.layers().get(0).digest();
    assertEquals(image.blobs().keySet(), java.util.Set.of(config, layer));
    assertTrue(new String(image.blobs().get(config), StandardCharsets.UTF_8).contains("rootfs"));
    assertEquals(image.blobs().get(layer).length, im.layers().get(0).size());
    assertEquals(1, im.layers().size());
    assertEquals(2, im.references().size());
    assertTrue(im.subject().isEmpty());
    assertTrue(im.artifactType().isEmpty());

    String withSubject =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"artifactType\":\"application/x.sig\",\"config\":{\"mediaType\":\"x\",\"digest\":\""
            + Digest.of(new byte[0])
            + "\",\"size\":0},\"layers\":[],\"subject\":{\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"digest\":\""
            + image.digest()
            + "\",\"size\":1}}";
    Manifest referrer = Manifest.of(utf8(withSubject), null);
    assertEquals(image.digest(), referrer.subject().orElseThrow().digest());
    assertEquals("application/x.sig", referrer.artifactType().orElseThrow());
    assertEquals(
        List.of(Digest.of(new byte[0]), image.digest()),
        referrer.references().stream().map(Descriptor::digest).toList(),
        "the config, then the subject");
  }

  @Test
  void theDeclaredMediaTypeWinsOverTheShapeAndSchemaOneIsRefusedByEitherName() {
    String shapedLikeAnImage =
        "{\"mediaType\":\""
            + MediaTypes.OCI_INDEX
            + "\",\"config\":{},\"layers\":[],\"manifests\":[]}";
    assertEquals(MediaTypes.OCI_INDEX, Manifest.of(utf8(shapedLikeAnImage), null).mediaType());
    String declaredSchema1 =
        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_SCHEMA1_SIGNED + "\"}";
    assertTrue(
        assertThrows(
                OcitagException.InvalidInput.class, () -> Manifest.of(utf8(declaredSchema1), null))
            .getMessage()
            .contains("schema 1"));
    assertEquals(
        "not a manifest: no mediaType (served as text/plain) and neither 'manifests' nor 'config'"
            + " and 'layers'",
        assertThrows(
                OcitagException.InvalidInput.class,
                () -> Manifest.of(utf8("{\"config\":{}}"), "text/plain"))
            .getMessage());
  }

  @Test
  void invalidJsonIsSaidInOneLine() {
    String message =
        assertThrows(OcitagException.InvalidInput.class, () -> Manifest.of(utf8("{\"a\":"), null))
            .getMessage();
    assertTrue(message.startsWith("manifest is not valid JSON: Unexpected end-of-input"), message);
    assertTrue(message.indexOf('\n') < 0, message);
  }

  @Test
  void equalWhenTheBytesAndMediaTypeAreAndWrittenAsTheyAre() throws Exception {
    TestImage image = TestImages.ociImage("eq");
    Manifest m = Manifest.of(image.bytes(), MediaTypes.OCI_MANIFEST);
    Manifest same = Manifest.of(image.bytes(), MediaTypes.OCI_MANIFEST);
    assertEquals(m, same);
    assertEquals(m.hashCode(), same.hashCode());
    assertEquals(m.digest().hashCode(), m.hashCode());
    assertNotEquals(m, Manifest.of(image.bytes(), MediaTypes.DOCKER_MANIFEST), "another type");
    assertNotEquals(m, TestImages.ociImage("other").manifest(), "other bytes");
    assertNotEquals(m, (Object) image.bytes());
    assertEquals(
        "Manifest[" + MediaTypes.OCI_MANIFEST + " " + m.digest() + " " + m.size() + " bytes]",
        m.toString());
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    m.writeTo(out);
    assertArrayEquals(image.bytes(), out.toByteArray());
  }

  @Test
  void aContentTypeIsItsBaseWithoutParametersOrWhiteSpace() {
    assertEquals(MediaTypes.OCI_INDEX, MediaTypes.base(" " + MediaTypes.OCI_INDEX + " "));
    assertEquals("a/b", MediaTypes.base("a/b; charset=utf-8"));
    assertEquals("a/b", MediaTypes.base("a/b;"));
    for (String none : new String[] {null, "", "  ", ";charset=utf-8", " ; x"}) {
      assertNull(MediaTypes.base(none), String.valueOf(none));
    }
    assertTrue(MediaTypes.isIndex(MediaTypes.DOCKER_MANIFEST_LIST));
    assertFalse(MediaTypes.isIndex(MediaTypes.OCI_MANIFEST));
    assertTrue(MediaTypes.isSchema1("application/json"));
    assertFalse(MediaTypes.isSchema1(MediaTypes.DOCKER_MANIFEST));
  }
}
