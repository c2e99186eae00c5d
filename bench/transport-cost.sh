#!/usr/bin/env bash
# What the registry transport costs a cold retag on a plain-HTTP loopback registry: the classes
# one run loads (OkHttp, Okio, Kotlin, the JDK's TLS for the HTTPS-first try; whether cacerts is
# opened), and the median time of the launcher's JVM with its class data archive, HTTPS first
# (the default: a TLS try, then HTTP) against --plain-http (no TLS at all).
#
#   bench/transport-cost.sh [RUNS]     (default 15; medians, the two kinds of run interleaved)
#
# Needs docker-registry, skopeo, curl, strace, a JDK and Maven. Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-15}"
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl strace java awk
"$here/ocitag" --version >/dev/null # builds the jar and trains the archive; not timed
jar="$here/cli/target/ocitag.jar"
jsa="$here/cli/target/ocitag.jsa"
start_registry
skopeo copy -q --dest-tls-verify=false "oci:$here/examples/hello:amd64" "docker://$host/r0:src"
next() { echo "$1$RANDOM$RANDOM"; }

log="$work/classes.log"
java -Xlog:class+load:file="$log" -jar "$jar" tag "$host/r0:src" "$(next c)" >/dev/null
n() { grep -c "\] $1" "$log" || true; }
echo "# one cold retag, java -jar (the JDK's own class data archive), $(date -u +%Y-%m-%d), $(nproc) cores"
echo "classes loaded: $(grep -c 'class,load' "$log"); okhttp3.* $(n okhttp3.), okio.* $(n okio.)," \
  "kotlin.* $(n kotlin.), sun.security.ssl.* $(n sun.security.ssl.)"
strace -f -e trace=openat -o "$work/strace.log" java -jar "$jar" tag "$host/r0:src" "$(next s)" >/dev/null
echo "cacerts opened: $(grep -c cacerts "$work/strace.log" || true) times"

jvm=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -Xlog:disable
  -Xlog:all=warning:stderr -Xlog:cds=off,cds+dynamic=off -XX:+UnlockDiagnosticVMOptions
  -XX:ArchiveRelocationMode=0 -XX:SharedArchiveFile="$jsa")
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
: >"$work/https-first.ms"
: >"$work/plain-http.ms"
for _ in $(seq "$runs"); do
  ms java "${jvm[@]}" -jar "$jar" tag "$host/r0:src" "$(next h)" >>"$work/https-first.ms"
  ms java "${jvm[@]}" -jar "$jar" --plain-http tag "$host/r0:src" "$(next p)" >>"$work/plain-http.ms"
done
echo "median of $runs cold retags with the class data archive:" \
  "HTTPS first $(median <"$work/https-first.ms") ms, --plain-http $(median <"$work/plain-http.ms") ms"
