package dev.ocitag.distribution;

import java.time.Duration;

/**
 * Tunables of the HTTP layer. The defaults suit real registries; tests shorten the waits.
 *
 * @param connectTimeout to open a TCP (and TLS) connection
 * @param readTimeout between two reads of a response
 * @param maxAttempts attempts of one request, the first included (retries are bounded by it)
 * @param baseBackoff the first retry waits up to this long (full jitter), doubling each time
 * @param maxBackoff no computed backoff waits longer
 * @param maxRetryAfter a longer Retry-After is not waited for: the request fails as transient
 * @param tagsPageSize the {@code n} of tags/list requests, or 0 to let the registry choose
 */
public record Settings(
    Duration connectTimeout,
    Duration readTimeout,
    int maxAttempts,
    Duration baseBackoff,
    Duration maxBackoff,
    Duration maxRetryAfter,
    int tagsPageSize) {

  public Settings {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
  }

  public static Settings defaults() {
    return new Settings(
        Duration.ofSeconds(15),
        Duration.ofSeconds(60),
        4,
        Duration.ofMillis(250),
        Duration.ofSeconds(8),
        Duration.ofSeconds(60),
        0);
  }

  public Settings withTagsPageSize(int n) {
    return new Settings(
        connectTimeout, readTimeout, maxAttempts, baseBackoff, maxBackoff, maxRetryAfter, n);
  }

  public Settings withRetries(int attempts, Duration base, Duration maxRetryAfter) {
    return new Settings(
        connectTimeout, readTimeout, attempts, base, maxBackoff, maxRetryAfter, tagsPageSize);
  }

  public Settings withTimeouts(Duration connect, Duration read) {
    return new Settings(
        connect, read, maxAttempts, baseBackoff, maxBackoff, maxRetryAfter, tagsPageSize);
  }
}
