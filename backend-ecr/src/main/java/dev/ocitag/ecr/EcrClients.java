package dev.ocitag.ecr;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.EcrClientBuilder;

/** Where an ECR call goes (account, region, endpoint) and the SDK client that makes it. */
final class EcrClients {
  private EcrClients() {}

  /** Attempts per call, the first included, for throttling, 5xx and dropped connections. */
  static final int MAX_ATTEMPTS = 8;

  static final String ENDPOINT_ENV = "AWS_ENDPOINT_URL_ECR";

  /**
   * Backoff between attempts: full jitter, exponential from the base up to the cap; throttling
   * waits longer than other retryable failures.
   */
  record RetryTiming(Duration base, Duration cap, Duration throttledBase, Duration throttledCap) {
    static final RetryTiming DEFAULT =
        new RetryTiming(
            Duration.ofMillis(100),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            Duration.ofSeconds(10));
  }

  /**
   * @param registryId the account, or null for the caller's own
   * @param region the region every call is signed for and sent to
   * @param fips whether the reference named a FIPS host
   * @param endpoint the API endpoint override, or null for the SDK's endpoint rules
   */
  record Target(String registryId, Region region, boolean fips, URI endpoint) {}

  /**
   * Account and region from an ECR host in the reference, else from the options, else the SDK's
   * default chain (AWS_REGION, the profile); a missing region is a one-line error with the fix.
   */
  static Target target(ImageRef ref, BackendOptions options) {
    if (blankToNull(options.get(EcrOptions.PROFILE)) != null) {
      checkProfile(blankToNull(options.get(EcrOptions.PROFILE)));
    }
    Optional<EcrHost> host = EcrHost.of(ref);
    String registryId =
        host.map(EcrHost::registryId).orElse(blankToNull(options.get(EcrOptions.REGISTRY_ID)));
    if (registryId != null && !registryId.matches("\\d{12}")) {
      throw new OcitagException.InvalidInput(
          "registry id '" + registryId + "' is not a 12-digit AWS account id");
    }
    Region region =
        host.map(h -> Region.of(h.region()))
            .orElseGet(
                () -> {
                  String given = blankToNull(options.get(EcrOptions.REGION));
                  return given != null
                      ? Region.of(given)
                      : defaultRegion(options.get(EcrOptions.PROFILE));
                });
    return new Target(registryId, region, host.map(EcrHost::fips).orElse(false), endpoint(options));
  }

  private static Region defaultRegion(String profile) {
    try {
      DefaultAwsRegionProviderChain.Builder chain = DefaultAwsRegionProviderChain.builder();
      if (blankToNull(profile) != null) {
        chain.profileName(profile);
      }
      return chain.build().getRegion();
    } catch (SdkClientException e) {
      throw new OcitagException.InvalidInput("no AWS region: " + EcrErrors.REGION_HINT, e);
    }
  }

  private static URI endpoint(BackendOptions options) {
    String text = blankToNull(options.get(EcrOptions.ENDPOINT_URL));
    String source = "--endpoint-url";
    if (text == null) {
      text = blankToNull(System.getenv(ENDPOINT_ENV));
      source = ENDPOINT_ENV;
    }
    if (text == null) {
      return null;
    }
    try {
      URI uri = new URI(text);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new URISyntaxException(text, "want http(s)://host[:port]");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new OcitagException.InvalidInput(
          source + " '" + text + "' is not an http(s) URL: " + e.getReason());
    }
  }

  static EcrClient build(Target target, BackendOptions options) {
    return build(target, options, RetryTiming.DEFAULT);
  }

  static EcrClient build(Target target, BackendOptions options, RetryTiming timing) {
    StandardRetryStrategy retries =
        AwsRetryStrategy.configure(StandardRetryStrategy.builder())
            .maxAttempts(MAX_ATTEMPTS)
            .backoffStrategy(BackoffStrategy.exponentialDelay(timing.base(), timing.cap()))
            .throttlingBackoffStrategy(
                BackoffStrategy.exponentialDelay(timing.throttledBase(), timing.throttledCap()))
            // A big tagging run meets many throttles by design; a drained retry bucket would
            // fail the rest of it at once.
            .circuitBreakerEnabled(false)
            .build();
    EcrClientBuilder builder =
        EcrClient.builder()
            .region(target.region())
            .credentialsProvider(credentials(options.get(EcrOptions.PROFILE)))
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofSeconds(60))
                    .build())
            .overrideConfiguration(
                o -> {
                  o.retryStrategy(retries);
                  if (options.debug() != null) {
                    o.addExecutionInterceptor(new DebugLog(options));
                  }
                });
    if (target.endpoint() != null) {
      builder.endpointOverride(target.endpoint());
    } else if (target.fips()) {
      builder.fipsEnabled(true);
    }
    return builder.build();
  }

  private static AwsCredentialsProvider credentials(String profile) {
    if (blankToNull(profile) == null) {
      return new Guarded(DefaultCredentialsProvider.builder().build());
    }
    try {
      // As the AWS CLI does: an explicit profile wins over credentials in the environment.
      return new Guarded(ProfileCredentialsProvider.builder().profileName(profile).build());
    } catch (RuntimeException e) {
      // e.g. an SSO profile without the sso module, a role profile whose source has no keys
      throw new OcitagException.Denied(
          "AWS profile '" + profile + "': " + e.getMessage() + "; " + EcrErrors.CREDENTIALS_HINT,
          e);
    }
  }

  /**
   * Turns what a credentials provider throws outside the SDK's own exceptions (profile providers
   * throw IllegalStateException) into an SdkClientException, so it is mapped like the others.
   */
  private record Guarded(AwsCredentialsProvider delegate) implements AwsCredentialsProvider {
    @Override
    public AwsCredentials resolveCredentials() {
      try {
        return delegate.resolveCredentials();
      } catch (SdkException e) {
        throw e;
      } catch (RuntimeException e) {
        throw SdkClientException.create("cannot load credentials: " + e.getMessage(), e);
      }
    }
  }

  /** Refuses a profile that no AWS config or credentials file has, instead of ignoring it. */
  private static void checkProfile(String profile) {
    boolean present;
    try {
      present = ProfileFile.defaultProfileFile().profile(profile).isPresent();
    } catch (RuntimeException e) {
      throw new OcitagException.InvalidInput(
          "cannot read the AWS config and credentials files: " + e.getMessage(), e);
    }
    if (!present) {
      throw new OcitagException.InvalidInput(
          "AWS profile '"
              + profile
              + "' is in neither the AWS config nor the credentials file"
              + " (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws)");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** One line per HTTP attempt and per failed call; no headers, so no secrets. */
  private static final class DebugLog implements ExecutionInterceptor {
    private static final software.amazon.awssdk.core.interceptor.ExecutionAttribute<Long> START =
        new software.amazon.awssdk.core.interceptor.ExecutionAttribute<>("ocitag.start");
    private final BackendOptions options;

    DebugLog(BackendOptions options) {
      this.options = options;
    }

    @Override
    public void beforeTransmission(
        Context.BeforeTransmission context, ExecutionAttributes attributes) {
      attributes.putAttribute(START, System.nanoTime());
      options.debug(
          "ECR > "
              + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME)
              + " "
              + context.httpRequest().getUri());
    }

    @Override
    public void afterTransmission(
        Context.AfterTransmission context, ExecutionAttributes attributes) {
      Long start = attributes.getAttribute(START);
      long ms = start == null ? -1 : (System.nanoTime() - start) / 1_000_000;
      options.debug(
          "ECR < "
              + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME)
              + " HTTP "
              + context.httpResponse().statusCode()
              + " in "
              + ms
              + " ms"
              + context
                  .httpResponse()
                  .firstMatchingHeader("x-amzn-RequestId")
                  .map(id -> " request-id " + id)
                  .orElse(""));
    }

    @Override
    public void onExecutionFailure(
        Context.FailedExecution context, ExecutionAttributes attributes) {
      options.debug(
          "ECR ! "
              + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME)
              + " failed: "
              + context.exception().getClass().getSimpleName());
    }
  }
}
