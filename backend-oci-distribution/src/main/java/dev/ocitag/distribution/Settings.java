package dev.ocitag.distribution;

import java.time.Duration;

/**
 * Tunables of the HTTP layer. The defaults suit real registries; tests shorten the waits.
 *
 * @param connectTimeout to open a TCP (and TLS) connection
 * @param readTimeout between two reads of a response
 * @param maxAttempts attempts of one request, the first included; by default unbounded, so a
 *     registry that answers (even 503 or 429) is retried until the request's deadline ({@code
 *     --timeout}); tests bound it
 * @param baseBackoff the first retry waits up to this long (full jitter), doubling each time
 * @param maxBackoff no computed backoff waits longer
 * @param maxRetryAfter a longer Retry-After is not waited for: the request fails as transient
 * @param tagsPageSize the {@code n} of tags/list requests, or 0 to let the registry choose
 * @param breakerThreshold connection failures in a row after which the registry counts as
 *     unreachable ({@link Breaker})
 * @param breakerCoolDown how long an unreachable registry is not tried before one probe
 */
public record Settings(
    Duration connectTimeout,
    Duration readTimeout,
    int maxAttempts,
    Duration baseBackoff,
    Duration maxBackoff,
    Duration maxRetryAfter,
    int tagsPageSize,
    int breakerThreshold,
    Duration breakerCoolDown) {

  public Settings {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (breakerThreshold < 1) {
      throw new IllegalArgumentException("breakerThreshold must be at least 1");
    }
  }

  public static Settings defaults() {
    return new Settings(
        Duration.ofSeconds(15),
        Duration.ofSeconds(60),
        Integer.MAX_VALUE,
        Duration.ofMillis(100),
        Duration.ofSeconds(8),
        Duration.ofSeconds(60),
        0,
        5,
        Duration.ofSeconds(30));
  }

  public Settings withTagsPageSize(int n) {
    return new Settings(
        connectTimeout,
        readTimeout,
        maxAttempts,
        baseBackoff,
        maxBackoff,
        maxRetryAfter,
        n,
        breakerThreshold,
        breakerCoolDown);
  }

  public Settings withRetries(int attempts, Duration base, Duration maxRetryAfter) {
    return new Settings(
        connectTimeout,
        readTimeout,
        attempts,
        base,
        maxBackoff,
        maxRetryAfter,
        tagsPageSize,
        breakerThreshold,
        breakerCoolDown);
  }

  /** Retries bounded by the deadline alone, waiting {@code base} doubling up to {@code max}. */
  public Settings withBackoff(Duration base, Duration max) {
    return new Settings(
        connectTimeout,
        readTimeout,
        Integer.MAX_VALUE,
        base,
        max,
        maxRetryAfter,
        tagsPageSize,
        breakerThreshold,
        breakerCoolDown);
  }

  public Settings withTimeouts(Duration connect, Duration read) {
    return new Settings(
        connect,
        read,
        maxAttempts,
        baseBackoff,
        maxBackoff,
        maxRetryAfter,
        tagsPageSize,
        breakerThreshold,
        breakerCoolDown);
  }

  public Settings withBreaker(int threshold, Duration coolDown) {
    return new Settings(
        connectTimeout,
        readTimeout,
        maxAttempts,
        baseBackoff,
        maxBackoff,
        maxRetryAfter,
        tagsPageSize,
        threshold,
        coolDown);
  }
}
