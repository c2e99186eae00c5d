package dev.ocitag.distribution;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * The circuit breaker of one registry: shared by every request of its backend ({@link Retry} asks
 * it before each attempt). After {@code threshold} connection failures in a row (refused, unknown
 * host, TLS, a connect that timed out: the registry was not reached), it opens: every attempt fails
 * at once with {@link Unreachable}, so a batch of 2000 retags against a dead registry ends in
 * seconds instead of retrying each one until its deadline. Any HTTP answer, even a 503, closes it:
 * a registry that answers is retried as {@link Retry} says. Failures after a connection was made (a
 * dropped connection, a read timeout) say nothing either way: a slow or overloaded registry never
 * trips it.
 *
 * <p>Once open for {@code coolDown}, one attempt goes through as a probe (the others still fail at
 * once): an answer closes the breaker, another connection failure opens it for another cool-down. A
 * command's run is short, so it mostly matters to a backend that is kept open for long.
 */
final class Breaker {
  private final String host;
  private final int threshold;
  private final long coolDownNanos;
  private int failures;
  private IOException last;
  private long openedAt;
  private Thread probe;

  Breaker(String host, int threshold, Duration coolDown) {
    this.host = host;
    this.threshold = threshold;
    this.coolDownNanos = coolDown.toNanos();
  }

  /**
   * Whether the failure happened before the registry was reached. A connect that timed out comes as
   * a {@link ConnectException} from {@link OkHttpTransport}.
   */
  static boolean connectionFailure(IOException e) {
    return e instanceof ConnectException
        || e instanceof NoRouteToHostException
        || e instanceof PortUnreachableException
        || e instanceof UnknownHostException
        || e instanceof SSLException;
  }

  /** Throws {@link Unreachable} while the breaker is open (except for a probe after cool-down). */
  synchronized void before() throws Unreachable {
    if (failures < threshold || probe == Thread.currentThread()) {
      return; // closed, or the probe's own token fetch
    }
    if (probe == null && System.nanoTime() - openedAt >= coolDownNanos) {
      probe = Thread.currentThread();
      return;
    }
    throw new Unreachable(host, failures, last, 0);
  }

  /** The registry answered (whatever the status): it is reachable. */
  synchronized void answered() {
    failures = 0;
    last = null;
    probe = null;
  }

  /** An attempt failed; only a {@link #connectionFailure} counts. */
  synchronized void failed(IOException e) {
    boolean probed = probe == Thread.currentThread();
    if (probed) {
      probe = null;
    }
    if (!connectionFailure(e)) {
      return; // the probe reached the registry somehow: the next attempt may probe again
    }
    boolean wasOpen = failures >= threshold;
    failures++;
    last = e;
    if (failures >= threshold && (!wasOpen || probed)) {
      openedAt = System.nanoTime();
      notifyAll(); // requests waiting to retry give up at once
    }
  }

  /** An attempt ended without an answer or an I/O failure (a decision of a layer below). */
  synchronized void ended() {
    if (probe == Thread.currentThread()) {
      probe = null; // the next attempt after the cool-down may probe
    }
  }

  /**
   * Waits before a retry, for {@code wait} or until the breaker opens, whichever comes first (the
   * next attempt then fails at once instead of after a long backoff).
   */
  synchronized void pause(Duration wait) throws InterruptedException {
    long end = System.nanoTime() + wait.toNanos();
    for (long left = wait.toNanos(); left > 0 && failures < threshold; ) {
      wait(Math.max(1, left / 1_000_000));
      left = end - System.nanoTime();
    }
  }

  /**
   * The registry was found unreachable: the request was not sent ({@link #attempts} 0), or was
   * stopped after its own attempts failed to connect. Never retried.
   */
  static final class Unreachable extends IOException {
    private static final long serialVersionUID = 1L;
    final String host;
    final int failures;
    final int attempts;

    Unreachable(String host, int failures, IOException last, int attempts) {
      super(
          host
              + " unreachable ("
              + describe(last)
              + (failures > 1 ? "; " + failures + " connection failures in a row" : "")
              + ")",
          last);
      this.host = host;
      this.failures = failures;
      this.attempts = attempts;
    }

    /** The same, for a request that made {@code n} attempts of its own before it was stopped. */
    Unreachable after(int n) {
      return new Unreachable(host, failures, (IOException) getCause(), n);
    }
  }

  /** A connection failure in a few words: OkHttp's message and the socket's reason. */
  static String describe(IOException e) {
    if (e == null) {
      return "no connection";
    }
    if (e instanceof SSLException ssl) {
      return "TLS: " + RegistryError.oneLine(TlsSetup.reason(ssl));
    }
    if (e instanceof UnknownHostException) {
      return "unknown host: " + RegistryError.oneLine(String.valueOf(e.getMessage()));
    }
    String message = String.valueOf(e.getMessage());
    Throwable cause = e.getCause();
    if (cause != null && cause.getMessage() != null && !message.contains(cause.getMessage())) {
      message += ": " + cause.getMessage();
    }
    return RegistryError.oneLine(message);
  }
}
