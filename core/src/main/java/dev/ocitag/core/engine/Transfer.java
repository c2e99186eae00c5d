package dev.ocitag.core.engine;

/**
 * What a promotion moved for one target: blobs copied (their bytes streamed through ocitag),
 * mounted (the registry linked them from another repository, no bytes sent), skipped (the target
 * had them), foreign (non-distributable layers with {@code urls}, left behind as skopeo and crane
 * do), the child manifests written by digest, and the referrers (signatures, SBOMs, ...) written
 * with {@code --referrers}; the blobs and children of referrers count with the image's.
 *
 * @param bytes the blob bytes sent to the target
 */
public record Transfer(
    int copied, int mounted, int skipped, int foreign, long bytes, int manifests, int referrers) {

  public static final Transfer NONE = new Transfer(0, 0, 0, 0, 0, 0, 0);

  public Transfer(int copied, int mounted, int skipped, int foreign, long bytes, int manifests) {
    this(copied, mounted, skipped, foreign, bytes, manifests, 0);
  }

  Transfer plus(Transfer o) {
    return new Transfer(
        copied + o.copied,
        mounted + o.mounted,
        skipped + o.skipped,
        foreign + o.foreign,
        bytes + o.bytes,
        manifests + o.manifests,
        referrers + o.referrers);
  }
}
