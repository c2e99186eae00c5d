package dev.ocitag.distribution;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * Retries what may pass on a second try: connection failures, 408, 429 and 5xx (not 501 or 505),
 * until the request's {@link Deadline} ({@code --timeout}), which this layer sets: each attempt
 * gets the time left, and no retry starts that could not end in time. A registry that answers, even
 * with 503 and 429 and dropped connections, is retried with backoff for as long as the deadline
 * allows, not for a fixed few attempts ({@link Settings#maxAttempts()} bounds them only where a
 * test sets it). Waits are exponential with full jitter, capped at {@link Settings#maxBackoff()},
 * except that a {@code Retry-After} is honoured when it ends within the deadline (a longer one than
 * {@link Settings#maxRetryAfter()} ends the retries).
 *
 * <p>A registry that does not answer at all is the {@link Breaker}'s: every attempt asks it first,
 * and tells it how the attempt went; after a few connection failures in a row (on any of the
 * backend's requests) it stops this request and every other at once ({@link Breaker.Unreachable}).
 * TLS and unknown-host failures are not retried: they do not heal in seconds; nor is a refused
 * redirect, nor a final decision of a layer below (an {@link dev.ocitag.core.OcitagException}, such
 * as missing credentials).
 *
 * <p>The requests ocitag sends are idempotent (GET, HEAD, PUT of the same bytes, DELETE) or
 * harmless to repeat (a POST that starts a blob upload leaves at most an unused upload session,
 * which the registry purges), so a retry never doubles a write. A request whose streamed body has
 * begun to be read ({@link HttpRequest#spent()}) is never sent again: those bytes are gone. Its
 * failure goes to the caller, which starts the blob over. A streamed answer is handed out only when
 * successful, so a retry never follows one.
 */
final class Retry implements Transport {
  private final Transport next;
  private final Settings settings;
  private final Duration timeout;
  private final Consumer<String> debug;
  private final Breaker breaker;

  /**
   * @param timeout the deadline of a request that comes without one
   * @param breaker the registry's, shared by the backend's requests
   */
  Retry(
      Transport next,
      Settings settings,
      Duration timeout,
      Consumer<String> debug,
      Breaker breaker) {
    this.next = next;
    this.settings = settings;
    this.timeout = timeout;
    this.debug = debug;
    this.breaker = breaker;
  }

  /** With a breaker of its own. */
  Retry(Transport next, Settings settings, Duration timeout, Consumer<String> debug) {
    this(
        next,
        settings,
        timeout,
        debug,
        new Breaker("the registry", settings.breakerThreshold(), settings.breakerCoolDown()));
  }

  static boolean retryableStatus(int code) {
    return code == 408 || code == 429 || (code >= 500 && code != 501 && code != 505);
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    if (request.deadline() == null) {
      request = request.deadline(Deadline.in(timeout));
    }
    Deadline deadline = request.deadline();
    for (int attempt = 1; ; attempt++) {
      boolean last = attempt >= settings.maxAttempts();
      try {
        breaker.before();
      } catch (Breaker.Unreachable e) {
        throw attempt == 1 ? e : e.after(attempt - 1);
      }
      HttpAnswer answer;
      try {
        answer = next.send(request);
      } catch (Breaker.Unreachable | RedirectRefused | TimedOut e) {
        breaker.ended();
        throw e; // decided below (a token fetch's own retries): final
      } catch (RuntimeException e) {
        breaker.ended(); // such as missing credentials
        throw e;
      } catch (IOException e) {
        breaker.failed(e);
        if (e instanceof SSLException || e instanceof UnknownHostException || request.spent()) {
          throw e;
        }
        if (deadline.passed()) {
          throw new TimedOut(deadline, attempt, e);
        }
        Duration wait = backoff(attempt);
        if (last || Thread.currentThread().isInterrupted()) {
          throw e;
        }
        if (!fits(wait, deadline)) {
          throw new TimedOut(deadline, attempt, e);
        }
        pause(wait, request, "after " + e.getClass().getSimpleName());
        continue;
      }
      breaker.answered();
      if (last || !retryableStatus(answer.code()) || request.spent()) {
        return answer;
      }
      Duration wait = backoff(attempt);
      String retryAfter = answer.header("Retry-After");
      if (retryAfter != null) {
        Duration asked = parseRetryAfter(retryAfter);
        if (asked != null) {
          if (asked.compareTo(settings.maxRetryAfter()) > 0) {
            return answer; // the caller reports it as transient, with the registry's words
          }
          wait = asked;
        }
      }
      if (!fits(wait, deadline)) {
        return answer; // no time left for another attempt: the registry's answer stands
      }
      pause(wait, request, "after " + answer.code());
    }
  }

  /** Whether a wait leaves time for another attempt. */
  private static boolean fits(Duration wait, Deadline deadline) {
    return wait.compareTo(deadline.left()) < 0;
  }

  /** Full jitter: uniformly between 0 and base * 2^(attempt-1), capped. */
  Duration backoff(int attempt) {
    long cap =
        Math.min(
            settings.maxBackoff().toMillis(),
            settings.baseBackoff().toMillis() << Math.min(attempt - 1, 20));
    return Duration.ofMillis(cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1));
  }

  /** Seconds or an HTTP date; null when neither. */
  static Duration parseRetryAfter(String value) {
    String v = value.strip();
    try {
      long seconds = Long.parseLong(v);
      return Duration.ofSeconds(Math.max(0, seconds));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime when = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(when.getZone()), when);
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /** Waits before the next attempt; a breaker that opens meanwhile ends the wait. */
  private void pause(Duration wait, HttpRequest request, String why) throws IOException {
    if (debug != null) {
      debug.accept(
          "retrying "
              + request.method()
              + " "
              + DebugLog.redact(request.url())
              + " in "
              + wait.toMillis()
              + "ms "
              + why);
    }
    try {
      breaker.pause(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
