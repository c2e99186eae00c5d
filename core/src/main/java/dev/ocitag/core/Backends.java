package dev.ocitag.core;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The {@link TagBackendProvider}s on the class path: who claims a reference, and its backend.
 *
 * <p>They are found with {@link ServiceLoader}, unless the application names them in a {@value
 * #NAMED} resource (one class name a line; {@code #} starts a comment), as the ocitag CLI does in
 * its own jar: its class path is fixed when it is built, and finding every provider through
 * ServiceLoader opens every jar on the class path (about 60 for the CLI, ~50 ms of each cold
 * start), where the resource is read from the first ({@link ClassPathHead}). A named class that is
 * not on the class path is left out, as ServiceLoader leaves out what is not there.
 */
public final class Backends {
  /** The resource that names the providers, where an application does. */
  public static final String NAMED = "META-INF/ocitag/providers";

  private Backends() {}

  /** Loaded once, the most specific first. */
  private static final class Installed {
    static final List<TagBackendProvider> PROVIDERS = load();

    private static List<TagBackendProvider> load() {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      if (loader == null) {
        loader = ClassLoader.getSystemClassLoader();
      }
      List<TagBackendProvider> list = named(loader, loader == ClassLoader.getSystemClassLoader());
      if (list == null) {
        list = new ArrayList<>();
        ServiceLoader.load(TagBackendProvider.class, loader).forEach(list::add);
      }
      list.sort(BY_SPECIFICITY);
      return List.copyOf(list);
    }
  }

  /** The most specific first (no Comparator combinators: their lambdas cost every start). */
  private static final Comparator<TagBackendProvider> BY_SPECIFICITY =
      new Comparator<>() {
        @Override
        public int compare(TagBackendProvider a, TagBackendProvider b) {
          return Integer.compare(b.specificity(), a.specificity());
        }
      };

  /**
   * The providers {@link #NAMED} names, or null where no resource names them. {@code ownJar}: the
   * loader is the system class loader, so the class path's first entry is looked at first.
   */
  static List<TagBackendProvider> named(ClassLoader loader, boolean ownJar) {
    String where = NAMED;
    InputStream in;
    try {
      in = ownJar ? ClassPathHead.open(NAMED) : null;
      if (in == null) {
        URL url = loader.getResource(NAMED);
        if (url == null) {
          return null;
        }
        where = url.toString();
        in = url.openStream();
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + where + ": " + e, e);
    }
    List<TagBackendProvider> list = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        int hash = line.indexOf('#');
        String name = (hash < 0 ? line : line.substring(0, hash)).trim();
        if (name.isEmpty()) {
          continue;
        }
        Class<?> type;
        try {
          type = Class.forName(name, false, loader);
        } catch (ClassNotFoundException absent) {
          continue;
        }
        list.add(type.asSubclass(TagBackendProvider.class).getConstructor().newInstance());
      }
    } catch (IOException | ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("cannot load the backends " + where + " names: " + e, e);
    }
    return list;
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
    List<TagBackendProvider> byTransport = new ArrayList<>(providers());
    byTransport.sort(
        new Comparator<>() {
          @Override
          public int compare(TagBackendProvider a, TagBackendProvider b) {
            return a.transport().compareTo(b.transport());
          }
        });
    List<BackendOption<?>> all = new ArrayList<>();
    for (TagBackendProvider p : byTransport) {
      for (BackendOption<?> o : p.options()) {
        if (!all.contains(o)) {
          all.add(o);
        }
      }
    }
    return all;
  }
}
