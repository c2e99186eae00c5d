package dev.ocitag.ecr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecr.model.BatchGetImageResponse;
import software.amazon.awssdk.services.ecr.model.Image;
import software.amazon.awssdk.services.ecr.model.ImageFailure;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;

/** Which answer is whose, from what is certain, on responses shaped as ECR's and as moto's. */
class BatchAnswersTest {
  private static final String D1 = "sha256:" + "1".repeat(64);
  private static final String D2 = "sha256:" + "2".repeat(64);
  private static final String D0 = "sha256:" + "0".repeat(64);
  private final List<String> debug = new ArrayList<>();

  private static ImageIdentifier tag(String tag) {
    return ImageIdentifier.builder().imageTag(tag).build();
  }

  private static ImageIdentifier digest(String digest) {
    return ImageIdentifier.builder().imageDigest(digest).build();
  }

  private static Image image(String digest, String echoedTag) {
    return Image.builder()
        .imageId(ImageIdentifier.builder().imageDigest(digest).imageTag(echoedTag).build())
        .build();
  }

  private static ImageFailure notFound(ImageIdentifier echoed) {
    return ImageFailure.builder().imageId(echoed).failureCode("ImageNotFound").build();
  }

  private Map<ImageIdentifier, BatchAnswers.Answer> attribute(
      List<ImageIdentifier> asked, List<Image> images, List<ImageFailure> failures) {
    return BatchAnswers.attribute(
        asked,
        BatchGetImageResponse.builder().images(images).failures(failures).build(),
        debug::add);
  }

  private static String digestOf(BatchAnswers.Answer answer) {
    return answer.image().imageId().imageDigest();
  }

  @Test
  void ecrsOwnEchoNamesEveryIdAsked() {
    Image a = image(D1, "a");
    Image b = image(D2, "b");
    ImageFailure c = notFound(tag("c"));

    var found = attribute(List.of(tag("a"), tag("b"), tag("c")), List.of(b, a), List.of(c));

    assertSame(a, found.get(tag("a")).image());
    assertSame(b, found.get(tag("b")).image());
    assertSame(c, found.get(tag("c")).failure());
    assertEquals(List.of(), debug, "nothing by elimination");
  }

  @Test
  void oneImageEchoingAnotherOfItsTagsAnswersEveryIdLeft() {
    // moto: v1, a and b are on one image whose last stored tag is c
    List<Image> images = List.of(image(D1, "c"), image(D1, "c"), image(D1, "c"));

    var found = attribute(List.of(tag("v1"), tag("a"), tag("b")), images, List.of());

    assertEquals(3, found.size());
    found.values().forEach(answer -> assertEquals(D1, digestOf(answer)));
    Set<Image> used = Collections.newSetFromMap(new IdentityHashMap<>());
    found.values().forEach(answer -> used.add(answer.image()));
    assertEquals(3, used.size(), "each entry answers one id");
    assertTrue(debug.get(0).contains("elimination"), debug.toString());
  }

  @Test
  void twoImagesThatNameNoIdAskedAreLeftToBeAskedAlone() {
    var found =
        attribute(List.of(tag("v1"), tag("b")), List.of(image(D1, "a"), image(D2, "y")), List.of());

    assertEquals(Map.of(), found);
  }

  @Test
  void aMissingDigestsNullTagFailureAndAnImageAreToldApartByKind() {
    // moto: a digest it lacks fails as {imageTag: "null"}; v1's image echoes tag z
    ImageFailure nullTag = notFound(tag("null"));
    Image v1 = image(D1, "z");

    var found = attribute(List.of(digest(D0), tag("v1")), List.of(v1), List.of(nullTag));

    assertSame(nullTag, found.get(digest(D0)).failure());
    assertSame(v1, found.get(tag("v1")).image());
  }

  @Test
  void anImageByItsDigestAndATagByItsEchoAreCertainBeforeElimination() {
    Image byDigest = image(D1, "z");
    Image forV1 = image(D1, "z");
    Image old = image(D2, "old");

    var found =
        attribute(
            List.of(digest(D1), tag("v1"), tag("old"), tag("new")),
            List.of(byDigest, forV1, old),
            List.of(notFound(tag("new"))));

    assertSame(byDigest, found.get(digest(D1)).image());
    assertSame(old, found.get(tag("old")).image());
    assertSame(forV1, found.get(tag("v1")).image());
    assertEquals("ImageNotFound", found.get(tag("new")).failure().failureCodeAsString());
  }

  @Test
  void fewerAnswersThanIdsAttributeNothingByElimination() {
    // one image for two ids: it is one of them, but which cannot be known
    var found = attribute(List.of(tag("a"), tag("b")), List.of(image(D1, "c")), List.of());

    assertEquals(Map.of(), found);
  }

  @Test
  void failuresOfTwoKindsWithoutEchoAreNotGuessed() {
    ImageFailure kms = ImageFailure.builder().imageId(tag("null")).failureCode("KmsError").build();

    var found =
        attribute(List.of(digest(D0), digest(D2)), List.of(), List.of(notFound(tag("null")), kms));

    assertEquals(Map.of(), found);
  }

  @Test
  void failuresOfOneKindAnswerTheIdsLeftWithoutImages() {
    var found =
        attribute(
            List.of(digest(D0), digest(D2)),
            List.of(),
            List.of(notFound(tag("null")), notFound(tag("null"))));

    assertEquals(2, found.size());
    found.values().forEach(a -> assertEquals("ImageNotFound", a.failure().failureCodeAsString()));
  }
}
