package dev.ocitag.core;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The options a backend may honour; each backend reads the ones that concern it.
 *
 * @param plainHttp talk HTTP, not HTTPS, to the registry (automatic for loopback registries)
 * @param insecure skip TLS verification
 * @param dockerConfig the docker config directory, or null for {@code DOCKER_CONFIG} or ~/.docker
 * @param region AWS region, or null for the SDK's default chain
 * @param profile AWS profile, or null
 * @param endpointUrl ECR API endpoint override, or null ({@code AWS_ENDPOINT_URL_ECR} applies)
 * @param registryId ECR registry (account) id, or null for the caller's account
 * @param parallelism how many writes may run at once
 * @param debug receives one line per request and response, secrets already redacted; null when off
 */
public record BackendOptions(
    boolean plainHttp,
    boolean insecure,
    Path dockerConfig,
    String region,
    String profile,
    String endpointUrl,
    String registryId,
    int parallelism,
    Consumer<String> debug) {

  public static BackendOptions defaults() {
    return new BackendOptions(false, false, null, null, null, null, null, 8, null);
  }

  /** Sends a line to the debug log, if there is one. */
  public void debug(String line) {
    if (debug != null) {
      debug.accept(line);
    }
  }
}
