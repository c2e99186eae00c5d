package dev.ocitag.distribution.testing;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Real images from an independent producer: Jib core builds them from scratch (two layers of files
 * written here, an entrypoint, a label, a config) and pushes them to a {@link RealRegistry} with
 * its own registry client, the way a Java project's build would. What ocitag then reads and writes
 * is what Jib serialized, not anything ocitag or the test's seeder wrote.
 *
 * <p>Jib makes an OCI image manifest or a Docker v2 schema 2 manifest, and, for several platforms,
 * a Docker manifest list; it cannot make an OCI index ("Build an OCI image index is not yet
 * supported", Jib core 0.28.1).
 */
public final class JibImages {
  private JibImages() {}

  /** What Jib pushed: where, and the digest Jib reports for the manifest (or list) it wrote. */
  public record Pushed(ImageRef ref, Digest digest) {}

  /** A single-platform image in {@code format} ({@code OCI} or {@code Docker}). */
  public static Pushed image(
      RealRegistry registry, ImageRef ref, ImageFormat format, Path work, String salt)
      throws Exception {
    return push(registry, ref, builder(work, salt).setFormat(format), work);
  }

  /**
   * A Docker manifest list of an image per platform (linux/amd64 and linux/arm64), each with its
   * own config: Jib's multi-platform build.
   */
  public static Pushed manifestList(RealRegistry registry, ImageRef ref, Path work, String salt)
      throws Exception {
    Set<Platform> platforms = new LinkedHashSet<>();
    platforms.add(new Platform("amd64", "linux"));
    platforms.add(new Platform("arm64", "linux"));
    return push(
        registry,
        ref,
        builder(work, salt).setFormat(ImageFormat.Docker).setPlatforms(platforms),
        work);
  }

  private static JibContainerBuilder builder(Path work, String salt) throws Exception {
    Path app = Files.createDirectories(work.resolve("app-" + salt));
    Path config = Files.createDirectories(work.resolve("config-" + salt));
    Path greeting = Files.writeString(app.resolve("greeting.txt"), "hello from " + salt + "\n");
    Path binary = app.resolve("run.sh");
    Files.writeString(binary, "#!/bin/sh\ncat /app/greeting.txt\n");
    Path settings = Files.writeString(config.resolve("settings.properties"), "salt=" + salt + "\n");
    return Jib.fromScratch()
        .addLayer(List.of(greeting, binary), AbsoluteUnixPath.get("/app"))
        .addLayer(List.of(settings), AbsoluteUnixPath.get("/etc/app"))
        .setEntrypoint("/bin/sh", "/app/run.sh")
        .addLabel("dev.ocitag.test.salt", salt)
        .setCreationTime(Instant.parse("2024-01-02T03:04:05Z"));
  }

  private static Pushed push(
      RealRegistry registry, ImageRef ref, JibContainerBuilder builder, Path work)
      throws Exception {
    RegistryImage target =
        RegistryImage.named(ImageReference.of(ref.registry(), ref.repository(), ref.tag(), null));
    if (registry.mode() != RealRegistry.Mode.OPEN) {
      target.addCredential(RealRegistry.USER, RealRegistry.PASSWORD);
    }
    Containerizer containerizer =
        Containerizer.to(target)
            .setAllowInsecureRegistries(true) // the test registry serves plain HTTP
            .setBaseImageLayersCache(Files.createDirectories(work.resolve("jib-cache/base")))
            .setApplicationLayersCache(Files.createDirectories(work.resolve("jib-cache/app")))
            .setToolName("ocitag-tests");
    // Jib sends credentials over plain HTTP only when asked to, through a system property
    String key = "sendCredentialsOverHttp";
    String before = System.getProperty(key);
    System.setProperty(key, "true");
    JibContainer container;
    try {
      container = builder.containerize(containerizer);
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
    return new Pushed(ref, Digest.parse(container.getDigest().toString()));
  }
}
