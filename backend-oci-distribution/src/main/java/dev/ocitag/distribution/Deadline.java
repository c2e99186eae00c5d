package dev.ocitag.distribution;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The end of a time bound shared by the steps of one piece of work, each of which gets what is
 * left: a credential lookup (a credential helper, Google's token service), and a registry request
 * ({@code --timeout}: {@link Retry} sets it once, and every attempt, redirect and token fetch below
 * shares it).
 *
 * @param bound the whole bound, for messages
 * @param endNanos {@link System#nanoTime()} at the end
 */
record Deadline(Duration bound, long endNanos) {

  static Deadline in(Duration bound) {
    return new Deadline(bound, System.nanoTime() + bound.toNanos());
  }

  /** The time left, zero once passed. */
  Duration left() {
    long nanos = endNanos - System.nanoTime();
    return nanos <= 0 ? Duration.ZERO : Duration.ofNanos(nanos);
  }

  boolean passed() {
    return endNanos - System.nanoTime() <= 0;
  }

  /**
   * What another request is working out (a token, a scheme, a first connection), waited for within
   * {@code deadline} (null: no bound); its failure is this request's too.
   */
  static <T> T await(CompletableFuture<T> work, Deadline deadline) throws IOException {
    try {
      return deadline == null
          ? work.get()
          : work.get(Math.max(1, deadline.left().toNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new InterruptedIOException("timeout");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IOException(cause);
    }
  }

  /** Thrown by {@link #run} when the task did not finish in time. */
  static final class Expired extends Exception {
    private static final long serialVersionUID = 1L;

    Expired() {
      super(null, null, false, false);
    }
  }

  /** The bound as a person reads it: {@code 30 s}, {@code 1.5 s}. */
  String describe() {
    long millis = bound.toMillis();
    return (millis % 1000 == 0 ? String.valueOf(millis / 1000) : String.valueOf(millis / 1000.0))
        + " s";
  }

  /**
   * Runs {@code task} on a daemon thread and waits for it until the deadline. A task still running
   * then is interrupted (a thread blocked reading a pipe does not notice: the caller ends what it
   * waits for, a process, and the daemon thread never holds up the JVM's exit).
   */
  <T> T run(String name, Callable<T> task) throws Exception {
    if (System.nanoTime() - endNanos >= 0) {
      throw new Expired(); // nothing started: nothing left behind
    }
    Object[] result = new Object[1];
    Exception[] failure = new Exception[1];
    Thread worker =
        new Thread(
            () -> {
              try {
                result[0] = task.call();
              } catch (Exception e) {
                failure[0] = e;
              }
            },
            name);
    worker.setDaemon(true);
    worker.start();
    long left = endNanos - System.nanoTime();
    if (left > 0) {
      worker.join(Math.max(1, left / 1_000_000), (int) (left % 1_000_000));
    }
    if (worker.isAlive()) {
      worker.interrupt();
      throw new Expired();
    }
    if (failure[0] != null) {
      throw failure[0];
    }
    @SuppressWarnings("unchecked")
    T value = (T) result[0];
    return value;
  }
}
