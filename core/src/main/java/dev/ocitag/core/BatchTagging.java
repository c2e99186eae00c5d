package dev.ocitag.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A backend that resolves many tags of one repository in a few calls (ECR: 100 per call). */
public interface BatchTagging {

  /** The current digest of each target; every target is a key, absent tags map to empty. */
  Map<ImageRef, Optional<Digest>> resolveAll(List<ImageRef> targets);

  /** The source's exact bytes, as {@link TagBackend#fetch}. */
  Manifest fetch(ImageRef source);

  /**
   * Fetches the source and resolves the targets (as {@link #resolveAll}) together, in fewer calls
   * than the two apart where the backend can.
   */
  default Lookup fetchAndResolve(ImageRef source, List<ImageRef> targets) {
    return new Lookup(fetch(source), resolveAll(targets));
  }

  /** A fetched source and where each target points now (every target a key, absent: empty). */
  record Lookup(Manifest source, Map<ImageRef, Optional<Digest>> current) {
    public Lookup {
      current = Collections.unmodifiableMap(new LinkedHashMap<>(current));
    }
  }
}
