package dev.ocitag.distribution;

import java.io.IOException;

/**
 * One layer of the request path, as go-containerregistry's {@code RoundTripper}s: OkHttp at the
 * bottom ({@link OkHttpTransport}), then {@link DebugLog}, {@link PlainHttpFallback} (loopback
 * registries), {@link RegistryAuth} and {@link Retry}, each doing one job and handing the request
 * on.
 *
 * <p>An {@link IOException} is a failure of the connection (a retry may help); a decision that is
 * final (missing credentials, a refused token realm) is an {@link dev.ocitag.core.OcitagException}.
 */
interface Transport {
  HttpAnswer send(HttpRequest request) throws IOException;
}
