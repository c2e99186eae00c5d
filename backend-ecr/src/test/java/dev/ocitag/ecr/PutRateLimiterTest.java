package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.OcitagException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class PutRateLimiterTest {

  @Test
  void aBurstGoesAtOnceAndTheRestAtTheRate() throws Exception {
    PutRateLimiter limiter = new PutRateLimiter(50, 5);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    long start = System.nanoTime();
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      calls.add(pool.submit(limiter::acquire));
    }
    for (Future<?> f : calls) {
      f.get();
    }
    pool.shutdown();
    double seconds = (System.nanoTime() - start) / 1e9;
    // 5 at once, 20 more at 50 per second: 0.4 s at least.
    assertTrue(seconds >= 0.38, "took " + seconds + " s");
    assertTrue(seconds < 2.0, "took " + seconds + " s");
  }

  @Test
  void theDefaultIsTenPerSecondAndNonsenseIsRefused() {
    assertTrue(PutRateLimiter.fromEnvironment().perSecond() > 0);
    assertThrows(OcitagException.InvalidInput.class, () -> new PutRateLimiter(0, 1));
    System.setProperty("ocitag.ecr.putRate", "fast");
    try {
      assertThrows(OcitagException.InvalidInput.class, PutRateLimiter::fromEnvironment);
    } finally {
      System.clearProperty("ocitag.ecr.putRate");
    }
  }
}
