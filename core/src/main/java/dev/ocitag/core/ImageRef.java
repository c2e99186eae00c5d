package dev.ocitag.core;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image reference: where the repository lives, which repository, and optionally a tag and a
 * digest.
 *
 * <p>Forms:
 *
 * <ul>
 *   <li>{@code oci:PATH[:TAG][@DIGEST]}: an OCI image layout on disk; {@link #repository()} is the
 *       path.
 *   <li>{@code ecr:REPO[:TAG][@DIGEST]}: Amazon ECR in the configured account and region; {@link
 *       #registry()} is empty.
 *   <li>{@code ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO...}: Amazon ECR, account and region from
 *       the host.
 *   <li>anything else: the docker reference grammar, with Docker Hub normalization, served through
 *       the OCI distribution API. A leading {@code docker://} is accepted.
 * </ul>
 *
 * @param tag may be null
 * @param digest may be null
 */
public record ImageRef(
    Transport transport, String registry, String repository, String tag, Digest digest) {

  /** Which kind of store holds the repository; backends are chosen by it. */
  public enum Transport {
    OCI_LAYOUT("oci:"),
    ECR("ecr:"),
    DISTRIBUTION("");

    private final String prefix;

    Transport(String prefix) {
      this.prefix = prefix;
    }
  }

  public static final String DOCKER_HUB = "docker.io";
  private static final int NAME_MAX = 255;
  private static final int TAG_MAX = 128;

  private static final String ALNUM = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[_.]|__|-+)";
  private static final Pattern PATH_COMPONENT =
      Pattern.compile(ALNUM + "(?:" + SEPARATOR + ALNUM + ")*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0," + (TAG_MAX - 1) + "}");
  private static final Pattern DOMAIN_COMPONENT =
      Pattern.compile("(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])");
  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?:"
              + DOMAIN_COMPONENT
              + "(?:\\."
              + DOMAIN_COMPONENT
              + ")*|\\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\\])(?::[0-9]+)?");

  public ImageRef {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
  }

  /**
   * Parses any of the reference forms; throws {@link OcitagException.InvalidInput} naming the bad
   * part.
   */
  public static ImageRef parse(String text) {
    Objects.requireNonNull(text, "reference");
    if (text.isBlank()) {
      throw invalid(text, "the reference is empty");
    }
    if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isWhitespace)) {
      throw invalid(text, "it contains white space");
    }
    if (text.startsWith(Transport.OCI_LAYOUT.prefix)) {
      return parseLayout(text);
    }
    if (text.startsWith(Transport.ECR.prefix)) {
      Parts parts = Parts.split(text, text.substring(Transport.ECR.prefix.length()));
      validatePath(text, parts.name);
      return new ImageRef(Transport.ECR, "", parts.name, parts.tag, parts.digest);
    }
    String body = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
    Parts parts = Parts.split(text, body);
    String name = parts.name;
    String registry = DOCKER_HUB;
    String path = name;
    int slash = name.indexOf('/');
    if (slash > 0) {
      String first = name.substring(0, slash);
      // distribution's splitDockerDomain: a domain has a dot, a port, is localhost or has capitals
      if (first.contains(".")
          || first.contains(":")
          || first.equals("localhost")
          || !first.toLowerCase(Locale.ROOT).equals(first)
          || first.startsWith("[")) {
        registry = first;
        path = name.substring(slash + 1);
      }
    }
    if (!DOMAIN.matcher(registry).matches()) {
      throw invalid(text, "registry '" + registry + "' is not a valid host[:port]");
    }
    registry = registry.equals("index.docker.io") ? DOCKER_HUB : registry;
    if (registry.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
      path = "library/" + path;
    }
    validatePath(text, path);
    if (registry.length() + 1 + path.length() > NAME_MAX) {
      throw invalid(text, "the name is longer than " + NAME_MAX + " characters");
    }
    Transport transport = isEcrHost(registry) ? Transport.ECR : Transport.DISTRIBUTION;
    return new ImageRef(transport, registry, path, parts.tag, parts.digest);
  }

  private static ImageRef parseLayout(String text) {
    String body = text.substring(Transport.OCI_LAYOUT.prefix.length());
    Digest digest = null;
    int at = body.lastIndexOf('@');
    if (at >= 0 && body.indexOf(':', at) > at) {
      digest = parseDigest(text, body.substring(at + 1));
      body = body.substring(0, at);
    }
    // As skopeo does: the path ends at the first colon, the rest is the tag.
    String tag = null;
    int colon = body.indexOf(':');
    if (colon >= 0) {
      tag = body.substring(colon + 1);
      body = body.substring(0, colon);
      validateLayoutTag(text, tag);
    }
    if (body.isEmpty()) {
      throw invalid(text, "the layout path is empty (want oci:PATH[:TAG|@DIGEST])");
    }
    return new ImageRef(Transport.OCI_LAYOUT, "", body, tag, digest);
  }

  /** The part of a reference text that names the repository, the tag and the digest. */
  private record Parts(String name, String tag, Digest digest) {
    static Parts split(String text, String body) {
      Digest digest = null;
      int at = body.indexOf('@');
      if (at >= 0) {
        digest = parseDigest(text, body.substring(at + 1));
        body = body.substring(0, at);
      }
      String tag = null;
      int colon = body.lastIndexOf(':');
      if (colon > body.lastIndexOf('/')) {
        tag = body.substring(colon + 1);
        body = body.substring(0, colon);
        validateTag(text, tag);
      }
      if (body.isEmpty()) {
        throw invalid(text, "the repository name is empty");
      }
      return new Parts(body, tag, digest);
    }
  }

  private static Digest parseDigest(String text, String digest) {
    try {
      return Digest.parse(digest);
    } catch (OcitagException.InvalidInput e) {
      throw invalid(text, e.getMessage());
    }
  }

  private static void validatePath(String text, String path) {
    for (String component : path.split("/", -1)) {
      if (component.isEmpty()) {
        throw invalid(text, "repository '" + path + "' has an empty path component");
      }
      if (!PATH_COMPONENT.matcher(component).matches()) {
        String why =
            component.toLowerCase(Locale.ROOT).equals(component)
                ? " may hold only a-z, 0-9 and single separators (. _ __ -) between them"
                : " must be lower-case";
        throw invalid(text, "repository component '" + component + "'" + why);
      }
    }
  }

  private static void validateTag(String text, String tag) {
    if (tag.length() > TAG_MAX) {
      throw invalid(text, "tag is longer than " + TAG_MAX + " characters");
    }
    if (!TAG.matcher(tag).matches()) {
      throw invalid(
          text,
          "tag '"
              + tag
              + "' may hold only letters, digits, '_', '.' and '-', and not start with '.' or '-'");
    }
  }

  private static void validateLayoutTag(String text, String tag) {
    if (!RarePatterns.LAYOUT_TAG.matcher(tag).matches()) {
      throw invalid(
          text, "layout tag '" + tag + "' is not a valid org.opencontainers.image.ref.name");
    }
  }

  private static OcitagException.InvalidInput invalid(String text, String why) {
    return new OcitagException.InvalidInput("invalid reference '" + text + "': " + why);
  }

  /**
   * A target given on the command line: a bare tag means the source's repository; anything with a
   * scheme, a slash or an {@code @} is a full reference.
   */
  public static ImageRef target(ImageRef source, String arg) {
    boolean bareTag =
        !arg.startsWith(Transport.OCI_LAYOUT.prefix)
            && !arg.startsWith(Transport.ECR.prefix)
            && arg.indexOf('/') < 0
            && arg.indexOf('@') < 0
            && arg.indexOf(':') < 0;
    return bareTag ? source.withTag(arg) : parse(arg);
  }

  /** The same repository with this tag and no digest. */
  public ImageRef withTag(String newTag) {
    if (transport == Transport.OCI_LAYOUT) {
      validateLayoutTag(newTag, newTag);
    } else {
      validateTag(newTag, newTag);
    }
    return new ImageRef(transport, registry, repository, newTag, null);
  }

  /** The same repository at this digest, with no tag. */
  public ImageRef withDigest(Digest newDigest) {
    return new ImageRef(transport, registry, repository, null, newDigest);
  }

  /** The repository alone, without tag or digest. */
  public ImageRef repositoryRef() {
    return new ImageRef(transport, registry, repository, null, null);
  }

  /** Whether both name the same repository in the same store. */
  public boolean sameRepository(ImageRef other) {
    return repositoryRef().equals(other.repositoryRef());
  }

  /** The tag if there is one, else the digest: what a registry's manifest path takes. */
  public String reference() {
    if (digest != null) {
      return digest.toString();
    }
    if (tag != null) {
      return tag;
    }
    throw new OcitagException.InvalidInput("reference '" + this + "' names no tag or digest");
  }

  /** For an ECR host reference, its account and region. */
  public Optional<EcrRegistry> ecrRegistry() {
    if (!registry.contains(".dkr")) {
      return Optional.empty();
    }
    Matcher m = RarePatterns.ECR_HOST.matcher(registry);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new EcrRegistry(m.group(1), m.group(3), m.group(2) != null));
  }

  /** Every ECR host has {@code .dkr.} or {@code .dkr-} in it: others skip the pattern. */
  private static boolean isEcrHost(String registry) {
    return registry.contains(".dkr") && RarePatterns.ECR_HOST.matcher(registry).matches();
  }

  /** The account (registryId) and region of an ECR registry host. */
  public record EcrRegistry(String registryId, String region, boolean fips) {}

  /** The repository in the form it was given, without tag or digest. */
  public String repositoryName() {
    return switch (transport) {
      case OCI_LAYOUT -> transport.prefix + repository;
      case ECR -> registry.isEmpty() ? transport.prefix + repository : registry + "/" + repository;
      case DISTRIBUTION -> registry + "/" + repository;
    };
  }

  /**
   * Patterns only some references need, compiled on first use: a cold registry retag does not pay
   * for them (each regex costs a cold JVM about a millisecond to compile).
   */
  private static final class RarePatterns {
    // org.opencontainers.image.ref.name, per the image-spec's annotation rules
    private static final String REF_COMPONENT = "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*";
    static final Pattern LAYOUT_TAG =
        Pattern.compile(REF_COMPONENT + "(?:/" + REF_COMPONENT + ")*");
    // The host rule of amazon-ecr-credential-helper, including FIPS and the isolated partitions
    static final Pattern ECR_HOST =
        Pattern.compile(
            "^(\\d{12})\\.dkr[.-]ecr(-fips)?\\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\\."
                + "(amazonaws\\.com(?:\\.cn)?|sc2s\\.sgov\\.gov|c2s\\.ic\\.gov|cloud\\.adc-e\\.uk"
                + "|csp\\.hci\\.ic\\.gov)$");
  }

  // equals and hashCode by hand: the record's generated ones bootstrap ObjectMethods at run time,
  // some 30 method-handle classes that a class data archive cannot hold (~10 ms of a cold start)

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageRef r
        && transport == r.transport
        && registry.equals(r.registry)
        && repository.equals(r.repository)
        && Objects.equals(tag, r.tag)
        && Objects.equals(digest, r.digest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(transport, registry, repository, tag, digest);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(repositoryName());
    if (tag != null) {
      s.append(':').append(tag);
    }
    if (digest != null) {
      s.append('@').append(digest);
    }
    return s.toString();
  }
}
