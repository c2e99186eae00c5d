package dev.ocitag.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** The {@link TagBackendProvider}s on the class path: who claims a reference, and its backend. */
public final class Backends {
  private Backends() {}

  /** Loaded once, the most specific first. */
  private static final class Installed {
    static final List<TagBackendProvider> PROVIDERS = load();

    private static List<TagBackendProvider> load() {
      List<TagBackendProvider> list = new ArrayList<>();
      ServiceLoader.load(TagBackendProvider.class).forEach(list::add);
      list.sort(Comparator.comparingInt(TagBackendProvider::specificity).reversed());
      return List.copyOf(list);
    }
  }

  /** Every installed provider, the most specific first. */
  public static List<TagBackendProvider> providers() {
    return Installed.PROVIDERS;
  }

  /**
   * Parses a reference: the most specific provider that claims it parses it. Text no provider
   * claims is read by the docker grammar, so that a malformed reference is named as such (and
   * opening it says that no backend serves it).
   */
  public static ImageRef parse(String text) {
    ImageRef.checkText(text);
    for (TagBackendProvider provider : providers()) {
      Optional<ImageRef> claimed = provider.claim(text);
      if (claimed.isPresent()) {
        return claimed.get();
      }
    }
    return ImageRef.parseDocker(text);
  }

  /** The provider of the reference's transport. */
  public static TagBackendProvider provider(ImageRef ref) {
    for (TagBackendProvider provider : providers()) {
      if (provider.transport().equals(ref.transport())) {
        return provider;
      }
    }
    throw new OcitagException.InvalidInput(
        "no backend for " + ref.transport() + " references such as '" + ref + "' is installed");
  }

  public static TagBackend open(ImageRef ref, BackendOptions options) {
    return provider(ref).open(ref, options);
  }

  /** Every installed provider's options, each once, in provider then declaration order. */
  public static List<BackendOption<?>> options() {
    List<BackendOption<?>> all = new ArrayList<>();
    providers().stream()
        .sorted(Comparator.comparing(TagBackendProvider::transport))
        .forEach(p -> p.options().stream().filter(o -> !all.contains(o)).forEach(all::add));
    return all;
  }
}
