package dev.ocitag.distribution;

import java.io.InterruptedIOException;

/**
 * A request that did not finish within its {@link Deadline} ({@code --timeout}), retries included:
 * not retried; the backend reports it in one line naming the registry.
 */
final class TimedOut extends InterruptedIOException {
  final Deadline deadline;
  final int attempts;

  TimedOut(Deadline deadline, int attempts, Throwable cause) {
    super("no complete answer within " + deadline.describe());
    this.deadline = deadline;
    this.attempts = attempts;
    initCause(cause);
  }
}
