#!/usr/bin/env bash
# A cold `ocitag tag` against a registry that asks for credentials (htpasswd, Basic), credentials
# from a docker config's auths, then from a credential helper (credsStore, a shell script): the
# paths that read the docker config. Reports the median wall time of RUNS launcher runs (a new tag,
# so a PUT, each run) and the classes one run loads (from the class data archive and from jars;
# com.google.* are Jib core's and its libraries'), against the same retag on an open registry.
#
#   bench/auth-coldstart.sh [RUNS]     (default 15)
#
# Needs docker-registry, htpasswd (apache2-utils), skopeo, curl, a JDK and Maven (the launcher
# builds the CLI and its class data archive first, not timed). Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-15}"
. "$here/bench/lib.sh"
bench_need docker-registry htpasswd skopeo curl java awk
"$here/ocitag" --version >/dev/null # builds the jar and trains the archive; not timed

user=bench
password="pw-$RANDOM$RANDOM"
start_registry
open_host=$host
open_pid=$registry_pid
# the second registry: the same, with htpasswd
htpasswd -Bbn "$user" "$password" >"$work/htpasswd"
mkdir -p "$work/auth" && cp "$work/config.yml" "$work/auth/"
for _ in $(seq 20); do
  p=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then break; fi
done
auth_host="127.0.0.1:$p"
sed -e "s|addr: .*|addr: $auth_host|" -e "s|rootdirectory: .*|rootdirectory: $work/auth/storage|" \
  "$work/config.yml" >"$work/auth/config.yml"
printf 'auth:\n  htpasswd:\n    realm: bench\n    path: %s\n' "$work/htpasswd" >>"$work/auth/config.yml"
docker-registry serve "$work/auth/config.yml" >"$work/auth/registry.log" 2>&1 &
auth_pid=$!
trap 'kill $auth_pid 2>/dev/null || true; wait $auth_pid 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$auth_host/v2/")" = 401 ] && break
  sleep 0.1
done

mkdir -p "$work/docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$auth_host" \
  "$(printf '%s:%s' "$user" "$password" | base64 -w0)" >"$work/docker/config.json"
# the same credentials from a helper (credsStore): a script on the PATH
mkdir -p "$work/bin" "$work/store"
cat >"$work/bin/docker-credential-bench" <<SH
#!/bin/sh
read -r server || [ -n "\$server" ]
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "\$server" '$user' '$password'
SH
chmod +x "$work/bin/docker-credential-bench"
printf '{"credsStore":"bench"}\n' >"$work/store/config.json"
skopeo copy -q --dest-tls-verify=false "oci:$here/examples/hello:amd64" "docker://$open_host/r0:src"
skopeo copy -q --dest-tls-verify=false --dest-creds "$user:$password" \
  "oci:$here/examples/hello:amd64" "docker://$auth_host/r0:src"

next() { echo "$1$RANDOM$RANDOM"; }
open_tag() { "$here/ocitag" tag "$open_host/r0:src" "$(next o)"; }
auth_tag() { "$here/ocitag" --docker-config "$work/docker" tag "$auth_host/r0:src" "$(next a)"; }
helper_tag() {
  PATH="$work/bin:$PATH" "$here/ocitag" --docker-config "$work/store" tag "$auth_host/r0:src" "$(next h)"
}
# classes: the launcher's JVM with class loading logged to a file
classes() {
  local log="$work/classes.log"
  rm -f "$log"
  OCITAG_JAVA_OPTS="-Xlog:class+load=info:file=$log" "$@" >/dev/null
  local all shared jib
  all=$(grep -c 'class,load' "$log")
  shared=$(grep -c 'shared objects file' "$log" || true)
  jib=$(grep -c '\] com\.google\.' "$log" || true)
  echo "$all | $shared | $((all - shared)) | $jib"
}

auth_tag >/dev/null # warm the page cache
echo "# cold retag with credentials, median of $runs, $(date -u +%Y-%m-%d), $(nproc) cores"
echo "| run | ms | classes | from the archive | from jars | com.google.* |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| open registry (anonymous) | $(median_ms "$runs" open_tag) | $(classes open_tag) |"
echo "| htpasswd registry, docker config auths | $(median_ms "$runs" auth_tag) | $(classes auth_tag) |"
echo "| htpasswd registry, credsStore helper | $(median_ms "$runs" helper_tag) | $(classes helper_tag) |"
