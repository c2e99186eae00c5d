package dev.ocitag.distribution;

/**
 * The token scope a request needs, carried by its {@link HttpRequest}: {@code
 * repository:<name>:<actions>}, and for a request that touches two repositories (a blob mount pulls
 * from one and pushes to the other) the second one too: {@code repository:<to>:pull,push
 * repository:<from>:pull}. {@link RegistryAuth} asks for one token with a {@code scope} parameter
 * for each, as token services take them.
 *
 * @param also the scope of another repository the same token must cover, or null
 */
record Scope(String repository, String actions, Scope also) {

  Scope(String repository, String actions) {
    this(repository, actions, null);
  }

  static Scope forMethod(String repository, String method) {
    return switch (method) {
      case "GET", "HEAD" -> new Scope(repository, "pull");
      case "DELETE" -> new Scope(repository, "delete");
      default -> new Scope(repository, "pull,push");
    };
  }

  /** This scope and {@code other}'s, in one token. */
  Scope and(Scope other) {
    return new Scope(repository, actions, also == null ? other : also.and(other));
  }

  /** Space-separated, as challenges write several: {@code repository:a:pull repository:b:pull}. */
  @Override
  public String toString() {
    return "repository:" + repository + ":" + actions + (also == null ? "" : " " + also);
  }
}
