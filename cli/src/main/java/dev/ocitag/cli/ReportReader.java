package dev.ocitag.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The report {@code ocitag rollback} undoes, checked in full before anything is written: the {@code
 * -o json} output of {@code tag}, {@code batch} or {@code rollback}, or a {@code --report} file
 * ({@link ReportFile}). Anything else is refused, with one line naming what is wrong and where:
 * another tool's output, an empty file, a field missing, an unknown outcome, a malformed digest or
 * reference, digests that do not fit the outcome (created has a digest and no previous one, moved
 * both, removed only a previous one).
 */
final class ReportReader {

  /** What rollback needs: the results in the order they happened, and whether there were any. */
  record Read(List<TagResult> results, List<String> warnings) {}

  private final String name;
  private final List<String> warnings = new ArrayList<>();

  private ReportReader(String name) {
    this.name = name;
  }

  static Read read(String name, byte[] content) {
    return new ReportReader(name).parse(content);
  }

  private Read parse(byte[] content) {
    String text = new String(content, StandardCharsets.UTF_8);
    if (text.isBlank()) {
      throw invalid("it is empty; nothing to roll back");
    }
    String first = text.strip().lines().findFirst().orElse("");
    JsonNode firstLine = tryRead(first);
    List<TagResult> results =
        firstLine != null && firstLine.isObject() && firstLine.has("tool")
            ? lines(text)
            : document(content);
    return new Read(results, List.copyOf(warnings));
  }

  /** A {@code --report} file: every run in it, results in the order they were written. */
  private List<TagResult> lines(String text) {
    Map<String, Boolean> dryRuns = new HashMap<>(); // run id -> whether it was a dry run
    List<TagResult> results = new ArrayList<>();
    boolean anyResult = false;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = "line " + (i + 1);
      JsonNode node = tryRead(line);
      if (node == null && i == lines.length - 1 && line.startsWith("{\"run\":")) {
        // the last line, cut short: a disk filled up (or a machine stopped) while writing it
        warnings.add(
            name
                + " "
                + where
                + " is cut short and is not read; a tag the run ended then may need undoing"
                + " by hand");
        continue;
      }
      if (node == null || !node.isObject()) {
        throw invalid(where + " is not a JSON object");
      }
      if (node.has("tool")) {
        String tool = node.path("tool").asText("");
        if (!ReportFile.TOOL.equals(tool)) {
          throw invalid(where + " was written by '" + tool + "', not by ocitag");
        }
        JsonNode format = node.get("format");
        if (format == null || !format.canConvertToInt()) {
          throw invalid(where + ": missing or malformed field 'format'");
        }
        if (format.asInt() != ReportFile.FORMAT) {
          throw invalid(
              where
                  + ": report format "
                  + format.asInt()
                  + " (this ocitag reads format "
                  + ReportFile.FORMAT
                  + ")");
        }
        dryRuns.put(text(node, "run", where), bool(node, "dryRun", where));
        text(node, "command", where);
        continue;
      }
      String run = text(node, "run", where);
      Boolean dryRun = dryRuns.get(run);
      if (dryRun == null) {
        throw invalid(where + ": run '" + run + "' has no first line before it");
      }
      TagResult r = result(node, where);
      anyResult = true;
      if (!dryRun) {
        results.add(r);
      }
    }
    if (anyResult && results.isEmpty()) {
      throw dryRunOnly();
    }
    return results;
  }

  /** The {@code -o json} output of tag (one report), batch ({@code reports}) or rollback. */
  private List<TagResult> document(byte[] content) {
    JsonNode root;
    try {
      root = Json.read(content);
    } catch (IOException e) {
      throw notOurs();
    }
    List<TagResult> results = new ArrayList<>();
    boolean dryRun;
    if (root.isObject() && root.has("reports")) {
      JsonNode reports = root.get("reports");
      if (!reports.isArray() || reports.isEmpty()) {
        throw invalid("'reports' must be a list of reports");
      }
      dryRun = true;
      for (int i = 0; i < reports.size(); i++) {
        dryRun &= report(reports.get(i), "reports[" + i + "]", "source", results);
      }
    } else if (root.isObject() && root.has("source") && root.has("results")) {
      dryRun = report(root, "", "source", results);
    } else if (root.isObject() && root.has("rollback") && root.has("results")) {
      dryRun = report(root, "", "rollback", results);
    } else {
      throw notOurs();
    }
    if (dryRun) {
      throw dryRunOnly();
    }
    return results;
  }

  /** One report object: its results into {@code into}; returns whether it is a dry run's. */
  private boolean report(JsonNode report, String at, String kind, List<TagResult> into) {
    String where = at.isEmpty() ? "" : at + ": ";
    if (!report.isObject() || !report.path(kind).isObject()) {
      throw invalid(where + "want an object with '" + kind + "', 'dryRun' and 'results'");
    }
    boolean dryRun = bool(report, "dryRun", at.isEmpty() ? "the report" : at);
    JsonNode results = report.get("results");
    if (results == null || !results.isArray()) {
      throw invalid(where + "missing field 'results' (a list)");
    }
    for (int i = 0; i < results.size(); i++) {
      into.add(result(results.get(i), (at.isEmpty() ? "" : at + ".") + "results[" + i + "]"));
    }
    return dryRun;
  }

  /** One result, every field checked. */
  private TagResult result(JsonNode node, String where) {
    if (!node.isObject()) {
      throw invalid(where + " is not an object");
    }
    String targetText = text(node, "target", where);
    ImageRef target;
    try {
      target = ImageRef.parse(targetText);
    } catch (OcitagException.InvalidInput e) {
      throw invalid(where + ": " + e.getMessage());
    }
    if (target.tag() == null || target.digest() != null) {
      throw invalid(where + ": target '" + targetText + "' must name a tag (and no digest)");
    }
    String label = text(node, "outcome", where);
    Outcome outcome = Outcome.ofLabel(label);
    if (outcome == null) {
      throw invalid(where + ": unknown outcome '" + label + "'");
    }
    Digest digest = digest(node, "digest", where);
    Digest previous = digest(node, "previousDigest", where);
    String wrong =
        switch (outcome) {
          case CREATED ->
              digest == null || previous != null ? "a digest and no previousDigest" : null;
          case MOVED -> digest == null || previous == null ? "a digest and a previousDigest" : null;
          case REMOVED ->
              digest != null || previous == null ? "a previousDigest and no digest" : null;
          default -> null;
        };
    if (wrong != null) {
      throw invalid(where + ": outcome '" + label + "' needs " + wrong);
    }
    JsonNode reason = node.get("reason");
    return new TagResult(
        target,
        outcome,
        digest,
        previous,
        reason != null && reason.isTextual() ? reason.asText() : null,
        null);
  }

  private Digest digest(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null) {
      throw invalid(where + ": missing field '" + field + "'");
    }
    if (value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw invalid(where + ": '" + field + "' must be a digest or null");
    }
    try {
      return Digest.parse(value.asText());
    } catch (OcitagException.InvalidInput e) {
      throw invalid(where + ": " + field + ": " + e.getMessage());
    }
  }

  private String text(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw invalid(where + ": missing field '" + field + "' (a string)");
    }
    return value.asText();
  }

  private boolean bool(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isBoolean()) {
      throw invalid(where + ": missing field '" + field + "' (true or false)");
    }
    return value.asBoolean();
  }

  private static JsonNode tryRead(String text) {
    try {
      return Json.read(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      return null;
    }
  }

  private OcitagException.InvalidInput notOurs() {
    return invalid(
        "not an ocitag report (want the -o json output of tag, batch or rollback, or a --report"
            + " file)");
  }

  private OcitagException.InvalidInput dryRunOnly() {
    return invalid("it reports a dry run, which wrote nothing; nothing to roll back");
  }

  private OcitagException.InvalidInput invalid(String why) {
    return new OcitagException.InvalidInput("report " + name + ": " + why);
  }
}
