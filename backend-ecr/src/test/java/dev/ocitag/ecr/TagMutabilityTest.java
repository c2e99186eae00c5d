package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ocitag.core.TagPolicy;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TagMutabilityTest {

  @ParameterizedTest(name = "{0} {1} tag {2}: may move = {3}")
  @CsvSource({
    "MUTABLE, '', latest, YES",
    "IMMUTABLE, '', latest, NO",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', dev-1, YES",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', dev-, YES",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', mydev-1, NO",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', release, NO",
    "IMMUTABLE_WITH_EXCLUSION, 'latest', latest, YES",
    "IMMUTABLE_WITH_EXCLUSION, 'latest', latest2, NO",
    "IMMUTABLE_WITH_EXCLUSION, '*-snapshot;dev-*', 1.0-snapshot, YES",
    "IMMUTABLE_WITH_EXCLUSION, 'v*.*', v1.2, YES",
    "IMMUTABLE_WITH_EXCLUSION, 'v*.*', v12, NO",
    "IMMUTABLE_WITH_EXCLUSION, 'a.b', axb, NO",
    "MUTABLE_WITH_EXCLUSION, 'release-*', release-1, NO",
    "MUTABLE_WITH_EXCLUSION, 'release-*', latest, YES",
    "MUTABLE_WITH_EXCLUSION, '*', anything, NO",
    "SOMETHING_NEW, '', latest, UNKNOWN",
  })
  void wildcardExclusionsInvertTheSetting(
      String setting, String filters, String tag, TagPolicy.Overwrite.Verdict mayMove) {
    List<String> list = filters.isEmpty() ? List.of() : List.of(filters.split(";"));
    assertEquals(mayMove, new TagMutability(setting, list).mayMove(tag).verdict());
  }
}
