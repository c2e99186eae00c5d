package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.RegistrySeeder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the contract does not pin down: how untag works on distribution 2.x (which deletes only by
 * digest), with and without deletes enabled, and tag lists asked for in pages.
 */
class UntagAndPagesTest {
  @RegisterExtension static final RealRegistry REGISTRY = RealRegistry.open();

  @RegisterExtension static final RealRegistry NO_DELETE = RealRegistry.open().withoutDelete();

  private static DistributionBackend open(
      RealRegistry registry, Settings settings, List<String> debug) {
    BackendOptions options = BackendOptions.defaults().withParallelism(4).withDebug(debug::add);
    return DistributionBackend.open(registry.ref("any:x"), options, settings);
  }

  private static void tag(DistributionBackend backend, ImageRef repo, String src, String... tags) {
    new TagEngine(backend, TagEngine.Options.defaults())
        .tag(repo.withTag(src), List.of(tags).stream().map(repo::withTag).toList());
  }

  @Test
  void untagLeavesNoPlaceholderBehindAndKeepsTheImage() throws Exception {
    ImageRef repo = REGISTRY.newRepository("untag");
    TestImage image = TestImages.ociIndex("untag");
    RegistrySeeder.seed(REGISTRY, repo, image, "src");
    List<String> debug = new ArrayList<>();
    try (DistributionBackend backend = open(REGISTRY, Settings.defaults(), debug)) {
      tag(backend, repo, "src", "a", "b");

      backend.untag(repo.withTag("a"));

      String deleted =
          debug.stream()
              .filter(l -> l.startsWith("> DELETE ") && l.contains("/manifests/sha256:"))
              .reduce((x, y) -> y)
              .orElseThrow();
      int at = deleted.indexOf("sha256:");
      Digest placeholder = Digest.parse(deleted.substring(at, at + 71));
      assertThrows(
          OcitagException.NotFound.class, () -> backend.fetch(repo.withDigest(placeholder)));
      assertEquals(Set.of("src", "b"), backend.tags(repo).collect(Collectors.toSet()));
      assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("b")).bytes());
      for (TestImage child : image.children()) {
        assertArrayEquals(child.bytes(), backend.fetch(repo.withDigest(child.digest())).bytes());
      }
    }
  }

  @Test
  void withoutDeletesUntagIsRefusedAndTheTagStays() throws Exception {
    ImageRef repo = NO_DELETE.newRepository("nodelete");
    TestImage image = TestImages.dockerImage("nodelete");
    RegistrySeeder.seed(NO_DELETE, repo, image, "src");
    try (DistributionBackend backend = open(NO_DELETE, Settings.defaults(), new ArrayList<>())) {
      tag(backend, repo, "src", "keep");

      OcitagException.Refused e =
          assertThrows(OcitagException.Refused.class, () -> backend.untag(repo.withTag("keep")));

      assertTrue(e.getMessage().contains("storage.delete.enabled"), e.getMessage());
      assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("keep")));
      assertArrayEquals(image.bytes(), backend.fetch(repo.withTag("keep")).bytes());
      assertEquals(Set.of("src", "keep"), backend.tags(repo).collect(Collectors.toSet()));
    }
  }

  @Test
  void tagsWithAPageSizeListEveryTag() throws Exception {
    ImageRef repo = REGISTRY.newRepository("pages");
    TestImage image = TestImages.ociImage("pages");
    RegistrySeeder.seed(REGISTRY, repo, image, "src");
    List<String> debug = new ArrayList<>();
    try (DistributionBackend backend =
        open(REGISTRY, Settings.defaults().withTagsPageSize(7), debug)) {
      String[] tags = IntStream.range(0, 30).mapToObj(i -> "p" + i).toArray(String[]::new);
      tag(backend, repo, "src", tags);
      debug.clear();

      List<String> listed = backend.tags(repo).toList();

      assertEquals(31, listed.size());
      assertEquals(31, Set.copyOf(listed).size());
      long pages =
          debug.stream().filter(l -> l.startsWith("> GET") && l.contains("/tags/list")).count();
      // distribution 2.8 ignores n on tags/list (it pages only _catalog) and answers in one page;
      // registries that page (distribution v3, Harbor, GHCR) send Link: FaultInjectionTest has
      // those
      assertTrue(pages == 1 || pages == 5, "31 tags at n=7: " + debug);
    }
  }

  @Test
  void tenTagsCostOneGetAndOneHeadAndOnePutEach() throws Exception {
    ImageRef repo = REGISTRY.newRepository("requests");
    TestImage image = TestImages.dockerManifestList("requests");
    RegistrySeeder.seed(REGISTRY, repo, image, "src");
    List<String> debug = java.util.Collections.synchronizedList(new ArrayList<>());
    try (DistributionBackend backend = open(REGISTRY, Settings.defaults(), debug)) {
      String[] tags = IntStream.range(0, 10).mapToObj(i -> "r" + i).toArray(String[]::new);
      tag(backend, repo, "src", tags);
    }
    // the registry speaks plain HTTP on loopback: a TLS hello probe (no HTTP request) tells so
    // before the first request, and the requests sent meanwhile wait for that answer
    List<String> all = debug.stream().filter(l -> l.startsWith("> ")).toList();
    assertEquals(0, all.stream().filter(l -> l.contains(" https://")).count(), all.toString());
    assertTrue(debug.stream().anyMatch(l -> l.contains("answered a TLS hello in plain HTTP")));
    List<String> plain = all.stream().filter(l -> l.contains(" http://")).toList();
    assertEquals(1, plain.stream().filter(l -> l.startsWith("> GET")).count(), all.toString());
    assertEquals(10, plain.stream().filter(l -> l.startsWith("> HEAD")).count());
    assertEquals(10, plain.stream().filter(l -> l.startsWith("> PUT")).count());
    assertEquals(21, plain.size());
  }

  @Test
  void untagOfADigestOrAMissingTagIsRefusedPlainly() throws Exception {
    ImageRef repo = REGISTRY.newRepository("untag-input");
    TestImage image = TestImages.ociImage("untag-input");
    RegistrySeeder.seed(REGISTRY, repo, image, "src");
    try (DistributionBackend backend = open(REGISTRY, Settings.defaults(), new ArrayList<>())) {
      assertThrows(
          OcitagException.InvalidInput.class, () -> backend.untag(repo.withDigest(image.digest())));
      assertThrows(OcitagException.NotFound.class, () -> backend.untag(repo.withTag("absent")));
      assertEquals(Optional.of(image.digest()), backend.resolve(repo.withTag("src")));
    }
  }
}
