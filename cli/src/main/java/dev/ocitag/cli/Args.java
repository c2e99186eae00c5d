package dev.ocitag.cli;

import dev.ocitag.core.OcitagException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The command line, parsed against option and parameter specs. A hand-written parser on purpose:
 * picocli built its model by reflection and annotation proxies and loaded java.time and java.sql
 * for its converters, about half of a cold retag's start-up.
 */
final class Args {

  /**
   * An option: {@code names} like {@code -o} and {@code --output}; {@code label} is null for a
   * flag.
   */
  record Option(List<String> names, String label, String description) {
    static Option flag(String description, String... names) {
      return new Option(List.of(names), null, description);
    }

    static Option value(String label, String description, String... names) {
      return new Option(List.of(names), label, description);
    }

    String key() {
      return names.get(names.size() - 1);
    }

    // equals and hashCode by hand (Main keys a map with options at every start): the record's
    // generated ones bootstrap ObjectMethods at run time, which a class data archive cannot hold

    @Override
    public boolean equals(Object o) {
      return o instanceof Option other
          && names.equals(other.names)
          && Objects.equals(label, other.label)
          && description.equals(other.description);
    }

    @Override
    public int hashCode() {
      return Objects.hash(names, label, description);
    }
  }

  /** Positional parameters: {@code min} to {@code max} of them ({@code max} -1: any number). */
  record Params(String label, int min, int max, String description) {}

  /** A command: its name, what it does, its own options and its parameters. */
  record Spec(String name, List<String> description, List<Option> options, Params params) {}

  private final String command;
  private final Map<String, List<String>> values;
  private final Set<String> flags;
  private final List<String> params;

  private Args(
      String command, Map<String, List<String>> values, Set<String> flags, List<String> params) {
    this.command = command;
    this.values = values;
    this.flags = flags;
    this.params = params;
  }

  /**
   * Parses {@code argv}: global options anywhere, the command's own options after its name, a lone
   * {@code -} is a parameter, {@code --} ends the options. Throws InvalidInput with the usage hint.
   */
  static Args parse(String[] argv, List<Option> global, Map<String, Spec> commands) {
    Map<String, List<String>> values = new HashMap<>();
    Set<String> flags = new HashSet<>();
    List<String> params = new ArrayList<>();
    Spec spec = null;
    boolean optionsEnded = false;
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (!optionsEnded && arg.equals("--")) {
        optionsEnded = true;
      } else if (!optionsEnded && arg.startsWith("-") && arg.length() > 1) {
        int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
        String name = eq > 0 ? arg.substring(0, eq) : arg;
        String inline = eq > 0 ? arg.substring(eq + 1) : null;
        Option option = find(name, global, spec);
        if (option == null && !arg.startsWith("--") && arg.length() > 2) {
          option = find(arg.substring(0, 2), global, spec); // -ojson, -j4
          if (option != null && option.label() != null) {
            inline = arg.substring(2);
          } else {
            option = null;
          }
        }
        if (option == null) {
          throw usage(spec, "unknown option '" + arg + "'");
        }
        if (option.label() == null) {
          if (inline != null) {
            throw usage(spec, "option '" + name + "' takes no value");
          }
          flags.add(option.key());
        } else if (inline != null) {
          values.computeIfAbsent(option.key(), k -> new ArrayList<>()).add(inline);
        } else if (i + 1 < argv.length) {
          values.computeIfAbsent(option.key(), k -> new ArrayList<>()).add(argv[++i]);
        } else {
          throw usage(spec, "option '" + name + "' needs a value (" + option.label() + ")");
        }
      } else if (spec == null) {
        spec = commands.get(arg);
        if (spec == null) {
          throw usage(null, "unknown command '" + arg + "'");
        }
      } else {
        params.add(arg);
      }
    }
    return new Args(spec == null ? null : spec.name(), values, flags, params);
  }

  /** Checks the number of parameters against the command's spec. */
  void checkParams(Spec spec) {
    Params p = spec.params();
    if (params.size() < p.min()) {
      throw usage(
          spec,
          "missing parameters: want "
              + p.label()
              + (p.min() > 1 ? " (at least " + p.min() + ")" : ""));
    }
    if (p.max() >= 0 && params.size() > p.max()) {
      throw usage(spec, "unexpected parameter '" + params.get(p.max()) + "'");
    }
  }

  private static Option find(String name, List<Option> global, Spec spec) {
    for (List<Option> options : spec == null ? List.of(global) : List.of(global, spec.options())) {
      for (Option o : options) {
        if (o.names().contains(name)) {
          return o;
        }
      }
    }
    return null;
  }

  static OcitagException.InvalidInput usage(Spec spec, String message) {
    String help = spec == null ? "ocitag --help" : "ocitag " + spec.name() + " --help";
    return new OcitagException.InvalidInput(message + " (see '" + help + "')");
  }

  String command() {
    return command;
  }

  boolean flag(Option option) {
    return flags.contains(option.key());
  }

  /** The option's value; given more than once, the last. */
  String value(Option option) {
    List<String> given = values.get(option.key());
    return given == null ? null : given.get(given.size() - 1);
  }

  /** Every value of an option that may be given more than once, in order; empty if none. */
  List<String> values(Option option) {
    return values.getOrDefault(option.key(), List.of());
  }

  List<String> params() {
    return params;
  }

  /** An option's value as a whole number of at least 1, or the default. */
  int positive(Option option, int byDefault) {
    String v = value(option);
    if (v == null) {
      return byDefault;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new OcitagException.InvalidInput(
        "invalid value '" + v + "' for " + option.key() + ": want a whole number of at least 1");
  }

  /** The help text of a command, or of ocitag itself when {@code spec} is null. */
  static String help(
      Spec spec, List<Option> global, Map<String, Spec> commands, List<String> footer) {
    StringBuilder s = new StringBuilder();
    if (spec == null) {
      s.append("Usage: ocitag [OPTIONS] COMMAND ...\n\n")
          .append(
              "Put tags on container images, byte-exact: OCI layouts, registries, Amazon ECR.\n\n")
          .append("Commands:\n");
      commands
          .values()
          .forEach(c -> s.append(String.format("  %-10s %s%n", c.name(), c.description().get(0))));
    } else {
      Params p = spec.params();
      s.append("Usage: ocitag ")
          .append(spec.name())
          .append(" [OPTIONS] ")
          .append(p.label())
          .append("\n\n");
      spec.description().forEach(line -> s.append(line).append('\n'));
      s.append("\nParameters:\n").append(String.format("  %-26s %s%n", p.label(), p.description()));
      if (!spec.options().isEmpty()) {
        s.append("\nOptions:\n");
        spec.options().forEach(o -> s.append(line(o)));
      }
    }
    s.append("\nOptions for every command:\n");
    global.forEach(o -> s.append(line(o)));
    if (spec == null) {
      s.append('\n');
      footer.forEach(line -> s.append(line).append('\n'));
    }
    return s.toString();
  }

  private static String line(Option o) {
    String names = String.join(", ", o.names()) + (o.label() == null ? "" : " " + o.label());
    return String.format("  %-26s %s%n", names, o.description());
  }
}
