package dev.ocitag.core;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The options of a run: values of the {@link BackendOption}s that backends declare (each backend
 * reads its own), plus the two every backend honours: how many writes may run at once, and the
 * debug log. Immutable; {@code with} makes a new one.
 */
public final class BackendOptions {
  private final Map<BackendOption<?>, Object> values;
  private final int parallelism;
  private final Consumer<String> debug;

  private BackendOptions(
      Map<BackendOption<?>, Object> values, int parallelism, Consumer<String> debug) {
    this.values = values;
    this.parallelism = parallelism;
    this.debug = debug;
  }

  public static BackendOptions defaults() {
    return new BackendOptions(new IdentityHashMap<>(), 8, null);
  }

  /** The value given for the option, or its default. */
  @SuppressWarnings("unchecked")
  public <T> T get(BackendOption<T> option) {
    Object v = values.get(option);
    return v == null ? option.defaultValue() : (T) v;
  }

  /** These options with one more value (null: back to the default). */
  public <T> BackendOptions with(BackendOption<T> option, T value) {
    Map<BackendOption<?>, Object> copy = new IdentityHashMap<>(values);
    if (value == null) {
      copy.remove(option);
    } else {
      copy.put(option, value);
    }
    return new BackendOptions(copy, parallelism, debug);
  }

  /** How many writes may run at once. */
  public int parallelism() {
    return parallelism;
  }

  public BackendOptions withParallelism(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1");
    }
    return new BackendOptions(values, n, debug);
  }

  /**
   * The debug log: receives one line per request and response, secrets already redacted; null when
   * off.
   */
  public Consumer<String> debug() {
    return debug;
  }

  public BackendOptions withDebug(Consumer<String> sink) {
    return new BackendOptions(values, parallelism, sink);
  }

  /** Sends a line to the debug log, if there is one. */
  public void debug(String line) {
    if (debug != null) {
      debug.accept(line);
    }
  }
}
