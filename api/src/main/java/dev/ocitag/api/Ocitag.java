package dev.ocitag.api;

import dev.ocitag.core.BackendOption;
import dev.ocitag.core.BackendOptions;
import dev.ocitag.core.Backends;
import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.OcitagException;
import dev.ocitag.core.Stores;
import dev.ocitag.core.TagBackend;
import dev.ocitag.core.engine.TagEngine;
import dev.ocitag.core.engine.TagReport;
import dev.ocitag.distribution.RegistryOptions;
import dev.ocitag.ecr.EcrOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * ocitag in a Java program: put tags on container images and promote them, byte for byte, across
 * OCI image layouts, registries and Amazon ECR, in the calling JVM.
 *
 * <pre>{@code
 * try (Ocitag ocitag = Ocitag.builder().dockerConfig(Path.of("/ci/docker")).build()) {
 *   TagReport report =
 *       ocitag.tag("dev.example.com/app:1.0", "stable", "prod.example.com/app:1.0");
 *   for (TagResult result : report.results()) {
 *     System.out.println(result.outcome().label() + " " + result.target());
 *   }
 * }
 * }</pre>
 *
 * <p><b>References</b> are those of the command line: {@code [HOST[:PORT]/]NAME[:TAG|@DIGEST]} for
 * any registry, {@code ecr:REPO[:TAG|@DIGEST]} and {@code
 * ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO} for Amazon ECR, {@code oci:PATH[:TAG|@DIGEST]} for an
 * OCI image layout on disk. A <b>target</b> is a bare tag, meaning the source's repository, or a
 * full reference anywhere: then the image is copied there first (blobs, then child manifests, then
 * the tag, last).
 *
 * <p><b>Errors</b> are {@link OcitagException}s. Every method checks all its arguments before it
 * reads or writes anything and throws {@link OcitagException.InvalidInput} for a null or malformed
 * one, so a bad reference never leaves a half-done tag. Later failures are {@link
 * OcitagException.NotFound}, {@link OcitagException.Denied}, {@link OcitagException.Refused},
 * {@link OcitagException.Transient} or {@link OcitagException.Failed}; {@link #tag} and {@link
 * #batch} report each target's outcome (created, moved, unchanged, blocked, failed) in the {@link
 * TagReport} instead of throwing.
 *
 * <p>An instance keeps one backend per store it has used (a registry's connections and tokens, an
 * ECR client) open until {@link #close}. It is thread-safe: calls may run at once.
 */
public final class Ocitag implements AutoCloseable {
  private final Stores stores;
  private final TagEngine.Options engineOptions;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Ocitag(BackendOptions options, TagEngine.Options engineOptions) {
    this.stores = new Stores(options);
    this.engineOptions = engineOptions;
  }

  /**
   * A builder with the defaults of the command line: credentials from {@code DOCKER_CONFIG} or
   * {@code ~/.docker} and the AWS SDK's default chain, 8 writes at once, writes on, no debug log.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Puts the targets on the image {@code source} names, as {@code ocitag tag} does.
   *
   * @param source the image, by tag or digest
   * @param targets bare tags (the source's repository) or full references anywhere
   * @return each target's outcome, in the order given (duplicates once)
   * @throws OcitagException.InvalidInput for a null or malformed reference, no target, or a target
   *     with a digest; nothing has been read or written then
   * @throws OcitagException when the source cannot be fetched (such as {@link
   *     OcitagException.NotFound}); a target that fails is reported, not thrown
   */
  public TagReport tag(String source, String... targets) {
    if (targets == null) {
      throw new OcitagException.InvalidInput("the targets are null");
    }
    return tag(source, Arrays.asList(targets));
  }

  /**
   * Puts the targets on the image {@code source} names; see {@link #tag(String, String...)}.
   *
   * @param source the image, by tag or digest
   * @param targets bare tags (the source's repository) or full references anywhere
   * @return each target's outcome, in the order given (duplicates once)
   * @throws OcitagException.InvalidInput for a null or malformed reference, no target, or a target
   *     with a digest; nothing has been read or written then
   * @throws OcitagException when the source cannot be fetched; a target that fails is reported, not
   *     thrown
   */
  public TagReport tag(String source, List<String> targets) {
    ImageRef src = parse(source, "source");
    List<ImageRef> plan = TagEngine.plan(src, targets(src, targets));
    return engine().tag(src, plan);
  }

  /**
   * Runs many retags and promotions at once, as {@code ocitag batch} does: every source is fetched
   * once, and the targets are written on one bounded pool, spread over the repositories. Sources
   * that name the same image are merged.
   *
   * @param retags each source's targets (bare tags or full references); the reports follow the
   *     map's iteration order, so pass a {@link LinkedHashMap} to keep yours
   * @return one report per source; a source that cannot be fetched comes last, every target failed
   *     with the reason
   * @throws OcitagException.InvalidInput for a null or malformed reference anywhere in the map, a
   *     source without targets, or a target with a digest; nothing has been read or written then
   */
  public List<TagReport> batch(Map<String, ? extends List<String>> retags) {
    if (retags == null) {
      throw new OcitagException.InvalidInput("the retags are null");
    }
    Map<ImageRef, List<ImageRef>> plans = new LinkedHashMap<>();
    for (Map.Entry<String, ? extends List<String>> retag : retags.entrySet()) {
      ImageRef src = parse(retag.getKey(), "source");
      plans.computeIfAbsent(src, s -> new ArrayList<>()).addAll(targets(src, retag.getValue()));
    }
    plans.replaceAll(TagEngine::plan); // every plan checked before the engine opens anything
    return engine().batch(plans);
  }

  /**
   * The manifest a reference names, as {@code ocitag manifest} prints it: {@link Manifest#bytes()}
   * are the exact bytes the store holds, with their media type and digest (checked against a
   * reference by digest).
   *
   * @param reference an image, by tag or digest
   * @return the manifest
   * @throws OcitagException.InvalidInput for a null or malformed reference, or one without a tag or
   *     digest
   * @throws OcitagException.NotFound when there is no such image
   */
  public Manifest manifest(String reference) {
    ImageRef ref = parse(reference, "reference");
    if (ref.tag() == null && ref.digest() == null) {
      throw new OcitagException.InvalidInput(
          "reference '" + reference + "' names no tag or digest");
    }
    return backend(ref).fetch(ref);
  }

  /**
   * The digest of the manifest a reference names: the sha256 of its exact bytes.
   *
   * @param reference an image, by tag or digest
   * @return the digest, such as {@code sha256:7143...}
   * @throws OcitagException.InvalidInput for a null or malformed reference, or one without a tag or
   *     digest
   * @throws OcitagException.NotFound when there is no such image
   */
  public Digest digest(String reference) {
    return manifest(reference).digest();
  }

  /**
   * Every tag of a repository, across all pages.
   *
   * @param repository a repository; a tag or digest on it is ignored
   * @return the tags, in the store's order
   * @throws OcitagException.InvalidInput for a null or malformed reference
   * @throws OcitagException.NotFound when there is no such repository
   */
  public List<String> tags(String repository) {
    ImageRef repo = parse(repository, "repository").repositoryRef();
    try (Stream<String> tags = backend(repo).tags(repo)) {
      return tags.toList();
    }
  }

  /**
   * Removes a tag, as {@code ocitag untag} does: the image stays, and so do its other tags. It is
   * not a dry run even when the builder's {@link Builder#dryRun} is set.
   *
   * @param reference {@code REPO:TAG}, without a digest
   * @throws OcitagException.InvalidInput for a null or malformed reference, or one that is not a
   *     tag
   * @throws OcitagException.NotFound when there is no such tag
   */
  public void untag(String reference) {
    ImageRef ref = parse(reference, "reference");
    if (ref.tag() == null || ref.digest() != null) {
      throw new OcitagException.InvalidInput(
          "untag takes tags: '" + reference + "' must be REPO:TAG (without a digest)");
    }
    backend(ref).untag(ref);
  }

  /** Closes every backend this instance opened; later calls throw {@link IllegalStateException}. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      stores.close();
    }
  }

  private TagEngine engine() {
    requireOpen();
    return new TagEngine(stores, engineOptions, TagEngine.Listener.NONE);
  }

  private TagBackend backend(ImageRef ref) {
    requireOpen();
    return stores.apply(ref);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this Ocitag is closed");
    }
  }

  private static ImageRef parse(String text, String what) {
    if (text == null) {
      throw new OcitagException.InvalidInput("the " + what + " reference is null");
    }
    return Backends.parse(text);
  }

  private static List<ImageRef> targets(ImageRef source, List<String> targets) {
    if (targets == null) {
      throw new OcitagException.InvalidInput("the targets of " + source + " are null");
    }
    List<ImageRef> refs = new ArrayList<>(targets.size());
    for (String target : targets) {
      if (target == null) {
        throw new OcitagException.InvalidInput("a target of " + source + " is null");
      }
      refs.add(ImageRef.target(source, target));
    }
    return refs;
  }

  /**
   * The options of an {@link Ocitag}: those of the command line, by name or as any backend's typed
   * {@link BackendOption}. A null value means the default. Not thread-safe; {@link #build} may be
   * called more than once.
   */
  public static final class Builder {
    private BackendOptions options = BackendOptions.defaults();
    private int parallelism = 8;
    private boolean dryRun;
    private boolean noOverwrite;

    private Builder() {
      loadBackends(); // before option() asks which options they declare
    }

    /**
     * The docker config directory whose {@code config.json} holds registry credentials ({@code
     * auths}, {@code credHelpers}, {@code credsStore}): {@code --docker-config}.
     *
     * @param dir the directory, or null for {@code DOCKER_CONFIG}, else {@code ~/.docker}
     * @return this builder
     */
    public Builder dockerConfig(Path dir) {
      return option(RegistryOptions.DOCKER_CONFIG, dir);
    }

    /**
     * CA certificates to trust for registries besides the platform's: {@code --ca-file}.
     *
     * @param pem a PEM file, or null for none
     * @return this builder
     */
    public Builder caFile(Path pem) {
      return option(RegistryOptions.CA_FILE, pem);
    }

    /**
     * Skip TLS certificate verification for registries: {@code --insecure}.
     *
     * @param insecure whether to skip it
     * @return this builder
     */
    public Builder insecure(boolean insecure) {
      return option(RegistryOptions.INSECURE, insecure);
    }

    /**
     * Speak HTTP, not HTTPS, to registries: {@code --plain-http}. Without it, HTTPS first, and HTTP
     * only for a loopback registry that does not speak TLS.
     *
     * @param plainHttp whether to use HTTP
     * @return this builder
     */
    public Builder plainHttp(boolean plainHttp) {
      return option(RegistryOptions.PLAIN_HTTP, plainHttp);
    }

    /**
     * How long one logical registry request may take, retries included: {@code --timeout}.
     *
     * @param timeout more than zero, or null for the default (60 seconds)
     * @return this builder
     * @throws OcitagException.InvalidInput for zero or less
     */
    public Builder timeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new OcitagException.InvalidInput("the timeout must be more than zero: " + timeout);
      }
      return option(RegistryOptions.TIMEOUT, timeout);
    }

    /**
     * The AWS region for ECR: {@code --region}.
     *
     * @param region such as {@code eu-west-1}, or null for the AWS SDK's default chain
     * @return this builder
     */
    public Builder region(String region) {
      return option(EcrOptions.REGION, region);
    }

    /**
     * The AWS profile for ECR: {@code --profile}.
     *
     * @param profile a profile name, or null for the AWS SDK's default chain
     * @return this builder
     */
    public Builder profile(String profile) {
      return option(EcrOptions.PROFILE, profile);
    }

    /**
     * The ECR API endpoint: {@code --endpoint-url}.
     *
     * @param url an endpoint URL, or null for {@code AWS_ENDPOINT_URL_ECR}, else AWS's own
     * @return this builder
     */
    public Builder endpointUrl(String url) {
      return option(EcrOptions.ENDPOINT_URL, url);
    }

    /**
     * The ECR registry (account) id that {@code ecr:} references name: {@code --registry-id}.
     *
     * @param accountId a 12-digit account id, or null for the caller's account
     * @return this builder
     */
    public Builder registryId(String accountId) {
      return option(EcrOptions.REGISTRY_ID, accountId);
    }

    /**
     * Any installed backend's option, by its typed key, such as {@code
     * option(RegistryOptions.TIMEOUT, Duration.ofSeconds(30))}.
     *
     * @param <T> the option's value type
     * @param option a key an installed backend declares
     * @param value the value, or null for the option's default
     * @return this builder
     * @throws OcitagException.InvalidInput for a null option or one no installed backend reads
     */
    public <T> Builder option(BackendOption<T> option, T value) {
      if (option == null) {
        throw new OcitagException.InvalidInput("the option is null");
      }
      if (!Backends.options().contains(option)) {
        throw new OcitagException.InvalidInput(
            "option " + option + " is not one an installed backend reads");
      }
      options = options.with(option, value);
      return this;
    }

    /**
     * How many targets, and how many blobs, are written at once: {@code -j}.
     *
     * @param n at least 1; 8 by default
     * @return this builder
     * @throws OcitagException.InvalidInput for less than 1
     */
    public Builder parallelism(int n) {
      if (n < 1) {
        throw new OcitagException.InvalidInput("parallelism must be at least 1, not " + n);
      }
      parallelism = n;
      return this;
    }

    /**
     * Decide every outcome of {@link Ocitag#tag} and {@link Ocitag#batch} but write nothing: {@code
     * --dry-run}.
     *
     * @param dryRun whether to write nothing
     * @return this builder
     */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /**
     * Block a tag that already points at another image: {@code --no-overwrite}. Such a target ends
     * {@code blocked}.
     *
     * @param noOverwrite whether to block it
     * @return this builder
     */
    public Builder noOverwrite(boolean noOverwrite) {
      this.noOverwrite = noOverwrite;
      return this;
    }

    /**
     * The debug log: one line per registry or ECR request and response, secrets redacted, as {@code
     * --debug} prints them. The sink may be called from several threads.
     *
     * @param sink receives each line, or null for none
     * @return this builder
     */
    public Builder debug(Consumer<String> sink) {
      options = options.withDebug(sink);
      return this;
    }

    /**
     * An {@link Ocitag} with these options. It opens nothing yet: each store is opened when a
     * reference first needs it.
     *
     * @return a new instance, to be closed
     */
    public Ocitag build() {
      return new Ocitag(
          options.withParallelism(parallelism),
          new TagEngine.Options(dryRun, noOverwrite, parallelism));
    }

    /**
     * Finds the backends with the class loader that loaded ocitag: {@link java.util.ServiceLoader}
     * looks in the thread's context class loader, which in a build tool's plugin need not see
     * ocitag's jars. They are found once per class loader, so the first call decides.
     */
    private static void loadBackends() {
      Thread thread = Thread.currentThread();
      ClassLoader before = thread.getContextClassLoader();
      thread.setContextClassLoader(Ocitag.class.getClassLoader());
      try {
        Backends.providers();
      } finally {
        thread.setContextClassLoader(before);
      }
    }
  }
}
