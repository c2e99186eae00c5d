#!/usr/bin/env bash
# Soak: COUNT retags and promotions across three HTTPS registries while faults are injected, then
# an independent check of every tag. PASS means: 0 digest changes, 0 lost tags, 0 hangs (and no
# wrong outcome, no write left unconfirmed, no unexpected exit or internal error).
#
#   bench/soak.sh [COUNT] [ROUNDS]     (default 20000 in 10 rounds; `bench/soak.sh 600 4` to try)
#
# Three registries (docker-registry, TLS by a private CA, Basic auth from htpasswd) on
# soak.ocitag.test, each reached by ocitag only through a fault-injecting proxy of its own
# (bench/faultproxy.py: TLS terminated, requests forwarded; per request 2 % answered 503 with
# Retry-After, 2 % answered 429 with Retry-After, 1 % of connections dropped before the registry
# sees the request, 1 % dropped after it acted (the answer lost), 1 % cut halfway through the
# answer's body, which only GETs have). Once, a few seconds into the middle round, registry 2 and
# its proxy go down and come back 3 s later on the same storage (see restart below): ocitag's
# connections are reset, then refused.
#
# The work (bench/soak.py plans it): COUNT tag operations, each tag written twice, half the run
# apart (created, then moved or unchanged); half of them retags within a repository, a quarter
# copies into another repository of the same registry (blobs mounted), a quarter promotions from
# another registry (blobs copied); sources are 6 small images (4 single-platform, 2 indexes of two
# platforms) seeded into every registry by skopeo. Each round writes one `ocitag batch` file per
# source registry (so each target repository is written by one run at a time: two clients putting
# the same manifest into one repository at once can have one refused by docker-registry 2.8, which
# rewrites its link files in place) and runs the three at once, each under `timeout` (a run it kills is a hang), each
# with a --report file: the results ocitag reports are taken from there and checked as they come
# (the digest is the source's as skopeo read it; created/moved/unchanged and previousDigest fit what
# the round before left, where that is known); what failed or went unreported is retried in the
# next round, unless the tag is written again later anyway. After the planned rounds, up to 5 more
# retry what is left. Then every tag and every source is read straight from its registry (curl,
# not through a proxy; 30 of them with skopeo inspect --raw too) and hashed (sha256sum): each must
# exist and be the bytes of the image its last operation named.
#
# Bounds: COUNT operations; ROUNDS + 5 rounds at most; each ocitag run at most $run_timeout s, each
# request --timeout $request_timeout; the rounds give up (FAIL) after $soak_budget s. The default
# count took six and a half minutes in all on a 2-core machine (README, "Soak").
#
# SOAK_FAULTS="503=0.05 lost=0.05 ..." sets other fault rates (bench/faultproxy.py's arguments).
# SOAK_KEEP=1 keeps the work directory (state.json: every operation and its attempts;
# rounds/R/batch-S.{txt,report,err}; rN/faults.log). SOAK_SELFTEST=1 moves one tag and removes
# another behind ocitag's back before the check, which must then FAIL with 1 digest change and
# 1 lost tag.
#
# Needs root (it adds `127.0.0.1 soak.ocitag.test` to /etc/hosts and removes it at exit),
# docker-registry, skopeo, curl, openssl, htpasswd (apache2-utils), python3, a JDK and Maven (the
# ocitag under test is ./ocitag at the repository root). Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count="${1:-20000}"
rounds="${2:-10}"
name=soak.ocitag.test
images=6
jobs=16
run_timeout=300      # seconds per ocitag run: beyond it the run is killed and counted as a hang
request_timeout=30   # ocitag --timeout: one request, its retries included
soak_budget=1800     # seconds for all rounds
read -r -a faults <<<"${SOAK_FAULTS:-503=0.02 429=0.02 drop=0.01 lost=0.01 cut=0.01}"
started=$(date +%s)
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl openssl htpasswd python3 java mvn sha256sum timeout
[ "$(id -u)" = 0 ] || { echo "soak: run as root (it edits /etc/hosts for $name)" >&2; exit 1; }

# every process this script starts is in a pid file under $work/pids, so that a restart (done by a
# background job) and the cleanup agree on what runs
mkdir -p "$work/pids"
soak_cleanup() {
  local f
  for f in "$work"/pids/*; do
    [ -f "$f" ] || continue
    pkill -TERM -P "$(cat "$f")" 2>/dev/null || true # a run's timeout, which passes it on to ocitag
    kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.2
  for f in "$work"/pids/*; do
    [ -f "$f" ] || continue
    kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  bench_hosts_remove
  if [ -n "${SOAK_KEEP:-}" ]; then echo "soak: kept $work" >&2; else bench_cleanup; fi
}
trap soak_cleanup EXIT
trap 'exit 130' INT TERM

bench_hosts_add "$name"
bench_tls "$name" "DNS:$name,IP:127.0.0.1"
# bcrypt's lowest cost: the registry checks the password on every request, at 2-3 ms a time at the
# default cost, which was the largest CPU cost of the soak
htpasswd -Bbn -C 4 "$user" "$password" >"$work/htpasswd" 2>/dev/null

declare -a port proxy_port
for i in 1 2 3; do
  port[$i]=$(bench_free_port)
  proxy_port[$i]=$(bench_free_port)
done
[ "$(printf '%s\n' "${port[@]}" "${proxy_port[@]}" | sort -u | wc -l)" = 6 ] ||
  { echo "soak: ports clash; run again" >&2; exit 1; }

# start_registry I: registry I on its port and storage (kept across restarts), then its proxy
start_registry() {
  local i=$1 dir="$work/r$1"
  mkdir -p "$dir"
  bench_registry_config "$dir" "127.0.0.1:${port[$i]}" yes yes "draintimeout: 10s"
  docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
  echo $! >"$work/pids/registry$i"
  up "$name:${port[$i]}" || { echo "soak: registry $i did not start: $(tail -3 "$dir/registry.log")" >&2; exit 1; }
  python3 "$here/bench/faultproxy.py" "${proxy_port[$i]}" "${port[$i]}" "$work/leaf.crt" \
    "$work/leaf.key" "$work/ca.crt" "$dir/faults.log" "${faults[@]}" >>"$dir/proxy.err" 2>&1 &
  echo $! >"$work/pids/proxy$i"
}

# up HOST:PORT: waits until it answers /v2/ (401: the registry asks for credentials)
up() {
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "https://$1/v2/" || true)" = 401 ] && return 0
    sleep 0.05
  done
  return 1
}

# restart I: registry I goes down and comes back on the same storage. Its proxy, the endpoint ocitag
# knows, is killed (SIGKILL: connections reset, then refused); the registry behind it is stopped
# with SIGTERM and drains its requests (http.draintimeout): docker-registry's filesystem driver
# rewrites link files in place, and a SIGKILL in the middle of one leaves it empty, which breaks
# every tag of that image in that repository with a 500 (seen in the first tries of this soak).
restart() {
  local pid
  kill -9 "$(cat "$work/pids/proxy$1")" 2>/dev/null || true
  pid=$(cat "$work/pids/registry$1")
  kill "$pid" 2>/dev/null || true
  echo "soak: $(date -u +%T) registry $1 down" >&2
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  sleep 3
  start_registry "$1"
  echo "soak: $(date -u +%T) registry $1 up again" >&2
}

for i in 1 2 3; do start_registry "$i"; done
for i in 1 2 3; do up "$name:${proxy_port[$i]}" || { echo "soak: proxy $i did not start" >&2; exit 1; }; done

mkdir -p "$work/docker"
auth="$(printf '%s:%s' "$user" "$password" | base64 -w0)"
{
  printf '{"auths":{'
  for i in 1 2 3; do
    printf '"%s:%s":{"auth":"%s"},"%s:%s":{"auth":"%s"}' "$name" "${port[$i]}" "$auth" "$name" "${proxy_port[$i]}" "$auth"
    [ "$i" = 3 ] || printf ','
  done
  printf '}}\n'
} >"$work/docker/config.json"

# Sources: 6 small images in an OCI layout, copied into src/app:1..6 of every registry (directly,
# not through the proxies); their digests as skopeo reads them back
echo "soak: seeding $images images into 3 registries..." >&2
mkdir -p "$work/layers"
layer() { head -c "$2" /dev/urandom >"$work/layers/$1"; echo "$work/layers/$1"; }
for k in $(seq "$images"); do
  if [ "$k" -le 4 ]; then
    python3 "$here/bench/oci-image.py" "$work/layout" "$k" "linux/amd64=$(layer "$k-a" 4096),$(layer "$k-b" 2048)" >/dev/null
  else
    python3 "$here/bench/oci-image.py" "$work/layout" "$k" "linux/amd64=$(layer "$k-a" 4096)" "linux/arm64=$(layer "$k-b" 4096)" >/dev/null
  fi
done
sk=(--authfile "$work/docker/config.json")
for i in 1 2 3; do
  for k in $(seq "$images"); do
    skopeo copy -q --all "${sk[@]}" --dest-cert-dir "$work/certs" "oci:$work/layout:$k" "docker://$name:${port[$i]}/src/app:$k"
    echo "$name:${proxy_port[$i]}/src/app:$k sha256:$(skopeo inspect --raw "${sk[@]}" --cert-dir "$work/certs" "docker://$name:${port[$i]}/src/app:$k" | sha256sum | cut -d' ' -f1)"
  done
done >"$work/digests"

if [ -n "${SOAK_SELFTEST:-}" ]; then # an image no operation uses, for the self-test below
  python3 "$here/bench/oci-image.py" "$work/layout" selftest "linux/amd64=$(layer selftest 1024)" >/dev/null
fi

state="$work/state.json"
python3 "$here/bench/soak.py" plan "$state" "$count" "$rounds" "$images" "$work/digests" \
  "$name:${proxy_port[1]}=$name:${port[1]}" "$name:${proxy_port[2]}=$name:${port[2]}" "$name:${proxy_port[3]}=$name:${port[3]}"

ocitag="$here/ocitag"
"$ocitag" --version >/dev/null # builds the CLI and its class data archive; not timed
oc=("$ocitag" --ca-file "$work/ca.crt" --docker-config "$work/docker" --timeout "$request_timeout")

# run_round R: the round's batch files, run at once, each under timeout, then their results booked
run_round() {
  local r=$1 dir="$work/rounds/$1" f base
  mkdir -p "$dir"
  python3 "$here/bench/soak.py" round "$state" "$r" "$dir" >"$dir/files"
  [ -s "$dir/files" ] || return 0
  while read -r f; do
    base=${f%.txt}
    (
      rc=0
      timeout -k 10 "$run_timeout" "${oc[@]}" batch -j "$jobs" --report "$base.report" "$f" \
        >"$base.out" 2>"$base.err" || rc=$?
      echo "$rc" >"$base.rc"
      times >"$base.times" # its second line: the CPU time of the run's processes, user and system
    ) &
    echo $! >"$work/pids/run-$r-$(basename "$base")"
  done <"$dir/files"
  wait_runs "$r"
  python3 "$here/bench/soak.py" record "$state" "$r" "$dir"
  echo "soak: $(date -u +%T) round $r: $(cat "$dir"/*.rc | sort | uniq -c | awk '{printf "%s×exit %s ", $1, $2}')" \
    "$(cat "$dir"/*.report 2>/dev/null | grep -o '"outcome":"[a-z-]*"' | sort | uniq -c | awk '{printf "%s %s ", $1, $2}')" >&2
}

# wait_runs R: waits for round R's runs (and only them: a restart may be running in the background)
wait_runs() {
  local f
  for f in "$work"/pids/run-"$1"-*; do
    wait "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

echo "soak: $count operations in $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)..." >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s%N)
given_up=""
for r in $(seq 0 $((rounds - 1))); do
  if [ "$r" = $((rounds / 2)) ]; then
    (sleep 5; restart 2) &
    echo $! >"$work/pids/restart"
  fi
  run_round "$r"
  if [ $((($(date +%s%N) - t0) / 1000000000)) -gt "$soak_budget" ]; then given_up=1; break; fi
done
wait "$(cat "$work/pids/restart")" 2>/dev/null || true
rm -f "$work/pids/restart"
r=$rounds
while [ -z "$given_up" ] && [ "$(python3 "$here/bench/soak.py" pending "$state")" != 0 ] && [ "$r" -lt $((rounds + 5)) ]; do
  run_round "$r"
  r=$((r + 1))
  if [ $((($(date +%s%N) - t0) / 1000000000)) -gt "$soak_budget" ]; then given_up=1; fi
done
t1=$(date +%s%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

if [ -n "${SOAK_SELFTEST:-}" ]; then
  # behind ocitag's back: one tag moved to another image, one removed from the registry's storage;
  # the check below must find both (FAIL: 1 digest change, 1 lost tag)
  skopeo copy -q "${sk[@]}" --dest-cert-dir "$work/certs" "oci:$work/layout:selftest" "docker://$name:${port[1]}/src/app:s0"
  rm -r "$work/r1/storage/docker/registry/v2/repositories/src/app/_manifests/tags/s3"
  echo "soak: self-test: moved src/app:s0 and removed src/app:s3 in registry 1" >&2
fi

# The independent check: every tag and every source straight from its registry, hashed
echo "soak: $(date -u +%T) reading every tag back..." >&2
mkdir -p "$work/verify"
python3 "$here/bench/soak.py" urls "$state" "$work/verify" >"$work/curl.cfg"
accept="application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
accept="$accept, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
timeout 600 curl -s --no-progress-meter -Z --parallel-max 8 --cacert "$work/ca.crt" -u "$user:$password" -H "Accept: $accept" \
  -w '%{http_code} %{filename_effective}\n' -K "$work/curl.cfg" >"$work/codes" 2>"$work/curl.err" || true
(cd "$work/verify" && find . -type f -print0 | xargs -0 -r sha256sum) >"$work/sums"
# and some of them with skopeo, hashed by sha256sum: a second reader for the first
python3 "$here/bench/soak.py" sample "$state" 30 | while read -r i ref; do
  echo "$i sha256:$(timeout 60 skopeo inspect --raw "${sk[@]}" --cert-dir "$work/certs" "docker://$ref" | sha256sum | cut -d' ' -f1)"
done >"$work/skopeo"
fault_counts=()
for kind in 503 429 drop lost cut upstream-down; do
  fault_counts+=("$kind:$(cat "$work"/r*/faults.log | grep -c "^$kind " || true)")
done
fault_counts+=("forwarded:$(cat "$work"/r*/faults.log | grep -c '^fwd' || true)")

# cpu_of NAME: user + system seconds of the process in pid file NAME (while it still runs)
cpu_of() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$(cat "$work/pids/$1")/stat" 2>/dev/null || echo "?"
}
cpu_ocitag=$(awk 'FNR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { printf "%.1f", s }' "$work"/rounds/*/*.times)
cpu="ocitag $cpu_ocitag s; proxies $(cpu_of proxy1) / $(cpu_of proxy2) / $(cpu_of proxy3) s; registries $(cpu_of registry1) / $(cpu_of registry2) / $(cpu_of registry3) s (2 since its restart)"
echo "# ocitag soak, $(date -u +%Y-%m-%d), $(nproc) cores; load average $load_before before, $load_after after"
echo "# bench/soak.sh $count $rounds: 3 HTTPS registries with Basic auth behind fault proxies (${faults[*]}), registry 2 restarted in round $((rounds / 2)); batch -j $jobs, --timeout $request_timeout, each run under timeout $run_timeout"
[ -z "$given_up" ] || echo "soak: gave up after $soak_budget s" >&2
rc=0
python3 "$here/bench/soak.py" verify "$state" "$work/codes" "$work/sums" "$work/skopeo" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" "$cpu" "${fault_counts[@]}" || rc=1
[ -z "$given_up" ] || { echo "FAIL: the soak ran out of its time budget"; rc=1; }
echo "the whole soak: $(($(date +%s) - started)) s (set-up and seeding, rounds, check)"
exit "$rc"
