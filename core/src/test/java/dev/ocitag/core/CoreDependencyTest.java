package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * core knows no backend's particulars: no ECR host grammar, no AWS or docker-config option, no HTTP
 * client. (What core may import is already settled by its pom, which depends on Jackson and, for
 * NativeCrypto, Conscrypt alone; an HTTP client of the JDK's own, or a backend's names and grammar,
 * are not, so they are checked here.) The places where core still holds such knowledge are listed
 * below, exactly: the test fails on a new one, and on one that goes away (then shorten the list).
 */
class CoreDependencyTest {

  /** What a backend knows and core must not; matched in code and string literals, not comments. */
  static final Map<String, Pattern> SOURCE_MARKERS = new LinkedHashMap<>();

  static {
    SOURCE_MARKERS.put("amazonaws", Pattern.compile("amazonaws"));
    SOURCE_MARKERS.put("dkr (ECR host)", Pattern.compile("dkr"));
    SOURCE_MARKERS.put(
        "ECR", Pattern.compile("(?<![a-z])ecr(?![a-z])|Ecr(?![a-z])|(?<![A-Z])ECR(?![A-Z])"));
    SOURCE_MARKERS.put(
        "AWS", Pattern.compile("(?<![a-z])aws(?![a-z])|Aws(?![a-z])|(?<![A-Z])AWS(?![A-Z])"));
    SOURCE_MARKERS.put(
        "CLI option",
        Pattern.compile("--(region|profile|endpoint-url|registry-id|docker-config|plain-http)"));
    SOURCE_MARKERS.put(
        "AWS/docker option",
        Pattern.compile("\\b(region|profile|endpointUrl|registryId|dockerConfig|plainHttp)\\b"));
    SOURCE_MARKERS.put(
        "docker credentials",
        Pattern.compile("DOCKER_CONFIG|docker-credential|credsStore|credHelpers|\\.docker/"));
    SOURCE_MARKERS.put(
        "HTTP client",
        Pattern.compile("java\\.net\\.http|HttpURLConnection|com\\.sun\\.net\\.httpserver|okhttp"));
  }

  /** The same, as they appear in compiled classes (string constants and names). */
  static final List<String> CLASS_MARKERS =
      List.of(
          "amazonaws",
          "dkr",
          "ecr:",
          "AWS_",
          "DOCKER_CONFIG",
          "java/net/http",
          "HttpURLConnection",
          "com/sun/net/httpserver",
          "okhttp");

  /**
   * Where core holds backend knowledge (file: marker = matching lines): nowhere, since providers
   * claim their references and declare their options. A new place fails the test.
   */
  static final Map<String, Integer> KNOWN_IN_SOURCES = Map.of();

  static final Map<String, Integer> KNOWN_IN_CLASSES = Map.of();

  @Test
  void coreSourcesHoldNoBackendKnowledgeButTheKnownPlaces() throws IOException {
    Path sources = Path.of("src/main/java");
    assertTrue(Files.isDirectory(sources), "run from the core module");
    Map<String, Integer> found = new TreeMap<>();
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        markers(Files.readString(file))
            .forEach((marker, n) -> found.put(sources.relativize(file) + ": " + marker, n));
      }
    }
    assertEquals(new TreeMap<>(KNOWN_IN_SOURCES), found);
  }

  @Test
  void coreClassesHoldNoBackendKnowledgeButTheKnownPlaces() throws IOException {
    Path classes = Path.of("target/classes");
    assertTrue(Files.isDirectory(classes), "run from the core module, after compiling");
    Map<String, Integer> found = new TreeMap<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        for (String marker : CLASS_MARKERS) {
          int n = count(Pattern.compile(Pattern.quote(marker)).matcher(bytes));
          if (n > 0) {
            found.put(classes.relativize(file) + ": " + marker, n);
          }
        }
      }
    }
    assertEquals(new TreeMap<>(KNOWN_IN_CLASSES), found);
  }

  @Test
  void theMarkersCatchBackendKnowledgeInCodeButNotInComments() {
    String code =
        """
        // an ECR or AWS example in a comment is no knowledge
        /* nor "amazonaws" in a block comment */
        String host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"; // code: caught
        String secret = "docker://x"; boolean isEcrHost; String region;
        HttpURLConnection c;
        """;
    assertEquals(
        Map.of(
            "amazonaws", 1,
            "dkr (ECR host)", 1,
            "ECR", 2,
            "AWS/docker option", 1,
            "HTTP client", 1),
        markers(code));
  }

  /** Lines of code (comments removed) that match each marker, for the markers that match. */
  static Map<String, Integer> markers(String source) {
    Map<String, Integer> found = new TreeMap<>();
    for (String line : withoutComments(source).lines().toList()) {
      SOURCE_MARKERS.forEach(
          (marker, pattern) -> {
            if (pattern.matcher(line).find()) {
              found.merge(marker, 1, Integer::sum);
            }
          });
    }
    return found;
  }

  private static int count(Matcher m) {
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  /** Java source with its comments blanked out, string and character literals kept. */
  static String withoutComments(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        while (i < source.length() && source.charAt(i) != '\n') {
          i++;
        }
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        end = end < 0 ? source.length() : end + 2;
        source.substring(i, end).chars().filter(ch -> ch == '\n').forEach(ch -> out.append('\n'));
        i = end;
      } else if (c == '"' || c == '\'') {
        int end = literalEnd(source, i);
        out.append(source, i, end);
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** The index after the string, text block or character literal that starts at {@code start}. */
  private static int literalEnd(String source, int start) {
    String quote =
        source.startsWith("\"\"\"", start) ? "\"\"\"" : source.substring(start, start + 1);
    int i = start + quote.length();
    while (i < source.length() && !source.startsWith(quote, i)) {
      i += source.charAt(i) == '\\' ? 2 : 1;
    }
    return Math.min(source.length(), i + quote.length());
  }
}
