package dev.ocitag.ecr;

import org.junit.jupiter.api.BeforeAll;

/**
 * The contract every backend meets, against an endpoint that answers BatchGetImage as moto does
 * (the parent's endpoint, switched after it starts).
 */
class EcrBackendMotoContractTest extends EcrBackendContractTest {

  @BeforeAll
  static void answerLikeMoto() {
    fake.echoLikeMoto(true);
  }
}
