package dev.ocitag.distribution;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Copies one blob from one registry to another through {@link DistributionBackend#openBlob} and
 * {@link DistributionBackend#pushBlob}, as the engine will: run by {@link BlobTransferTest} in a
 * JVM of its own with a small heap, to show a blob larger than the heap streams through.
 *
 * <p>Arguments: source repository, target repository, digest, size, docker config directory.
 */
public final class BlobCopyMain {
  private BlobCopyMain() {}

  public static void main(String[] args) throws Exception {
    ImageRef source = ImageRef.parse(args[0]);
    ImageRef target = ImageRef.parse(args[1]);
    Descriptor blob = Descriptor.of(Digest.parse(args[2]), Long.parseLong(args[3]));
    BackendOptions options =
        new BackendOptions(
            false, false, Path.of(args[4]), null, null, null, null, 4, null, null, null);
    long start = System.nanoTime();
    try (DistributionBackend from = DistributionBackend.open(source, options, Settings.defaults());
        DistributionBackend to = DistributionBackend.open(target, options, Settings.defaults());
        InputStream in = from.openBlob(source, blob)) {
      to.pushBlob(target, blob, in);
    }
    System.out.println(
        "copied "
            + blob.size()
            + " bytes in "
            + (System.nanoTime() - start) / 1_000_000
            + " ms with a heap of at most "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MiB");
  }
}
