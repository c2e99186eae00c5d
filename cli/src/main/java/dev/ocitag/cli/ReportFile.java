package dev.ocitag.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;

/**
 * {@code --report FILE}: the run's results appended to FILE as JSON lines, each written as the
 * result happens (one write per line, no buffer), so a killed run leaves the record of every tag it
 * had ended. The first line of a run names it; several runs may share a file, even at once (each
 * line carries its run's id). The format is in the README ("Undo") and read by {@link
 * ReportReader}.
 *
 * <pre>
 * {"tool":"ocitag","format":1,"run":"ID","command":"batch","started":"…Z","dryRun":false,"atomic":false}
 * {"run":"ID","source":"REF","sourceDigest":"sha256:…","target":"REF","outcome":"created",
 *  "digest":"sha256:…","previousDigest":null,"reason":null}
 * </pre>
 */
final class ReportFile implements TagEngine.Listener, AutoCloseable {
  static final String TOOL = "ocitag";
  static final int FORMAT = 1;
  private static final JsonFactory JSON = new JsonFactory();

  private final Path path;
  private final FileChannel channel;
  private final String run = UUID.randomUUID().toString();
  private final TagEngine.Listener next;
  private IOException failure;

  private ReportFile(Path path, FileChannel channel, TagEngine.Listener next) {
    this.path = path;
    this.channel = channel;
    this.next = next;
  }

  /**
   * Opens FILE for appending and writes the run's first line; null when no file was asked for. A
   * file that exists must be an ocitag report (its first line says so): anything else is refused
   * before the run writes anything.
   *
   * @param next hears every event after the line is written (the progress line)
   */
  static ReportFile open(
      String file, String command, boolean dryRun, boolean atomic, TagEngine.Listener next) {
    if (file == null) {
      return null;
    }
    Path path = Path.of(file);
    String what = "--report " + file;
    boolean startLine = true;
    try {
      if (Files.isRegularFile(path) && Files.size(path) > 0) {
        checkOurs(path, what);
        startLine = endsWithNewline(path);
      }
      FileChannel channel =
          FileChannel.open(
              path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      ReportFile report = new ReportFile(path, channel, next);
      if (!startLine) { // a line cut short (a disk that filled up): ours starts on its own line
        report.append("\n".getBytes(StandardCharsets.UTF_8));
      }
      report.append(
          line(
              g -> {
                g.writeStringField("tool", TOOL);
                g.writeNumberField("format", FORMAT);
                g.writeStringField("run", report.run);
                g.writeStringField("command", command);
                g.writeStringField("started", Instant.now().toString());
                g.writeBooleanField("dryRun", dryRun);
                g.writeBooleanField("atomic", atomic);
              }));
      return report;
    } catch (IOException e) {
      throw new OcitagException.InvalidInput(
          what + ": cannot append to it (" + Main.oneLine(String.valueOf(e.getMessage())) + ")", e);
    }
  }

  private static void checkOurs(Path path, String what) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(path)) {
      head = in.readNBytes(64 * 1024);
    }
    String text = new String(head, StandardCharsets.UTF_8).stripLeading();
    int end = text.indexOf('\n');
    String first = end < 0 ? text : text.substring(0, end);
    JsonNode header;
    try {
      header = Json.read(first.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      header = null;
    }
    if (header == null || !TOOL.equals(header.path("tool").asText(null))) {
      throw new OcitagException.InvalidInput(
          what + ": the file exists and is not an ocitag report; not appending to it");
    }
  }

  private static boolean endsWithNewline(Path path) throws IOException {
    try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      in.read(last, in.size() - 1);
      return last.get(0) == '\n';
    }
  }

  @Override
  public void targetDone(ImageRef source, Digest sourceDigest, TagResult r) {
    try {
      append(
          line(
              g -> {
                g.writeStringField("run", run);
                g.writeStringField("source", source == null ? null : source.toString());
                g.writeStringField(
                    "sourceDigest", sourceDigest == null ? null : sourceDigest.toString());
                g.writeStringField("target", r.target().toString());
                g.writeStringField("outcome", r.outcome().label());
                g.writeStringField("digest", r.digest() == null ? null : r.digest().toString());
                g.writeStringField(
                    "previousDigest",
                    r.previousDigest() == null ? null : r.previousDigest().toString());
                g.writeStringField("reason", r.reason());
              }));
    } catch (IOException e) {
      synchronized (this) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    next.targetDone(source, sourceDigest, r);
  }

  @Override
  public void bytes(long n) {
    next.bytes(n);
  }

  @Override
  public void blobDone() {
    next.blobDone();
  }

  /** One write per line: appended whole, so lines of runs sharing the file do not interleave. */
  private synchronized void append(byte[] line) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(line);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] line(Fields fields) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    }
    out.write('\n');
    return out.toByteArray();
  }

  /**
   * The run's exit code, made a failure (with one line on stderr) when a result could not be
   * written to the file: the record is incomplete.
   */
  static int check(ReportFile report, int code, Main main) {
    if (report == null) {
      return code;
    }
    IOException e;
    synchronized (report) {
      e = report.failure;
    }
    if (e == null) {
      return code;
    }
    main.err.println(
        "ocitag: --report "
            + report.path
            + ": a result could not be written, the record is incomplete ("
            + Main.oneLine(String.valueOf(e.getMessage()))
            + ")");
    return ExitCode.worst(code, ExitCode.FAILED);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
