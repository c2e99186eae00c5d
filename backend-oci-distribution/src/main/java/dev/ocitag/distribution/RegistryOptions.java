package dev.ocitag.distribution;

import dev.ocitag.core.BackendOption;
import dev.ocitag.core.OcitagException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The options of registries reached through the distribution API (ECR's blobs included). */
public final class RegistryOptions {
  private RegistryOptions() {}

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  /** HTTP, not HTTPS (without it: HTTPS first, and HTTP only for a loopback registry). */
  public static final BackendOption<Boolean> PLAIN_HTTP =
      BackendOption.flag(
          "Use HTTP, not HTTPS (else HTTPS, or HTTP for a loopback registry without TLS)",
          "--plain-http");

  public static final BackendOption<Boolean> INSECURE =
      BackendOption.flag("Skip TLS certificate verification", "--insecure");

  /** A PEM file of CA certificates trusted besides the platform's. */
  public static final BackendOption<Path> CA_FILE =
      BackendOption.path(
          "PEM", "Also trust these CA certificates (see certs.d below)", "--ca-file");

  /** How long one logical request may take, from connect to its last byte, retries included. */
  public static final BackendOption<Duration> TIMEOUT =
      BackendOption.of(
          "SECONDS",
          "Bound each registry request, retries included (default 60)",
          RegistryOptions::seconds,
          DEFAULT_TIMEOUT,
          "--timeout");

  /** The docker config directory, or null for {@code DOCKER_CONFIG} or ~/.docker. */
  public static final BackendOption<Path> DOCKER_CONFIG =
      BackendOption.path(
          "DIR",
          "Docker config directory for credentials ($DOCKER_CONFIG, ~/.docker)",
          "--docker-config");

  static final List<BackendOption<?>> ALL =
      List.of(PLAIN_HTTP, INSECURE, CA_FILE, TIMEOUT, DOCKER_CONFIG);

  /** Seconds, a fraction allowed. */
  static Duration seconds(String v) {
    try {
      double seconds = Double.parseDouble(v);
      if (seconds > 0 && seconds <= 86_400) {
        return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new OcitagException.InvalidInput(
        "invalid value '" + v + "' for --timeout: want seconds, more than 0 and at most 86400");
  }
}
