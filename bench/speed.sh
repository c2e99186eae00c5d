#!/usr/bin/env bash
# ocitag's speed against skopeo and the raw-HTTP floor, on a local registry, in one run:
#   (a) one cold retag (a new process each time): ocitag tag vs skopeo copy vs curl GET + PUT
#   (b) N retags over 50 repositories: ocitag batch vs a loop of skopeo copy vs a keep-alive
#       GET + PUT floor client (bench/floor.py) at the same concurrency
#   (c) the same N through the ECR backend against the test-scope ECR endpoint (bench/ecr-fake.sh):
#       API calls and wall time; one cold retag against the AWS CLI's documented two calls
#   (d) 10 x N retags in one batch with -Xmx256m
#
#   bench/speed.sh [RUNS] [N] [JOBS]     (defaults 10, 1000, 16)
#
# Needs docker-registry, skopeo, curl, python3, a JDK and Maven; the AWS CLI (Debian awscli) for
# the ECR comparison. Only 127.0.0.1 is contacted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
n="${2:-1000}"
jobs="${3:-16}"
repos=50
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl python3 java awk
ocitag="$here/ocitag"
"$ocitag" --version >/dev/null # builds the CLI and its class data archive; not timed

start_registry
tls=(--src-tls-verify=false --dest-tls-verify=false)
for i in $(seq 0 $((repos - 1))); do
  skopeo copy -q --dest-tls-verify=false "oci:$here/examples/hello:amd64" "docker://$host/r$i:src"
done
accept="application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"
accept="$accept,application/vnd.docker.distribution.manifest.v2+json"
accept="$accept,application/vnd.docker.distribution.manifest.list.v2+json"

echo "# ocitag speed, $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "# $(java -version 2>&1 | head -1); $(skopeo --version); docker-registry $(docker-registry --version 2>/dev/null | awk '{print $NF}')"
echo

# (a) ------------------------------------------------------------------------------------------
# called in $( ): a counter would not survive the subshell, so 30 random bits name each tag
next() { echo "$1$RANDOM$RANDOM"; }
one_ocitag() { "$ocitag" tag "$host/r0:src" "$(next o)"; }
one_skopeo() { skopeo copy -q "${tls[@]}" "docker://$host/r0:src" "docker://$host/r0:$(next s)"; }
one_curl() {
  curl -fsS -H "Accept: $accept" -D "$work/h" -o "$work/m" "http://$host/v2/r0/manifests/src"
  ct="$(awk -F': ' 'tolower($1)=="content-type" {sub(/\r/, "", $2); print $2}' "$work/h")"
  curl -fsS -X PUT -H "Content-Type: $ct" --data-binary "@$work/m" \
    "http://$host/v2/r0/manifests/$(next c)"
}
one_ocitag >/dev/null # warm the page cache, not the JVM: every timed run is a new process
a_ocitag=$(median_ms "$runs" one_ocitag)
a_skopeo=$(median_ms "$runs" one_skopeo)
a_curl=$(median_ms "$runs" one_curl)
echo "## (a) one cold retag, median of $runs"
echo "| tool | ms | × skopeo copy | × curl GET+PUT |"
echo "|---|---:|---:|---:|"
echo "| ocitag tag | $a_ocitag | $(ratio "$a_ocitag" "$a_skopeo") | $(ratio "$a_ocitag" "$a_curl") |"
echo "| skopeo copy | $a_skopeo | 1.00 | $(ratio "$a_skopeo" "$a_curl") |"
echo "| curl GET + PUT | $a_curl | $(ratio "$a_curl" "$a_skopeo") | 1.00 |"
echo

# (b) ------------------------------------------------------------------------------------------
# batch_file SOURCE_PREFIX TAG_PREFIX TAGS FILE: one line per repository, SOURCE_PREFIX<i>:src and
# TAGS targets TAG_PREFIX1..TAG_PREFIX<TAGS>
batch_file() {
  local i j line
  : >"$4"
  for i in $(seq 0 $((repos - 1))); do
    line="$1$i:src"
    for j in $(seq 1 "$3"); do line="$line $2$j"; done
    echo "$line" >>"$4"
  done
}
per=$(((n + repos - 1) / repos))
batch_file="$work/batch.txt"
floor_file="$work/floor.txt"
batch_file "$host/r" b "$per" "$batch_file"
: >"$floor_file"
for j in $(seq 1 "$per"); do # round robin over the repositories, as ocitag batch goes
  for i in $(seq 0 $((repos - 1))); do echo "r$i src f$j" >>"$floor_file"; done
done
count=$((per * repos))
b_ocitag=$(seconds "$ocitag" batch -j "$jobs" "$batch_file")
b_again=$(seconds "$ocitag" batch -j "$jobs" "$batch_file")
read -r _ b_floor b_retries < <(python3 "$here/bench/floor.py" "$host" "$jobs" <"$floor_file")
skopeo_loop() {
  local i j
  for i in $(seq 0 $((repos - 1))); do
    for j in $(seq 1 "$per"); do
      skopeo copy -q "${tls[@]}" "docker://$host/r$i:src" "docker://$host/r$i:k$j"
    done
  done
}
b_skopeo=$(seconds skopeo_loop)
rate() { awk -v n="$count" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
echo "## (b) $count retags over $repos repositories, concurrency $jobs"
echo "| client | s | retags/s | × floor throughput | × skopeo loop |"
echo "|---|---:|---:|---:|---:|"
echo "| ocitag batch | $b_ocitag | $(rate "$b_ocitag") | $(ratio "$b_floor" "$b_ocitag") | $(ratio "$b_skopeo" "$b_ocitag") |"
echo "| ocitag batch, again (all unchanged) | $b_again | $(rate "$b_again") | $(ratio "$b_floor" "$b_again") | $(ratio "$b_skopeo" "$b_again") |"
echo "| raw-HTTP floor (floor.py, $b_retries retried) | $b_floor | $(rate "$b_floor") | 1.00 | $(ratio "$b_skopeo" "$b_floor") |"
echo "| skopeo copy loop | $b_skopeo | $(rate "$b_skopeo") | $(ratio "$b_floor" "$b_skopeo") | 1.00 |"
echo

# (c) ------------------------------------------------------------------------------------------
export AWS_ACCESS_KEY_ID=AKIAOCITAGTESTKEY000
export AWS_SECRET_ACCESS_KEY=ocitag/test/secret/key/not/a/real/one0000
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ECR
"$here/bench/ecr-fake.sh" --bench-repos "$repos" >"$work/ecr.log" 2>&1 &
ecr_pid=$!
for _ in $(seq 1 3000); do # the first start compiles backend-ecr's test classes
  grep -q 'endpoint http' "$work/ecr.log" && break
  kill -0 "$ecr_pid" 2>/dev/null || { cat "$work/ecr.log" >&2; exit 1; }
  sleep 0.1
done
endpoint="$(sed -n 's/.*endpoint \(http[^ ]*\).*/\1/p' "$work/ecr.log")"
[ -n "$endpoint" ] || { echo "bench: the ECR test endpoint did not start: $(tail -5 "$work/ecr.log")" >&2; exit 1; }
ecr=(--endpoint-url "$endpoint" --region us-east-1)
counts() { curl -s "$endpoint/_fake/counts" | tr -d '{}"' | sed 's/,/, /g'; }
batch_file "ecr:b" e "$per" "$work/ecr-batch.txt"
one=(); for j in $(seq 1 "$count"); do one+=("t$j"); done
# ECR's PutImage quota is 10/s by default and ocitag keeps to it; the client's own cost shows with it
# lifted (OCITAG_ECR_PUT_RATE): against real ECR at 10/s, N changed tags take N/10 s whatever the client.
curl -s -X POST "$endpoint/_fake/reset" >/dev/null
c_batch=$(OCITAG_ECR_PUT_RATE=100000 seconds "$ocitag" "${ecr[@]}" batch -j "$jobs" "$work/ecr-batch.txt")
c_batch_calls=$(counts)
curl -s -X POST "$endpoint/_fake/reset" >/dev/null
c_one=$(OCITAG_ECR_PUT_RATE=100000 seconds "$ocitag" "${ecr[@]}" tag -j "$jobs" ecr:bench:src "${one[@]}")
c_one_calls=$(counts)
curl -s -X POST "$endpoint/_fake/reset" >/dev/null
c_again=$(seconds "$ocitag" "${ecr[@]}" tag -j "$jobs" ecr:bench:src "${one[@]}")
c_again_calls=$(counts)
one_ecr() { "$ocitag" "${ecr[@]}" tag ecr:bench:src "$(next x)"; }
aws_pair() {
  # The documented retag (AWS ECR user guide, "Retagging an image"), verbatim but for the names.
  local manifest
  manifest=$(aws "${ecr[@]}" ecr batch-get-image --repository-name bench --image-ids imageTag=src \
    --output text --query 'images[].imageManifest')
  aws "${ecr[@]}" ecr put-image --repository-name bench --image-tag "$(next a)" \
    --image-manifest "$manifest"
}
c_cold=$(median_ms "$runs" one_ecr)
if command -v aws >/dev/null; then c_aws=$(median_ms "$runs" aws_pair); else c_aws=""; fi
kill "$ecr_pid" 2>/dev/null || true
echo "## (c) through the ECR backend, against the test-scope ECR endpoint"
echo "| run | s | API calls |"
echo "|---|---:|---|"
echo "| ocitag batch: $count retags over $repos repositories | $c_batch | $c_batch_calls |"
echo "| ocitag tag: $count tags on one source | $c_one | $c_one_calls |"
echo "| the same $count again (all unchanged) | $c_again | $c_again_calls |"
if [ -n "$c_aws" ]; then
  echo "| one cold retag: ocitag tag vs aws batch-get-image + put-image | ${c_cold} ms vs ${c_aws} ms = $(ratio "$c_cold" "$c_aws") × | |"
else
  echo "| one cold retag: ocitag tag (no aws CLI here to compare) | ${c_cold} ms | |"
fi
echo

# (d) ------------------------------------------------------------------------------------------
big=$((count * 10))
big_per=$((per * 10))
batch_file "$host/r" m "$big_per" "$work/big.txt"
t0=$(date +%s%N)
d_code=0
OCITAG_JAVA_OPTS="-Xmx256m" "$ocitag" batch -j "$jobs" "$work/big.txt" >"$work/big.out" 2>"$work/big.err" || d_code=$?
t1=$(date +%s%N)
d_created=$(grep -c '^created ' "$work/big.out" || true)
echo "## (d) $big retags in one batch with -Xmx256m"
echo "exit $d_code, $d_created created, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s; $(tail -1 "$work/big.err")"
