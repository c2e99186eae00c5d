#!/usr/bin/env bash
# Retag benchmark against the test-scope ECR endpoint (no AWS account needed):
#   1. 100 tags on one source in one `ocitag tag` run: API calls per operation and wall time,
#      with the default PutImage rate limit (10/s) and with it raised; then the same 100 again
#      (all unchanged).
#   2. One tag, cold (a fresh JVM / Python each time): `ocitag tag` against the documented
#      `aws ecr batch-get-image` + `aws ecr put-image` pair, in the same run, RUNS times each.
# Usage: bench/ecr-retag.sh [RUNS]   (env LATENCY_MS adds latency to every fake answer; default 0)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
cd "$root"

export AWS_ACCESS_KEY_ID=AKIAOCITAGTESTKEY000
export AWS_SECRET_ACCESS_KEY=ocitag/test/secret/key/not/a/real/one0000
export AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ECR

command -v aws >/dev/null || { echo "ecr-retag.sh: needs the AWS CLI (apt-get install awscli)" >&2; exit 1; }
./ocitag --version >/dev/null   # builds the CLI on first use; not timed

log="$(mktemp)"
bench/ecr-fake.sh --latency "${LATENCY_MS:-0}" >"$log" 2>&1 &
fake=$!
trap 'kill "$fake" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  grep -q '^endpoint ' "$log" && break
  kill -0 "$fake" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
endpoint="$(sed -n 's/^endpoint //p' "$log")"
[ -n "$endpoint" ] || { echo "ecr-retag.sh: the fake endpoint did not start" >&2; cat "$log" >&2; exit 1; }
ecr=(--endpoint-url "$endpoint" --region us-east-1)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# The launcher rebuilds when sources changed (others may be editing): build outside the clock.
reset() { ./ocitag --version >/dev/null; curl -s -X POST "$endpoint/_fake/reset" >/dev/null; }
counts() { curl -s "$endpoint/_fake/counts"; }

echo "# ECR retag benchmark: fake endpoint $endpoint (latency ${LATENCY_MS:-0} ms/call), $(java -version 2>&1 | head -1), $(aws --version 2>&1)"
echo
echo "## 100 tags in one run"
tags=(); for i in $(seq 1 100); do tags+=("b$i"); done
more=(); for i in $(seq 1 100); do more+=("c$i"); done

reset; t0=$(now)
./ocitag "${ecr[@]}" tag ecr:bench:src "${tags[@]}" >/dev/null
t1=$(now)
echo "ocitag tag ecr:bench:src b1..b100 (default PutImage limit 10/s): $(secs "$t0" "$t1") s  calls $(counts)"

reset; t0=$(now)
OCITAG_ECR_PUT_RATE=1000 ./ocitag "${ecr[@]}" tag ecr:bench:src "${more[@]}" >/dev/null
t1=$(now)
echo "ocitag tag ecr:bench:src c1..c100 (OCITAG_ECR_PUT_RATE=1000):   $(secs "$t0" "$t1") s  calls $(counts)"

reset; t0=$(now)
./ocitag "${ecr[@]}" tag ecr:bench:src "${tags[@]}" >/dev/null
t1=$(now)
echo "ocitag tag ecr:bench:src b1..b100 again (all unchanged):        $(secs "$t0" "$t1") s  calls $(counts)"

echo
echo "## one tag, cold process each time"
for r in $(seq 1 "$runs"); do
  reset; t0=$(now)
  ./ocitag "${ecr[@]}" tag ecr:bench:src "o$r" >/dev/null
  t1=$(now)
  o_time=$(secs "$t0" "$t1"); o_calls=$(counts)

  reset; t0=$(now)
  # The documented retag (AWS ECR user guide, "Retagging an image"), verbatim but for the names.
  MANIFEST=$(aws "${ecr[@]}" ecr batch-get-image --repository-name bench --image-ids imageTag=src \
    --output text --query 'images[].imageManifest')
  aws "${ecr[@]}" ecr put-image --repository-name bench --image-tag "a$r" \
    --image-manifest "$MANIFEST" >/dev/null
  t1=$(now)
  a_time=$(secs "$t0" "$t1"); a_calls=$(counts)
  echo "run $r: ocitag $o_time s $o_calls | aws batch-get-image + put-image $a_time s $a_calls"
done

src=$(./ocitag "${ecr[@]}" digest ecr:bench:src)
echo
echo "digests: src $src"
echo "         ocitag o1 $(./ocitag "${ecr[@]}" digest ecr:bench:o1)"
echo "         aws    a1 $(./ocitag "${ecr[@]}" digest ecr:bench:a1)  (format converted by the default acceptedMediaTypes, trailing newline lost in \$(...))"
