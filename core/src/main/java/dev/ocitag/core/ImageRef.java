package dev.ocitag.core;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image reference: which store holds the repository, which repository, and optionally a tag and
 * a digest.
 *
 * <p>Which backend serves a reference is its providers' claim ({@link Backends#parse}): core knows
 * the docker reference grammar (registry, path, tag, digest, with Docker Hub normalization), which
 * most stores use, and nothing of any backend's own forms.
 *
 * @param transport the word that names the kind of store, as the provider that claimed the
 *     reference calls it ({@code docker} for the distribution API); for a reference without a
 *     registry it is also its prefix ({@code TRANSPORT:REPOSITORY})
 * @param registry the registry host[:port], or empty for a store named by the transport alone
 * @param tag may be null
 * @param digest may be null
 */
public record ImageRef(
    String transport, String registry, String repository, String tag, Digest digest) {

  /** The transport of the docker reference grammar: any registry, through the distribution API. */
  public static final String DOCKER = "docker";

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

  /** Parses any reference form that an installed provider claims (see {@link Backends#parse}). */
  public static ImageRef parse(String text) {
    return Backends.parse(text);
  }

  /**
   * Parses the docker reference grammar ({@code [docker://][HOST[:PORT]/]PATH[:TAG][@DIGEST]},
   * Docker Hub normalized); throws {@link OcitagException.InvalidInput} naming the bad part. The
   * result's transport is {@link #DOCKER}; a provider that serves some of these registries relabels
   * it.
   */
  public static ImageRef parseDocker(String text) {
    checkText(text);
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
    return new ImageRef(DOCKER, registry, path, parts.tag, parts.digest);
  }

  /**
   * Parses {@code PATH[:TAG][@DIGEST]} by the docker grammar's rules for path, tag and digest, for
   * a store named by its transport alone ({@code TRANSPORT:PATH...}, no registry).
   *
   * @param text the whole reference, for messages
   * @param body the part after the transport's prefix
   */
  public static ImageRef parseRepository(String transport, String text, String body) {
    checkText(text);
    Parts parts = Parts.split(text, body);
    validatePath(text, parts.name);
    return new ImageRef(transport, "", parts.name, parts.tag, parts.digest);
  }

  /** Refuses empty references and white space, the first checks of every grammar. */
  public static void checkText(String text) {
    Objects.requireNonNull(text, "reference");
    if (text.isBlank()) {
      throw invalid(text, "the reference is empty");
    }
    if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isWhitespace)) {
      throw invalid(text, "it contains white space");
    }
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

  /** A digest within a reference; a bad one is named with the reference. */
  public static Digest parseDigest(String text, String digest) {
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

  /** The error for a bad reference: invalid reference 'TEXT': WHY. */
  public static OcitagException.InvalidInput invalid(String text, String why) {
    return new OcitagException.InvalidInput("invalid reference '" + text + "': " + why);
  }

  /**
   * A target given on the command line: a bare tag (no {@code /}, {@code :} or {@code @}) means the
   * source's repository, read by the grammar that read the source; anything else is a full
   * reference.
   */
  public static ImageRef target(ImageRef source, String arg) {
    boolean bareTag = arg.indexOf('/') < 0 && arg.indexOf('@') < 0 && arg.indexOf(':') < 0;
    if (!bareTag) {
      return parse(arg);
    }
    String full = source.repositoryName() + ":" + arg;
    try {
      return parse(full);
    } catch (OcitagException.InvalidInput e) { // named as it was given
      throw new OcitagException.InvalidInput(
          e.getMessage()
              .replace("invalid reference '" + full + "'", "invalid reference '" + arg + "'"));
    }
  }

  /** The same repository with this tag and no digest (not checked: see {@link #target}). */
  public ImageRef withTag(String newTag) {
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

  /** The repository in the form it was given, without tag or digest. */
  public String repositoryName() {
    return registry.isEmpty() ? transport + ":" + repository : registry + "/" + repository;
  }

  // equals and hashCode by hand: the record's generated ones bootstrap ObjectMethods at run time,
  // some 30 method-handle classes that a class data archive cannot hold (~10 ms of a cold start)

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageRef r
        && transport.equals(r.transport)
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
