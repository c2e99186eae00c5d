#!/usr/bin/env bash
# One cold retag where users are: an HTTPS registry with Basic auth, reached by a host name, with
# the certificate verified (a private CA every tool is told about). ocitag against skopeo copy and
# a raw floor (curl GET + PUT with the same TLS and credentials), medians of the same run; then the
# same on a loopback plain-HTTP registry without auth (ocitag's HTTPS-first probe falls back there).
#
#   bench/https-retag.sh [RUNS] [BASELINE_REV]     (default 15 runs)
#
# A row "JVM floor" times bench/JvmFloor.java: the least a JVM does for the same retag (the JDK's
# TLS and HttpsURLConnection, GET + PUT, trusting the CA; its own class data archive, the
# launcher's JVM flags): what any JVM tool pays on this machine before doing anything of its own.
#
# BASELINE_REV, say cb01c38 (the JDK HttpURLConnection transport, hand-read docker config), is
# built in a temporary worktree and timed in the same run: what OkHttp and Jib core cost.
# A row "anonymous" runs against a second HTTPS registry without auth, so no credential lookup
# (and no Jib core) is on its path.
#
# Needs root (it adds `127.0.0.1 registry.ocitag.test` to /etc/hosts and removes it at exit),
# docker-registry, skopeo, curl, openssl, htpasswd (apache2-utils), keytool, a JDK and Maven.
# Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-15}"
baseline="${2:-}"
name=registry.ocitag.test
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl openssl htpasswd keytool java javac jar awk git mvn
[ "$(id -u)" = 0 ] || { echo "bench: run as root (it edits /etc/hosts for $name)" >&2; exit 1; }

pids=()
https_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bench_hosts_remove
  if [ -n "$baseline" ] && [ -d "$work/baseline" ]; then
    git -C "$here" worktree remove --force "$work/baseline" >/dev/null 2>&1 || true
  fi
  bench_cleanup
}
trap https_cleanup EXIT

bench_hosts_add "$name"

# A private CA and a leaf for the host name
bench_tls "$name" "DNS:$name,IP:127.0.0.1"

# serve NAME PORT TLS(yes|no) AUTH(yes|no)
serve() {
  local dir="$work/$1"
  mkdir -p "$dir"
  bench_registry_config "$dir" "127.0.0.1:$2" "$3" "$4"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  pids+=($!)
  local scheme=http
  [ "$3" = yes ] && scheme=https
  for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "$scheme://$name:$2/v2/" || true)
    [ "$code" = 200 ] || [ "$code" = 401 ] && return 0
    sleep 0.1
  done
  echo "bench: registry $1 did not start: $(cat "$dir/registry.log")" >&2
  exit 1
}

secure_port=$(bench_free_port)
serve secure "$secure_port" yes yes
anon_port=$(bench_free_port)
serve anon "$anon_port" yes no
plain_port=$(bench_free_port)
serve plain "$plain_port" no no
secure="$name:$secure_port"
anon="$name:$anon_port"
plain="127.0.0.1:$plain_port"

mkdir -p "$work/docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$secure" \
  "$(printf '%s:%s' "$user" "$password" | base64 -w0)" >"$work/docker/config.json"
skopeo copy -q --dest-cert-dir "$work/certs" --dest-creds "$user:$password" \
  "oci:$here/examples/hello:amd64" "docker://$secure/app:src"
skopeo copy -q --dest-cert-dir "$work/certs" "oci:$here/examples/hello:amd64" "docker://$anon/app:src"
skopeo copy -q --dest-tls-verify=false "oci:$here/examples/hello:amd64" "docker://$plain/app:src"

ocitag="$here/ocitag"
"$ocitag" --version >/dev/null # builds the CLI and its class data archive; not timed
# the JVM floor: compiled, and its class data archive made from one run (not timed)
jvm_flags=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -Xlog:disable
  -Xlog:all=warning:stderr -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0)
mkdir -p "$work/floor"
javac -d "$work/floor" "$here/bench/JvmFloor.java"
jar cf "$work/floor.jar" -C "$work/floor" . # a class data archive takes jars, not directories
java "${jvm_flags[@]}" -XX:ArchiveClassesAtExit="$work/floor.jsa" -cp "$work/floor.jar" JvmFloor \
  "https://$secure" app src floor-training "$work/ca.crt" "$user:$password"
if [ -n "$baseline" ]; then
  git -C "$here" worktree add -q --detach "$work/baseline" "$baseline"
  "$work/baseline/ocitag" --version >/dev/null
  # the baseline reads trust from the JDK: a copy of its cacerts with the bench CA added, so both
  # load a full platform trust store
  cacerts="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.home/ {print $2}')/lib/security/cacerts"
  cp "$cacerts" "$work/trust.p12"
  keytool -importcert -noprompt -alias ocitag-bench -file "$work/ca.crt" \
    -keystore "$work/trust.p12" -storepass changeit >/dev/null 2>&1
fi

accept="application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"
accept="$accept,application/vnd.docker.distribution.manifest.v2+json"
accept="$accept,application/vnd.docker.distribution.manifest.list.v2+json"
next() { echo "$1$RANDOM$RANDOM"; }

ocitag_secure() { "$ocitag" --ca-file "$work/ca.crt" --docker-config "$work/docker" tag "$secure/app:src" "$(next o)"; }
ocitag_anon() { "$ocitag" --ca-file "$work/ca.crt" tag "$anon/app:src" "$(next o)"; }
ocitag_plain() { "$ocitag" tag "$plain/app:src" "$(next o)"; }
ocitag_plain_flag() { "$ocitag" --plain-http tag "$plain/app:src" "$(next o)"; }
base_opts() {
  echo "-Djavax.net.ssl.trustStore=$work/trust.p12 -Djavax.net.ssl.trustStorePassword=changeit"
}
base_secure() { OCITAG_JAVA_OPTS="$(base_opts)" "$work/baseline/ocitag" --docker-config "$work/docker" tag "$secure/app:src" "$(next b)"; }
base_anon() { OCITAG_JAVA_OPTS="$(base_opts)" "$work/baseline/ocitag" tag "$anon/app:src" "$(next b)"; }
base_plain() { "$work/baseline/ocitag" tag "$plain/app:src" "$(next b)"; }
skopeo_secure() {
  skopeo copy -q --authfile "$work/docker/config.json" --src-cert-dir "$work/certs" \
    --dest-cert-dir "$work/certs" "docker://$secure/app:src" "docker://$secure/app:$(next s)"
}
skopeo_anon() {
  skopeo copy -q --src-cert-dir "$work/certs" --dest-cert-dir "$work/certs" \
    "docker://$anon/app:src" "docker://$anon/app:$(next s)"
}
skopeo_plain() {
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$plain/app:src" "docker://$plain/app:$(next s)"
}
# curl_floor BASE [CURL OPTIONS...]: GET the manifest, PUT its exact bytes under a new tag
curl_floor() {
  local base=$1 ct
  shift
  curl -fsS "$@" -H "Accept: $accept" -D "$work/h" -o "$work/m" "$base/v2/app/manifests/src"
  ct="$(awk -F': ' 'tolower($1)=="content-type" {sub(/\r/, "", $2); print $2}' "$work/h")"
  curl -fsS "$@" -X PUT -H "Content-Type: $ct" --data-binary "@$work/m" \
    "$base/v2/app/manifests/$(next c)"
}
curl_secure() { curl_floor "https://$secure" --cacert "$work/ca.crt" -u "$user:$password"; }
jvm_secure() {
  java "${jvm_flags[@]}" -XX:SharedArchiveFile="$work/floor.jsa" -cp "$work/floor.jar" JvmFloor \
    "https://$secure" app src "$(next j)" "$work/ca.crt" "$user:$password"
}
curl_anon() { curl_floor "https://$anon" --cacert "$work/ca.crt"; }
curl_plain() { curl_floor "http://$plain"; }

# warm the page cache (not a JVM: every timed run is a new process) and check each path works
for f in ocitag_secure ocitag_anon ocitag_plain skopeo_secure curl_secure jvm_secure; do "$f" >/dev/null; done
[ -z "$baseline" ] || for f in base_secure base_anon base_plain; do "$f" >/dev/null; done

echo "# ocitag cold retag over HTTPS, $(date -u +%Y-%m-%d), $(nproc) cores"
echo "# $(java -version 2>&1 | head -1); $(skopeo --version); $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "# median of $runs runs each; every run puts a new tag (GET + PUT); certificates verified"
echo
row() { echo "| $1 | $2 | $(ratio "$2" "$3") | $(ratio "$2" "$4") |"; }
table() {
  local title=$1 kind=$2 s c o
  s=$(median_ms "$runs" "skopeo_$kind")
  c=$(median_ms "$runs" "curl_$kind")
  o=$(median_ms "$runs" "ocitag_$kind")
  echo "## $title"
  echo "| tool | ms | × skopeo copy | × curl floor |"
  echo "|---|---:|---:|---:|"
  row "ocitag tag" "$o" "$s" "$c"
  if [ -n "$baseline" ]; then
    b=$(median_ms "$runs" "base_$kind")
    row "ocitag tag, baseline $baseline" "$b" "$s" "$c"
  fi
  if [ "$kind" = plain ]; then
    f=$(median_ms "$runs" ocitag_plain_flag)
    row "ocitag --plain-http tag" "$f" "$s" "$c"
  fi
  if [ "$kind" = secure ]; then
    j=$(median_ms "$runs" jvm_secure)
    row "JVM floor (bench/JvmFloor.java: JDK TLS, GET + PUT)" "$j" "$s" "$c"
  fi
  row "skopeo copy" "$s" "$s" "$c"
  row "curl GET + PUT" "$c" "$s" "$c"
  echo
}
table "HTTPS, Basic auth, host name ($secure)" secure
table "HTTPS, anonymous, host name ($anon)" anon
table "plain HTTP, loopback, anonymous ($plain)" plain
