package dev.ocitag.distribution.testing;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.testing.TestImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Pushes test images into a {@link RealRegistry} through the distribution API with the JDK's own
 * HTTP client (over TLS trusting only the test CA in TLS mode), independently of the backend under
 * test: blobs by monolithic upload (POST, then PUT with the digest), then the manifest's exact
 * bytes.
 */
public final class RegistrySeeder {
  private RegistrySeeder() {}

  /** A registry to seed: {@link RealRegistry}, {@link RegistryProcess}. */
  public interface Target {
    /** {@code http(s)://HOST:PORT} and the path. */
    URI url(String path);

    /** A client for it (trusting its CA where it serves TLS). */
    java.net.http.HttpClient httpClient();

    /** The Authorization header that pushes to {@code repository}, or null. */
    String authorization(String repository);
  }

  /** Seeds the image (children of an index first) under {@code tag}, or by digest when null. */
  public static void seed(Target registry, ImageRef repo, TestImage image, String tag)
      throws IOException, InterruptedException {
    for (TestImage child : image.children()) {
      seed(registry, repo, child, null);
    }
    String auth = registry.authorization(repo.repository());
    for (Map.Entry<Digest, byte[]> blob : image.blobs().entrySet()) {
      pushBlob(registry, repo, blob.getKey(), blob.getValue(), auth);
    }
    pushManifest(
        registry,
        repo,
        tag != null ? tag : image.digest().toString(),
        image.bytes(),
        image.manifest().mediaType(),
        auth);
  }

  private static URI uri(Target registry, ImageRef repo, String rest) {
    return registry.url("/v2/" + repo.repository() + "/" + rest);
  }

  private static HttpRequest.Builder request(URI uri, String auth) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return b;
  }

  public static void pushBlob(
      Target registry, ImageRef repo, Digest digest, byte[] bytes, String auth)
      throws IOException, InterruptedException {
    URI blob = uri(registry, repo, "blobs/" + digest);
    HttpResponse<Void> head =
        registry
            .httpClient()
            .send(
                request(blob, auth).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
    if (head.statusCode() == 200) {
      return;
    }
    HttpResponse<String> start =
        registry
            .httpClient()
            .send(
                request(uri(registry, repo, "blobs/uploads/"), auth)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    expect(start, 202, "start upload of " + digest);
    String location = start.headers().firstValue("Location").orElseThrow();
    URI upload = registry.url("/").resolve(location);
    String sep = upload.getRawQuery() == null ? "?" : "&";
    HttpResponse<String> put =
        registry
            .httpClient()
            .send(
                request(URI.create(upload + sep + "digest=" + digest), auth)
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    expect(put, 201, "upload of " + digest);
  }

  /** PUTs manifest bytes as they are under a tag or digest. */
  public static void pushManifest(
      Target registry, ImageRef repo, String reference, byte[] bytes, String mediaType, String auth)
      throws IOException, InterruptedException {
    HttpResponse<String> put =
        registry
            .httpClient()
            .send(
                request(uri(registry, repo, "manifests/" + reference), auth)
                    .header("Content-Type", mediaType)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    expect(put, 201, "push of manifest " + reference);
  }

  private static void expect(HttpResponse<String> r, int code, String what) {
    if (r.statusCode() != code) {
      throw new IllegalStateException(
          what + ": the registry answered " + r.statusCode() + " " + r.body());
    }
  }
}
