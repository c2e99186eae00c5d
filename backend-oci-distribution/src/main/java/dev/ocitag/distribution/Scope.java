package dev.ocitag.distribution;

/**
 * The token scope a request needs, carried by its {@link HttpRequest}: {@code
 * repository:<name>:<actions>}.
 */
record Scope(String repository, String actions) {

  static Scope forMethod(String repository, String method) {
    return switch (method) {
      case "GET", "HEAD" -> new Scope(repository, "pull");
      case "DELETE" -> new Scope(repository, "delete");
      default -> new Scope(repository, "pull,push");
    };
  }

  @Override
  public String toString() {
    return "repository:" + repository + ":" + actions;
  }
}
