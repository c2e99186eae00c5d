package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.TagBackendProvider;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class EcrBackendProviderTest {

  @Test
  void theProviderIsFoundForEcrReferences() {
    boolean found = false;
    for (TagBackendProvider p : ServiceLoader.load(TagBackendProvider.class)) {
      if (p instanceof EcrBackendProvider) {
        found = true;
        assertEquals("ecr", p.transport());
      }
    }
    assertTrue(found);
  }

  /**
   * Loads the provider where no AWS SDK class can be found at all: asking its transport must still
   * work, and claiming a reference and listing the options too, so loading every provider costs the
   * CLI nothing of the SDK.
   */
  @Test
  void askingTheTransportLoadsNoSdkClass() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!entry.contains("awssdk") && !entry.contains("software/amazon")) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    try (URLClassLoader isolated =
        new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      Class<?> sdk = null;
      try {
        sdk = Class.forName("software.amazon.awssdk.services.ecr.EcrClient", false, isolated);
      } catch (ClassNotFoundException expected) {
        // the point: the SDK is not there
      }
      assertEquals(null, sdk, "the isolated loader must not see the SDK");
      Class<?> spi = Class.forName("dev.ocitag.core.TagBackendProvider", true, isolated);
      Object transport = null;
      Object claimed = null;
      for (Object p : ServiceLoader.load(spi, isolated)) {
        if (p.getClass().getName().equals(EcrBackendProvider.class.getName())) {
          transport = spi.getMethod("transport").invoke(p);
          claimed =
              spi.getMethod("claim", String.class)
                  .invoke(p, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1");
          spi.getMethod("options").invoke(p);
        }
      }
      assertEquals("ecr", String.valueOf(transport));
      assertTrue(String.valueOf(claimed).contains("team/app:v1"), String.valueOf(claimed));
    }
  }
}
