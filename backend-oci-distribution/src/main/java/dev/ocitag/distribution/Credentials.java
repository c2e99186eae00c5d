package dev.ocitag.distribution;

/**
 * What the docker config holds for one registry: a user name and password, or an identity token (an
 * OAuth2 refresh token, used in place of the password at the token service).
 *
 * @param source where they came from, for messages ("auths in /home/u/.docker/config.json")
 */
record Credentials(String username, String password, String identityToken, String source) {

  boolean isIdentityToken() {
    return identityToken != null && !identityToken.isEmpty();
  }

  /** Never the secrets. */
  @Override
  public String toString() {
    return "Credentials["
        + (isIdentityToken() ? "identity token" : "user " + username)
        + " from "
        + source
        + "]";
  }
}
