package dev.ocitag.distribution;

/**
 * An answer longer than its request's {@link HttpRequest#bodyLimit()}: not read further, not
 * retried; the backend reports it as invalid input.
 *
 * @see HttpRequest#bodyLimit()
 */
final class BodyTooLarge extends RuntimeException {
  /** The announced length, or -1 when the answer did not say and simply went on. */
  final long length;

  BodyTooLarge(long length) {
    super(length >= 0 ? length + " bytes" : "larger than the limit", null, false, false);
    this.length = length;
  }
}
