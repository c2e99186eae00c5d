#!/usr/bin/env bash
# Walks through what the ECR backend must show, with the real CLI against a fresh test-scope ECR
# endpoint (bench/ecr-fake.sh; see FakeEcrMain for the seeded repositories). After each command:
# its exit code and the API calls it made, per operation.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export AWS_ACCESS_KEY_ID=AKIAOCITAGTESTKEY000
export AWS_SECRET_ACCESS_KEY=ocitag/test/secret/key/not/a/real/one0000
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ECR
./ocitag --version >/dev/null || exit 1

log="$(mktemp)"
bench/ecr-fake.sh >"$log" 2>&1 &
fake=$!
trap 'kill "$fake" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do grep -q '^endpoint ' "$log" && break; sleep 0.1; done
E="$(sed -n 's/^endpoint //p' "$log")"
[ -n "$E" ] || { cat "$log" >&2; exit 1; }

calls() { printf '  calls: %s\n' "$(curl -s "$E/_fake/counts")"; curl -s -X POST "$E/_fake/reset" >/dev/null; }
run() {
  printf '\n$ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/  /'
  printf '  exit %s\n' "${PIPESTATUS[0]}"
  calls
}
O=(--endpoint-url "$E" --region us-east-1)
echo "# fake ECR at $E (ocitag ${O[*]} ...)"

echo; echo "## exact bytes: src is an OCI manifest with tabs, odd indents and a trailing newline"
run ./ocitag "${O[@]}" tag ecr:app:src t1 t2
run ./ocitag "${O[@]}" digest ecr:app:src
printf '\n$ ./ocitag manifest ecr:app:t1 | sha256sum; ... | tail -c 4 | od -c\n'
./ocitag "${O[@]}" manifest ecr:app:t1 | sha256sum | sed 's/^/  /'
./ocitag "${O[@]}" manifest ecr:app:t1 | tail -c 4 | od -c | sed 's/^/  /'
curl -s -X POST "$E/_fake/reset" >/dev/null

echo; echo "## indexes stay indexes"
run ./ocitag "${O[@]}" -o json tag ecr:app:multi multi-copy
run ./ocitag "${O[@]}" tag ecr:app:list list-copy
printf '\n$ ./ocitag manifest ecr:app:list-copy | head -c 120\n'
./ocitag "${O[@]}" manifest ecr:app:list-copy | head -c 120 | sed 's/^/  /'; echo
curl -s -X POST "$E/_fake/reset" >/dev/null

echo; echo "## immutable repository 'locked': new, taken (another image), same (already src's digest)"
run ./ocitag "${O[@]}" tag --dry-run ecr:locked:src new taken same
run ./ocitag "${O[@]}" tag ecr:locked:src new taken same
run ./ocitag "${O[@]}" tag ecr:locked:src same

echo; echo "## IMMUTABLE_WITH_EXCLUSION 'dev-*' in 'mixed': excluded tags move, the others are kept"
run ./ocitag "${O[@]}" tag --dry-run ecr:mixed:src release dev-1 dev-2
run ./ocitag "${O[@]}" tag ecr:mixed:src release dev-1 dev-2

echo; echo "## 250 tags in one command, every 4th PutImage throttled (t0..t49 on src, m0..m49 on another image, n0..n149 new)"
many=(); for i in $(seq 0 49); do many+=("t$i"); done
for i in $(seq 0 49); do many+=("m$i"); done
for i in $(seq 0 149); do many+=("n$i"); done
./ocitag "${O[@]}" tag ecr:bench:src $(printf 't%s ' $(seq 0 49)) >/dev/null
./ocitag "${O[@]}" tag ecr:bench:other $(printf 'm%s ' $(seq 0 49)) >/dev/null
curl -s -X POST "$E/_fake/reset" >/dev/null
curl -s -X POST "$E/_fake/throttle?op=PutImage&every=4" >/dev/null
printf '\n$ OCITAG_ECR_PUT_RATE=100 ./ocitag tag ecr:bench:src t0..t49 m0..m49 n0..n149 | sort | uniq -c on the outcome\n'
t0=$(date +%s.%N)
OCITAG_ECR_PUT_RATE=100 ./ocitag "${O[@]}" tag ecr:bench:src "${many[@]}" | awk '{print $1}' | sort | uniq -c | sed 's/^/  /'
printf '  exit %s, %.1f s\n' "${PIPESTATUS[0]}" "$(echo "$(date +%s.%N) - $t0" | bc)"
calls
curl -s -X POST "$E/_fake/throttle?op=PutImage&every=0" >/dev/null

echo; echo "## registry host form: account and region from the host"
run ./ocitag --endpoint-url "$E" tag 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:src from-host
run ./ocitag --endpoint-url "$E" tag 210987654321.dkr.ecr.eu-west-1.amazonaws.com/app:src other-account

echo; echo "## AWS_ENDPOINT_URL_ECR instead of --endpoint-url; tags; untag"
run env AWS_ENDPOINT_URL_ECR="$E" ./ocitag --region us-east-1 tags ecr:app
run env AWS_ENDPOINT_URL_ECR="$E" ./ocitag --region us-east-1 untag ecr:app:t2

echo; echo "## errors"
run ./ocitag --endpoint-url "$E" tag ecr:app:src x
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY ./ocitag "${O[@]}" tag ecr:app:src x
run ./ocitag "${O[@]}" tag ecr:nope:src x
run ./ocitag "${O[@]}" tag ecr:app:missing x
