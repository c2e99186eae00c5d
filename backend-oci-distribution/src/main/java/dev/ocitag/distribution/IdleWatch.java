package dev.ocitag.distribution;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;

/**
 * The idle bound of one blob stream's call: a read, a write, or the wait for the answer (with the
 * connection and handshake before it) that makes no progress for that long cancels the call, and
 * then fails with a {@link SocketTimeoutException} ("timeout"), as OkHttp's read and write timeouts
 * would. Time when nothing waits on the call (its answer not being read because the other end of a
 * copy is slow, say) does not count.
 *
 * <p>OkHttp's timeouts would do it through okio's watchdog on every socket read and write (8 KiB
 * each), which then enters the watchdog's queue and signals its thread: ~17 % of the CPU of a 256
 * MiB promotion once BoringSSL does the crypto. Here a read or a write notes when it began and that
 * it ended, and one shared thread looks every quarter of the bound (at most every second).
 */
final class IdleWatch {
  private static final ScheduledThreadPoolExecutor TICKS = ticks();

  private static ScheduledThreadPoolExecutor ticks() {
    ScheduledThreadPoolExecutor ticks =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "ocitag-idle-watch");
              t.setDaemon(true);
              return t;
            });
    ticks.setRemoveOnCancelPolicy(true);
    return ticks;
  }

  private final long boundNanos;
  private final Call call;
  private final ScheduledFuture<?> tick;

  /** When the current wait began ({@link System#nanoTime()}, made odd), or 0: none. */
  private volatile long waitingSince;

  private volatile boolean timedOut;

  private IdleWatch(Duration bound, Call call) {
    this.boundNanos = bound.toNanos();
    this.call = call;
    long every = Math.max(1, Math.min(boundNanos / 4, TimeUnit.SECONDS.toNanos(1)));
    this.tick = TICKS.scheduleAtFixedRate(this::check, every, every, TimeUnit.NANOSECONDS);
  }

  /** Watches {@code call} from now, waiting, until {@link #end()}; null for no bound. */
  static IdleWatch start(Duration bound, Call call) {
    if (bound == null || bound.isZero() || bound.isNegative()) {
      return null;
    }
    IdleWatch watch = new IdleWatch(bound, call);
    watch.waiting();
    return watch;
  }

  /** A wait for the other end begins. */
  void waiting() {
    waitingSince = System.nanoTime() | 1;
  }

  /** The wait ended: the other end moved (or the call is between reads). */
  void moved() {
    waitingSince = 0;
  }

  /** The call is over: no more checks. */
  void end() {
    tick.cancel(false);
  }

  /** {@code e} as the timeout it is when this watch cancelled the call, else {@code e}. */
  IOException translate(IOException e) {
    if (!timedOut || e instanceof SocketTimeoutException) {
      return e;
    }
    SocketTimeoutException timeout = new SocketTimeoutException("timeout");
    timeout.initCause(e);
    return timeout;
  }

  private void check() {
    long since = waitingSince;
    if (since != 0 && System.nanoTime() - since >= boundNanos) {
      timedOut = true;
      tick.cancel(false);
      call.cancel();
    }
  }

  /** A read or a write of the call's stream. */
  private interface Io {
    int run() throws IOException;
  }

  /** Runs {@code io} as a wait: bounded, and failing as the timeout once the watch cancelled. */
  private int await(Io io) throws IOException {
    waiting();
    try {
      return io.run();
    } catch (IOException e) {
      throw translate(e);
    } finally {
      moved();
    }
  }

  /** The call's answer, each read a wait; closing it ends the watch. */
  InputStream answer(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        return await(() -> super.read());
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return await(() -> super.read(b, off, len));
      }

      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          end();
        }
      }
    };
  }

  /**
   * The call's request body, each write a wait; once it is all written ({@link #waiting()} again by
   * the caller) the wait for the answer begins.
   */
  OutputStream body(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        await(
            () -> {
              out.write(b, off, len);
              return len;
            });
      }

      @Override
      public void flush() throws IOException {
        await(
            () -> {
              out.flush();
              return 0;
            });
      }

      @Override
      public void close() {
        // the connection's: OkHttp closes it
      }
    };
  }
}
