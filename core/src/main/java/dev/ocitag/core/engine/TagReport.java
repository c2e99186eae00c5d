package dev.ocitag.core.engine;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import java.util.List;

/**
 * The outcome of putting tags on one source, one result per target in the order given.
 *
 * @param manifest the source's manifest, or null when the source could not be fetched (then every
 *     result is failed and says why)
 * @param dryRun true when nothing was written and the outcomes are what would happen
 */
public record TagReport(
    ImageRef source, Manifest manifest, List<TagResult> results, boolean dryRun) {

  public TagReport {
    results = List.copyOf(results);
  }

  /** Whether any tag ended with this outcome. */
  public boolean any(Outcome outcome) {
    return results.stream().anyMatch(r -> r.outcome() == outcome);
  }
}
