package dev.ocitag.distribution;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * HTTPS first, also for a loopback registry; plain HTTP only where such a registry does not speak
 * TLS. Before the first request, a TLS hello ({@link TlsProbe}) asks the registry, which costs no
 * TLS set-up; where that tells nothing, the first request goes over https, and if its handshake
 * fails because the server answered in plain text, it is sent again over http. The outcome is
 * remembered for the registry's host and port for the rest of the process ({@link
 * RegistryEndpoint#rememberTls}), so later requests go the right way at once, and requests sent
 * meanwhile (the engine sends a GET and HEADs at once) wait for it instead of each trying TLS. A
 * certificate problem is no reason to fall back: it is reported. Other hosts (a token realm, a
 * redirect target) are left alone.
 */
final class PlainHttpFallback implements Transport {
  /** The first request to each loopback registry whose scheme is not known yet, while it runs. */
  private static final Map<String, CompletableFuture<Void>> FINDING_OUT = new ConcurrentHashMap<>();

  private final Transport next;
  private final RegistryEndpoint endpoint;
  private final Consumer<String> debug;

  PlainHttpFallback(Transport next, RegistryEndpoint endpoint, Consumer<String> debug) {
    this.next = next;
    this.endpoint = endpoint;
    this.debug = debug;
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    URI url = request.url();
    String host = endpoint.apiHost();
    if (!endpoint.loopback()
        || !"https".equals(url.getScheme())
        || !host.equalsIgnoreCase(url.getRawAuthority())) {
      return next.send(request);
    }
    while (true) {
      Boolean tls = RegistryEndpoint.speaksTls(host);
      if (tls != null) {
        return next.send(tls ? request : request.url(toHttp(url)));
      }
      String key = host.toLowerCase(java.util.Locale.ROOT);
      CompletableFuture<Void> mine = new CompletableFuture<>();
      CompletableFuture<Void> running = FINDING_OUT.putIfAbsent(key, mine);
      if (running == null) {
        try {
          return findOut(request, url, mine);
        } finally {
          FINDING_OUT.remove(key, mine);
          mine.complete(null);
        }
      }
      Deadline.await(
          running, request.deadline()); // then the scheme is known, or this one finds out
    }
  }

  /**
   * Sends the first request, finding out the scheme on the way; {@code known} is completed as soon
   * as the scheme is remembered, so the requests waiting for it go on before this one's answer.
   */
  private HttpAnswer findOut(HttpRequest request, URI url, CompletableFuture<Void> known)
      throws IOException {
    Duration limit = TlsSetup.PROBE;
    if (request.deadline() != null && request.deadline().left().compareTo(limit) < 0) {
      limit = request.deadline().left();
    }
    Boolean probed = TlsProbe.speaksTls(url, limit);
    if (probed != null) {
      RegistryEndpoint.rememberTls(endpoint.apiHost(), probed);
      known.complete(null);
      if (!probed && debug != null) {
        debug.accept(
            "tls: "
                + endpoint.apiHost()
                + " (loopback) answered a TLS hello in plain HTTP: http:// from here on");
      }
      return next.send(probed ? request : request.url(toHttp(url)));
    }
    HttpAnswer answer;
    try {
      answer = next.send(request);
    } catch (SSLException e) {
      if (!TlsSetup.serverSpokePlainText(e) || request.spent()) {
        throw e;
      }
      try {
        answer = next.send(request.url(toHttp(url)));
      } catch (IOException plain) {
        plain.addSuppressed(e);
        throw plain;
      }
      RegistryEndpoint.rememberTls(endpoint.apiHost(), false);
      if (debug != null) {
        debug.accept(
            "tls: "
                + endpoint.apiHost()
                + " (loopback) answers plain HTTP, not TLS: http:// from here on");
      }
      return answer;
    }
    RegistryEndpoint.rememberTls(endpoint.apiHost(), true);
    return answer;
  }

  private static URI toHttp(URI url) {
    try {
      return new URI("http" + url.toString().substring("https".length()));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
