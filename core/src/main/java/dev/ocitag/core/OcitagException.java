package dev.ocitag.core;

import java.time.Duration;

/**
 * The closed set of failures ocitag reports. The CLI maps each kind to one exit code in one place;
 * backends translate their transport's errors into these.
 */
public abstract sealed class OcitagException extends RuntimeException
    permits OcitagException.NotFound,
        OcitagException.Denied,
        OcitagException.Refused,
        OcitagException.InvalidInput,
        OcitagException.Transient,
        OcitagException.Failed {

  private OcitagException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The reference, repository, tag or blob does not exist. */
  public static final class NotFound extends OcitagException {
    public NotFound(String message) {
      this(message, null);
    }

    public NotFound(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Authentication failed or permission was denied. */
  public static final class Denied extends OcitagException {
    public Denied(String message) {
      this(message, null);
    }

    public Denied(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A policy refused the write: an immutable tag, {@code --no-overwrite}. */
  public static final class Refused extends OcitagException {
    public Refused(String message) {
      this(message, null);
    }

    public Refused(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Malformed input: a bad reference, a corrupt layout or manifest, an unsupported format. */
  public static final class InvalidInput extends OcitagException {
    public InvalidInput(String message) {
      this(message, null);
    }

    public InvalidInput(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A failure that may pass if tried again later: throttling, a dropped connection, a 5xx. */
  public static final class Transient extends OcitagException {
    private final Duration retryAfter;

    public Transient(String message) {
      this(message, null);
    }

    public Transient(String message, Throwable cause) {
      this(message, cause, null);
    }

    /**
     * @param retryAfter how long the store asked to wait before the next try (a {@code
     *     Retry-After}), or null when it did not say
     */
    public Transient(String message, Throwable cause, Duration retryAfter) {
      super(message, cause);
      this.retryAfter = retryAfter;
    }

    /** How long the store asked to wait before the next try, or null when it did not say. */
    public Duration retryAfter() {
      return retryAfter;
    }
  }

  /** Anything else that went wrong, such as a registry reporting the wrong digest. */
  public static final class Failed extends OcitagException {
    public Failed(String message) {
      this(message, null);
    }

    public Failed(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
