package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An error a registry answered: the HTTP status and the first entry of the spec's {@code errors}
 * body ({@code code}, {@code message}, {@code detail}), translated into the core's exceptions; the
 * entries after it are kept as words for the message (the first may not be the cause:
 * docker-registry answers an index whose child it cannot read with DIGEST_INVALID, then
 * MANIFEST_BLOB_UNKNOWN).
 *
 * @param code the spec's error code, or null when the body had none
 * @param message the registry's message, or null
 * @param detail the registry's detail as compact text, or null
 * @param more the other entries as {@code CODE: message}, joined with "; ", or null when none
 */
record RegistryError(int status, String code, String message, String detail, String more) {

  private static final int MAX_TEXT = 300;

  /** Reads the spec's error body; anything else (HTML from a proxy, nothing) leaves code null. */
  static RegistryError parse(int status, byte[] body) {
    if (body != null && body.length > 0) {
      try {
        JsonNode root = Json.read(body);
        JsonNode errors = root == null ? null : root.path("errors");
        JsonNode first = errors == null ? null : errors.path(0);
        if (first != null && first.isObject()) {
          JsonNode detail = first.get("detail");
          String detailText =
              detail == null || detail.isNull()
                  ? null
                  : detail.isTextual() ? detail.asText() : detail.toString();
          return new RegistryError(
              status,
              first.path("code").asText(null),
              first.path("message").asText(null),
              detailText,
              others(errors));
        }
      } catch (IOException e) {
        // not JSON: fall through and keep a short piece of the text
      }
      String text = new String(body, StandardCharsets.UTF_8).strip();
      if (!text.isEmpty() && !text.startsWith("<")) {
        return new RegistryError(status, null, oneLine(text), null, null);
      }
    }
    return new RegistryError(status, null, null, null, null);
  }

  /** The entries after the first, as {@code CODE: message; ...}, or null. */
  private static String others(JsonNode errors) {
    StringBuilder s = new StringBuilder();
    for (int i = 1; i < errors.size(); i++) {
      JsonNode e = errors.get(i);
      String code = e.path("code").asText("");
      String message = e.path("message").asText("");
      if (code.isEmpty() && message.isEmpty()) {
        continue;
      }
      s.append(s.length() == 0 ? "" : "; ")
          .append(code)
          .append(code.isEmpty() || message.isEmpty() ? "" : ": ")
          .append(message);
    }
    return s.length() == 0 ? null : s.toString();
  }

  /**
   * The registry's words for the one-line error: {@code 404 MANIFEST_UNKNOWN: manifest unknown},
   * and after it the other errors it named, if any ({@code (also: MANIFEST_BLOB_UNKNOWN: ...)}).
   */
  String describe() {
    StringBuilder s = new StringBuilder().append(status);
    if (code != null) {
      s.append(' ').append(code);
    }
    if (message != null) {
      s.append(": ").append(oneLine(message));
    }
    if (more != null) {
      s.append(" (also: ").append(oneLine(more)).append(')');
    }
    return s.toString();
  }

  /**
   * The exception for this answer to {@code what} (such as "fetch registry/repo:tag"). The spec's
   * code decides when there is one, else the status.
   */
  OcitagException toException(String what) {
    String text = what + ": the registry answered " + describe();
    String c = code == null ? "" : code.toUpperCase(Locale.ROOT);
    String lower = message == null ? "" : message.toLowerCase(Locale.ROOT);
    if (lower.contains("immutable")) {
      // ECR's distribution endpoint (TAG_INVALID) and Harbor (412) say so for immutable tags
      return new OcitagException.Refused(text);
    }
    return switch (c) {
      case "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN" -> new OcitagException.NotFound(text);
      case "MANIFEST_BLOB_UNKNOWN" ->
          new OcitagException.InvalidInput(
              text
                  + (detail == null ? "" : " (blob " + oneLine(detail) + ")")
                  + "; the manifest references a blob or manifest this repository does not hold");
      case "MANIFEST_INVALID",
          "MANIFEST_UNVERIFIED",
          "TAG_INVALID",
          "NAME_INVALID",
          "DIGEST_INVALID",
          "SIZE_INVALID",
          "BLOB_UPLOAD_INVALID" ->
          new OcitagException.InvalidInput(text);
      case "DENIED", "UNAUTHORIZED" -> new OcitagException.Denied(text);
      case "TOOMANYREQUESTS" -> new OcitagException.Transient(text);
      case "UNSUPPORTED" -> new OcitagException.Failed(text);
      default -> byStatus(text);
    };
  }

  private OcitagException byStatus(String text) {
    if (status == 401 || status == 403) {
      return new OcitagException.Denied(text);
    }
    if (status == 404) {
      return new OcitagException.NotFound(text);
    }
    if (status == 408 || status == 429 || status >= 500) {
      return new OcitagException.Transient(text);
    }
    if (status == 400 || status == 413 || status == 415) {
      return new OcitagException.InvalidInput(text);
    }
    if (status == 412) {
      return new OcitagException.Refused(text);
    }
    return new OcitagException.Failed(text);
  }

  static String oneLine(String text) {
    String flat = text.replaceAll("\\s+", " ").strip();
    return flat.length() <= MAX_TEXT ? flat : flat.substring(0, MAX_TEXT) + "...";
  }
}
