package dev.ocitag.distribution;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.distribution.testing.RealRegistry;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The contract against an anonymous registry. */
class OpenRegistryTest extends RegistryContractTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.open();

  @Override
  RealRegistry registry() {
    return REGISTRY;
  }

  @Override
  BackendOptions options() {
    return BackendOptions.defaults();
  }
}
