package dev.ocitag.ecr;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.ecr.testing.FakeEcr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every backend meets, run through the real SDK against the fake ECR endpoint. */
class EcrBackendContractTest extends TagBackendContract {
  static FakeEcr fake;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    // Small pages, so that tagsListsEveryTag crosses several ListImages pages.
    fake.maxPageSize(50);
    EcrTesting.useFakeCredentials();
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @Override
  protected TagBackend openBackend() {
    return EcrTesting.open(fake);
  }

  @Override
  protected ImageRef newRepository() {
    String name = EcrTesting.newRepositoryName("contract");
    fake.createRepository(name);
    return ImageRef.parse("ecr:" + name);
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) {
    fake.seed(repository.repository(), image, tag);
  }
}
