package dev.ocitag.ecr;

import dev.ocitag.core.BackendOption;
import java.util.List;

/** The options of the ECR backend (its blobs also read the registry options). */
public final class EcrOptions {
  private EcrOptions() {}

  /** AWS region, or null for the SDK's default chain. */
  public static final BackendOption<String> REGION =
      BackendOption.text("REGION", "AWS region for ECR", "--region");

  public static final BackendOption<String> PROFILE =
      BackendOption.text("PROFILE", "AWS profile for ECR", "--profile");

  /** ECR API endpoint override, or null ({@code AWS_ENDPOINT_URL_ECR} applies). */
  public static final BackendOption<String> ENDPOINT_URL =
      BackendOption.text(
          "URL", "ECR API endpoint ($AWS_ENDPOINT_URL_ECR, else AWS's)", "--endpoint-url");

  /** ECR registry (account) id, or null for the caller's account. */
  public static final BackendOption<String> REGISTRY_ID =
      BackendOption.text(
          "ACCOUNT", "ECR registry (account) id for ecr: references", "--registry-id");

  static final List<BackendOption<?>> ALL = List.of(REGION, PROFILE, ENDPOINT_URL, REGISTRY_ID);
}
