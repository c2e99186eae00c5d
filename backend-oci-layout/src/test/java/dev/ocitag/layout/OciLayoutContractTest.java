package dev.ocitag.layout;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Backends;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract every backend meets, on a real layout on disk; found the way the CLI finds it. */
class OciLayoutContractTest extends TagBackendContract {
  @TempDir Path tmp;

  @Override
  protected TagBackend openBackend() {
    return Backends.open(ImageRef.parse("oci:" + tmp), BackendOptions.defaults());
  }

  @Override
  protected ImageRef newRepository() throws Exception {
    return ImageRef.parse(
        "oci:" + LayoutFixture.emptyLayout(Files.createTempDirectory(tmp, "layout")));
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) throws Exception {
    LayoutFixture.seed(Path.of(repository.repository()), image, tag);
  }
}
