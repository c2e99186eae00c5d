package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TagMutabilityTest {

  @ParameterizedTest(name = "{0} {1} tag {2}: may move = {3}")
  @CsvSource({
    "MUTABLE, '', latest, true",
    "IMMUTABLE, '', latest, false",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', dev-1, true",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', dev-, true",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', mydev-1, false",
    "IMMUTABLE_WITH_EXCLUSION, 'dev-*', release, false",
    "IMMUTABLE_WITH_EXCLUSION, 'latest', latest, true",
    "IMMUTABLE_WITH_EXCLUSION, 'latest', latest2, false",
    "IMMUTABLE_WITH_EXCLUSION, '*-snapshot;dev-*', 1.0-snapshot, true",
    "IMMUTABLE_WITH_EXCLUSION, 'v*.*', v1.2, true",
    "IMMUTABLE_WITH_EXCLUSION, 'v*.*', v12, false",
    "IMMUTABLE_WITH_EXCLUSION, 'a.b', axb, false",
    "MUTABLE_WITH_EXCLUSION, 'release-*', release-1, false",
    "MUTABLE_WITH_EXCLUSION, 'release-*', latest, true",
    "MUTABLE_WITH_EXCLUSION, '*', anything, false",
    "SOMETHING_NEW, '', latest, true",
  })
  void wildcardExclusionsInvertTheSetting(
      String setting, String filters, String tag, boolean mayMove) {
    List<String> list = filters.isEmpty() ? List.of() : List.of(filters.split(";"));
    assertEquals(mayMove, new TagMutability(setting, list).mayMove(tag));
  }
}
