package dev.ocitag.api;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * Run in a JVM of its own by {@link ForeignContextLoaderTest}: uses the API from a thread whose
 * context class loader sees none of ocitag's jars, as code in a build tool's plugin may, and prints
 * the digest of the reference it is given.
 */
final class ForeignContextLoaderMain {
  private ForeignContextLoaderMain() {}

  public static void main(String[] args) {
    Thread.currentThread()
        .setContextClassLoader(
            new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader()));
    try (Ocitag ocitag = Ocitag.builder().build()) {
      System.out.println(ocitag.digest(args[0]));
    }
  }
}
