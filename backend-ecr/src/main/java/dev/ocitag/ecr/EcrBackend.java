package dev.ocitag.ecr;

import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.BatchTagging;
import dev.ocitag.core.BlobTransfer;
import dev.ocitag.core.Descriptor;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.MediaTypes;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Referrers;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.TagPolicy;
import dev.ocitag.distribution.DistributionBackend;
import dev.ocitag.distribution.RegistryOptions;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.BatchDeleteImageResponse;
import software.amazon.awssdk.services.ecr.model.BatchGetImageResponse;
import software.amazon.awssdk.services.ecr.model.DescribeRepositoriesResponse;
import software.amazon.awssdk.services.ecr.model.Image;
import software.amazon.awssdk.services.ecr.model.ImageAlreadyExistsException;
import software.amazon.awssdk.services.ecr.model.ImageFailure;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;
import software.amazon.awssdk.services.ecr.model.ImageReferrer;
import software.amazon.awssdk.services.ecr.model.ImageTagMutabilityExclusionFilter;
import software.amazon.awssdk.services.ecr.model.LayersNotFoundException;
import software.amazon.awssdk.services.ecr.model.ListImageReferrersResponse;
import software.amazon.awssdk.services.ecr.model.ListImagesResponse;
import software.amazon.awssdk.services.ecr.model.PutImageResponse;
import software.amazon.awssdk.services.ecr.model.ReferencedImagesNotFoundException;
import software.amazon.awssdk.services.ecr.model.Repository;
import software.amazon.awssdk.services.ecr.model.TagStatus;

/**
 * Amazon ECR through its API: BatchGetImage to read (every manifest and index type accepted, so ECR
 * never converts), PutImage with the exact bytes and their digest to tag (or by digest alone),
 * DescribeRepositories for the tag mutability, ListImages and BatchDeleteImage.
 *
 * <p>Blobs go through ECR's registry endpoint, which speaks the distribution API: a {@link
 * DistributionBackend} at the {@code proxyEndpoint} GetAuthorizationToken names, with the Basic
 * credentials its token holds. It is opened at the first blob a registry (account and region) is
 * asked for, so a retag never calls GetAuthorizationToken, and opened again with a new token
 * shortly before the old one expires.
 *
 * <p>Referrers: ListImageReferrers lists them (OCI 1.1 subjects, which ECR indexes itself as it
 * stores them), so a referrer is written with PutImage by digest like any other manifest.
 */
public final class EcrBackend
    implements TagBackend, TagPolicy, BatchTagging, BlobTransfer, Referrers {
  /** BatchGetImage and BatchDeleteImage take at most this many image ids. */
  static final int MAX_IMAGE_IDS = 100;

  private final EcrClient client;
  private final String defaultRegistryId;
  private final String region;
  private final PutRateLimiter putLimiter;
  private final BackendOptions options;
  private final Clock clock;
  private final Map<String, RepositoryPolicy> policies = new ConcurrentHashMap<>();
  // by registry (account@region); guarded by this
  private final Map<String, BlobRegistry> registries = new HashMap<>();

  EcrBackend(
      EcrClient client,
      String defaultRegistryId,
      String region,
      PutRateLimiter putLimiter,
      BackendOptions options,
      Clock clock) {
    this.client = client;
    this.defaultRegistryId = defaultRegistryId;
    this.region = region;
    this.putLimiter = putLimiter;
    this.options = options;
    this.clock = clock;
  }

  /** Opens a backend for the account and region the reference names or the options configure. */
  public static EcrBackend open(ImageRef ref, BackendOptions options) {
    return open(ref, options, PutRateLimiter.fromEnvironment(), EcrClients.RetryTiming.DEFAULT);
  }

  static EcrBackend open(
      ImageRef ref,
      BackendOptions options,
      PutRateLimiter putLimiter,
      EcrClients.RetryTiming timing) {
    return open(ref, options, putLimiter, timing, Clock.systemUTC());
  }

  static EcrBackend open(
      ImageRef ref,
      BackendOptions options,
      PutRateLimiter putLimiter,
      EcrClients.RetryTiming timing,
      Clock clock) {
    EcrClients.Target target = EcrClients.target(ref, options);
    return new EcrBackend(
        EcrClients.build(target, options, timing),
        target.registryId(),
        target.region().id(),
        putLimiter,
        options,
        clock);
  }

  @Override
  public Manifest fetch(ImageRef ref) {
    return sourceOf(ref, answersFor(List.of(ref)).get(ref));
  }

  /** The source's manifest from ECR's answer for it, or the failure ECR reported. */
  private static Manifest sourceOf(ImageRef source, BatchAnswers.Answer answer) {
    if (answer.failure() != null) {
      throw failure("BatchGetImage " + source, answer.failure());
    }
    return manifestOf(source, answer.image());
  }

  /** Where a target points from ECR's answer for it: empty when ECR has no such image. */
  private static Optional<Digest> currentOf(ImageRef ref, BatchAnswers.Answer answer) {
    if (answer.failure() != null) {
      if (isNotFound(answer.failure())) {
        return Optional.empty();
      }
      throw failure("BatchGetImage " + ref, answer.failure());
    }
    return Optional.of(digestOf(ref, answer.image()));
  }

  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    return currentOf(ref, answersFor(List.of(ref)).get(ref));
  }

  @Override
  public Map<ImageRef, Optional<Digest>> resolveAll(List<ImageRef> targets) {
    Map<ImageRef, Optional<Digest>> result = new LinkedHashMap<>();
    Map<ImageRef, List<ImageRef>> byRepository =
        targets.stream()
            .distinct()
            .collect(
                Collectors.groupingBy(
                    ImageRef::repositoryRef, LinkedHashMap::new, Collectors.toList()));
    for (Map.Entry<ImageRef, List<ImageRef>> repo : byRepository.entrySet()) {
      List<ImageRef> refs = repo.getValue();
      for (int from = 0; from < refs.size(); from += MAX_IMAGE_IDS) {
        List<ImageRef> chunk = refs.subList(from, Math.min(refs.size(), from + MAX_IMAGE_IDS));
        result.putAll(resolveChunk(chunk));
      }
    }
    return result;
  }

  /**
   * One BatchGetImage for the source and its targets when they fit in 100 image ids. Else the
   * source alone, and the targets from ListImages (tag and digest, no manifest), at most ⌈n/100⌉ −
   * 1 pages: one fewer than the BatchGetImage calls they replace. Targets a complete listing lacks
   * are absent; when the listing has not ended by then (or is denied), the targets not seen in it
   * go to BatchGetImage. The rule and its worst case: backend-ecr/README.md.
   */
  @Override
  public Lookup fetchAndResolve(ImageRef source, List<ImageRef> targets) {
    List<ImageRef> refs = targets.stream().distinct().toList();
    if (!refs.stream().allMatch(t -> t.sameRepository(source) && t.digest() == null)) {
      return BatchTagging.super.fetchAndResolve(source, refs);
    }
    ImageIdentifier sourceId = identifier(source);
    List<ImageIdentifier> ids = new ArrayList<>(List.of(sourceId));
    refs.stream().map(EcrBackend::identifier).filter(id -> !id.equals(sourceId)).forEach(ids::add);
    ImageRef repo = source.repositoryRef();
    if (ids.size() <= MAX_IMAGE_IDS) {
      List<ImageRef> all = new ArrayList<>(List.of(source));
      all.addAll(refs);
      Map<ImageRef, BatchAnswers.Answer> answers = answersFor(all);
      Manifest manifest = sourceOf(source, answers.get(source));
      Map<ImageRef, Optional<Digest>> current = new LinkedHashMap<>();
      refs.forEach(ref -> current.put(ref, currentOf(ref, answers.get(ref))));
      return new Lookup(manifest, current);
    }
    Manifest manifest = fetch(source);
    return new Lookup(manifest, listThenResolve(repo, refs));
  }

  private Map<ImageRef, Optional<Digest>> listThenResolve(ImageRef repo, List<ImageRef> refs) {
    Map<String, ImageRef> byTag = new LinkedHashMap<>();
    refs.forEach(ref -> byTag.put(ref.tag(), ref));
    Map<ImageRef, Optional<Digest>> found = new LinkedHashMap<>();
    int pages = (refs.size() + MAX_IMAGE_IDS - 1) / MAX_IMAGE_IDS - 1;
    String token = null;
    boolean complete = false;
    try {
      for (int page = 0; page < pages && !complete && found.size() < refs.size(); page++) {
        ListImagesResponse listed = listPage(repo, token);
        for (ImageIdentifier id : listed.imageIds()) {
          ImageRef ref = id.imageTag() == null ? null : byTag.get(id.imageTag());
          if (ref != null && id.imageDigest() != null) {
            found.put(ref, Optional.of(Digest.parse(id.imageDigest())));
          }
        }
        token = listed.nextToken();
        complete = token == null || token.isEmpty();
      }
    } catch (OcitagException.Denied e) {
      // ecr:ListImages may be missing from a policy that allows the rest: BatchGetImage it is.
      options.debug(e.getMessage() + "; resolving the targets with BatchGetImage instead");
    }
    List<ImageRef> unseen = refs.stream().filter(ref -> !found.containsKey(ref)).toList();
    if (complete) {
      unseen.forEach(ref -> found.put(ref, Optional.empty()));
    } else if (!unseen.isEmpty()) {
      found.putAll(resolveAll(unseen));
    }
    Map<ImageRef, Optional<Digest>> inOrder = new LinkedHashMap<>();
    refs.forEach(ref -> inOrder.put(ref, found.get(ref)));
    return inOrder;
  }

  private Map<ImageRef, Optional<Digest>> resolveChunk(List<ImageRef> chunk) {
    Map<ImageRef, BatchAnswers.Answer> answers = answersFor(chunk);
    Map<ImageRef, Optional<Digest>> found = new LinkedHashMap<>();
    chunk.forEach(ref -> found.put(ref, currentOf(ref, answers.get(ref))));
    return found;
  }

  /**
   * ECR's answer for each ref (all in one repository, at most 100 distinct ids): one BatchGetImage
   * for all, then one per id whose answer cannot be attributed with certainty ({@link
   * BatchAnswers}), rather than guess.
   */
  private Map<ImageRef, BatchAnswers.Answer> answersFor(List<ImageRef> refs) {
    Map<ImageIdentifier, List<ImageRef>> byId = new LinkedHashMap<>();
    refs.forEach(ref -> byId.computeIfAbsent(identifier(ref), k -> new ArrayList<>()).add(ref));
    List<ImageIdentifier> ids = List.copyOf(byId.keySet());
    BatchGetImageResponse response = batchGet(refs.get(0), ids);
    Map<ImageIdentifier, BatchAnswers.Answer> found =
        new LinkedHashMap<>(BatchAnswers.attribute(ids, response, options::debug));
    for (ImageIdentifier id : ids) {
      if (!found.containsKey(id)) {
        ImageRef ref = byId.get(id).get(0);
        if (ids.size() > 1) {
          options.debug("BatchGetImage: no answer is certain to be " + ref + "'s; asking alone");
          response = batchGet(ref, List.of(id));
        }
        found.put(id, alone(ref, id, response));
      }
    }
    Map<ImageRef, BatchAnswers.Answer> answers = new LinkedHashMap<>();
    byId.forEach((id, same) -> same.forEach(ref -> answers.put(ref, found.get(id))));
    return answers;
  }

  /** ECR's answer to a BatchGetImage for this one id. */
  private BatchAnswers.Answer alone(
      ImageRef ref, ImageIdentifier id, BatchGetImageResponse response) {
    BatchAnswers.Answer answer =
        BatchAnswers.attribute(List.of(id), response, options::debug).get(id);
    if (answer != null) {
      return answer;
    }
    if (response.images().isEmpty() && response.failures().isEmpty()) {
      throw new OcitagException.NotFound("BatchGetImage " + ref + ": ECR returned no image");
    }
    throw new OcitagException.Failed(
        "BatchGetImage "
            + ref
            + ": ECR answered "
            + response.images().size()
            + " images and "
            + response.failures().size()
            + " failures for it alone, and none names it");
  }

  /**
   * PutImage with the exact bytes, their media type and digest: under the target's tag, or, for a
   * target with a digest and no tag (an index's children, before the index), untagged.
   */
  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    String what = "PutImage " + target;
    if (target.tag() == null && target.digest() == null) {
      throw new OcitagException.InvalidInput(what + ": a target needs a tag or a digest");
    }
    if (target.digest() != null && !target.digest().equals(manifest.digest())) {
      throw new OcitagException.InvalidInput(
          what + ": the manifest's digest is " + manifest.digest() + ", not the target's");
    }
    String text = manifestText(manifest);
    putLimiter.acquire();
    try {
      PutImageResponse response =
          client.putImage(
              b ->
                  b.registryId(registryId(target))
                      .repositoryName(target.repository())
                      .imageManifest(text)
                      .imageManifestMediaType(manifest.mediaType())
                      .imageDigest(manifest.digest().toString())
                      .imageTag(target.tag()));
      String digest =
          response.image() == null || response.image().imageId() == null
              ? null
              : response.image().imageId().imageDigest();
      if (digest == null) {
        throw new OcitagException.Failed(what + ": ECR reported no digest for the stored image");
      }
      return Digest.parse(digest);
    } catch (ImageAlreadyExistsException e) {
      // The tag (or, by digest, the repository) already has these very bytes: nothing to write.
      options.debug(what + ": ImageAlreadyExists, " + manifest.digest() + " is already there");
      return manifest.digest();
    } catch (LayersNotFoundException e) {
      throw missing(what, e, "blobs", blobsOf(manifest));
    } catch (ReferencedImagesNotFoundException e) {
      throw missing(what, e, "child manifests", childrenOf(manifest));
    } catch (SdkException e) {
      throw EcrErrors.map(what, e);
    }
  }

  /** ECR's message names what it misses; ours adds what the manifest references and why. */
  private static OcitagException missing(
      String what, AwsServiceException e, String kind, List<Digest> referenced) {
    String message =
        e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
            ? e.awsErrorDetails().errorMessage()
            : e.getMessage();
    String listed =
        referenced.size() <= 5
            ? referenced.toString()
            : referenced.subList(0, 5) + " and " + (referenced.size() - 5) + " more";
    return new OcitagException.InvalidInput(
        what
            + ": the repository lacks "
            + kind
            + " this manifest references ("
            + message
            + "); it references "
            + listed
            + ". ECR keeps blobs and images per repository: they must be pushed to it first",
        e);
  }

  private static List<Digest> blobsOf(Manifest manifest) {
    List<Digest> all = new ArrayList<>();
    manifest.config().ifPresent(c -> all.add(c.digest()));
    manifest.layers().forEach(l -> all.add(l.digest()));
    return all;
  }

  private static List<Digest> childrenOf(Manifest manifest) {
    return manifest.children().stream().map(Descriptor::digest).toList();
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    List<String> tags = new ArrayList<>();
    String token = null;
    do {
      ListImagesResponse page = listPage(repository, token);
      page.imageIds().stream()
          .map(ImageIdentifier::imageTag)
          .filter(t -> t != null)
          .forEach(tags::add);
      token = page.nextToken();
    } while (token != null && !token.isEmpty());
    return tags.stream().distinct();
  }

  /** One page of the repository's tags: one image id (tag and digest) per tag, up to 1000. */
  private ListImagesResponse listPage(ImageRef repository, String token) {
    try {
      return client.listImages(
          b ->
              b.registryId(registryId(repository))
                  .repositoryName(repository.repository())
                  .filter(f -> f.tagStatus(TagStatus.TAGGED))
                  .maxResults(1000)
                  .nextToken(token));
    } catch (SdkException e) {
      throw EcrErrors.map("ListImages " + repository.repositoryName(), e);
    }
  }

  @Override
  public void untag(ImageRef ref) {
    String what = "BatchDeleteImage " + ref;
    if (ref.tag() == null) {
      throw new OcitagException.InvalidInput(
          "untag " + ref + ": name a tag; untag never deletes an image by digest");
    }
    BatchDeleteImageResponse response;
    try {
      response =
          client.batchDeleteImage(
              b ->
                  b.registryId(registryId(ref))
                      .repositoryName(ref.repository())
                      .imageIds(ImageIdentifier.builder().imageTag(ref.tag()).build()));
    } catch (SdkException e) {
      throw EcrErrors.map(what, e);
    }
    if (!response.failures().isEmpty()) {
      throw failure(what, response.failures().get(0));
    }
  }

  @Override
  public Overwrite mayOverwrite(ImageRef target) {
    RepositoryPolicy policy = policyOf(target);
    return policy.mutability() == null
        ? Overwrite.unknown(policy.unknownBecause())
        : policy.mutability().mayMove(target.tag());
  }

  /** The repository's tag mutability, or empty when it cannot be read (no permission to). */
  public Optional<TagMutability> mutabilityOf(ImageRef ref) {
    return Optional.ofNullable(policyOf(ref).mutability());
  }

  /**
   * What DescribeRepositories said of a repository: its tag mutability, or why it could not be
   * read.
   */
  private record RepositoryPolicy(TagMutability mutability, String unknownBecause) {}

  /** Asked once per repository and kept, a denied answer too: one call for any number of tags. */
  private RepositoryPolicy policyOf(ImageRef ref) {
    String key = registryId(ref) + "/" + ref.repository();
    return policies.computeIfAbsent(key, k -> describe(ref));
  }

  private RepositoryPolicy describe(ImageRef ref) {
    String what = "DescribeRepositories " + ref.repositoryName();
    DescribeRepositoriesResponse response;
    try {
      response =
          client.describeRepositories(
              b -> b.registryId(registryId(ref)).repositoryNames(ref.repository()));
    } catch (SdkException e) {
      OcitagException mapped = EcrErrors.map(what, e);
      if (mapped instanceof OcitagException.Denied) {
        // A role may tag without ecr:DescribeRepositories: PutImage then decides, and an
        // immutable tag's ImageTagAlreadyExistsException still ends as blocked.
        options.debug(mapped.getMessage() + "; the tag mutability is unknown, PutImage decides");
        String code =
            e instanceof AwsServiceException service && service.awsErrorDetails() != null
                ? service.awsErrorDetails().errorCode()
                : null;
        return new RepositoryPolicy(
            null, "DescribeRepositories was denied" + (code == null ? "" : ": " + code));
      }
      throw mapped;
    }
    if (response.repositories().isEmpty()) {
      throw new OcitagException.NotFound(what + ": no such repository");
    }
    Repository repo = response.repositories().get(0);
    String setting = repo.imageTagMutabilityAsString();
    List<String> filters =
        repo.imageTagMutabilityExclusionFilters().stream()
            .map(ImageTagMutabilityExclusionFilter::filter)
            .toList();
    TagMutability result = new TagMutability(setting == null ? "MUTABLE" : setting, filters);
    options.debug(what + ": " + result.describe());
    return new RepositoryPolicy(result, null);
  }

  // --- referrers

  /**
   * ListImageReferrers, every page; up to five types are ECR's filter, more are chosen here. ECR
   * lists the referrers in {@code ACTIVE} status, its default (archived ones are not carried).
   */
  @Override
  public List<Descriptor> referrers(ImageRef repository, Digest subject, Set<String> types) {
    String what = "ListImageReferrers " + repository.repositoryName() + "@" + subject;
    List<Descriptor> listed = new ArrayList<>();
    String token = null;
    do {
      String next = token;
      ListImageReferrersResponse page;
      try {
        page =
            client.listImageReferrers(
                b -> {
                  b.registryId(registryId(repository))
                      .repositoryName(repository.repository())
                      .subjectId(id -> id.imageDigest(subject.toString()))
                      .maxResults(50)
                      .nextToken(next);
                  if (!types.isEmpty() && types.size() <= 5) {
                    b.filter(f -> f.artifactTypes(types));
                  }
                });
      } catch (SdkException e) {
        throw EcrErrors.map(what, e);
      }
      for (ImageReferrer r : page.referrers()) {
        listed.add(
            new Descriptor(
                r.mediaType(),
                Digest.parse(r.digest()),
                r.size() == null ? -1 : r.size(),
                null,
                r.annotations(),
                List.of(),
                r.artifactType()));
      }
      token = page.nextToken();
    } while (token != null && !token.isEmpty());
    return Referrers.select(listed, types);
  }

  /** PutImage by digest: ECR lists an image with a subject among its subject's referrers. */
  @Override
  public Digest putReferrer(ImageRef repository, Manifest referrer) {
    return put(repository.withDigest(referrer.digest()), referrer);
  }

  // --- blobs, through the registry endpoint

  @Override
  public boolean hasBlob(ImageRef repository, Descriptor blob) {
    BlobRegistry registry = registryOf(repository);
    return registry.backend().hasBlob(registry.ref(repository), blob);
  }

  /**
   * Mounts within one ECR registry (the same account and region) where the registry endpoint does
   * (ECR's blob mounting is a registry setting; without it the mount is declined and the blob is
   * streamed); across accounts or regions there is nothing to mount from: false.
   */
  @Override
  public boolean mountBlob(ImageRef repository, Descriptor blob, ImageRef from) {
    if (!from.transport().equals(EcrBackendProvider.TRANSPORT)
        || !registryKey(repository).equals(registryKey(from))) {
      options.debug(
          "mount "
              + blob.digest()
              + " into "
              + repository.repositoryName()
              + ": "
              + from.repositoryName()
              + " is in another registry; not mounting");
      return false;
    }
    BlobRegistry registry = registryOf(repository);
    return registry.backend().mountBlob(registry.ref(repository), blob, registry.ref(from));
  }

  @Override
  public InputStream openBlob(ImageRef repository, Descriptor blob) {
    BlobRegistry registry = registryOf(repository);
    return registry.backend().openBlob(registry.ref(repository), blob);
  }

  @Override
  public void pushBlob(ImageRef repository, Descriptor blob, InputStream body) {
    BlobRegistry registry = registryOf(repository);
    registry.backend().pushBlob(registry.ref(repository), blob, body);
  }

  /** As its registry endpoint's: {@code --timeout}. */
  @Override
  public Duration retryWithin() {
    return options.get(RegistryOptions.TIMEOUT);
  }

  /**
   * A registry endpoint and the backend that speaks to it with its login.
   *
   * @param host the endpoint's host[:port]: the registry of the references it is asked about
   */
  record BlobRegistry(RegistryLogin login, DistributionBackend backend, String host) {
    /** The ECR repository on the registry endpoint: the same repository name. */
    ImageRef ref(ImageRef ecr) {
      return new ImageRef(ImageRef.DOCKER, host, ecr.repository(), null, null);
    }
  }

  /**
   * The registry endpoint of the reference's registry, logged in: GetAuthorizationToken at the
   * first use and again shortly before its token expires, one call for any number of blobs.
   */
  synchronized BlobRegistry registryOf(ImageRef ref) {
    String hostRegion = EcrHost.of(ref).map(EcrHost::region).orElse(region);
    if (!hostRegion.equals(region)) {
      throw new OcitagException.InvalidInput(
          ref.repositoryName()
              + " is in region "
              + hostRegion
              + ", and this ECR backend was opened for "
              + region);
    }
    String key = registryKey(ref);
    BlobRegistry current = registries.get(key);
    Instant now = clock.instant();
    if (current != null && current.login().fresh(now)) {
      return current;
    }
    RegistryLogin login = RegistryLogin.fetch(client, registryId(ref), now, options);
    DistributionBackend backend =
        DistributionBackend.open(login.endpoint(), login.username(), login.password(), options);
    BlobRegistry opened = new BlobRegistry(login, backend, login.endpoint().getRawAuthority());
    registries.put(key, opened);
    if (current != null) {
      current.backend().close(); // it only lets idle connections go: blobs under way go on
    }
    return opened;
  }

  /** Account and region: which ECR registry a reference is in. */
  private String registryKey(ImageRef ref) {
    String account = registryId(ref);
    return (account == null ? "caller" : account)
        + "@"
        + EcrHost.of(ref).map(EcrHost::region).orElse(region);
  }

  @Override
  public void close() {
    synchronized (this) {
      registries.values().forEach(r -> r.backend().close());
      registries.clear();
    }
    client.close();
  }

  // --- helpers

  private BatchGetImageResponse batchGet(ImageRef ref, List<ImageIdentifier> ids) {
    try {
      return client.batchGetImage(
          b ->
              b.registryId(registryId(ref))
                  .repositoryName(ref.repository())
                  .imageIds(ids)
                  .acceptedMediaTypes(MediaTypes.ALL));
    } catch (SdkException e) {
      throw EcrErrors.map("BatchGetImage " + describeIds(ref, ids), e);
    }
  }

  private static String describeIds(ImageRef ref, List<ImageIdentifier> ids) {
    return ids.size() == 1 ? ref.toString() : ids.size() + " images of " + ref.repositoryName();
  }

  private static ImageIdentifier identifier(ImageRef ref) {
    // The digest names the bytes; with a tag as well, ECR checks that they still agree.
    if (ref.digest() != null) {
      return ImageIdentifier.builder().imageDigest(ref.digest().toString()).build();
    }
    if (ref.tag() != null) {
      return ImageIdentifier.builder().imageTag(ref.tag()).build();
    }
    throw new OcitagException.InvalidInput("reference '" + ref + "' names no tag or digest");
  }

  private String registryId(ImageRef ref) {
    return EcrHost.of(ref).map(EcrHost::registryId).orElse(defaultRegistryId);
  }

  private static Manifest manifestOf(ImageRef ref, Image image) {
    byte[] bytes = image.imageManifest().getBytes(StandardCharsets.UTF_8);
    Digest reported = digestOf(ref, image);
    if (!reported.matches(bytes)) {
      throw new OcitagException.Failed(
          "BatchGetImage "
              + ref
              + ": ECR reports digest "
              + reported
              + " but the manifest it returned hashes to "
              + Digest.of(bytes));
    }
    Manifest manifest = Manifest.of(bytes, image.imageManifestMediaType());
    if (ref.digest() != null && !ref.digest().equals(manifest.digest())) {
      throw new OcitagException.Failed(
          "BatchGetImage " + ref + ": returned bytes hash to " + manifest.digest());
    }
    return manifest;
  }

  private static Digest digestOf(ImageRef ref, Image image) {
    String digest = image.imageId() == null ? null : image.imageId().imageDigest();
    if (digest == null) {
      throw new OcitagException.Failed("BatchGetImage " + ref + ": ECR returned no image digest");
    }
    return Digest.parse(digest);
  }

  /** The manifest as the string PutImage takes; refused when that would not be its exact bytes. */
  private static String manifestText(Manifest manifest) {
    byte[] bytes = manifest.bytes();
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (!Arrays.equals(bytes, text.getBytes(StandardCharsets.UTF_8))) {
      throw new OcitagException.InvalidInput(
          "manifest " + manifest.digest() + " is not valid UTF-8, which the ECR API cannot carry");
    }
    return text;
  }

  private static boolean isNotFound(ImageFailure f) {
    return "ImageNotFound".equals(f.failureCodeAsString());
  }

  private static OcitagException failure(String what, ImageFailure f) {
    String code = f.failureCodeAsString();
    String line = what + ": " + code + (f.failureReason() == null ? "" : ": " + f.failureReason());
    return switch (code == null ? "" : code) {
      case "ImageNotFound", "ImageTagDoesNotMatchDigest" -> new OcitagException.NotFound(line);
      case "InvalidImageDigest", "InvalidImageTag", "MissingDigestAndTag" ->
          new OcitagException.InvalidInput(line);
      case "ImageReferencedByManifestList" -> new OcitagException.Refused(line);
      case "UpstreamAccessDenied" -> new OcitagException.Denied(line);
      case "UpstreamTooManyRequests", "UpstreamUnavailable" -> new OcitagException.Transient(line);
      default -> new OcitagException.Failed(line);
    };
  }
}
