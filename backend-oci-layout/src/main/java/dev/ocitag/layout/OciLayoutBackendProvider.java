package dev.ocitag.layout;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagBackendProvider;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Serves {@code oci:PATH[:TAG][@DIGEST]} references: an OCI image layout on disk, one store per
 * path. As skopeo reads them: the path ends at the first colon, the rest is the tag, which may be
 * any {@code org.opencontainers.image.ref.name}.
 */
public final class OciLayoutBackendProvider implements TagBackendProvider {
  public static final String TRANSPORT = "oci";
  private static final String PREFIX = TRANSPORT + ":";

  // org.opencontainers.image.ref.name, per the image-spec's annotation rules
  private static final String REF_COMPONENT = "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*";
  private static final Pattern LAYOUT_TAG =
      Pattern.compile(REF_COMPONENT + "(?:/" + REF_COMPONENT + ")*");

  @Override
  public String transport() {
    return TRANSPORT;
  }

  @Override
  public int specificity() {
    return 100;
  }

  @Override
  public Optional<ImageRef> claim(String text) {
    if (!text.startsWith(PREFIX)) {
      return Optional.empty();
    }
    ImageRef.checkText(text);
    String body = text.substring(PREFIX.length());
    Digest digest = null;
    int at = body.lastIndexOf('@');
    if (at >= 0 && body.indexOf(':', at) > at) {
      digest = ImageRef.parseDigest(text, body.substring(at + 1));
      body = body.substring(0, at);
    }
    String tag = null;
    int colon = body.indexOf(':');
    if (colon >= 0) {
      tag = body.substring(colon + 1);
      body = body.substring(0, colon);
      if (!LAYOUT_TAG.matcher(tag).matches()) {
        throw ImageRef.invalid(
            text, "layout tag '" + tag + "' is not a valid org.opencontainers.image.ref.name");
      }
    }
    if (body.isEmpty()) {
      throw ImageRef.invalid(text, "the layout path is empty (want oci:PATH[:TAG|@DIGEST])");
    }
    return Optional.of(new ImageRef(TRANSPORT, "", body, tag, digest));
  }

  /** One store per layout directory. */
  @Override
  public String store(ImageRef ref) {
    return ref.repository();
  }

  @Override
  public TagBackend open(ImageRef ref, BackendOptions options) {
    return new OciLayoutBackend();
  }
}
