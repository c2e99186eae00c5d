package dev.ocitag.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.TagEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The retags a batch file asks for, checked in full before anything runs.
 *
 * <p>Text form: one retag per line, {@code SOURCE TARGET...}, targets as in {@code ocitag tag};
 * blank lines and lines starting with {@code #} are skipped. JSON form: {@code [{"source": "...",
 * "targets": ["...", ...]}, ...]}, or that array as the {@code "retags"} field of an object. Retags
 * of the same source are merged, so it is fetched once.
 */
record BatchFile(Map<ImageRef, List<ImageRef>> retags) {

  int targetCount() {
    return retags.values().stream().mapToInt(List::size).sum();
  }

  static BatchFile parse(byte[] content) {
    String text = new String(content, StandardCharsets.UTF_8);
    String start = text.stripLeading();
    return start.startsWith("[") || start.startsWith("{") ? parseJson(content) : parseText(text);
  }

  private static BatchFile parseText(String text) {
    Map<ImageRef, Set<ImageRef>> merged = new LinkedHashMap<>();
    String[] lines = text.split("\\R", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.split("\\s+");
      add(merged, "line " + (i + 1), words[0], List.of(words).subList(1, words.length));
    }
    return of(merged);
  }

  private static BatchFile parseJson(byte[] content) {
    JsonNode root;
    try {
      root = Json.read(content);
    } catch (IOException e) {
      throw new OcitagException.InvalidInput(
          "batch file is not valid JSON: " + Main.oneLine(e.getMessage()));
    }
    JsonNode list = root.isObject() ? root.get("retags") : root;
    if (list == null || !list.isArray()) {
      throw new OcitagException.InvalidInput(
          "batch JSON must be an array of {\"source\", \"targets\"} or an object with \"retags\"");
    }
    Map<ImageRef, Set<ImageRef>> merged = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode entry = list.get(i);
      String where = "entry " + (i + 1);
      JsonNode source = entry.get("source");
      JsonNode targets = entry.get("targets");
      if (source == null || !source.isTextual() || targets == null || !targets.isArray()) {
        throw new OcitagException.InvalidInput(
            where + ": want {\"source\": \"REF\", \"targets\": [\"TAG|REF\", ...]}");
      }
      List<String> names = new ArrayList<>();
      for (JsonNode t : targets) {
        if (!t.isTextual()) {
          throw new OcitagException.InvalidInput(where + ": every target must be a string");
        }
        names.add(t.asText());
      }
      add(merged, where, source.asText(), names);
    }
    return of(merged);
  }

  private static void add(
      Map<ImageRef, Set<ImageRef>> merged, String where, String sourceText, List<String> targets) {
    try {
      if (targets.isEmpty()) {
        throw new OcitagException.InvalidInput("no target tag given for " + sourceText);
      }
      ImageRef source = ImageRef.parse(sourceText);
      List<ImageRef> plan =
          TagEngine.plan(source, targets.stream().map(t -> ImageRef.target(source, t)).toList());
      merged.computeIfAbsent(source, s -> new LinkedHashSet<>()).addAll(plan);
    } catch (OcitagException.InvalidInput e) {
      throw new OcitagException.InvalidInput(where + ": " + e.getMessage(), e);
    }
  }

  private static BatchFile of(Map<ImageRef, Set<ImageRef>> merged) {
    if (merged.isEmpty()) {
      throw new OcitagException.InvalidInput("the batch file names no retag");
    }
    Map<ImageRef, List<ImageRef>> retags = new LinkedHashMap<>();
    merged.forEach((source, targets) -> retags.put(source, List.copyOf(targets)));
    return new BatchFile(retags);
  }
}
