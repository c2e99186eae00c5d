package dev.ocitag.distribution;

import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.frontend.CredentialRetrieverFactory;
import dev.ocitag.core.OcitagException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Google application default credentials (ADC) for Google's registries, through Jib core's {@link
 * CredentialRetrieverFactory#googleApplicationDefaultCredentials()}: {@code
 * GOOGLE_APPLICATION_CREDENTIALS}, gcloud's {@code application_default_credentials.json}, or the
 * metadata server on Google's machines, as user {@code oauth2accesstoken} with an access token.
 *
 * <p>Asked only for {@code gcr.io}, {@code *.gcr.io} and {@code *-docker.pkg.dev} (Jib itself
 * matches any name ending in {@code gcr.io} or {@code docker.pkg.dev}, which would send a Google
 * token to {@code evilgcr.io}), and only when the docker config has nothing for the registry: for
 * any other registry this class is not even loaded, so no Google endpoint is ever contacted.
 */
final class GoogleApplicationDefault {
  private GoogleApplicationDefault() {}

  /** Whether {@code registry} (host[:port] as a reference names it) is one of Google's. */
  static boolean serves(String registry) {
    String host = registry.toLowerCase(Locale.ROOT);
    return host.equals("gcr.io")
        || host.endsWith(".gcr.io")
        || (host.endsWith("-docker.pkg.dev") && host.length() > "-docker.pkg.dev".length());
  }

  /** The access token as credentials, or empty where no ADC is configured. */
  static Optional<Credentials> get(String registry, Deadline deadline, Consumer<String> debug) {
    Consumer<LogEvent> log =
        event -> debug.accept("auth: google: " + RegistryError.oneLine(event.getMessage()));
    Optional<Credential> found;
    try {
      found =
          deadline.run(
              "google-adc",
              () ->
                  CredentialRetrieverFactory.forImage(ImageReference.of(registry, "any", null), log)
                      .googleApplicationDefaultCredentials()
                      .retrieve());
    } catch (Deadline.Expired e) {
      throw new OcitagException.Failed(
          "Google application default credentials did not answer for "
              + registry
              + " within "
              + deadline.describe());
    } catch (Exception e) {
      throw new OcitagException.Failed(
          "Google application default credentials failed for "
              + registry
              + ": "
              + RegistryError.oneLine(String.valueOf(e.getMessage())));
    }
    return found.map(
        c ->
            new Credentials(
                c.getUsername(), c.getPassword(), null, "Google application default credentials"));
  }
}
