package dev.ocitag.core;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A backend that resolves many tags of one repository in a few calls (ECR: 100 per call). */
public interface BatchTagging {

  /** The current digest of each target; every target is a key, absent tags map to empty. */
  Map<ImageRef, Optional<Digest>> resolveAll(List<ImageRef> targets);
}
