package dev.ocitag.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ocitag.core.ImageRef;
import dev.ocitag.core.OcitagException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table tests in the manner of go-containerregistry's pkg/name, over every reference form, with the
 * providers that claim them installed (as the CLI has them).
 */
class ReferenceGrammarTest {
  private static final String SHA = "sha256:" + "a".repeat(64);
  private static final String SHA512 = "sha512:" + "0123456789abcdef".repeat(8);

  static Stream<Arguments> valid() {
    return Stream.of(
        // input, transport, registry, repository, tag, digest, canonical form
        row(
            "alpine",
            "docker",
            "docker.io",
            "library/alpine",
            null,
            null,
            "docker.io/library/alpine"),
        row(
            "alpine:3.20",
            "docker",
            "docker.io",
            "library/alpine",
            "3.20",
            null,
            "docker.io/library/alpine:3.20"),
        row(
            "library/alpine:latest",
            "docker",
            "docker.io",
            "library/alpine",
            "latest",
            null,
            "docker.io/library/alpine:latest"),
        row(
            "docker.io/alpine",
            "docker",
            "docker.io",
            "library/alpine",
            null,
            null,
            "docker.io/library/alpine"),
        row(
            "index.docker.io/user/app:v1",
            "docker",
            "docker.io",
            "user/app",
            "v1",
            null,
            "docker.io/user/app:v1"),
        row(
            "docker://ghcr.io/org/app:1",
            "docker",
            "ghcr.io",
            "org/app",
            "1",
            null,
            "ghcr.io/org/app:1"),
        row("user/app", "docker", "docker.io", "user/app", null, null, "docker.io/user/app"),
        row("localhost/app", "docker", "localhost", "app", null, null, "localhost/app"),
        row(
            "localhost:5000/app:tag",
            "docker",
            "localhost:5000",
            "app",
            "tag",
            null,
            "localhost:5000/app:tag"),
        row(
            "127.0.0.1:5000/a/b/c:1.0",
            "docker",
            "127.0.0.1:5000",
            "a/b/c",
            "1.0",
            null,
            "127.0.0.1:5000/a/b/c:1.0"),
        row("[::1]:5000/app:v", "docker", "[::1]:5000", "app", "v", null, "[::1]:5000/app:v"),
        row(
            "[fe80::1%eth0]/app",
            "docker", "[fe80::1%eth0]", "app", null, null, "[fe80::1%eth0]/app"),
        row(
            "Registry.Example.com/app",
            "docker",
            "Registry.Example.com",
            "app",
            null,
            null,
            "Registry.Example.com/app"),
        row("LOCALREG/app", "docker", "LOCALREG", "app", null, null, "LOCALREG/app"),
        row(
            "quay.io/a.b/c_d/e__f/g-h/i---j:Tag_1.x-y",
            "docker",
            "quay.io",
            "a.b/c_d/e__f/g-h/i---j",
            "Tag_1.x-y",
            null,
            "quay.io/a.b/c_d/e__f/g-h/i---j:Tag_1.x-y"),
        row("gcr.io/p/app@" + SHA, "docker", "gcr.io", "p/app", null, SHA, "gcr.io/p/app@" + SHA),
        row(
            "gcr.io/p/app:v1@" + SHA,
            "docker",
            "gcr.io",
            "p/app",
            "v1",
            SHA,
            "gcr.io/p/app:v1@" + SHA),
        row(
            "gcr.io/p/app@" + SHA512,
            "docker",
            "gcr.io",
            "p/app",
            null,
            SHA512,
            "gcr.io/p/app@" + SHA512),
        row(
            "r.io/app:" + "t".repeat(128),
            "docker",
            "r.io",
            "app",
            "t".repeat(128),
            null,
            "r.io/app:" + "t".repeat(128)),
        row("r.io:443/app:_x", "docker", "r.io:443", "app", "_x", null, "r.io:443/app:_x"),
        // ECR hosts
        row(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1",
            "ecr",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "team/app",
            "v1",
            null,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1"),
        row(
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
            "ecr",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "app",
            null,
            null,
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app"),
        row(
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1",
            "ecr",
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "app",
            "1",
            null,
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1"),
        // look-alikes stay plain registries
        row(
            "12345678901.dkr.ecr.eu-west-1.amazonaws.com/app",
            "docker",
            "12345678901.dkr.ecr.eu-west-1.amazonaws.com",
            "app",
            null,
            null,
            "12345678901.dkr.ecr.eu-west-1.amazonaws.com/app"),
        row(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io/app",
            "docker",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io",
            "app",
            null,
            null,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io/app"),
        // schemes
        row("ecr:team/app:v1", "ecr", "", "team/app", "v1", null, "ecr:team/app:v1"),
        row("ecr:app@" + SHA, "ecr", "", "app", null, SHA, "ecr:app@" + SHA),
        row(
            "oci:examples/hello:latest",
            "oci",
            "",
            "examples/hello",
            "latest",
            null,
            "oci:examples/hello:latest"),
        row("oci:/tmp/x", "oci", "", "/tmp/x", null, null, "oci:/tmp/x"),
        row("oci:./l@" + SHA, "oci", "", "./l", null, SHA, "oci:./l@" + SHA),
        row(
            "oci:l:docker.io/library/alpine:3",
            "oci",
            "",
            "l",
            "docker.io/library/alpine:3",
            null,
            "oci:l:docker.io/library/alpine:3"),
        row("oci:My Dir", null, null, null, null, null, null)); // white space: invalid, below
  }

  private static Arguments row(
      String in,
      String transport,
      String registry,
      String repo,
      String tag,
      String digest,
      String canonical) {
    return Arguments.of(in, transport, registry, repo, tag, digest, canonical);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("valid")
  void parsesValidReferences(
      String in,
      String transport,
      String registry,
      String repo,
      String tag,
      String digest,
      String canonical) {
    if (transport == null) {
      assertThrows(OcitagException.InvalidInput.class, () -> ImageRef.parse(in));
      return;
    }
    ImageRef ref = ImageRef.parse(in);
    assertEquals(transport, ref.transport());
    assertEquals(registry, ref.registry());
    assertEquals(repo, ref.repository());
    assertEquals(tag, ref.tag());
    assertEquals(digest, ref.digest() == null ? null : ref.digest().toString());
    assertEquals(canonical, ref.toString());
    assertEquals(ref, ImageRef.parse(ref.toString()), "canonical form parses to the same");
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("", "empty"),
        Arguments.of("   ", "empty"),
        Arguments.of("Alpine", "'Alpine' must be lower-case"),
        Arguments.of("docker.io/Library/alpine", "'Library' must be lower-case"),
        Arguments.of("r.io/app/", "empty path component"),
        Arguments.of("r.io//app", "empty path component"),
        Arguments.of("r.io/-app", "'-app'"),
        Arguments.of("r.io/app_", "'app_'"),
        Arguments.of("r.io/a___b", "'a___b'"),
        Arguments.of("r.io/a..b", "'a..b'"),
        Arguments.of("r.io/app:", "tag ''"),
        Arguments.of("r.io/app:-x", "tag '-x'"),
        Arguments.of("r.io/app:.x", "tag '.x'"),
        Arguments.of("r.io/app:a+b", "tag 'a+b'"),
        Arguments.of("r.io/app:" + "t".repeat(129), "longer than 128"),
        Arguments.of("r.io/app@sha256:abc", "64 lower-case hex"),
        Arguments.of("r.io/app@sha256:" + "A".repeat(64), "64 lower-case hex"),
        Arguments.of("r.io/app@sha256:" + "a".repeat(65), "64 lower-case hex"),
        Arguments.of("r.io/app@md5:" + "a".repeat(32), "unsupported digest algorithm 'md5'"),
        Arguments.of("r.io/app@", "invalid digest"),
        Arguments.of("r.io/app@" + "a".repeat(64), "want algorithm:hex"),
        Arguments.of("-r.io/app", "registry '-r.io'"),
        Arguments.of("r_io.com:5000/app", "registry 'r_io.com:5000'"),
        Arguments.of("r.io:port/app", "registry 'r.io:port'"),
        Arguments.of("r.io/" + "a".repeat(251), "longer than 255"),
        Arguments.of("r.io/app name", "white space"),
        Arguments.of("ecr:", "empty"),
        Arguments.of("ecr:Upper", "must be lower-case"),
        Arguments.of("oci:", "layout path is empty"),
        Arguments.of("oci::tag", "layout path is empty"),
        Arguments.of("oci:dir:bad tag", "white space"),
        Arguments.of("oci:dir:-bad", "layout tag '-bad'"),
        Arguments.of("oci:dir@sha256:zz", "64 lower-case hex"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalid")
  void rejectsInvalidReferencesNamingTheBadPart(String in, String expected) {
    OcitagException.InvalidInput e =
        assertThrows(OcitagException.InvalidInput.class, () -> ImageRef.parse(in));
    assertTrue(e.getMessage().startsWith("invalid reference"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), () -> e.getMessage() + " lacks " + expected);
    assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("targets")
  void aBareTagIsInTheSourcesRepositoryAndAnythingElseIsAReference(
      String source, String arg, String expected) {
    assertEquals(expected, ImageRef.target(ImageRef.parse(source), arg).toString());
  }

  static Stream<Arguments> targets() {
    return Stream.of(
        Arguments.of("oci:examples/hello:latest", "v2", "oci:examples/hello:v2"),
        Arguments.of("r.io/app@" + SHA, "stable", "r.io/app:stable"),
        Arguments.of("ecr:app:1", "2", "ecr:app:2"),
        Arguments.of("r.io/app:1", "r.io/app:2", "r.io/app:2"),
        Arguments.of("r.io/app:1", "other/app:2", "docker.io/other/app:2"),
        Arguments.of("alpine:1", "alpine:2", "docker.io/library/alpine:2"),
        Arguments.of("oci:l:1", "oci:l:2", "oci:l:2"));
  }
}
