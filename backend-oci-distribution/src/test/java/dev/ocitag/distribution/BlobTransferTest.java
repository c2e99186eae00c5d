package dev.ocitag.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.engine.Outcome;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.core.engine.TagResult;
import dev.ocitag.core.testing.TestImage;
import dev.ocitag.core.testing.TestImages;
import dev.ocitag.distribution.testing.CuttingProxy;
import dev.ocitag.distribution.testing.RandomBytes;
import dev.ocitag.distribution.testing.RealRegistry;
import dev.ocitag.distribution.testing.ReferrersProxy;
import dev.ocitag.distribution.testing.RegistrySeeder;
import dev.ocitag.distribution.testing.Skopeo;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link dev.ocitag.core.BlobTransfer} against real registries (anonymous, htpasswd and token
 * auth): blobs streamed from one registry to another, mounted within one, refused when their bytes
 * are wrong, and never committed when a connection drops halfway. What a registry holds is checked
 * with the JDK's own HTTP client and {@code sha256sum}, and manifests with skopeo.
 */
@Timeout(180)
class BlobTransferTest {
  @RegisterExtension static final RealRegistry OPEN = RealRegistry.open();
  @RegisterExtension static final RealRegistry BASIC = RealRegistry.basic();
  @RegisterExtension static final RealRegistry TOKEN = RealRegistry.token();

  private static final int MIB = 1024 * 1024;

  @TempDir Path temp;
  private Path dockerConfig;
  private final List<String> debug = Collections.synchronizedList(new ArrayList<>());
  private final List<DistributionBackend> opened = new ArrayList<>();
  private final Random random = new Random();

  @BeforeEach
  void credentials() throws IOException {
    dockerConfig = Files.createDirectories(temp.resolve("docker"));
    String auth =
        Base64.getEncoder()
            .encodeToString(
                (RealRegistry.USER + ":" + RealRegistry.PASSWORD).getBytes(StandardCharsets.UTF_8));
    Files.writeString(
        dockerConfig.resolve("config.json"),
        "{\"auths\":{\""
            + BASIC.host()
            + "\":{\"auth\":\""
            + auth
            + "\"},\""
            + TOKEN.host()
            + "\":{\"auth\":\""
            + auth
            + "\"}}}");
  }

  @AfterEach
  void close() {
    opened.forEach(DistributionBackend::close);
  }

  private DistributionBackend open(RealRegistry registry) {
    return open(registry.host(), null);
  }

  /** A backend for the registry at {@code host} (a registry or a proxy in front of one). */
  private DistributionBackend open(String host, Duration timeout) {
    BackendOptions options =
        BackendOptions.defaults()
            .with(RegistryOptions.DOCKER_CONFIG, dockerConfig)
            .withParallelism(4)
            .withDebug(debug::add)
            .with(RegistryOptions.TIMEOUT, timeout);
    DistributionBackend backend =
        DistributionBackend.open(ImageRef.parse(host + "/any:x"), options, Settings.defaults());
    opened.add(backend);
    return backend;
  }

  private byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  private static Descriptor descriptor(byte[] bytes) {
    return Descriptor.of(Digest.of(bytes), bytes.length);
  }

  private static void seed(RealRegistry registry, ImageRef repo, byte[] bytes) throws Exception {
    RegistrySeeder.pushBlob(
        registry, repo, Digest.of(bytes), bytes, registry.authorization(repo.repository()));
  }

  // independent checks, through the JDK's HTTP client

  private static HttpRequest.Builder independent(RealRegistry registry, ImageRef repo, URI url) {
    HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60));
    String auth = registry.authorization(repo.repository());
    return auth == null ? b : b.header("Authorization", auth);
  }

  private static URI blobUrl(RealRegistry registry, ImageRef repo, Digest digest) {
    return registry.url("/v2/" + repo.repository() + "/blobs/" + digest);
  }

  private static int headStatus(RealRegistry registry, ImageRef repo, Digest digest)
      throws Exception {
    return registry
        .httpClient()
        .send(
            independent(registry, repo, blobUrl(registry, repo, digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static byte[] get(RealRegistry registry, ImageRef repo, Digest digest) throws Exception {
    HttpResponse<byte[]> r =
        registry
            .httpClient()
            .send(
                independent(registry, repo, blobUrl(registry, repo, digest)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), "GET " + digest);
    return r.body();
  }

  /** Asserts the registry holds exactly these bytes under their digest. */
  private static void assertHolds(RealRegistry registry, ImageRef repo, byte[] bytes)
      throws Exception {
    assertEquals(200, headStatus(registry, repo, Digest.of(bytes)));
    byte[] stored = get(registry, repo, Digest.of(bytes));
    assertArrayEquals(bytes, stored);
    assertEquals(Digest.of(bytes).toString(), Skopeo.sha256sum(stored));
  }

  private long requestsLike(String prefix) {
    synchronized (debug) {
      return debug.stream().filter(l -> l.startsWith(prefix)).count();
    }
  }

  static Stream<Arguments> registryPairs() {
    return Stream.of(
        Arguments.of(Named.of("anonymous", OPEN), Named.of("to htpasswd", BASIC)),
        Arguments.of(Named.of("htpasswd", BASIC), Named.of("to token", TOKEN)),
        Arguments.of(Named.of("token", TOKEN), Named.of("to anonymous", OPEN)));
  }

  @ParameterizedTest
  @MethodSource("registryPairs")
  void aBlobStreamsFromOneRegistryToAnotherByteForByte(RealRegistry from, RealRegistry to)
      throws Exception {
    byte[] bytes = randomBytes(5 * MIB + 123);
    Descriptor blob = descriptor(bytes);
    ImageRef x = from.newRepository("source");
    ImageRef y = to.newRepository("target");
    seed(from, x, bytes);
    DistributionBackend source = open(from);
    DistributionBackend target = open(to);
    assertTrue(source.hasBlob(x, blob));
    assertFalse(target.hasBlob(y, blob));

    try (InputStream in = source.openBlob(x, blob)) {
      target.pushBlob(y, blob, in);
    }

    assertTrue(target.hasBlob(y, blob));
    assertHolds(to, y, bytes);
    // POST, then one PUT with every byte that commits them
    assertEquals(1, requestsLike("> POST"), String.valueOf(debug));
    assertEquals(0, requestsLike("> PATCH"), String.valueOf(debug));
    assertEquals(1, requestsLike("> PUT"), String.valueOf(debug));
    if (to == TOKEN) {
      List<String> scopes = TOKEN.tokenServer().orElseThrow().scopesAsked();
      assertTrue(
          scopes.contains("repository:" + y.repository() + ":pull,push")
              || scopes.contains("repository:" + y.repository() + ":push,pull"),
          scopes.toString());
    }
  }

  static Stream<Named<RealRegistry>> authenticatingRegistries() {
    return Stream.of(
        Named.of("anonymous", OPEN), Named.of("htpasswd", BASIC), Named.of("token", TOKEN));
  }

  @ParameterizedTest
  @MethodSource("authenticatingRegistries")
  void aBlobIsMountedWithinOneRegistryWithoutItsBytes(RealRegistry registry) throws Exception {
    byte[] bytes = randomBytes(MIB);
    Descriptor blob = descriptor(bytes);
    ImageRef x = registry.newRepository("mount");
    ImageRef y = registry.newRepository("mount");
    seed(registry, x, bytes);
    DistributionBackend backend = open(registry);

    assertTrue(backend.mountBlob(y, blob, x));

    assertTrue(backend.hasBlob(y, blob));
    assertHolds(registry, y, bytes);
    assertEquals(0, requestsLike("> PATCH"), String.valueOf(debug));
    assertEquals(0, requestsLike("> DELETE"), String.valueOf(debug));
    if (registry == TOKEN) {
      List<String> scopes = TOKEN.tokenServer().orElseThrow().scopesAsked();
      assertTrue(scopes.contains("repository:" + x.repository() + ":pull"), scopes.toString());
      // ours, or the one the registry's challenge names (distribution writes "push,pull")
      assertTrue(
          scopes.contains("repository:" + y.repository() + ":pull,push")
              || scopes.contains("repository:" + y.repository() + ":push,pull"),
          scopes.toString());
    }
  }

  @Test
  void aMountFromAnotherRegistryIsDeclinedWithoutARequest() {
    byte[] bytes = randomBytes(1000);
    DistributionBackend backend = open(BASIC);

    assertFalse(
        backend.mountBlob(BASIC.newRepository("m"), descriptor(bytes), OPEN.newRepository("m")));

    assertEquals(0, requestsLike("> "), String.valueOf(debug));
  }

  @Test
  void aMountTheRegistryDeclinesLeavesNoUploadOpen() throws Exception {
    byte[] bytes = randomBytes(1000); // in no repository: the registry starts an upload instead
    ImageRef x = BASIC.newRepository("nomount");
    ImageRef y = BASIC.newRepository("nomount");
    DistributionBackend backend = open(BASIC);

    assertFalse(backend.mountBlob(y, descriptor(bytes), x));

    String location;
    synchronized (debug) {
      String answer =
          debug.stream().filter(l -> l.startsWith("< 202 POST")).findFirst().orElseThrow();
      int at = answer.indexOf("| Location: ");
      location = answer.substring(at + "| Location: ".length()).split(" \\| ")[0].strip();
    }
    assertEquals(1, requestsLike("< 204 DELETE"), String.valueOf(debug));
    HttpResponse<String> status =
        BASIC
            .httpClient()
            .send(
                independent(BASIC, y, URI.create(location)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(404, status.statusCode(), "the declined mount's upload is gone: " + status.body());
    assertEquals(404, headStatus(BASIC, y, Digest.of(bytes)));
  }

  @Test
  void wrongBytesForADigestFailNamingBothAndNothingIsStored() throws Exception {
    byte[] expected = randomBytes(2 * MIB);
    byte[] other = randomBytes(2 * MIB);
    ImageRef y = TOKEN.newRepository("wrong");
    DistributionBackend backend = open(TOKEN);

    OcitagException.Failed e =
        assertThrows(
            OcitagException.Failed.class,
            () -> backend.pushBlob(y, descriptor(expected), new ByteArrayInputStream(other)));

    assertTrue(e.getMessage().contains(Digest.of(expected).toString()), e.getMessage());
    assertTrue(e.getMessage().contains(Digest.of(other).toString()), e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'));
    assertFalse(backend.hasBlob(y, descriptor(expected)));
    assertFalse(backend.hasBlob(y, descriptor(other)));
    assertEquals(404, headStatus(TOKEN, y, Digest.of(expected)));
    // the PUT broke off before its last chunk, so the registry could not commit it
    assertEquals(1, requestsLike("> PUT"), String.valueOf(debug));
    assertEquals(0, requestsLike("< 201 PUT"), "never committed: " + debug);
    // and cancelled (distribution has dropped it already when the body broke off: 404)
    assertEquals(1, requestsLike("> DELETE"), "the upload was cancelled: " + debug);
  }

  @Test
  void anEmptyBlobIsCommittedByOnePut() throws Exception {
    byte[] empty = new byte[0];
    ImageRef y = BASIC.newRepository("empty");
    DistributionBackend backend = open(BASIC);

    backend.pushBlob(y, descriptor(empty), new ByteArrayInputStream(empty));

    assertTrue(backend.hasBlob(y, descriptor(empty)));
    assertHolds(BASIC, y, empty);
    assertEquals(0, requestsLike("> PATCH"), String.valueOf(debug));
    assertEquals(1, requestsLike("< 201 PUT"), String.valueOf(debug));
  }

  @Test
  void aSourceThatEndsEarlyFailsAndNothingIsStored() throws Exception {
    byte[] bytes = randomBytes(MIB);
    ImageRef y = OPEN.newRepository("short");
    DistributionBackend backend = open(OPEN);

    OcitagException.Failed e =
        assertThrows(
            OcitagException.Failed.class,
            () ->
                backend.pushBlob(
                    y, descriptor(bytes), new ByteArrayInputStream(bytes, 0, bytes.length / 2)));

    assertTrue(e.getMessage().contains("ended after " + bytes.length / 2), e.getMessage());
    assertEquals(404, headStatus(OPEN, y, Digest.of(bytes)));
    assertEquals(0, requestsLike("< 201 PUT"), "never committed: " + debug);
  }

  @Test
  void anUploadCutHalfwayIsTransientCommitsNothingAndASecondAttemptSucceeds() throws Exception {
    byte[] bytes = randomBytes(8 * MIB);
    Descriptor blob = descriptor(bytes);
    ImageRef y = OPEN.newRepository("cut");
    try (CuttingProxy proxy =
        CuttingProxy.start(OPEN.port(), CuttingProxy.Direction.TO_SERVER, bytes.length / 2)) {
      ImageRef viaProxy = ImageRef.parse(proxy.host() + "/" + y.repository());
      DistributionBackend backend = open(proxy.host(), null);

      OcitagException.Transient e =
          assertThrows(
              OcitagException.Transient.class,
              () -> backend.pushBlob(viaProxy, blob, new ByteArrayInputStream(bytes)));

      assertEquals(1, proxy.cuts());
      assertTrue(e.getMessage().contains("broke off"), e.getMessage());
      assertTrue(e.getMessage().contains("nothing was committed"), e.getMessage());
      assertEquals(404, headStatus(OPEN, y, blob.digest()));
      assertEquals(1, requestsLike("> PUT"), "a spent body is not sent again: " + debug);

      backend.pushBlob(viaProxy, blob, new ByteArrayInputStream(bytes));
    }
    assertHolds(OPEN, y, bytes);
  }

  @Test
  void aSourceCutHalfwayIsTransientCommitsNothingAndASecondAttemptSucceeds() throws Exception {
    byte[] bytes = randomBytes(8 * MIB);
    Descriptor blob = descriptor(bytes);
    ImageRef x = OPEN.newRepository("srccut");
    ImageRef y = BASIC.newRepository("srccut");
    seed(OPEN, x, bytes);
    try (CuttingProxy proxy =
        CuttingProxy.start(OPEN.port(), CuttingProxy.Direction.TO_CLIENT, bytes.length / 2)) {
      ImageRef xViaProxy = ImageRef.parse(proxy.host() + "/" + x.repository());
      DistributionBackend source = open(proxy.host(), null);
      DistributionBackend target = open(BASIC);

      OcitagException.Transient e =
          assertThrows(
              OcitagException.Transient.class,
              () -> {
                try (InputStream in = source.openBlob(xViaProxy, blob)) {
                  target.pushBlob(y, blob, in);
                }
              });

      assertEquals(1, proxy.cuts());
      assertTrue(
          e.getMessage().contains("reading the blob from its source failed"), e.getMessage());
      assertTrue(e.getMessage().contains(blob.digest().toString()), e.getMessage());
      assertFalse(target.hasBlob(y, blob));
      assertEquals(404, headStatus(BASIC, y, blob.digest()));

      try (InputStream in = source.openBlob(xViaProxy, blob)) {
        target.pushBlob(y, blob, in);
      }
    }
    assertHolds(BASIC, y, bytes);
  }

  @Test
  void aMissingBlobIsNotFoundNamingItsDigest() throws Exception {
    byte[] bytes = randomBytes(100);
    ImageRef x = TOKEN.newRepository("missing");
    seed(TOKEN, x, randomBytes(10)); // the repository exists, the blob does not
    DistributionBackend backend = open(TOKEN);

    OcitagException.NotFound e =
        assertThrows(OcitagException.NotFound.class, () -> backend.openBlob(x, descriptor(bytes)));

    assertTrue(e.getMessage().contains(Digest.of(bytes).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("BLOB_UNKNOWN"), e.getMessage());
    assertFalse(backend.hasBlob(x, descriptor(bytes)));
  }

  @Test
  void aChildManifestIsPutByDigestAndReadsBackUnchanged() throws Exception {
    Skopeo.require();
    TestImage index = TestImages.ociIndex("by-digest");
    ImageRef repo = TOKEN.newRepository("children");
    for (TestImage child : index.children()) {
      for (Map.Entry<Digest, byte[]> b : child.blobs().entrySet()) {
        RegistrySeeder.pushBlob(
            TOKEN, repo, b.getKey(), b.getValue(), TOKEN.authorization(repo.repository()));
      }
    }
    DistributionBackend backend = open(TOKEN);

    for (TestImage child : index.children()) {
      assertEquals(child.digest(), backend.put(repo.withDigest(child.digest()), child.manifest()));
    }
    assertEquals(index.digest(), backend.put(repo.withTag("multi"), index.manifest()));

    for (TestImage child : index.children()) {
      byte[] raw = Skopeo.inspectRaw(TOKEN, repo.withDigest(child.digest()));
      assertArrayEquals(child.bytes(), raw);
      assertEquals(child.digest().toString(), Skopeo.sha256sum(raw));
    }
    assertArrayEquals(index.bytes(), Skopeo.inspectRaw(TOKEN, repo.withTag("multi")));
    assertTrue(backend.tags(repo).toList().equals(List.of("multi")), "children carry no tag");
  }

  /**
   * Four targets in one repository, in one run, from one index: each child manifest is put once and
   * the other targets wait for that put. Before, every target put every child again;
   * docker-registry 2.x rewrites a manifest's link file in place on each put, and an index put of
   * another target that read the file meanwhile was refused (MANIFEST_BLOB_UNKNOWN; found by
   * bench/soak.sh).
   */
  @Test
  void targetsInOneRepositoryPutEachChildOnce() throws Exception {
    Skopeo.require();
    TestImage index = TestImages.ociIndex("children-once");
    ImageRef src = OPEN.newRepository("src");
    ImageRef prod = OPEN.newRepository("prod");
    RegistrySeeder.seed(OPEN, src, index, "v1");
    try (ReferrersProxy proxy = ReferrersProxy.conditional(OPEN)) { // it logs every request
      DistributionBackend backend = open(proxy.host(), null);
      ImageRef via = ImageRef.parse(proxy.host() + "/" + prod.repository());
      List<ImageRef> targets = Stream.of("a", "b", "c", "d").map(via::withTag).toList();

      TagReport report =
          new TagEngine(backend, new TagEngine.Options(false, false, 8))
              .tag(ImageRef.parse(proxy.host() + "/" + src.repository() + ":v1"), targets);

      for (TagResult r : report.results()) {
        assertEquals(Outcome.CREATED, r.outcome(), r::toString);
      }
      for (TestImage child : index.children()) {
        String put = "PUT /v2/" + prod.repository() + "/manifests/" + child.digest();
        assertEquals(
            1, proxy.requests().stream().filter(put::equals).count(), proxy.requests()::toString);
      }
      assertEquals(2, report.results().stream().mapToInt(r -> r.transfer().manifests()).sum());
      for (ImageRef target : targets) {
        assertArrayEquals(index.bytes(), Skopeo.inspectRaw(OPEN, prod.withTag(target.tag())));
      }
    }
  }

  @Test
  void aManifestIsNotPutUnderADigestItsBytesDoNotHaveTo() {
    TestImage image = TestImages.ociImage("not-its-digest");
    TestImage other = TestImages.ociImage("other-digest");
    DistributionBackend backend = open(OPEN);

    OcitagException.InvalidInput e =
        assertThrows(
            OcitagException.InvalidInput.class,
            () ->
                backend.put(
                    OPEN.newRepository("nope").withDigest(other.digest()), image.manifest()));

    assertTrue(e.getMessage().contains(image.digest().toString()), e.getMessage());
    assertEquals(0, requestsLike("> "), String.valueOf(debug));
  }

  /** A source that keeps moving but slowly: 64 KiB every 100 ms. */
  private static final class Slow extends FilterInputStream {
    Slow(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
      return super.read(b, off, Math.min(len, 64 * 1024));
    }
  }

  @Test
  void anUploadThatKeepsMovingOutlastsTheTimeout() throws Exception {
    byte[] bytes = randomBytes(2 * MIB); // 32 slow reads: about 3.2 s
    ImageRef y = OPEN.newRepository("slow");
    DistributionBackend backend = open(OPEN.host(), Duration.ofSeconds(1));

    long start = System.nanoTime();
    backend.pushBlob(y, descriptor(bytes), new Slow(new ByteArrayInputStream(bytes)));
    long ms = (System.nanoTime() - start) / 1_000_000;

    assertTrue(ms > 2500, "took " + ms + " ms, more than twice the 1 s timeout");
    assertHolds(OPEN, y, bytes);
  }

  /**
   * 256 MiB from one registry to another in a JVM with a 64 MiB heap: nothing holds the blob. The
   * bytes come from a seeded generator, are seeded with the JDK's client, and are hashed again as
   * they are read back.
   */
  @Test
  void aBlobLargerThanTheHeapStreamsThroughASmallJvm() throws Exception {
    long size = 256L * MIB;
    long seed = random.nextLong();
    Digest digest = Digest.parse(RandomBytes.sha256(seed, size));
    ImageRef x = OPEN.newRepository("big");
    ImageRef y = BASIC.newRepository("big");
    seedStreaming(OPEN, x, digest, () -> new RandomBytes(seed, size), size);

    Path out = temp.resolve("child.out");
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                javaBin.toString(),
                "-Xmx64m",
                "-XX:+ExitOnOutOfMemoryError",
                "-cp",
                System.getProperty("java.class.path"),
                BlobCopyMain.class.getName(),
                x.toString(),
                y.toString(),
                digest.toString(),
                Long.toString(size),
                dockerConfig.toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    if (!child.waitFor(120, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      throw new AssertionError("the copy took over 120 s: " + Files.readString(out));
    }
    String output = Files.readString(out);
    assertEquals(0, child.exitValue(), output);
    assertTrue(output.contains("copied " + size + " bytes"), output);
    Matcher heap = Pattern.compile("at most (\\d+) MiB").matcher(output);
    assertTrue(heap.find() && Integer.parseInt(heap.group(1)) <= 64, output);

    assertEquals(200, headStatus(BASIC, y, digest));
    HttpResponse<InputStream> back =
        BASIC
            .httpClient()
            .send(
                independent(BASIC, y, blobUrl(BASIC, y, digest)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, back.statusCode());
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long count = 0;
    try (InputStream in = back.body()) {
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        sha.update(buffer, 0, n);
        count += n;
      }
    }
    assertEquals(size, count);
    assertEquals(digest.toString(), "sha256:" + HexFormat.of().formatHex(sha.digest()));
  }

  /** A monolithic upload streamed by the JDK's client: POST, then PUT ?digest= with the bytes. */
  private static void seedStreaming(
      RealRegistry registry, ImageRef repo, Digest digest, Supplier<InputStream> bytes, long size)
      throws Exception {
    HttpResponse<String> start =
        registry
            .httpClient()
            .send(
                independent(
                        registry,
                        repo,
                        registry.url("/v2/" + repo.repository() + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(202, start.statusCode(), start.body());
    URI upload = registry.url("/").resolve(start.headers().firstValue("Location").orElseThrow());
    String sep = upload.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> put =
        registry
            .httpClient()
            .send(
                independent(registry, repo, URI.create(upload + sep + "digest=" + digest))
                    .timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/octet-stream")
                    .PUT(
                        HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(bytes), size))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(201, put.statusCode(), put.body());
  }
}
