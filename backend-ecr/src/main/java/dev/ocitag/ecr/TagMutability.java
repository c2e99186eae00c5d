package dev.ocitag.ecr;

import dev.ocitag.core.TagPolicy;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A repository's tag mutability as DescribeRepositories reports it: the setting and, for the {@code
 * *_WITH_EXCLUSION} settings, the wildcard filters naming the tags that behave the other way.
 *
 * @param setting MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION
 * @param exclusionFilters wildcard patterns ({@code *} matches any run of characters)
 */
public record TagMutability(String setting, List<String> exclusionFilters) {

  public TagMutability {
    exclusionFilters = List.copyOf(exclusionFilters);
  }

  public static TagMutability mutable() {
    return new TagMutability("MUTABLE", List.of());
  }

  /**
   * Whether an existing tag with this name may be moved to another image; unknown for a setting
   * newer than this code, so that ECR decides on PutImage.
   */
  public TagPolicy.Overwrite mayMove(String tag) {
    return switch (setting) {
      case "MUTABLE" -> TagPolicy.Overwrite.YES;
      case "IMMUTABLE" -> TagPolicy.Overwrite.NO;
      case "IMMUTABLE_WITH_EXCLUSION" -> TagPolicy.Overwrite.of(excluded(tag));
      case "MUTABLE_WITH_EXCLUSION" -> TagPolicy.Overwrite.of(!excluded(tag));
      default ->
          TagPolicy.Overwrite.unknown(
              "the repository's tag mutability " + setting + " is unknown to this version");
    };
  }

  /** Whether a tag matches one of the exclusion filters. */
  public boolean excluded(String tag) {
    return exclusionFilters.stream().anyMatch(f -> wildcard(f).matcher(tag).matches());
  }

  static Pattern wildcard(String filter) {
    StringBuilder regex = new StringBuilder();
    String[] parts = filter.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(regex.toString());
  }

  /** A short description for messages, e.g. {@code IMMUTABLE_WITH_EXCLUSION [dev-*, latest]}. */
  public String describe() {
    return exclusionFilters.isEmpty() ? setting : setting + " " + exclusionFilters;
  }
}
