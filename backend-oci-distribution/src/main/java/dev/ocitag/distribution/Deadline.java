package dev.ocitag.distribution;

import java.time.Duration;

/**
 * When a logical request must be done, on the monotonic clock: {@link Retry} sets it once, and
 * every attempt, redirect and token fetch below shares it (see {@code --timeout}).
 *
 * @param at a {@link System#nanoTime()} value
 * @param length the whole time allowed, for messages
 */
record Deadline(long at, Duration length) {

  static Deadline after(Duration length) {
    return new Deadline(System.nanoTime() + length.toNanos(), length);
  }

  /** The time left, zero once passed. */
  Duration left() {
    long nanos = at - System.nanoTime();
    return nanos <= 0 ? Duration.ZERO : Duration.ofNanos(nanos);
  }

  boolean passed() {
    return at - System.nanoTime() <= 0;
  }

  /** {@code 60 s}, {@code 1.5 s}: the length as the user gave it. */
  String describe() {
    long ms = length.toMillis();
    return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.valueOf(ms / 1000.0)) + " s";
  }
}
