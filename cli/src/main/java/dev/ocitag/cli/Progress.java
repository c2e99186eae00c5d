package dev.ocitag.cli;

import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagResult;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A progress line on stderr (tags done, and blobs placed and bytes copied when a promotion moves
 * any), redrawn a few times a second, only for a person at a terminal with text output.
 */
final class Progress implements TagEngine.Listener, AutoCloseable {
  private final AtomicInteger done = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicInteger blobs = new AtomicInteger();
  private final int total;
  private final PrintStream err;
  private final Thread painter;

  private Progress(int total, PrintStream err, boolean show) {
    this.total = total;
    this.err = err;
    this.painter = show ? new Thread(this::paint, "ocitag-progress") : null;
    if (painter != null) {
      painter.setDaemon(true);
      painter.start();
    }
  }

  static Progress start(int total, PrintStream err, Main.Format format) {
    return new Progress(total, err, System.console() != null && format == Main.Format.text);
  }

  @Override
  public void targetDone(TagResult result) {
    done.incrementAndGet();
  }

  @Override
  public void blobDone() {
    blobs.incrementAndGet();
  }

  @Override
  public void bytes(long n) {
    bytes.addAndGet(n);
  }

  private void paint() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        int d = Math.min(done.get(), total); // --atomic reports a rolled-back tag again
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) d * width / total);
        long b = bytes.get();
        err.print(
            "\r["
                + "#".repeat(filled)
                + " ".repeat(width - filled)
                + "] "
                + d
                + "/"
                + total
                + (blobs.get() > 0
                    ? String.format(" tags, %d blobs, %.1f MiB copied", blobs.get(), b / 1048576.0)
                    : ""));
        err.flush();
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (painter != null && painter.isAlive()) {
      painter.interrupt();
      try {
        painter.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      err.print("\r" + " ".repeat(70) + "\r");
      err.flush();
    }
  }
}
