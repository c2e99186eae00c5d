package dev.ocitag.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One option a backend reads, declared by its provider: a typed key into {@link BackendOptions},
 * with what a command line needs to offer it (flags, a value's name, help). Compared by identity:
 * each is a constant of the backend that owns it.
 *
 * @param <T> the value's type
 */
public final class BackendOption<T> {
  private final List<String> flags;
  private final String metavar;
  private final String help;
  private final Function<String, T> parser;
  private final T defaultValue;

  private BackendOption(
      List<String> flags, String metavar, String help, Function<String, T> parser, T def) {
    if (flags.isEmpty()) {
      throw new IllegalArgumentException("an option needs a flag");
    }
    this.flags = List.copyOf(flags);
    this.metavar = metavar;
    this.help = Objects.requireNonNull(help);
    this.parser = parser;
    this.defaultValue = def;
  }

  /** An on/off switch, off by default. */
  public static BackendOption<Boolean> flag(String help, String... flags) {
    return new BackendOption<>(List.of(flags), null, help, s -> Boolean.TRUE, Boolean.FALSE);
  }

  /** A text value, null by default. */
  public static BackendOption<String> text(String metavar, String help, String... flags) {
    return new BackendOption<>(List.of(flags), metavar, help, s -> s, null);
  }

  /** A file or directory, null by default. */
  public static BackendOption<Path> path(String metavar, String help, String... flags) {
    return new BackendOption<>(List.of(flags), metavar, help, Path::of, null);
  }

  /**
   * A value of another type.
   *
   * @param parser turns the command line's text into the value; throws {@link
   *     OcitagException.InvalidInput} (or IllegalArgumentException, reported with the flag) for a
   *     bad one
   */
  public static <T> BackendOption<T> of(
      String metavar, String help, Function<String, T> parser, T defaultValue, String... flags) {
    return new BackendOption<>(List.of(flags), metavar, help, parser, defaultValue);
  }

  /** The flags, e.g. {@code --region}; the last is the long one. */
  public List<String> flags() {
    return flags;
  }

  /** The value's name in help, or null for a switch. */
  public String metavar() {
    return metavar;
  }

  public String help() {
    return help;
  }

  public boolean takesValue() {
    return metavar != null;
  }

  public T defaultValue() {
    return defaultValue;
  }

  /** The value of a command line's text; a bad one is named with the flag. */
  public T parse(String text) {
    try {
      return parser.apply(text);
    } catch (OcitagException.InvalidInput e) {
      throw e;
    } catch (RuntimeException e) {
      throw new OcitagException.InvalidInput(
          "invalid value '" + text + "' for " + name() + ": " + e.getMessage());
    }
  }

  /** The long flag, as messages name the option. */
  public String name() {
    return flags.get(flags.size() - 1);
  }

  @Override
  public String toString() {
    return name();
  }
}
