package dev.ocitag.distribution;

import dev.ocitag.core.OcitagException;
import java.io.IOException;

/**
 * Carries an {@link OcitagException} out of an OkHttp interceptor, which may throw only {@link
 * IOException}s. Never retried: it is already the final word.
 */
final class ReportedFailure extends IOException {
  final OcitagException error;

  ReportedFailure(OcitagException error) {
    super(error.getMessage(), error);
    this.error = error;
  }
}
