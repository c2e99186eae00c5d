package dev.ocitag.core;

import dev.ocitag.core.testing.InMemoryBackend;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The contract holds for the reference implementation, so a failing backend is the backend's fault.
 */
class InMemoryBackendContractTest extends TagBackendContract {
  private static final AtomicInteger REPOS = new AtomicInteger();
  private InMemoryBackend backend;

  @Override
  protected TagBackend openBackend() {
    backend = new InMemoryBackend();
    return backend;
  }

  @Override
  protected ImageRef newRepository() {
    return ImageRef.parse("mem.test/repo" + REPOS.incrementAndGet());
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) {
    backend.seed(repository, image, tag);
  }
}
