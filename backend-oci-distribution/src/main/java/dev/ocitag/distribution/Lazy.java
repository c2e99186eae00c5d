package dev.ocitag.distribution;

import java.util.function.Supplier;

/**
 * Computes a value once, on first use, and keeps it; a failure is kept too, so that requests
 * waiting for the value (a GET and a HEAD sent at once) do not each repeat a lookup that failed,
 * say a credential helper that timed out.
 */
final class Lazy<T> implements Supplier<T> {
  private Supplier<T> compute;
  private T value;
  private RuntimeException failure;

  Lazy(Supplier<T> compute) {
    this.compute = compute;
  }

  @Override
  public synchronized T get() {
    if (compute != null) {
      try {
        value = compute.get();
      } catch (RuntimeException e) {
        failure = e;
      }
      compute = null;
    }
    if (failure != null) {
      throw failure;
    }
    return value;
  }
}
