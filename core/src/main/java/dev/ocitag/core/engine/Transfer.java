package dev.ocitag.core.engine;

/**
 * What a promotion moved for one target: blobs copied (their bytes streamed through ocitag),
 * mounted (the registry linked them from another repository, no bytes sent), skipped (the target
 * had them), foreign (non-distributable layers with {@code urls}, left behind as skopeo and crane
 * do), and the child manifests written by digest.
 *
 * @param bytes the blob bytes sent to the target
 */
public record Transfer(
    int copied, int mounted, int skipped, int foreign, long bytes, int manifests) {

  public static final Transfer NONE = new Transfer(0, 0, 0, 0, 0, 0);
}
