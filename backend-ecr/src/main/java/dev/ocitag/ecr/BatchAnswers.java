package dev.ocitag.ecr;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ecr.model.BatchGetImageResponse;
import software.amazon.awssdk.services.ecr.model.Image;
import software.amazon.awssdk.services.ecr.model.ImageFailure;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;

/**
 * Which entry of a BatchGetImage response answers which image id that was asked.
 *
 * <p>ECR echoes every id it was asked, once, as an image or a failure. Emulators do not all do so:
 * moto (and LocalStack, built on it) answers an id by tag with the tag stored last on that image,
 * and a missing id by digest with a failure whose only field is {@code imageTag: "null"}. What
 * decides is therefore what is certain:
 *
 * <ol>
 *   <li>a failure that echoes an asked id is that id's;
 *   <li>an image whose digest is an asked digest, or whose tag is an asked tag, is that id's (an
 *       echoed tag is always one the image carries);
 *   <li>what is left is attributed by elimination only when every way of pairing the ids left with
 *       the entries left gives each id the same answer: as many entries as ids, one digest among
 *       the images, one code among the failures, and ids by digest (which no image left can answer)
 *       exactly as many as the failures, unless there are no images left.
 * </ol>
 *
 * Each entry answers at most one id. An id left unattributed must be asked again on its own.
 */
final class BatchAnswers {
  private BatchAnswers() {}

  /** ECR's answer for one image id: an image, or a failure. */
  record Answer(Image image, ImageFailure failure) {}

  /**
   * The answers that can be attributed with certainty, by asked id (each id once); an id not in the
   * map must be asked alone.
   */
  static Map<ImageIdentifier, Answer> attribute(
      List<ImageIdentifier> asked, BatchGetImageResponse response, Consumer<String> debug) {
    Map<ImageIdentifier, Answer> found = new LinkedHashMap<>();
    List<ImageFailure> failures = new ArrayList<>();
    for (ImageFailure f : response.failures()) {
      ImageIdentifier id = firstOpen(asked, found, f.imageId());
      if (id == null) {
        failures.add(f);
      } else {
        found.put(id, new Answer(null, f));
      }
    }
    List<Image> images = new ArrayList<>();
    for (Image image : response.images()) {
      ImageIdentifier id = firstOpen(asked, found, image.imageId());
      if (id == null) {
        images.add(image);
      } else {
        found.put(id, new Answer(image, null));
      }
    }
    List<ImageIdentifier> left = asked.stream().filter(id -> !found.containsKey(id)).toList();
    if (left.isEmpty() || !certain(left, images, failures)) {
      return found;
    }
    Deque<Image> imagesLeft = new ArrayDeque<>(images);
    Deque<ImageFailure> failuresLeft = new ArrayDeque<>(failures);
    for (ImageIdentifier id : left) {
      boolean takesImage = id.imageDigest() == null && !imagesLeft.isEmpty();
      found.put(
          id,
          takesImage ? new Answer(imagesLeft.pop(), null) : new Answer(null, failuresLeft.pop()));
    }
    debug.accept(
        "BatchGetImage: "
            + left.size()
            + " of "
            + asked.size()
            + " answers name no id asked (an emulator's echo); attributed by elimination");
    return found;
  }

  /**
   * The first asked id not yet answered that this echoed id names: the same digest for an id by
   * digest, the same tag for an id by tag.
   */
  private static ImageIdentifier firstOpen(
      List<ImageIdentifier> asked, Map<ImageIdentifier, Answer> found, ImageIdentifier echoed) {
    if (echoed == null) {
      return null;
    }
    for (ImageIdentifier id : asked) {
      if (found.containsKey(id)) {
        continue;
      }
      boolean names =
          id.imageDigest() != null
              ? id.imageDigest().equals(echoed.imageDigest())
              : id.imageTag() != null && id.imageTag().equals(echoed.imageTag());
      if (names) {
        return id;
      }
    }
    return null;
  }

  private static boolean certain(
      List<ImageIdentifier> left, List<Image> images, List<ImageFailure> failures) {
    long byDigest = left.stream().filter(id -> id.imageDigest() != null).count();
    long digests =
        images.stream()
            .map(i -> i.imageId() == null ? null : i.imageId().imageDigest())
            .map(Objects::toString)
            .distinct()
            .count();
    long codes = failures.stream().map(ImageFailure::failureCodeAsString).distinct().count();
    return images.size() + failures.size() == left.size()
        && digests <= 1
        && codes <= 1
        && (images.isEmpty() || failures.size() == byDigest);
  }
}
