package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.FaultyProxy;
import dev.ocitag.distribution.testing.RegistryProcess;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A registry that is alive but overloaded: a real registry behind {@link FaultyProxy}, which
 * answers a quarter of the requests 503, a ninth 429 (half with Retry-After), and drops a seventh
 * of the connections. Each request is retried until its deadline, not for a fixed few attempts, so
 * every tag of every run lands, byte-exact. Before, one run in three lost a tag ("the registry
 * answered 503").
 */
@Timeout(120)
class OverloadTest {
  private static final int RUNS = 3;
  private static final int TAGS = 20;

  /** The backoff of a busy CI machine's test, short; retries bounded by the deadline alone. */
  private static final Settings SETTINGS =
      Settings.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(400));

  private static RegistryProcess registry;
  private static FaultyProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    registry = RegistryProcess.start();
    proxy = FaultyProxy.start(registry.port()).overloading(1 / 7.0, 1 / 4.0, 1 / 9.0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void everyTagOfEveryRunLandsByteExact() throws Exception {
    Skopeo.require();
    TestImage image = TestImages.ociImage("overloaded");
    ImageRef direct = registry.ref("team/app");
    RegistrySeeder.seed(registry, direct, image, "src");
    ImageRef repo = ImageRef.parse(proxy.host() + "/team/app");

    long start = System.nanoTime();
    List<ImageRef> landed = new ArrayList<>();
    for (int run = 1; run <= RUNS; run++) {
      List<ImageRef> targets = new ArrayList<>();
      for (int i = 0; i < TAGS; i++) {
        targets.add(repo.withTag("run" + run + "-" + i));
      }
      TagReport report;
      // one backend per run, as one command has
      try (DistributionBackend backend =
          DistributionBackend.open(
              repo,
              BackendOptions.defaults().with(RegistryOptions.TIMEOUT, Duration.ofSeconds(20)),
              SETTINGS)) {
        report =
            new TagEngine(backend, new TagEngine.Options(false, false, 8))
                .tag(repo.withTag("src"), targets);
      }
      int r = run;
      System.out.printf(
          "OverloadTest: run %d done after %d ms (%s)%n",
          run, (System.nanoTime() - start) / 1_000_000, proxy.counts());
      for (TagResult result : report.results()) {
        assertEquals(
            Outcome.CREATED,
            result.outcome(),
            () -> "run " + r + ": " + result + " (" + proxy.counts() + ")");
        assertEquals(image.digest(), result.digest());
      }
      assertEquals(TAGS, report.results().size());
      for (ImageRef target : targets) {
        // read back from the registry itself, not through the faults
        assertArrayEquals(image.bytes(), manifest(direct.withTag(target.tag())), target.tag());
        landed.add(direct.withTag(target.tag()));
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;

    for (ImageRef spot :
        List.of(landed.get(0), landed.get(TAGS + 7), landed.get(landed.size() - 1))) {
      byte[] raw = Skopeo.inspectRaw(spot);
      assertArrayEquals(image.bytes(), raw, spot.toString());
      assertEquals(image.digest().toString(), Skopeo.sha256sum(raw), spot.toString());
    }
    assertTrue(
        proxy.dropped() > 0 && proxy.answered503() > 0 && proxy.answered429() > 0, proxy.counts());
    assertTrue(millis < 30_000, RUNS + " runs took " + millis + " ms; " + proxy.counts());
  }

  private static byte[] manifest(ImageRef ref) throws Exception {
    HttpResponse<byte[]> answer =
        registry
            .httpClient()
            .send(
                HttpRequest.newBuilder(
                        registry.url("/v2/" + ref.repository() + "/manifests/" + ref.tag()))
                    .header("Accept", String.join(", ", MediaTypes.ALL))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, answer.statusCode(), ref.toString());
    return answer.body();
  }
}
