package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecr.endpoints.EcrEndpointParams;
import software.amazon.awssdk.services.ecr.endpoints.EcrEndpointProvider;

class EcrClientsTest {
  private static final BackendOptions OPTIONS =
      BackendOptions.defaults()
          .with(EcrOptions.REGION, "us-east-1")
          .with(EcrOptions.REGISTRY_ID, "111122223333")
          .withParallelism(1);

  @Test
  void aHostReferenceWinsOverTheOptions() {
    EcrClients.Target t =
        EcrClients.target(
            ImageRef.parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"), OPTIONS);
    assertEquals("123456789012", t.registryId());
    assertEquals(Region.EU_WEST_1, t.region());
    assertFalse(t.fips());
  }

  @Test
  void fipsAndChinaHosts() {
    EcrClients.Target fips =
        EcrClients.target(
            ImageRef.parse("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app"), OPTIONS);
    assertTrue(fips.fips());
    assertEquals(Region.US_GOV_WEST_1, fips.region());
    URI url =
        EcrEndpointProvider.defaultProvider()
            .resolveEndpoint(
                EcrEndpointParams.builder().region(fips.region()).useFips(true).build())
            .join()
            .url();
    assertTrue(url.getHost().contains("ecr-fips."), url.toString());

    EcrClients.Target china =
        EcrClients.target(
            ImageRef.parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app"), OPTIONS);
    assertEquals(Region.CN_NORTH_1, china.region());
  }

  @Test
  void anEcrSchemeReferenceUsesTheOptions() {
    EcrClients.Target t = EcrClients.target(ImageRef.parse("ecr:app:v1"), OPTIONS);
    assertEquals("111122223333", t.registryId());
    assertEquals(Region.US_EAST_1, t.region());
    assertNull(t.endpoint());
  }
}
