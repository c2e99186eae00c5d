package dev.ocitag.ecr;

import dev.ocitag.core.OcitagException;
import java.util.concurrent.TimeUnit;

/**
 * A token bucket in front of PutImage, so that a run of many tags stays under the service's quota
 * (about 10 per second, with bursts) instead of drowning in throttling and retries.
 */
final class PutRateLimiter {
  /** The default rate; the ECR PutImage quota in most regions. */
  static final double DEFAULT_PER_SECOND = 10;

  private final double perSecond;
  private final double burst;
  private double tokens;
  private long last;

  PutRateLimiter(double perSecond, double burst) {
    if (!(perSecond > 0) || burst < 1) {
      throw new OcitagException.InvalidInput(
          "PutImage rate must be above 0 per second with a burst of at least 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.last = System.nanoTime();
  }

  /**
   * The rate from {@code -Docitag.ecr.putRate} or {@code OCITAG_ECR_PUT_RATE} (calls per second;
   * the burst is the same number), else {@link #DEFAULT_PER_SECOND}.
   */
  static PutRateLimiter fromEnvironment() {
    String text = System.getProperty("ocitag.ecr.putRate", System.getenv("OCITAG_ECR_PUT_RATE"));
    double rate = DEFAULT_PER_SECOND;
    if (text != null && !text.isBlank()) {
      try {
        rate = Double.parseDouble(text.trim());
      } catch (NumberFormatException e) {
        throw new OcitagException.InvalidInput(
            "OCITAG_ECR_PUT_RATE '" + text + "' is not a number of calls per second");
      }
    }
    return new PutRateLimiter(rate, Math.max(1, rate));
  }

  double perSecond() {
    return perSecond;
  }

  /** Waits until a call may go out. */
  void acquire() {
    long waitNanos;
    synchronized (this) {
      refill();
      tokens -= 1;
      waitNanos = tokens >= 0 ? 0 : (long) (-tokens / perSecond * 1e9);
    }
    if (waitNanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(waitNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OcitagException.Failed("interrupted while waiting to call PutImage", e);
      }
    }
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
    last = now;
  }
}
