#!/usr/bin/env bash
# The release tarball's cold start against the repository launcher's, in the same run, interleaved
# (one run of each in turn, so a busy minute hurts both alike): a layout digest, --version, and a
# retag on an HTTPS registry with a private CA and Basic auth (a new tag each run: GET + PUT).
# Rows: the tarball unpacked elsewhere than it was built (bin/ocitag: Temurin 25 jlink'd, its class
# data archive), the same without its archive, the repository launcher (./ocitag: JDK 17, AppCDS),
# and the launcher's JVM without the launcher script (java with its flags and archive, no bash).
#
#   bench/dist-coldstart.sh [RUNS]     (default 21; medians)
#
# Needs the tarball (mvn -B package: dist/target/ocitag-*-linux-x86_64.tar.gz), docker-registry,
# skopeo, openssl, htpasswd (apache2-utils), curl, a JDK 17 and Maven (the launcher builds and
# trains first, not timed). Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-21}"
. "$here/bench/lib.sh"
bench_need docker-registry skopeo openssl htpasswd curl java awk tar
tarball=$(ls "$here"/dist/target/ocitag-*-linux-x86_64.tar.gz 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "bench: no tarball; run mvn -B package first" >&2; exit 1; }
tar -xzf "$tarball" -C "$work"
dist=$(ls -d "$work"/ocitag-*/bin/ocitag)

bench_tls 127.0.0.1 IP:127.0.0.1
host="127.0.0.1:$(bench_free_port)"
bench_registry_config "$work" "$host" yes yes
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "https://$host/v2/" || true)" = 401 ] && break
  sleep 0.1
done
mkdir -p "$work/docker" "$work/certs"
cp "$work/ca.crt" "$work/certs/ca.crt"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$host" "$(printf 'bench:%s' "$password" | base64 -w0)" \
  >"$work/docker/config.json"
skopeo copy -q --dest-cert-dir "$work/certs" --dest-creds "bench:$password" \
  "oci:$here/examples/hello:amd64" "docker://$host/app:src"

launcher="$here/ocitag"
"$launcher" --version >/dev/null # builds the CLI and its class data archive; not timed
jvm17=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -Xlog:disable
  -Xlog:all=warning:stderr -Xlog:cds=off,cds+dynamic=off -XX:+UnlockDiagnosticVMOptions
  -XX:ArchiveRelocationMode=0 -XX:SharedArchiveFile="$here/cli/target/ocitag.jsa")
direct17() { java "${jvm17[@]}" -jar "$here/cli/target/ocitag.jar" "$@"; }
nocache() { OCITAG_JAVA_OPTS=-Xshare:off "$dist" "$@"; }
next() { echo "t$RANDOM$RANDOM"; }
tls=(--ca-file "$work/ca.crt" --docker-config "$work/docker")

# interleaved RUNS NAME... -- ARGS: one run of each tool in turn; prints "NAME median" lines
interleaved() {
  local n=$1 i tool t0 t1 args
  shift
  local tools=()
  while [ "$1" != -- ]; do tools+=("$1"); shift; done
  shift
  for i in $(seq "$n"); do
    for tool in "${tools[@]}"; do
      args=("$@")
      [ "${args[-1]}" = NEW ] && args[-1]=$(next)
      t0=$(date +%s%N)
      "$tool" "${args[@]}" >/dev/null 2>"$work/last.err" || { echo "bench: $tool ${args[*]} failed: $(tail -3 "$work/last.err")" >&2; exit 1; }
      t1=$(date +%s%N)
      echo "$tool $(((t1 - t0) / 1000000))"
    done
  done | sort -k1,1 -k2,2n | awk '
    function flush() { if (m) print t, (m % 2) ? v[(m+1)/2] : int((v[m/2] + v[m/2+1]) / 2) }
    $1 != t { flush(); t = $1; m = 0 }
    { v[++m] = $2 }
    END { flush() }'
}
tarball_() { "$dist" "$@"; }
launcher_() { "$launcher" "$@"; }

echo "# cold start, tarball vs repository launcher, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# tarball $(basename "$tarball") ($(stat -c %s "$tarball") bytes); $("$dist" --version); launcher on $(java -version 2>&1 | head -1)"
echo "# median of $runs runs each, interleaved"
table() {
  local title=$1
  shift
  echo
  echo "## $title"
  echo "| run | ms | × launcher |"
  echo "|---|---:|---:|"
  interleaved "$runs" tarball_ nocache launcher_ direct17 -- "$@" >"$work/res"
  local l
  l=$(awk '$1=="launcher_" {print $2}' "$work/res")
  for t in tarball_ nocache launcher_ direct17; do
    local ms name
    ms=$(awk -v t="$t" '$1==t {print $2}' "$work/res")
    case $t in
      tarball_) name="tarball bin/ocitag (Temurin 25, its archive)" ;;
      nocache) name="tarball bin/ocitag, -Xshare:off" ;;
      launcher_) name="repository launcher ./ocitag (JDK 17, AppCDS)" ;;
      direct17) name="JDK 17 + AppCDS, java directly (no bash)" ;;
    esac
    echo "| $name | $ms | $(ratio "$ms" "$l") |"
  done
}
table "digest of the example layout" digest "oci:$here/examples/hello:latest"
table "--version" --version
table "HTTPS retag, private CA, Basic auth ($host)" "${tls[@]}" tag "$host/app:src" NEW
