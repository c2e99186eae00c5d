package dev.ocitag.distribution;

import java.util.function.Supplier;

/** Computes a value once, on first use, and keeps it (also a thrown exception is not kept). */
final class Lazy<T> implements Supplier<T> {
  private Supplier<T> compute;
  private T value;

  Lazy(Supplier<T> compute) {
    this.compute = compute;
  }

  @Override
  public synchronized T get() {
    if (compute != null) {
      value = compute.get();
      compute = null;
    }
    return value;
  }
}
