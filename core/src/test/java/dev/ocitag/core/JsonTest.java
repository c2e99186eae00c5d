package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsTheSameTreeAsObjectMapper() throws IOException {
    String text =
        "{\"b\":1,\"a\":[true,false,null,\"x\\u00e9\",-7,12345678901234,"
            + "123456789012345678901234567890,1.50,2e3],\"o\":{\"k\":{}},\"dup\":1,\"dup\":2}";
    JsonNode ours = Json.read(utf8(text));
    JsonNode theirs = new ObjectMapper().readTree(text);
    assertEquals(
        theirs.toString().replace("1.5,", "1.50,").replace("2000.0", "2E+3"), ours.toString());
    assertEquals(2, ours.get("dup").asInt());
    assertEquals(
        "[\"b\",\"a\",\"o\",\"dup\"]", new ObjectMapper().valueToTree(iterable(ours)).toString());
  }

  private static java.util.List<String> iterable(JsonNode node) {
    java.util.List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void writesBackWhatItRead() throws IOException {
    String text =
        "{\"schemaVersion\":2,\"manifests\":[{\"size\":527,\"annotations\":{\"k\":\"v\"}}],\"n\":1.25,\"t\":true,\"z\":null}";
    assertEquals(text, new String(Json.write(Json.read(utf8(text))), StandardCharsets.UTF_8));
  }

  @Test
  void emptyInputIsAMissingNodeAndTrailingContentIsAnError() throws IOException {
    assertTrue(Json.read(new byte[0]).isMissingNode());
    assertTrue(Json.read(utf8("  \n")).isMissingNode());
    assertTrue(Json.read(utf8("null")).isNull(), "a null document is a null node, not Java's null");
    IOException e = assertThrows(IOException.class, () -> Json.read(utf8("{} {}")));
    assertEquals("unexpected content after the JSON document at line 1, column 5", e.getMessage());
    assertThrows(IOException.class, () -> Json.read(utf8("{\"a\":")));
  }

  /**
   * Found by ManifestFuzzTest: an exponent past int's range was a NumberFormatException out of
   * every JSON read (manifests, index.json, batch files, docker configs, registry answers).
   */
  @Test
  void aNumberOutOfRangeIsAParseError() {
    IOException e =
        assertThrows(IOException.class, () -> Json.read(utf8("{\"schemaVersion\":0e9999991999}")));
    assertTrue(e.getMessage().contains("out of range at line 1, column"), e.getMessage());
    assertThrows(IOException.class, () -> Json.read(utf8("[1e-99999999999]")));
  }

  @Test
  void aNewObjectIsEmptyAndWritable() throws IOException {
    assertEquals("{}", new String(Json.write(Json.object()), StandardCharsets.UTF_8));
    assertEquals(
        "{\"a\":null}", new String(Json.write(Json.object().putNull("a")), StandardCharsets.UTF_8));
  }
}
