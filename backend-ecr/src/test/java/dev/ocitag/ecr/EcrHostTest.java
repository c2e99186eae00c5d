package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import org.junit.jupiter.api.Test;

class EcrHostTest {

  @Test
  void ecrHostsGiveAccountAndRegionAndLookAlikesAreNotClaimed() {
    assertEquals(
        new EcrHost("123456789012", "us-east-1", true),
        EcrHost.of(ImageRef.parse("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app"))
            .orElseThrow());
    ImageRef central = ImageRef.parse("210987654321.dkr.ecr.eu-central-1.amazonaws.com/a");
    assertEquals("ecr", central.transport());
    assertEquals(new EcrHost("210987654321", "eu-central-1", false), EcrHost.of(central).get());
    assertTrue(EcrHost.of(ImageRef.parse("ecr:app")).isEmpty());
    for (String lookAlike :
        new String[] {
          "12345678901.dkr.ecr.eu-west-1.amazonaws.com/app",
          "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io/app"
        }) {
      ImageRef ref = ImageRef.parse(lookAlike);
      assertEquals(ImageRef.DOCKER, ref.transport(), lookAlike);
      assertTrue(EcrHost.of(ref).isEmpty(), lookAlike);
    }
  }
}
