package dev.ocitag.ecr;

import dev.ocitag.core.OcitagException;
import java.util.Locale;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.model.ImageDigestDoesNotMatchException;
import software.amazon.awssdk.services.ecr.model.ImageNotFoundException;
import software.amazon.awssdk.services.ecr.model.ImageTagAlreadyExistsException;
import software.amazon.awssdk.services.ecr.model.InvalidParameterException;
import software.amazon.awssdk.services.ecr.model.KmsException;
import software.amazon.awssdk.services.ecr.model.LayersNotFoundException;
import software.amazon.awssdk.services.ecr.model.ReferencedImagesNotFoundException;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;
import software.amazon.awssdk.services.ecr.model.ServerException;

/** Translates the SDK's exceptions into ocitag's, once, with a hint where the user can act. */
final class EcrErrors {
  private EcrErrors() {}

  static final String CREDENTIALS_HINT =
      "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) or pick a profile with"
          + " --profile or AWS_PROFILE";

  static final String REGION_HINT = "set --region or AWS_REGION";

  /** Error codes that mean the caller is not who AWS accepts, or may not do this. */
  private static final Set<String> DENIED =
      Set.of(
          "AccessDeniedException",
          "AccessDenied",
          "UnrecognizedClientException",
          "InvalidSignatureException",
          "SignatureDoesNotMatch",
          "IncompleteSignature",
          "InvalidClientTokenId",
          "MissingAuthenticationToken",
          "NotAuthorized");

  private static final Set<String> EXPIRED =
      Set.of("ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired");

  private static final Set<String> THROTTLED =
      Set.of(
          "ThrottlingException",
          "Throttling",
          "TooManyRequestsException",
          "RequestLimitExceeded",
          "RequestThrottled");

  /**
   * Maps a failed call. {@code what} names the call and its subject, e.g. {@code "PutImage
   * ecr:app:v1"}; it starts every message.
   */
  static OcitagException map(String what, SdkException e) {
    if (e instanceof AwsServiceException service) {
      return mapService(what, service);
    }
    return mapClient(what, e);
  }

  private static OcitagException mapService(String what, AwsServiceException e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    String message = serviceMessage(e);
    String line = what + ": " + message;
    if (e instanceof RepositoryNotFoundException || e instanceof ImageNotFoundException) {
      return new OcitagException.NotFound(line, e);
    }
    if (e instanceof ImageTagAlreadyExistsException) {
      return new OcitagException.Refused(
          what + ": the repository's tags are immutable (" + message + ")", e);
    }
    if (e instanceof LayersNotFoundException || e instanceof ReferencedImagesNotFoundException) {
      return new OcitagException.InvalidInput(line, e);
    }
    if (e instanceof ImageDigestDoesNotMatchException) {
      return new OcitagException.Failed(line, e);
    }
    if (e instanceof InvalidParameterException) {
      return new OcitagException.InvalidInput(line, e);
    }
    if (e instanceof KmsException) {
      return new OcitagException.Failed(line, e);
    }
    if (code != null && EXPIRED.contains(code)) {
      return new OcitagException.Denied(
          what + ": the AWS credentials have expired (" + code + "); " + CREDENTIALS_HINT, e);
    }
    if (code != null && DENIED.contains(code) || e.statusCode() == 401 || e.statusCode() == 403) {
      return new OcitagException.Denied(
          line + " (" + code + "); check the credentials and the IAM policy for ecr:*", e);
    }
    if (code != null && THROTTLED.contains(code)) {
      return new OcitagException.Transient(
          what + ": still throttled after the retries (" + code + "); try again later", e);
    }
    if (e instanceof ServerException || e.statusCode() >= 500) {
      return new OcitagException.Transient(
          what + ": ECR failed (HTTP " + e.statusCode() + ", " + code + ") after the retries", e);
    }
    return new OcitagException.Failed(line + (code == null ? "" : " (" + code + ")"), e);
  }

  private static OcitagException mapClient(String what, SdkException e) {
    String message = String.valueOf(e.getMessage());
    String lower = message.toLowerCase(Locale.ROOT);
    if (lower.startsWith("unable to load credentials from any of the providers")) {
      // The SDK's message lists every provider of the chain with its reason: pages, not a line.
      return new OcitagException.Denied(
          what
              + ": no AWS credentials found (environment, system properties, web identity,"
              + " profile, container, instance metadata); "
              + CREDENTIALS_HINT,
          e);
    }
    // Profile trouble: no keys in it, an expired SSO token, SSO without the sso module.
    if (lower.contains("credential")
        || lower.contains("sso") && (lower.contains("token") || lower.contains("profile"))) {
      return new OcitagException.Denied(
          what + ": no usable AWS credentials (" + brief(message) + "); " + CREDENTIALS_HINT, e);
    }
    if (lower.contains("unable to load region")) {
      return new OcitagException.InvalidInput("no AWS region: " + REGION_HINT, e);
    }
    if (e instanceof SdkClientException && e.getCause() instanceof java.io.IOException io) {
      return new OcitagException.Transient(
          what
              + ": cannot reach ECR ("
              + io.getClass().getSimpleName()
              + ": "
              + io.getMessage()
              + ")",
          e);
    }
    return new OcitagException.Failed(what + ": " + brief(message), e);
  }

  /** The first line, at most 200 characters. */
  private static String brief(String message) {
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() <= 200 ? line : line.substring(0, 197) + "...";
  }

  private static String serviceMessage(AwsServiceException e) {
    if (e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null) {
      return e.awsErrorDetails().errorMessage();
    }
    return firstLine(e);
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
