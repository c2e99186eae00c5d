package dev.ocitag.distribution;

import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import okhttp3.Authenticator;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.ConnectionPool;
import okhttp3.EventListener;
import okhttp3.Handshake;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSink;

/**
 * The bottom of the request path: OkHttp. One client per process holds the connection pool
 * (keep-alive, HTTP/2 where the registry offers it through ALPN, HTTP/1.1 otherwise) and the
 * dispatcher; each backend derives its own from it ({@link OkHttpClient#newBuilder()}) with its TLS
 * ({@link TlsSetup}), proxies ({@link Proxies}) and timeouts, so backends share connections where
 * those agree.
 *
 * <p>Redirects are OkHttp's: every 301, 302, 303, 307 and 308 is followed (307 and 308 keep the
 * method and body), and {@code Authorization} is dropped when one leaves the registry's scheme,
 * host and port, as blob downloads do for S3 or a CDN. A redirect from https to http is refused
 * ({@link RedirectRefused}). The request's {@link Deadline} becomes the call's timeout, which spans
 * the connection, the redirects and the last byte of the answer.
 *
 * <p>Blob streams go over HTTP/1.1 connections of their own, also where the registry offers HTTP/2:
 * each then has its socket and its TLS session, read and written by its own thread, and none of
 * HTTP/2's framing and flow control. Their TLS is BoringSSL's where it is available ({@link
 * dev.ocitag.core.NativeCrypto}). Measured between two local HTTPS registries (bench/promote.sh and
 * by hand, runs interleaved): one image of 4 × 32 MiB from ~3.7 to ~2.5 s and ~1.5 s less CPU, one
 * 256 MiB layer from ~5.0 to ~4.0 s; 50 small images in one batch alike. Manifests and the rest
 * keep HTTP/2 where offered.
 *
 * <p>Blobs stream ({@link HttpRequest#streams()}): a body sent from a stream ({@link StreamedBody},
 * one-shot, so OkHttp never sends it twice either), an answer handed out unread ({@link
 * HttpAnswer#stream()}). For them {@code --timeout} bounds idleness, not the whole call: a 256 MiB
 * blob may rightly take longer than any bound on a slow link, and it must not be cut off while it
 * moves. Such a call has no call timeout; instead each wait for progress (each read or write of the
 * stream, the wait for the answer's headers) may last at most the deadline's bound ({@link
 * IdleWatch}, not OkHttp's read and write timeouts, which cost a watchdog round per 8 KiB). A
 * stalled stream fails after that long ({@link java.net.SocketTimeoutException}); one that keeps
 * moving, however slowly, goes on. Connecting keeps its own timeout.
 */
final class OkHttpTransport implements Transport {

  /** The process's client: built on first use, with no TLS set up until a TLS connection. */
  private static final class Shared {
    static final OkHttpClient CLIENT =
        new OkHttpClient.Builder()
            .connectionPool(new ConnectionPool(64, 5, TimeUnit.MINUTES))
            // our own trust manager: OkHttp's default reads the platform's CAs when built
            .sslSocketFactory(TlsSetup.PLATFORM.socketFactory(), TlsSetup.PLATFORM.trustManager())
            .build();
  }

  private final OkHttpClient client;

  private final TlsSetup tls;

  private final Consumer<String> debug;

  /** {@link #client} for streaming calls, made on first use. */
  private volatile OkHttpClient streaming;

  /** A streaming call's idle bound where its request has no deadline. */
  private final Duration readTimeout;

  OkHttpTransport(Settings settings, TlsSetup tls, Proxies proxies, Consumer<String> debug) {
    this.tls = tls;
    this.debug = debug;
    this.readTimeout = settings.readTimeout();
    OkHttpClient.Builder builder =
        Shared.CLIENT
            .newBuilder()
            .connectTimeout(settings.connectTimeout())
            .readTimeout(settings.readTimeout())
            .writeTimeout(settings.readTimeout())
            .followRedirects(true)
            .followSslRedirects(true) // http to https; the other way is refused by Hops
            .sslSocketFactory(tls.socketFactory(), tls.trustManager())
            .eventListenerFactory(OkHttpTransport::watch)
            .addNetworkInterceptor(new Hops(proxies, debug));
    if (tls.hostnameVerifier() != null) {
      builder.hostnameVerifier(tls.hostnameVerifier());
    }
    if (proxies != null) {
      builder.proxySelector(proxies).proxyAuthenticator(proxyAuthenticator(proxies));
    }
    this.client = builder.build();
  }

  /** How many connections the process's pool holds, for tests. */
  static int pooledConnections() {
    return Shared.CLIENT.connectionPool().connectionCount();
  }

  /** Closes the pool's idle connections (and so their HTTP/2 reader threads). */
  void releaseIdleConnections() {
    client.connectionPool().evictAll();
  }

  /**
   * OkHttp's form of a request's URL. Some come from a registry's answers (a token realm, an upload
   * Location, a next page), and {@link URI} takes some that OkHttp does not (a port past 65535, a
   * host such as {@code xn--zz}): those fail in one line instead of OkHttp's
   * IllegalArgumentException.
   */
  static HttpUrl httpUrl(URI url) {
    HttpUrl parsed = HttpUrl.parse(url.toString());
    if (parsed == null) {
      throw new OcitagException.Failed(
          "cannot send a request to <"
              + (url.getRawAuthority() == null
                  ? RegistryError.oneLine(url.toString())
                  : DebugLog.redact(url))
              + ">: not a URL a connection can go to");
    }
    return parsed;
  }

  @Override
  public HttpAnswer send(HttpRequest request) throws IOException {
    Request.Builder builder = new Request.Builder().url(httpUrl(request.url()));
    for (Map.Entry<String, String> header : request.headers().entrySet()) {
      builder.header(header.getKey(), header.getValue());
    }
    byte[] bytes = request.body();
    if (bytes == null
        && request.upload() == null
        && (request.method().equals("PUT")
            || request.method().equals("POST")
            || request.method().equals("PATCH"))) {
      bytes = new byte[0];
    }
    // no media type: the Content-Type header goes out exactly as the request has it
    OneShot upload = request.upload() != null ? new OneShot(request.upload()) : null;
    RequestBody body =
        upload != null ? upload : bytes == null ? null : RequestBody.create(bytes, null);
    builder.method(request.method(), body);
    Deadline deadline = request.deadline();
    HandshakeWatch watch = new HandshakeWatch(firstConnection(request, deadline));
    builder.tag(HandshakeWatch.class, watch);
    boolean streams = request.streams();
    Call call = (streams ? streaming() : client).newCall(builder.build());
    IdleWatch idle = null;
    boolean handedOut = false;
    try {
      Response answered;
      try {
        if (deadline != null) {
          long left = deadline.left().toNanos();
          if (left <= 0) {
            throw new InterruptedIOException("timeout");
          }
          if (!streams) {
            call.timeout().timeout(left, TimeUnit.NANOSECONDS);
          }
        }
        if (streams) {
          idle = IdleWatch.start(deadline == null ? readTimeout : deadline.bound(), call);
          if (upload != null) {
            upload.idle = idle;
          }
        }
        answered = call.execute();
      } catch (IOException failed) {
        IOException e = idle == null ? failed : idle.translate(failed);
        // a handshake that got no answer tells a loopback server not tried yet (some plain HTTP
        // servers wait in silence); anywhere else it is a timeout like any other, retried as one
        if (e instanceof SocketTimeoutException
            && watch.started
            && !watch.ended
            && RegistryEndpoint.tlsUntried(
                request.url().getHost().replace("[", "").replace("]", ""),
                request.url().getPort() < 0 ? 443 : request.url().getPort())) {
          throw new TlsSetup.NoTlsAnswer(request.url().getRawAuthority(), e);
        }
        if (e instanceof SocketTimeoutException && !watch.connected) {
          // the registry was not reached: a connection failure, as Breaker counts them
          ConnectException connect =
              new ConnectException(
                  "connecting to " + request.url().getRawAuthority() + " timed out");
          connect.initCause(e);
          throw connect;
        }
        throw e;
      } finally {
        watch.release(); // also where no event came (a call that never started)
      }
      Headers h = answered.headers();
      Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (int i = 0, n = h.size(); i < n; i++) {
        headers.computeIfAbsent(h.name(i), k -> new ArrayList<>(1)).add(h.value(i));
      }
      URI answeredBy = answered.request().url().uri();
      if (request.streamAnswer() && answered.isSuccessful() && !request.method().equals("HEAD")) {
        // the caller reads it, and closing it closes the response (and ends the idle watch)
        InputStream stream = answered.body().byteStream();
        handedOut = true;
        if (idle != null) {
          idle.moved(); // the headers came: from here, each read of the body is a wait
        }
        return new HttpAnswer(
            answered.code(),
            headers,
            new byte[0],
            answeredBy,
            idle == null ? stream : idle.answer(stream));
      }
      if (idle != null) {
        idle.waiting(); // the headers came; now the wait for the rest of the answer
      }
      try (Response response = answered) {
        byte[] read =
            request.method().equals("HEAD")
                ? new byte[0]
                : read(response.body(), request.bodyLimit());
        return new HttpAnswer(response.code(), headers, read, answeredBy);
      } catch (IOException e) {
        throw idle == null ? e : idle.translate(e);
      }
    } finally {
      if (idle != null && !handedOut) {
        idle.end();
      }
    }
  }

  /**
   * {@link #client} for streaming calls: HTTP/1.1 alone, BoringSSL's TLS where available ({@link
   * TlsSetup#streamSocketFactory()}), and no read or write timeouts: an {@link IdleWatch} bounds
   * each call's idleness instead (as no call timeout does its whole). Made once; it shares the pool
   * (its connections are HTTP/1.1 ones) and the dispatcher.
   */
  private OkHttpClient streaming() {
    OkHttpClient s = streaming;
    if (s != null) {
      return s;
    }
    synchronized (this) {
      if (streaming == null) {
        if (debug != null) {
          debug.accept(
              "tls: blob streams use "
                  + (tls.streamsUseNativeTls() ? "BoringSSL (Conscrypt)" : "the JDK's TLS"));
        }
        streaming =
            client
                .newBuilder()
                .protocols(List.of(Protocol.HTTP_1_1))
                .sslSocketFactory(tls.streamSocketFactory(), tls.trustManager())
                .readTimeout(Duration.ZERO)
                .writeTimeout(Duration.ZERO)
                .build();
      }
      return streaming;
    }
  }

  /**
   * A {@link StreamedBody} as OkHttp's body: its length announced, sent once (OkHttp neither
   * retries it nor follows a redirect with it).
   */
  private static final class OneShot extends RequestBody {
    private final StreamedBody body;

    /** The call's idle watch, once the call is made; null for none. */
    volatile IdleWatch idle;

    OneShot(StreamedBody body) {
      this.body = body;
    }

    @Override
    public MediaType contentType() {
      return null; // the request's own Content-Type header goes out
    }

    @Override
    public long contentLength() {
      return body.length();
    }

    @Override
    public boolean isOneShot() {
      return true;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      IdleWatch watch = idle;
      if (watch == null) {
        body.writeTo(sink.outputStream());
        return;
      }
      body.writeTo(watch.body(sink.outputStream()));
      watch.waiting(); // all sent: the wait for the answer begins
    }
  }

  private static EventListener watch(Call call) {
    HandshakeWatch watch = call.request().tag(HandshakeWatch.class);
    return watch == null ? EventListener.NONE : watch;
  }

  /**
   * The first TLS connection to each origin, while it is being made. Requests sent at once (the
   * engine's GET and HEAD) would otherwise each make a full handshake, twice the CPU of a cold
   * run's most costly step; waiting for the first lets the others share it (HTTP/2) or resume its
   * TLS session (HTTP/1.1).
   */
  private static final Map<String, CompletableFuture<Void>> CONNECTING = new ConcurrentHashMap<>();

  /**
   * Waits while another request makes the first TLS connection to this origin; returns the future
   * this request completes when it is the first (its connection made, or its call over), else null.
   */
  private static CompletableFuture<Void> firstConnection(HttpRequest request, Deadline deadline)
      throws IOException {
    if (!"https".equals(request.url().getScheme())) {
      return null;
    }
    String origin = request.url().getRawAuthority().toLowerCase(java.util.Locale.ROOT);
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> first = CONNECTING.putIfAbsent(origin, mine);
    if (first == null) {
      return mine;
    }
    Deadline.await(first, deadline);
    return null;
  }

  /**
   * Tells a TLS handshake that timed out from an answer that did, and ends the wait of {@link
   * #firstConnection} when this call made the first connection.
   */
  private static final class HandshakeWatch extends EventListener {
    private final CompletableFuture<Void> first;
    volatile boolean started;
    volatile boolean ended;
    volatile boolean connected;

    HandshakeWatch(CompletableFuture<Void> first) {
      this.first = first;
    }

    private void release() {
      if (first != null) {
        first.complete(null);
      }
    }

    @Override
    public void connectionAcquired(Call call, Connection connection) {
      connected = true;
      release();
    }

    @Override
    public void callFailed(Call call, IOException ioe) {
      release();
    }

    @Override
    public void callEnd(Call call) {
      release();
    }

    @Override
    public void secureConnectStart(Call call) {
      started = true;
      ended = false;
    }

    @Override
    public void secureConnectEnd(Call call, Handshake handshake) {
      ended = true;
    }
  }

  /** The whole body, so the connection is free for the next request; over the limit, none. */
  private static byte[] read(ResponseBody body, int limit) throws IOException {
    long length = body.contentLength();
    if (length > limit) {
      throw new BodyTooLarge(length);
    }
    try (InputStream in = body.byteStream()) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new BodyTooLarge(-1);
      }
      return bytes;
    }
  }

  /**
   * Proxy credentials for a CONNECT: OkHttp asks before the first one (a "preemptive" challenge)
   * and again on a 407, which then stands. A plain request through a proxy carried them from the
   * start ({@link Hops}), so its 407 stands at once.
   */
  private static Authenticator proxyAuthenticator(Proxies proxies) {
    return (route, response) -> {
      Request tunnel = response.request();
      String authorization = route == null ? null : proxies.authorizationFor(route.proxy());
      if (authorization == null
          || !tunnel.method().equals("CONNECT")
          || tunnel.header("Proxy-Authorization") != null) {
        return null;
      }
      return tunnel.newBuilder().header("Proxy-Authorization", authorization).build();
    };
  }

  /**
   * Sees every hop of a call: adds proxy credentials to plain requests sent through a proxy (a
   * tunnel's CONNECT gets them from the authenticator), refuses a redirect from https to http, and
   * logs each redirect for {@code --debug}.
   */
  private static final class Hops implements Interceptor {
    private final Proxies proxies;
    private final Consumer<String> debug;

    Hops(Proxies proxies, Consumer<String> debug) {
      this.proxies = proxies;
      this.debug = debug;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
      Request request = chain.request();
      Connection connection = chain.connection();
      if (proxies != null && connection != null && !request.isHttps()) {
        Proxy proxy = connection.route().proxy();
        String authorization =
            proxy.type() == Proxy.Type.HTTP ? proxies.authorizationFor(proxy) : null;
        if (authorization != null && request.header("Proxy-Authorization") == null) {
          request = request.newBuilder().header("Proxy-Authorization", authorization).build();
        }
      }
      Response response = chain.proceed(request);
      if (!response.isRedirect()) {
        return response;
      }
      String location = response.header("Location");
      HttpUrl target = location == null ? null : request.url().resolve(location);
      if (target == null) {
        return response;
      }
      if (request.isHttps() && !target.isHttps()) {
        response.close();
        throw new RedirectRefused(
            "the registry redirected "
                + DebugLog.redact(request.url().uri())
                + " to "
                + DebugLog.redact(target.uri())
                + ", from https to http; not following it");
      }
      if (debug != null) {
        boolean sameOrigin =
            target.scheme().equals(request.url().scheme())
                && target.host().equals(request.url().host())
                && target.port() == request.url().port();
        debug.accept(
            "redirect "
                + response.code()
                + " to "
                + DebugLog.redact(target.uri())
                + (sameOrigin ? "" : " (another origin: Authorization is not sent there)"));
      }
      return response;
    }
  }
}
