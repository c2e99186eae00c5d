package dev.ocitag.cli;

import dev.ocitag.cli.Args.Option;
import dev.ocitag.cli.Args.Params;
import dev.ocitag.cli.Args.Spec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * {@code ocitag completion bash|zsh}: a completion script made from the same specs the parser and
 * the help use, so it cannot drift from them. zsh runs the bash function through {@code
 * bashcompinit}, as zsh ships it.
 */
final class CompletionCommand implements Command {
  static final Spec SPEC =
      new Spec(
          "completion",
          List.of(
              "Print a shell completion script for bash or zsh.",
              "bash: source <(ocitag completion bash)   (or save it in"
                  + " ~/.local/share/bash-completion/completions/ocitag)",
              "zsh:  source <(ocitag completion zsh)    (in ~/.zshrc)"),
          List.of(),
          new Params("SHELL", 1, 1, "bash or zsh"));

  @Override
  public int run(Main main, Args args) {
    String shell = args.params().get(0);
    String script = bash(Main.specs(), Main.GLOBAL);
    switch (shell) {
      case "bash" -> main.out.print(script);
      case "zsh" ->
          main.out.print(
              "# ocitag completion for zsh, through zsh's bash completion layer\n"
                  + "autoload -U +X compinit && compinit -u\n"
                  + "autoload -U +X bashcompinit && bashcompinit\n"
                  + script);
      default -> throw Args.usage(SPEC, "unknown shell '" + shell + "': want bash or zsh");
    }
    return ExitCode.OK;
  }

  /** The bash function: commands, each command's options, option values, oci: paths. */
  static String bash(Map<String, Spec> specs, List<Option> global) {
    StringBuilder s = new StringBuilder();
    s.append("# ocitag completion for bash: source <(ocitag completion bash)\n")
        .append("_ocitag() {\n")
        .append(
            "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=\"\" i\n")
        .append("  for ((i = 1; i < COMP_CWORD; i++)); do\n")
        .append("    case ${COMP_WORDS[i]} in\n");
    List<Option> all = new ArrayList<>(global);
    specs.values().forEach(spec -> all.addAll(spec.options()));
    String withValue = names(all.stream().filter(o -> o.label() != null).distinct().toList());
    if (!withValue.isEmpty()) {
      s.append("      ").append(withValue).append(") ((i++)) ;;\n");
    }
    s.append("      -*) ;;\n")
        .append("      *) cmd=${COMP_WORDS[i]}; break ;;\n")
        .append("    esac\n")
        .append("  done\n")
        .append("  case $prev in\n");
    for (Option o : all.stream().filter(o -> o.label() != null).distinct().toList()) {
      s.append("    ").append(String.join("|", o.names())).append(") ");
      s.append(
          switch (o.label()) {
            case "FORMAT" -> "COMPREPLY=($(compgen -W \"text json\" -- \"$cur\"))";
            case "DIR" -> "COMPREPLY=($(compgen -d -- \"$cur\"))";
            case "FILE", "PEM" -> "COMPREPLY=($(compgen -f -- \"$cur\"))";
            default -> "COMPREPLY=()";
          });
      s.append("; return ;;\n");
    }
    s.append("  esac\n")
        .append("  if [[ $cur == -* ]]; then\n")
        .append("    local opts=\"")
        .append(words(global))
        .append("\"\n")
        .append("    case $cmd in\n");
    for (Spec spec : specs.values()) {
      if (!spec.options().isEmpty()) {
        s.append("      ")
            .append(spec.name())
            .append(") opts=\"$opts ")
            .append(words(spec.options()))
            .append("\" ;;\n");
      }
    }
    s.append("    esac\n")
        .append("    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n")
        .append("    return\n")
        .append("  fi\n")
        .append("  case $cmd in\n")
        .append("    \"\" | help) COMPREPLY=($(compgen -W \"")
        .append(String.join(" ", specs.keySet()))
        .append("\" -- \"$cur\")); return ;;\n")
        .append("    completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")); return ;;\n");
    for (Spec spec : specs.values()) {
      if (spec.params().label().contains("FILE") || spec.params().label().contains("REPORT")) {
        s.append("    ")
            .append(spec.name())
            .append(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
      }
    }
    s.append("  esac\n")
        .append(
            "  # references: oci: completes directories (the layout's path); others are left as typed\n")
        .append(
            "  # Readline splits words at ':' (COMP_WORDBREAKS): the word is taken from the line,\n")
        .append("  # and where ':' splits, the reply is what follows the colon.\n")
        .append("  local line=${COMP_LINE:0:COMP_POINT}\n")
        .append("  local word=${line##*[[:space:]]}\n")
        .append("  if [[ $word == oci:* ]]; then\n")
        .append("    if [[ $COMP_WORDBREAKS == *:* ]]; then\n")
        .append("      COMPREPLY=($(compgen -d -- \"${word#oci:}\"))\n")
        .append("    else\n")
        .append("      COMPREPLY=($(compgen -d -P oci: -- \"${word#oci:}\"))\n")
        .append("    fi\n")
        .append("  else\n")
        .append("    COMPREPLY=($(compgen -W \"oci: ecr:\" -- \"$cur\"))\n")
        .append("  fi\n")
        .append("  compopt -o nospace 2>/dev/null\n")
        .append("}\n")
        .append("complete -F _ocitag ocitag\n");
    return s.toString();
  }

  private static String names(Collection<Option> options) {
    List<String> names = new ArrayList<>();
    options.forEach(o -> names.addAll(o.names()));
    return String.join("|", names);
  }

  private static String words(Collection<Option> options) {
    return names(options).replace('|', ' ');
  }
}
