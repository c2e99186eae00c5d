#!/usr/bin/env bash
# The repository launcher (./ocitag) as users meet it, on a copy of the built CLI in a temporary
# "repository": run through a symbolic link with neither flock nor `readlink -f`; a JDK change
# retrains the class data archive; a failing training run is not retried on every command; a Java
# older than 17 gets one clear line. Needs the CLI built (cli/target/ocitag.jar) and Temurin 25 or
# another second JDK (OCITAG_SECOND_JDK) for the JDK change.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
second_jdk="${OCITAG_SECOND_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { # check NAME CONDITION-EXIT-CODE [DETAIL]
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1${3:+: $3}"; fi
}

[ -f "$repo/cli/target/ocitag.jar" ] || { echo "launcher-test: build the CLI first (mvn package)" >&2; exit 1; }
copy="$work/repo"
mkdir -p "$copy/cli/target" "$copy/cli/src/main/sh" "$copy/examples"
cp "$repo/ocitag" "$copy/ocitag"
cp "$repo/cli/src/main/sh/jit.sh" "$copy/cli/src/main/sh/"
cp -r "$repo/examples/hello" "$copy/examples/hello"
cp -r "$repo/cli/target/ocitag.jar" "$repo/cli/target/lib" "$copy/cli/target/"
touch "$copy/cli/target/ocitag.jar"
target="$copy/cli/target"
layout="oci:$copy/examples/hello:latest"
real_java="$(command -v java)"

# 1. no flock, no timeout, a readlink without -f, started through a link from another directory
bin="$work/bin"
mkdir -p "$bin" "$work/elsewhere"
for tool in bash env find mkdir rmdir sleep sed rm mv touch tail cat dirname; do # no flock, no timeout (macOS)
  p="$(command -v "$tool")" && ln -s "$p" "$bin/$tool"
done
cat >"$bin/readlink" <<EOF
#!$(command -v bash)
[ "\$1" = -f ] && { echo "readlink: illegal option -- f" >&2; exit 1; }
exec $(command -v readlink) "\$@"
EOF
chmod +x "$bin/readlink"
ln -s "$copy/ocitag" "$work/elsewhere/ocitag"
jdk="$(dirname "$(dirname "$(readlink -f "$real_java")")")"
out="$(cd / && PATH="$bin" JAVA_HOME="$jdk" "$work/elsewhere/ocitag" digest "$layout" 2>&1)"
expected="sha256:$(sha256sum <"$copy/examples/hello/blobs/sha256/7143580665883bf4a770e8582aa3e742a246d8cdab57fac0870c6163a760f70a" | cut -d' ' -f1)"
[ "$out" = "$expected" ]
check "runs through a link without flock or readlink -f" $? "$out"
[ -f "$target/ocitag.jsa" ] && [ ! -d "$target/.launcher.lock.d" ]
check "trains the archive with the directory lock, and releases it" $?

# 2. a JDK change retrains; the archive says which JDK made it
if [ -x "$second_jdk/bin/java" ]; then
  before="$(sed -n 2p "$target/ocitag.jsa.java")"
  JAVA_HOME="$second_jdk" "$copy/ocitag" digest "$layout" >/dev/null 2>&1
  after="$(sed -n 2p "$target/ocitag.jsa.java")"
  [ "$before" != "$after" ] && [ "$after" = "$(readlink -f "$second_jdk/bin/java")" ]
  check "a JDK change retrains the archive" $? "$before -> $after"
  stamp="$(stat -c %Y.%s "$target/ocitag.jsa")"
  JAVA_HOME="$second_jdk" "$copy/ocitag" digest "$layout" >/dev/null 2>&1
  [ "$stamp" = "$(stat -c %Y.%s "$target/ocitag.jsa")" ]
  check "the same JDK again does not retrain" $?
  # a promotion loads BoringSSL (System.loadLibrary): JDK 24+ would warn on standard error unless
  # the jar's manifest enables native access
  err="$(JAVA_HOME="$second_jdk" "$copy/ocitag" tag "$layout" "oci:$work/native:v1" 2>&1 >/dev/null)"
  code=$?
  [ $code = 0 ] && [ -z "$err" ]
  check "a promotion on the second JDK loads BoringSSL without a word on standard error" $? "exit $code: $err"
else
  [ "${CI:-}" != true ]
  check "a second JDK for the JDK change test ($second_jdk)" $? "missing"
fi

# 3. a failing training run is tried once, not on every command
fake="$work/jdk-failing"
mkdir -p "$fake/bin"
cat >"$fake/bin/java" <<EOF
#!$(command -v bash)
for a in "\$@"; do
  case \$a in -XX:ArchiveClassesAtExit=*) echo x >>"$work/trainings"; exit 1 ;; esac
done
exec "$real_java" "\$@"
EOF
chmod +x "$fake/bin/java"
rm -f "$work/trainings"
err1="$(JAVA_HOME="$fake" "$copy/ocitag" digest "$layout" 2>&1 >/dev/null)"
out2="$(JAVA_HOME="$fake" "$copy/ocitag" digest "$layout" 2>"$work/err2")"
[ "$(wc -l <"$work/trainings")" = 1 ] && [ "$out2" = "$expected" ] && [ ! -s "$work/err2" ]
check "a failed training is not retried on the next command, which still runs" $? \
  "trainings: $(wc -l <"$work/trainings"); second run: $out2 $(cat "$work/err2")"
[[ $err1 == *"making the class data archive failed"* ]] && [ "$(wc -l <<<"$err1")" = 1 ]
check "the failed training says so in one line" $? "$err1"

# 4. a Java older than 17 gets one clear line and exit 1
old="$work/jdk-old"
mkdir -p "$old/bin"
cat >"$old/bin/java" <<'EOF'
#!/usr/bin/env bash
printf 'Property settings:\n    java.home = /opt/jdk-11\n    java.specification.version = 11\n\nopenjdk version "11.0.2"\n' >&2
exit 0
EOF
chmod +x "$old/bin/java"
err="$(JAVA_HOME="$old" "$copy/ocitag" digest "$layout" 2>&1 >/dev/null)"
code=$?
[ $code = 1 ] && [[ $err == *"needs Java 17 or newer"*"Java 11"* ]] && [ "$(wc -l <<<"$err")" = 1 ]
check "Java 11 is refused in one line with exit 1" $? "exit $code: $err"

# 5. C1 alone, for retags (start-up bound) and, with BoringSSL for blobs' TLS and digests (this
# machine: Linux x86-64, glibc), for promotions too. Without it (turned off, or another platform)
# C2 as well where blobs may stream (the JDK's TLS and SHA-256 go through C2's intrinsics): a
# promotion to another repository or store, in `tag` or in a batch file (text or JSON; standard
# input is not read ahead)
spy="$work/jdk-spy"
mkdir -p "$spy/bin"
cat >"$spy/bin/java" <<EOF
#!$(command -v bash)
printf '%s\n' "\$*" >>"$work/java-args"
exec "$real_java" "\$@"
EOF
chmod +x "$spy/bin/java"
JAVA_HOME="$spy" "$copy/ocitag" digest "$layout" >/dev/null 2>&1 # trains for this java; not counted
jit() { # jit ARGS...: the compilers of the JVM the launcher starts for that command line
  rm -f "$work/java-args"
  JAVA_HOME="$spy" "$copy/ocitag" "$@" >/dev/null 2>&1
  if grep -q -- '-XX:TieredStopAtLevel=1 .*-jar' "$work/java-args"; then echo c1; else echo tiered; fi
}
jits() { # the compilers for each of case 5's command lines
  local verdicts
  verdicts="$(jit --dry-run tag "$layout" v2 v3) $(jit -o json --ca-file /etc/x.pem tag -j 4 "$layout" v2)"
verdicts="$verdicts $(jit --dry-run tag "$layout" "oci:$work/other:v2")"
verdicts="$verdicts $(jit -o json --dry-run tag "$layout" v2 reg.example/app:1)"
printf '# %s oci:%s/x:1\n%s v2 v3\n' "$layout" "$work" "$layout" >"$work/retags.txt"
printf '%s v2 oci:%s/x:1\n' "$layout" "$work" >"$work/promotes.txt"
printf '[{"source": "%s", "targets": ["v2"]}]\n' "$layout" >"$work/retags.json"
printf '\n {"retags": [{"source": "%s",\n  "targets": ["v2", "oci:%s/x:1"]}]}\n' "$layout" "$work" >"$work/promotes.json"
verdicts="$verdicts $(jit --dry-run batch "$work/retags.txt") $(jit batch --dry-run -j 2 "$work/promotes.txt")"
verdicts="$verdicts $(jit --dry-run batch "$work/retags.json") $(jit --dry-run batch "$work/promotes.json")"
verdicts="$verdicts $(jit --dry-run batch - <"$work/retags.txt") $(jit digest "$layout")"
verdicts="$verdicts $(jit --dry-run tag --report "$work/r.jsonl" --referrers-type x/y "$layout" v2)"
  echo "$verdicts"
}
verdicts=$(jits)
[ "$verdicts" = "c1 c1 c1 c1 c1 c1 c1 c1 c1 c1 c1" ]
check "C1 alone for retags, reads and (BoringSSL here) promotions" $? "$verdicts"
verdicts=$(OCITAG_JAVA_OPTS="-Xmx256m -Docitag.nativeCrypto=false" jits)
[ "$verdicts" = "c1 c1 tiered tiered c1 tiered c1 tiered tiered c1 c1" ]
check "without BoringSSL: C1 alone for retags and reads; C2 as well for promotions (tag, batch)" $? "$verdicts"
mkdir -p "$work/riscv"
printf '#!/bin/sh\necho "Linux riscv64"\n' >"$work/riscv/uname"
chmod +x "$work/riscv/uname"
verdicts="$(PATH="$work/riscv:$PATH" jit --dry-run tag "$layout" "oci:$work/other:v2") $(PATH="$work/riscv:$PATH" jit --dry-run tag "$layout" v2)"
[ "$verdicts" = "tiered c1" ]
check "on a platform Conscrypt has no BoringSSL for, C2 as well for a promotion" $? "$verdicts"

# 6. The release's choice of where its class data archive is mapped (ocitag_local in jit.sh, which
# bin/ocitag sources): in place while the command line stays on disk, relocated otherwise
where() { if (. "$repo/cli/src/main/sh/jit.sh" && ocitag_local "$@"); then echo local; else echo remote; fi; }
maps="$(where --version) $(where help tag) $(where completion bash) $(where digest oci:/x:1)"
maps="$maps $(where tag oci:/x:1 v2 oci:/y:v1) $(where --ca-file /etc/x.pem tag -j 4 oci:/x:1 v2)"
maps="$maps $(where tag reg.example/app:1 v2) $(where tag oci:/x:1 reg.example/app:2)"
maps="$maps $(where digest ecr:app:1) $(where batch f.txt) $(where rollback r.jsonl)"
maps="$maps $(where tag /x/layout v2) $(where --report r.jsonl tag oci:/x:1 v2)"
[ "$maps" = "local local local local local local remote remote remote remote remote remote local" ]
check "the release maps its archive in place for commands on disk, relocated for registries" $? "$maps"

# 7. BoringSSL is unpacked where the launcher builds, not into the temporary directory (/proc here:
# no one can create a file in it, as in a /tmp mounted noexec no one can run one)
out="$(OCITAG_JAVA_OPTS="-Djava.io.tmpdir=/proc -verbose:jni" "$copy/ocitag" tag "$layout" "oci:$work/noexec:v1" 2>&1)"
code=$?
[ $code = 0 ] && [[ $out == *"native method org.conscrypt.NativeCrypto"* ]]
check "loads BoringSSL where the temporary directory holds nothing" $? "exit $code: $(tail -3 <<<"$out")"

echo "launcher: $passed passed, $failed failed"
[ "$failed" = 0 ]
