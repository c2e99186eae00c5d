package dev.ocitag.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.engine.Transfer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Text and JSON output. Text is one line per tag; JSON is one object whose field names are part of
 * the CLI contract (see the README).
 */
final class ReportPrinter {
  private static final JsonFactory JSON = new JsonFactory();

  private ReportPrinter() {}

  static void print(TagReport report, Main.Format format, PrintStream out) {
    if (format == Main.Format.json) {
      json(out, g -> writeReport(g, report));
      return;
    }
    printLines(report.results(), report.dryRun(), out);
  }

  /** A batch: text lines for every tag of every source, or {@code {"reports": [report...]}}. */
  static void printBatch(List<TagReport> reports, Main.Format format, PrintStream out) {
    if (format == Main.Format.json) {
      json(
          out,
          g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("reports");
            for (TagReport report : reports) {
              writeReport(g, report);
            }
            g.writeEndArray();
            g.writeEndObject();
          });
      return;
    }
    reports.forEach(report -> printLines(report.results(), report.dryRun(), out));
  }

  /**
   * A rollback: a text line per tag, or {@code {"rollback": {"report"}, "dryRun", "results"}} with
   * the results of a tag report (so that it can itself be rolled back).
   */
  static void printRollback(
      String reportName,
      List<TagResult> results,
      boolean dryRun,
      Main.Format format,
      PrintStream out) {
    if (format == Main.Format.json) {
      json(
          out,
          g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("rollback");
            g.writeStringField("report", reportName);
            g.writeEndObject();
            g.writeBooleanField("dryRun", dryRun);
            g.writeArrayFieldStart("results");
            for (TagResult r : results) {
              writeResult(g, r);
            }
            g.writeEndArray();
            g.writeEndObject();
          });
      return;
    }
    printLines(results, dryRun, out);
  }

  private static void printLines(List<TagResult> results, boolean dryRun, PrintStream out) {
    for (TagResult r : results) {
      StringBuilder line = new StringBuilder();
      line.append(String.format("%-9s %s", r.outcome().label(), r.target()));
      if (r.digest() != null) {
        line.append(' ').append(r.digest());
      }
      // rolled-back: its previous digest is what the run set, or would have set; the reason says
      if (r.previousDigest() != null
          && !r.previousDigest().equals(r.digest())
          && r.outcome() != Outcome.ROLLED_BACK) {
        line.append(" (was ").append(r.previousDigest()).append(')');
      }
      if (r.reason() != null) {
        line.append(": ").append(Main.oneLine(r.reason()));
      }
      if (r.transfer() != null) {
        Transfer t = r.transfer();
        line.append(
            String.format(
                " [blobs: %d copied (%d bytes), %d mounted, %d present",
                t.copied(), t.bytes(), t.mounted(), t.skipped()));
        if (t.foreign() > 0) {
          line.append(", ").append(t.foreign()).append(" foreign (urls) not copied");
        }
        line.append(']');
        if (t.referrers() > 0) {
          line.append(" [referrers: ").append(t.referrers()).append(" copied]");
        }
      }
      if (dryRun) {
        line.append(" [dry run]");
      }
      out.println(line);
    }
  }

  private static void writeReport(JsonGenerator g, TagReport report) throws IOException {
    g.writeStartObject();
    g.writeObjectFieldStart("source");
    g.writeStringField("ref", report.source().toString());
    if (report.manifest() != null) { // null when the source itself could not be fetched
      g.writeStringField("digest", report.manifest().digest().toString());
      g.writeStringField("mediaType", report.manifest().mediaType());
      g.writeNumberField("size", report.manifest().size());
    }
    g.writeEndObject();
    g.writeBooleanField("dryRun", report.dryRun());
    g.writeArrayFieldStart("results");
    for (TagResult r : report.results()) {
      writeResult(g, r);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void writeResult(JsonGenerator g, TagResult r) throws IOException {
    g.writeStartObject();
    g.writeStringField("target", r.target().toString());
    g.writeStringField("outcome", r.outcome().label());
    writeDigest(g, "digest", r.digest());
    writeDigest(g, "previousDigest", r.previousDigest());
    g.writeStringField("reason", r.reason());
    if (r.transfer() != null) {
      Transfer t = r.transfer();
      g.writeObjectFieldStart("transfer");
      g.writeNumberField("blobsCopied", t.copied());
      g.writeNumberField("blobsMounted", t.mounted());
      g.writeNumberField("blobsSkipped", t.skipped());
      g.writeNumberField("foreignLayers", t.foreign());
      g.writeNumberField("bytes", t.bytes());
      g.writeNumberField("manifests", t.manifests());
      g.writeNumberField("referrers", t.referrers());
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  static void printDigest(String ref, Manifest manifest, PrintStream out) {
    json(
        out,
        g -> {
          g.writeStartObject();
          g.writeStringField("ref", ref);
          g.writeStringField("digest", manifest.digest().toString());
          g.writeStringField("mediaType", manifest.mediaType());
          g.writeNumberField("size", manifest.size());
          g.writeEndObject();
        });
  }

  static void printTags(ImageRef repository, List<String> tags, PrintStream out) {
    json(
        out,
        g -> {
          g.writeStartObject();
          g.writeStringField("repository", repository.toString());
          g.writeArrayFieldStart("tags");
          for (String tag : tags) {
            g.writeString(tag);
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  /** {@code {"subject": {"ref", "digest"}, "referrers": [descriptor...]}}. */
  static void printReferrers(
      ImageRef ref, Digest subject, List<Descriptor> referrers, PrintStream out) {
    json(
        out,
        g -> {
          g.writeStartObject();
          g.writeObjectFieldStart("subject");
          g.writeStringField("ref", ref.toString());
          g.writeStringField("digest", subject.toString());
          g.writeEndObject();
          g.writeArrayFieldStart("referrers");
          for (Descriptor d : referrers) {
            g.writeStartObject();
            g.writeStringField("mediaType", d.mediaType());
            g.writeStringField("digest", d.digest().toString());
            g.writeNumberField("size", d.size());
            g.writeStringField("artifactType", d.artifactType());
            g.writeObjectFieldStart("annotations");
            for (Map.Entry<String, String> a : new TreeMap<>(d.annotations()).entrySet()) {
              g.writeStringField(a.getKey(), a.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        });
  }

  static void printUntagged(
      List<UntagCommand.Untagged> results, Main.Format format, PrintStream out) {
    if (format == Main.Format.json) {
      json(
          out,
          g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("results");
            for (UntagCommand.Untagged r : results) {
              g.writeStartObject();
              g.writeStringField("target", r.ref().toString());
              g.writeStringField("outcome", r.error() == null ? "removed" : "failed");
              g.writeStringField("reason", r.error() == null ? null : r.error().getMessage());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
          });
      return;
    }
    for (UntagCommand.Untagged r : results) {
      out.println(
          r.error() == null
              ? String.format("%-9s %s", "removed", r.ref())
              : String.format(
                  "%-9s %s: %s", "failed", r.ref(), Main.oneLine(r.error().getMessage())));
    }
  }

  private static void writeDigest(JsonGenerator g, String field, Digest digest) throws IOException {
    g.writeStringField(field, digest == null ? null : digest.toString());
  }

  private interface JsonWriter {
    void write(JsonGenerator g) throws IOException;
  }

  private static void json(PrintStream out, JsonWriter writer) {
    try {
      JsonGenerator g = JSON.createGenerator(out);
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      writer.write(g);
      g.flush();
      out.println();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
