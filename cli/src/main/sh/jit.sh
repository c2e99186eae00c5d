# Which JIT compilers a command line gets (and, for the release, where its class data archive is
# mapped); sourced (POSIX sh) by the repository launcher (./ocitag) and by the release's bin/ocitag,
# so that both choose alike.
#
# C1 alone with one compiler thread starts fastest (a cold retag takes ~20 % less CPU than with
# C2 as well; a batch of 200 retags ~40 % less), and retags are start-up bound. Moving blobs needs
# fast AES-GCM and SHA-256: BoringSSL's (dev.ocitag.core.NativeCrypto) run at full speed without
# any JIT, and then C1 alone is fastest for promotions too (a 256 MiB copy ~20 % faster, half the
# CPU: C2 would spend seconds compiling on a two-core machine). Where BoringSSL is not available
# (ocitag_native_crypto), the JDK's own go through C2's intrinsics at about a GB/s, through C1 at
# 10-40 MB/s; so there a command that may stream blobs keeps C2 (tiered): `tag` with a target that
# is not a bare tag, and `batch` with such a target in its file (a word after a line's first, or
# an entry of "targets", holding / : or @; standard input is not read ahead, so it keeps C2).
# Options that take a value are skipped with it, so a path is not taken for a reference; a wrong
# guess costs speed only.

# the JVM options of C1 alone
ocitag_c1_only="-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1"

# ocitag_takes_value ARG: whether option ARG takes the next word as its value
ocitag_takes_value() {
  case $1 in
    -o | -j | --output | --jobs | --ca-file | --timeout | --docker-config | --region | --profile | \
      --endpoint-url | --registry-id | --report | --referrers-type) return 0 ;;
  esac
  return 1
}

# ocitag_words FN ARGS...: calls FN with each word of the command line that is neither an option
# nor an option's value (the command, then its parameters), in order. FN returns 0 or 1 to decide,
# which ocitag_words then returns, or 2 to go on; 2 when every word went by undecided.
ocitag_words() {
  _ocitag_fn=$1 _ocitag_skip=""
  shift
  for _ocitag_arg in "$@"; do
    if [ -n "$_ocitag_skip" ]; then _ocitag_skip=""; continue; fi
    if ocitag_takes_value "$_ocitag_arg"; then _ocitag_skip=1; continue; fi
    case $_ocitag_arg in -?*) continue ;; esac
    "$_ocitag_fn" "$_ocitag_arg"
    _ocitag_rc=$?
    [ "$_ocitag_rc" = 2 ] || return "$_ocitag_rc"
  done
  return 2
}

# ocitag_batch_promotes FILE: whether batch FILE may name a target outside its source's repository
ocitag_batch_promotes() {
  [ "$1" != - ] && [ -f "$1" ] && [ -r "$1" ] || return 0
  case $(head -c 4096 "$1" | tr -d ' \t\r\n' | head -c 1) in
    '[' | '{') tr '\n' ' ' <"$1" | grep -qE '"targets"[[:space:]]*:[[:space:]]*\[[^]]*[/:@]' ;;
    *) grep -qE '^[[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]].*[/:@]' "$1" ;;
  esac
}

# ocitag_needs_c2 ARGS...: whether the command line may stream blobs through the JDK's own crypto
# (then C2 pays for itself)
ocitag_needs_c2() {
  ocitag_streams "$@" && ! ocitag_native_crypto
}

# ocitag_native_crypto: whether blobs get BoringSSL: Conscrypt ships it for Linux (glibc, not
# musl) and macOS on x86-64 and ARM64, unless OCITAG_JAVA_OPTS turns it off
# (-Docitag.nativeCrypto=false)
ocitag_native_crypto() {
  case " ${OCITAG_JAVA_OPTS:-} " in *" -Docitag.nativeCrypto="[Ff][Aa][Ll][Ss][Ee]" "*) return 1 ;; esac
  case $(uname -sm 2>/dev/null) in
    "Linux x86_64" | "Linux aarch64")
      for _ocitag_musl in /lib/ld-musl-*; do
        [ -e "$_ocitag_musl" ] && return 1
      done
      return 0
      ;;
    "Darwin x86_64" | "Darwin arm64") return 0 ;;
  esac
  return 1
}

# ocitag_streams ARGS...: whether the command line may stream blobs
ocitag_streams() {
  _ocitag_command="" _ocitag_params=0
  ocitag_words _ocitag_streams_word "$@"
  [ $? = 0 ]
}
_ocitag_streams_word() {
  if [ -z "$_ocitag_command" ]; then
    _ocitag_command=$1
    [ "$1" = tag ] || [ "$1" = batch ] || return 1
    return 2
  fi
  if [ "$_ocitag_command" = batch ]; then
    ocitag_batch_promotes "$1" && return 0
    return 1
  fi
  _ocitag_params=$((_ocitag_params + 1))
  if [ "$_ocitag_params" -gt 1 ]; then
    case $1 in
      '' | [.-]* | *[!A-Za-z0-9_.-]*) return 0 ;; # a target in another repository or store
    esac
  fi
  return 2
}

# ocitag_local ARGS...: whether the command line stays on disk: no command (--version, --help),
# help or completion, or a command whose every reference is an OCI layout (oci:...) or a bare
# target tag. The release's bin/ocitag maps its class data archive where it was made for these (a
# start that touches few of its classes), and relocates it for the rest (JDK 25 then writes its
# pages once, up front, rather than one copy-on-write fault at a time: faster for the ~3,000
# classes a registry command loads). A batch file or a rollback report is not read ahead.
ocitag_local() {
  _ocitag_command="" _ocitag_params=0
  ocitag_words _ocitag_local_word "$@"
  [ $? != 1 ]
}
_ocitag_local_word() {
  if [ -z "$_ocitag_command" ]; then
    _ocitag_command=$1
    case $1 in
      help | completion) return 0 ;;
      batch | rollback) return 1 ;;
    esac
    return 2
  fi
  _ocitag_params=$((_ocitag_params + 1))
  case $1 in oci:*) return 2 ;; esac
  [ "$_ocitag_command" = tag ] && [ "$_ocitag_params" -gt 1 ] || return 1
  case $1 in '' | [.-]* | *[!A-Za-z0-9_.-]*) return 1 ;; esac
  return 2
}
