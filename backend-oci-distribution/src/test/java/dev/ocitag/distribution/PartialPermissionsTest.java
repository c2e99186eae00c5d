package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Registries that allow only part of the API, as a proxy's or a role's rules do: a real registry
 * behind {@link FaultyProxy}, which refuses HEAD on manifests (while GET works) or the tag list.
 * The refused lookup is learnt once per backend, not paid once per target; a refused list is a
 * clear one-line error.
 */
@Timeout(60)
class PartialPermissionsTest {
  private static final String HEAD_MANIFEST = "HEAD /v2/[^ ]+/manifests/";
  private static RegistryProcess registry;
  private static final TestImage IMAGE = TestImages.ociImage("partial");
  private FaultyProxy proxy;
  private DistributionBackend backend;
  private final List<String> debug = java.util.Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void start() throws Exception {
    registry = RegistryProcess.start();
    RegistrySeeder.seed(registry, registry.ref("team/app"), IMAGE, "src");
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  @AfterEach
  void close() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  private ImageRef repo() {
    return ImageRef.parse(proxy.host() + "/team/app");
  }

  private DistributionBackend open() {
    backend =
        DistributionBackend.open(
            repo(), BackendOptions.defaults().withDebug(debug::add), Settings.defaults());
    return backend;
  }

  @ParameterizedTest
  @ValueSource(ints = {403, 405, 501})
  void aRefusedHeadIsLearntOnceAndEveryTargetIsResolvedWithGet(int status) throws Exception {
    Skopeo.require();
    proxy = FaultyProxy.start(registry.port()).refusing(HEAD_MANIFEST, status);
    open();
    List<ImageRef> targets = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      targets.add(repo().withTag("h" + status + "-" + i));
    }
    TagEngine engine = new TagEngine(backend, new TagEngine.Options(false, false, 1));

    TagReport first = engine.tag(repo().withTag("src"), targets);
    TagReport again = engine.tag(repo().withTag("src"), targets);

    for (TagResult r : first.results()) {
      assertEquals(Outcome.CREATED, r.outcome(), r::toString);
    }
    for (TagResult r : again.results()) {
      assertEquals(Outcome.UNCHANGED, r.outcome(), r::toString);
    }
    assertEquals(1, proxy.refused(), "one refused HEAD, then GET alone: " + proxy.counts());
    assertTrue(
        debug.stream().anyMatch(l -> l.contains("refuses HEAD on manifests (" + status + ")")),
        String.valueOf(debug));
    byte[] raw = Skopeo.inspectRaw(registry.ref("team/app:h" + status + "-5"));
    assertArrayEquals(IMAGE.bytes(), raw);
  }

  @Test
  void whereGetIsRefusedTooItIsDeniedAndNothingIsLearnt() throws Exception {
    proxy =
        FaultyProxy.start(registry.port())
            .refusing(HEAD_MANIFEST, 403)
            .refusing("GET /v2/[^ ]+/manifests/", 403);
    open();

    OcitagException.Denied e =
        assertThrows(OcitagException.Denied.class, () -> backend.resolve(repo().withTag("src")));
    assertThrows(OcitagException.Denied.class, () -> backend.resolve(repo().withTag("src")));

    assertTrue(e.getMessage().contains("403 DENIED"), e.getMessage());
    assertEquals(4, proxy.refused(), "HEAD and GET, twice: " + proxy.counts());
  }

  @Test
  void aRefusedTagListIsOneClearLineAndDenied() throws Exception {
    proxy = FaultyProxy.start(registry.port()).refusing("GET /v2/[^ ]+/tags/list", 403);
    open();

    OcitagException.Denied e =
        assertThrows(OcitagException.Denied.class, () -> backend.tags(repo()));

    assertEquals(
        "list tags of "
            + repo()
            + ": the registry refuses to list its tags (403 DENIED: not allowed here)",
        e.getMessage());
    // what needs no list still works
    assertEquals(IMAGE.digest(), backend.resolve(repo().withTag("src")).orElseThrow());
  }

  @Test
  void aRegistryThatDoesNotListTagsSaysSo() throws Exception {
    proxy = FaultyProxy.start(registry.port()).refusing("GET /v2/[^ ]+/tags/list", 405);
    open();

    OcitagException.Failed e =
        assertThrows(OcitagException.Failed.class, () -> backend.tags(repo()));

    assertTrue(e.getMessage().contains("does not list tags (405 DENIED"), e.getMessage());
  }
}
