#!/usr/bin/env bash
# What each start-up measure buys a cold retag: the same `ocitag tag` on a local registry (a new
# tag, so a PUT, each run), one JVM configuration per row, each added to the row before, against
# `skopeo copy` in the same run.
#
#   bench/coldstart.sh [RUNS]     (default 20; medians)
#
# Needs docker-registry, skopeo, curl, a JDK and Maven (the launcher builds the CLI and its class
# data archive first, not timed). Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-20}"
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl java awk
"$here/ocitag" --version >/dev/null # builds the jar and trains the archive; not timed
jar="$here/cli/target/ocitag.jar"
jsa="$here/cli/target/ocitag.jsa"
start_registry
skopeo copy -q --dest-tls-verify=false "oci:$here/examples/hello:amd64" "docker://$host/r0:src"

# called in $( ): a counter would not survive the subshell, so 30 random bits name each tag
next() { echo "$1$RANDOM$RANDOM"; }
short=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData)
cds=(-XX:SharedArchiveFile="$jsa" -Xlog:cds=off,cds+dynamic=off)
mapped=(-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0)
plain() { java -jar "$jar" tag "$host/r0:src" "$(next p)"; }
flags() { java "${short[@]}" -jar "$jar" tag "$host/r0:src" "$(next f)"; }
appcds() { java "${short[@]}" "${cds[@]}" -jar "$jar" tag "$host/r0:src" "$(next c)"; }
inplace() { java "${short[@]}" "${cds[@]}" "${mapped[@]}" -jar "$jar" tag "$host/r0:src" "$(next m)"; }
serial() { java "${short[@]}" "${cds[@]}" "${mapped[@]}" -XX:+UseSerialGC -jar "$jar" tag "$host/r0:src" "$(next g)"; }
launcher() { "$here/ocitag" tag "$host/r0:src" "$(next l)"; }
version() { "$here/ocitag" --version; }
skopeo_copy() {
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$host/r0:src" "docker://$host/r0:$(next s)"
}

launcher >/dev/null # warm the page cache, not a JVM: every timed run is a new process
s=$(median_ms "$runs" skopeo_copy)
row() { echo "| $1 | $2 | $(ratio "$2" "$s") |"; }
echo "# cold retag, median of $runs, $(date -u +%Y-%m-%d), $(nproc) cores; $(java -version 2>&1 | head -1)"
echo "| JVM configuration (each row adds to the one before) | ms | × skopeo copy |"
echo "|---|---:|---:|"
row "java -jar ocitag.jar (the JDK's own class data archive)" "$(median_ms "$runs" plain)"
row "+ C1 only, one compiler thread, no perf data" "$(median_ms "$runs" flags)"
row "+ AppCDS archive of a training run" "$(median_ms "$runs" appcds)"
row "+ archive mapped in place (ArchiveRelocationMode=0)" "$(median_ms "$runs" inplace)"
row "  the same with the serial GC (no archived module graph)" "$(median_ms "$runs" serial)"
row "./ocitag launcher (bash, staleness check)" "$(median_ms "$runs" launcher)"
row "./ocitag --version (start-up alone, no request)" "$(median_ms "$runs" version)"
row "skopeo copy" "$s"
