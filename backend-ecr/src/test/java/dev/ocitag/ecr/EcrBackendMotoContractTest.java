package dev.ocitag.ecr;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.testing.TagBackendContract;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.ecr.testing.FakeEcr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every backend meets, against an endpoint that answers BatchGetImage as moto. */
class EcrBackendMotoContractTest extends TagBackendContract {
  private static FakeEcr fake;

  @BeforeAll
  static void startFake() throws Exception {
    fake = FakeEcr.start();
    fake.echoLikeMoto(true);
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
    String name = EcrTesting.newRepositoryName("moto-contract");
    fake.createRepository(name);
    return ImageRef.parse("ecr:" + name);
  }

  @Override
  protected void seed(ImageRef repository, TestImage image, String tag) {
    fake.seed(repository.repository(), image, tag);
  }
}
