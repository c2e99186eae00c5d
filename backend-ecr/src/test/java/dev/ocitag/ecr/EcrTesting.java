package dev.ocitag.ecr;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.ecr.testing.FakeEcr;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.ecr.EcrClient;

/** Shared set-up: the fake endpoint's key pair as the SDK's credentials, options pointing at it. */
final class EcrTesting {
  private EcrTesting() {}

  private static final AtomicInteger REPOS = new AtomicInteger();

  /** The system-property credentials provider is the first in the SDK's default chain. */
  static void useFakeCredentials() {
    System.setProperty("aws.accessKeyId", FakeEcr.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", FakeEcr.SECRET_KEY);
  }

  static void clearCredentials() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    System.clearProperty("aws.region");
  }

  static BackendOptions options(FakeEcr fake) {
    return options(fake, "us-east-1", null);
  }

  static BackendOptions options(FakeEcr fake, String region, List<String> debug) {
    return BackendOptions.defaults()
        .with(EcrOptions.REGION, region)
        .with(EcrOptions.ENDPOINT_URL, fake.endpoint())
        .withDebug(debug == null ? null : debug::add);
  }

  static List<String> debugLines() {
    return new CopyOnWriteArrayList<>();
  }

  /** The retry policy's shape, with short waits. */
  static final EcrClients.RetryTiming FAST_RETRIES =
      new EcrClients.RetryTiming(
          Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMillis(5), Duration.ofMillis(50));

  /** A backend with a PutImage rate high enough not to slow the tests down. */
  static EcrBackend open(FakeEcr fake) {
    return open(fake, options(fake));
  }

  static EcrBackend open(FakeEcr fake, BackendOptions options) {
    return EcrBackend.open(
        ImageRef.parse("ecr:any"), options, new PutRateLimiter(10_000, 100), FAST_RETRIES);
  }

  /** A plain SDK client on the fake endpoint, to speak the wire protocol without the backend. */
  static EcrClient rawClient(FakeEcr fake) {
    return EcrClients.build(
        EcrClients.target(ImageRef.parse("ecr:any"), options(fake)), options(fake));
  }

  static String newRepositoryName(String prefix) {
    return prefix + "-" + REPOS.incrementAndGet();
  }
}
