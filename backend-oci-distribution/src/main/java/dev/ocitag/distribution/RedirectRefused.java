package dev.ocitag.distribution;

import java.net.ProtocolException;

/**
 * A redirect ocitag does not follow: from https to http, where the request (and the credentials a
 * later one would carry) would travel in clear text. Neither OkHttp nor {@link Retry} tries it
 * again.
 */
final class RedirectRefused extends ProtocolException {
  RedirectRefused(String message) {
    super(message);
  }
}
