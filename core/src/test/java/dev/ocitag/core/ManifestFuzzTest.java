package dev.ocitag.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ocitag.core.testing.Fuzzing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Manifest#of} and its views on any bytes served with any media type: a manifest or {@link
 * OcitagException.InvalidInput}, nothing else, and a manifest is its bytes, unchanged, with their
 * sha256. An input is the served media type on its first line (empty: none), then the bytes. The
 * corpus is {@code src/test/resources/dev/ocitag/core/ManifestFuzzTestInputs} (README, "Fuzzing").
 */
class ManifestFuzzTest {

  @FuzzTest(maxDuration = "5m")
  @Timeout(10)
  void of(byte[] input) throws IOException {
    String served = Fuzzing.firstLine(input);
    byte[] bytes = Fuzzing.afterFirstLine(input);
    byte[] given = bytes.clone();
    Manifest m;
    try {
      m = Manifest.of(bytes, served.isEmpty() ? null : served);
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return;
    }
    bytes[0] ^= 1; // the manifest holds its own copy (a JSON object has at least 2 bytes)

    assertArrayEquals(given, m.bytes(), "the exact bytes");
    assertEquals(given.length, m.size());
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    m.writeTo(written);
    assertArrayEquals(given, written.toByteArray());
    m.bytes()[0] ^= 1;
    assertArrayEquals(given, m.bytes(), "bytes() hands out a copy");
    assertEquals(Digest.of(given), m.digest());
    assertTrue(m.digest().matches(given));

    assertTrue(MediaTypes.ALL.contains(m.mediaType()), m.mediaType());
    String base = MediaTypes.base(served);
    if (base != null && MediaTypes.ALL.contains(base)) {
      assertEquals(base, m.mediaType(), "the served media type wins");
    }
    assertEquals(MediaTypes.isIndex(m.mediaType()), m.isIndex());
    Manifest again = Manifest.of(given, m.mediaType());
    assertEquals(m, again);
    assertEquals(m.hashCode(), again.hashCode());
    assertNotNull(m.toString());

    Optional<Descriptor> config = view(m::config);
    List<Descriptor> layers = view(m::layers);
    List<Descriptor> children = view(m::children);
    Optional<Descriptor> subject = view(m::subject);
    view(m::artifactType);
    view(m::annotations);
    List<Descriptor> references = view(m::references);
    if (config != null && layers != null && children != null && subject != null) {
      List<Descriptor> expected = new ArrayList<>();
      config.ifPresent(expected::add);
      expected.addAll(layers);
      expected.addAll(children);
      subject.ifPresent(expected::add);
      assertEquals(expected, references, "references: config, layers, children, subject");
    }
  }

  /** A view's answer, or null where it said the manifest is invalid. */
  private static <T> T view(Supplier<T> view) {
    try {
      T answer = view.get();
      assertNotNull(answer);
      return answer;
    } catch (RuntimeException e) {
      Fuzzing.expect(e, OcitagException.InvalidInput.class);
      return null;
    }
  }
}
