package dev.ocitag.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.tools.jib.api.Credential;
import com.google.cloud.tools.jib.registry.credentials.CredentialHelperNotFoundException;
import com.google.cloud.tools.jib.registry.credentials.CredentialHelperUnhandledServerUrlException;
import com.google.cloud.tools.jib.registry.credentials.DockerCredentialHelper;
import dev.ocitag.core.Json;
import dev.ocitag.core.OcitagException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * One {@code docker-credential-<name> get}, run by Jib core's {@link DockerCredentialHelper} (the
 * helper protocol: the server on standard input, {@code {"Username","Secret"}} on standard output,
 * {@code <token>} for an identity token). What ocitag adds around it:
 *
 * <ul>
 *   <li>the helper is found on the PATH of the environment the lookup was given (Jib would leave
 *       that to the JVM's own PATH), and a helper that is not there is a failure, not anonymous;
 *   <li>a time bound: Jib reads the helper's output to its end, so a helper waiting for a prompt (a
 *       keychain, pinentry) would hang ocitag; at the deadline the helper and its children are
 *       killed and the lookup fails naming both the helper and the registry;
 *   <li>"credentials not found" means anonymous; any other helper failure is reported with the
 *       helper's words, never with an answer that carries a secret.
 * </ul>
 *
 * Loaded only when a docker config names a helper: nothing else in a run touches Jib.
 */
final class CredentialHelper {
  private static final String RUN_MARK = "OCITAG_CREDENTIAL_LOOKUP";

  private final String program;
  private final Path executable;
  private final Path configFile;

  private CredentialHelper(String program, Path executable, Path configFile) {
    this.program = program;
    this.executable = executable;
    this.configFile = configFile;
  }

  /** The helper {@code docker-credential-<name>} on {@code path}, or a one-line failure. */
  static CredentialHelper find(String name, String path, Path configFile) {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new OcitagException.InvalidInput(
          "credential helper name '" + name + "' in " + configFile + " is not a plain name");
    }
    String program = "docker-credential-" + name;
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path candidate = Path.of(dir, program);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return new CredentialHelper(program, candidate.toAbsolutePath(), configFile);
        }
      }
    }
    throw new OcitagException.Failed(
        "credential helper " + program + " (named in " + configFile + ") is not on the PATH");
  }

  String program() {
    return program;
  }

  Path executable() {
    return executable;
  }

  /**
   * Asks the helper for {@code server}'s credentials ({@code registry} names it in messages); empty
   * when the helper has none.
   */
  Optional<Credentials> get(String server, String registry, Deadline deadline) {
    String source = program + " (from " + configFile + ")";
    Set<Long> before = childPids();
    // marks this run's process (and what it starts) so that a timeout kills it and nothing else
    String mark = RUN_MARK + "=" + UUID.randomUUID();
    Map<String, String> env = Map.of(RUN_MARK, mark.substring(RUN_MARK.length() + 1));
    Credential answer;
    try {
      answer =
          deadline.run(
              "credential-helper",
              () -> new DockerCredentialHelper(server, executable, env).retrieve());
    } catch (Deadline.Expired e) {
      int killed = killStartedSince(before, mark);
      throw new OcitagException.Failed(
          "credential helper "
              + program
              + " did not answer for "
              + registry
              + " within "
              + deadline.describe()
              + (killed > 0 ? " and was stopped" : "")
              + " (is it waiting for a prompt?)");
    } catch (InterruptedException e) {
      killStartedSince(before, mark);
      Thread.currentThread().interrupt();
      throw new OcitagException.Failed("interrupted while running " + program);
    } catch (CredentialHelperUnhandledServerUrlException e) {
      return unhandled(e, server, registry, source);
    } catch (CredentialHelperNotFoundException e) {
      throw new OcitagException.Failed(
          "cannot run credential helper " + executable + " named in " + configFile);
    } catch (Exception e) {
      throw new OcitagException.Failed(
          "credential helper "
              + program
              + " failed for "
              + registry
              + ": "
              + RegistryError.oneLine(String.valueOf(e.getMessage())));
    }
    if (answer.isOAuth2RefreshToken()) {
      return Optional.of(new Credentials("", null, answer.getPassword(), source));
    }
    return Optional.of(new Credentials(answer.getUsername(), answer.getPassword(), null, source));
  }

  /**
   * Jib's "has nothing for server": the helper printed "credentials not found", printed nothing
   * (its standard error is then in the message), or answered JSON without a user name or secret.
   */
  private Optional<Credentials> unhandled(
      CredentialHelperUnhandledServerUrlException e,
      String server,
      String registry,
      String source) {
    String message = String.valueOf(e.getMessage());
    String marker = "Got output:";
    int at = message.indexOf(marker);
    String said = (at < 0 ? message : message.substring(at + marker.length())).strip();
    if (said.startsWith("{")) {
      JsonNode json;
      try {
        json = Json.read(said.getBytes(StandardCharsets.UTF_8));
      } catch (IOException notJson) {
        throw new OcitagException.Failed(
            program + " get answered something that is not JSON for " + registry);
      }
      String secret = json.path("Secret").asText("");
      if (secret.isEmpty()) {
        return Optional.empty(); // the helper holds nothing for this server
      }
      // a secret without a user name: what docker sends as user "" (Jib refuses it)
      return Optional.of(new Credentials("", secret, null, source));
    }
    if (said.toLowerCase(Locale.ROOT).contains("credentials not found")) {
      return Optional.empty();
    }
    if (said.isEmpty()) {
      throw new OcitagException.Failed(program + " get answered nothing for " + server);
    }
    if (said.toLowerCase(Locale.ROOT).contains("secret") || !said.matches("(?s).*\\s.*")) {
      // not JSON, yet it speaks of a secret, or it is one word (a bare token echoed to standard
      // output looks like that; an error message has words): not worth the risk of printing it
      throw new OcitagException.Failed(
          program + " get answered something that is not JSON for " + registry);
    }
    // a failing helper's own words carry no secret (it failed to produce one)
    throw new OcitagException.Failed(
        program + " get failed for " + server + ": " + RegistryError.oneLine(said));
  }

  private static Set<Long> childPids() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  /**
   * Kills the processes of this run that this JVM started since {@code before} was taken, with
   * their children (a prompt the helper started), and says how many it found.
   */
  private int killStartedSince(Set<Long> before, String mark) {
    List<ProcessHandle> started =
        ProcessHandle.current()
            .children()
            .filter(p -> !before.contains(p.pid()) && isThisRun(p, mark))
            .toList();
    for (ProcessHandle helper : started) {
      helper.descendants().forEach(ProcessHandle::destroyForcibly);
      helper.destroyForcibly();
    }
    return started.size();
  }

  /**
   * Where the system shows a process's environment (Linux), this run's mark; elsewhere the helper's
   * path: a binary helper runs as itself, a script as its interpreter with the script's path.
   */
  private boolean isThisRun(ProcessHandle p, String mark) {
    try {
      byte[] environ = Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), "environ"));
      // NUL-separated NAME=value entries
      return ("\0" + new String(environ, StandardCharsets.UTF_8)).contains("\0" + mark + "\0");
    } catch (IOException | RuntimeException e) {
      // no /proc: by the path
    }
    ProcessHandle.Info info = p.info();
    String path = executable.toString();
    String real;
    try {
      real = executable.toRealPath().toString();
    } catch (IOException e) {
      real = path;
    }
    String command = info.command().orElse("");
    if (command.equals(path) || command.equals(real)) {
      return true;
    }
    for (String argument : info.arguments().orElse(new String[0])) {
      if (argument.equals(path) || argument.equals(real)) {
        return true;
      }
    }
    return false;
  }
}
