package dev.ocitag.cli;

import dev.ocitag.distribution.GoogleApplicationDefaultTest;

/**
 * Google application default credentials on the CLI's runtime class path: the jars the release
 * ships in {@code lib/}, where the parts of Jib core that only build images (commons-compress,
 * Apache HTTP, ASM) are left out. The registry backend's own tests have those on their class path.
 */
class ShippedGoogleCredentialsTest extends GoogleApplicationDefaultTest {}
