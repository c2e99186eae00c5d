package dev.ocitag.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON trees read and written with jackson-core's streaming parser and generator. An {@code
 * ObjectMapper} is never built: its start-up (settings, date formats, locales) was a sixth of a
 * cold retag. For reading documents ocitag only looks into (manifests, index.json, registry
 * answers); a manifest's own bytes are never written from a tree.
 */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private Json() {}

  /**
   * The tree of one JSON document; a missing node for empty input (as {@code
   * ObjectMapper.readTree}); content after the document is an error.
   */
  public static JsonNode read(byte[] bytes) throws IOException {
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return MissingNode.getInstance();
      }
      JsonNode root = value(parser, first);
      if (parser.nextToken() != null) {
        throw new IOException("unexpected content after the JSON document at " + where(parser));
      }
      return root;
    }
  }

  /** A new, empty object node. */
  public static ObjectNode object() {
    return NODES.objectNode();
  }

  private static JsonNode value(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT:
        ObjectNode object = NODES.objectNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
          String name = parser.currentName();
          object.set(name, value(parser, parser.nextToken()));
        }
        return object;
      case START_ARRAY:
        ArrayNode array = NODES.arrayNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          array.add(value(parser, t));
        }
        return array;
      case VALUE_STRING:
        return NODES.textNode(parser.getText());
      case VALUE_NUMBER_INT:
        return switch (parser.getNumberType()) {
          case INT -> NODES.numberNode(parser.getIntValue());
          case LONG -> NODES.numberNode(parser.getLongValue());
          default -> NODES.numberNode(parser.getBigIntegerValue());
        };
      case VALUE_NUMBER_FLOAT:
        try {
          return NODES.numberNode(parser.getDecimalValue());
        } catch (NumberFormatException e) { // an exponent past int's range: 0e9999999999
          throw new IOException("a number out of range at " + where(parser), e);
        }
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new IOException("unexpected " + token + " at " + where(parser));
    }
  }

  private static String where(JsonParser parser) {
    return "line "
        + parser.currentLocation().getLineNr()
        + ", column "
        + parser.currentLocation().getColumnNr();
  }

  /** The tree as compact JSON, fields in their order. */
  public static byte[] write(JsonNode tree) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, tree);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, JsonNode node) throws IOException {
    if (node.isObject()) {
      g.writeStartObject();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        g.writeFieldName(field.getKey());
        write(g, field.getValue());
      }
      g.writeEndObject();
    } else if (node.isArray()) {
      g.writeStartArray();
      for (JsonNode element : node) {
        write(g, element);
      }
      g.writeEndArray();
    } else if (node.isTextual()) {
      g.writeString(node.textValue());
    } else if (node.isIntegralNumber()) {
      g.writeNumber(node.bigIntegerValue());
    } else if (node.isNumber()) {
      g.writeNumber(node.decimalValue());
    } else if (node.isBoolean()) {
      g.writeBoolean(node.booleanValue());
    } else {
      g.writeNull();
    }
  }
}
