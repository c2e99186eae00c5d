#!/usr/bin/env bash
# Promotion between registries where users are: two HTTPS registries with Basic auth, reached by a
# host name, certificates verified (a private CA every tool is told about). ocitag against
# `skopeo copy --all` and a raw floor, medians of the same run, each run into an empty target:
#   (a) one image of 4 x 32 MiB layers, registry -> registry       target: <= 1.0x skopeo copy --all
#   (b) 50 two-platform images in one `ocitag batch` vs a loop of skopeo copy --all per image
#                                                                   target: >= 5x faster than skopeo
#   (c) within one registry, and reruns: no blob bytes sent         target: 0 bytes, counted three
#       ways: ocitag's JSON transfer.bytes, the registry's access log (the requests that carry or
#       open blob uploads), and the bytes the registry process read (/proc/PID/io rchar: sockets
#       and files), next to the same counts for a first promotion
#   (d) one 256 MiB layer with OCITAG_JAVA_OPTS=-Xmx64m              target: copies, <= 1.5x skopeo
#
#   bench/promote.sh [RUNS]     (default 3; a few minutes on an idle 2-core machine)
#
# The raw floor (bench/promote-floor.py) is the fewest requests a promotion takes, over kept-alive
# HTTPS connections with the same CA and Basic credentials: manifests GET, each blob's GET streamed
# into one monolithic upload PUT (after the POST that opens it), a blob already pushed in the run
# mounted into the other repositories, then the manifests; no HEADs, no digest computed, the same
# concurrency as ocitag's default (-j). Content is random bytes as plain OCI layers
# (bench/oci-image.py builds the layout; skopeo seeds the source registry). Every timed run starts
# with the target registry restarted on empty storage (not timed), so every blob moves every time;
# skopeo's blob info cache is left as it is (its hints name the emptied registry: a request or two).
# Besides wall time, each tool's CPU time (user + system, its own processes, not the registries').
# For (a) and (d) also JVM floors (bench/JvmPromoteFloor.java): the same requests from a JVM with
# HttpsURLConnection, once with the JDK's TLS (C2 as well) and once with BoringSSL's (Conscrypt, C1
# alone, as ocitag's blob streams run): what a JVM tool pays on this machine to move these bytes,
# before doing anything of its own.
# The runs share the machine with whatever else runs: the load average is printed with the numbers.
#
# Needs root (it adds `127.0.0.1 registry.ocitag.test` to /etc/hosts and removes it at exit),
# docker-registry, skopeo, curl, openssl, htpasswd (apache2-utils), python3, jq, a JDK and Maven.
# Only 127.0.0.1 is contacted. About 1.5 GB of temporary disk.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
name=registry.ocitag.test
images=50
jobs=16 # ocitag batch's default -j, and the floor's concurrency in (b)
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl openssl htpasswd python3 jq java javac jar awk mvn
[ "$(id -u)" = 0 ] || { echo "bench: run as root (it edits /etc/hosts for $name)" >&2; exit 1; }

declare -A pid port storage
promote_cleanup() {
  local r
  for r in "${!pid[@]}"; do kill "${pid[$r]}" 2>/dev/null || true; wait "${pid[$r]}" 2>/dev/null || true; done
  bench_hosts_remove
  bench_cleanup
}
trap promote_cleanup EXIT

bench_hosts_add "$name"

# A private CA and a leaf for the host name; one user for both registries
bench_tls "$name" "DNS:$name,IP:127.0.0.1"

# serve NAME: (re)starts registry NAME on its port with empty storage; HTTPS, Basic auth, HTTP/2
# offered (the Go server's default), the access log on (counted in (c))
serve() {
  local r=$1 dir="$work/$1"
  if [ -n "${pid[$r]:-}" ]; then
    kill "${pid[$r]}" 2>/dev/null || true
    wait "${pid[$r]}" 2>/dev/null || true
    rm -rf "${storage[$r]}"
  fi
  storage[$r]="$dir/storage.$RANDOM$RANDOM"
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${storage[$r]}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port[$r]}
  secret: bench-secret
  tls:
    certificate: $work/leaf.crt
    key: $work/leaf.key
auth:
  htpasswd:
    realm: bench
    path: $work/htpasswd
YAML
  docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
  pid[$r]=$!
  for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "https://$name:${port[$r]}/v2/" || true)
    [ "$code" = 401 ] && return 0
    sleep 0.05
  done
  echo "bench: registry $r did not start: $(tail -5 "$dir/registry.log")" >&2
  exit 1
}

port[src]=$(bench_free_port)
serve src
port[dst]=$(bench_free_port)
while [ "${port[dst]}" = "${port[src]}" ]; do port[dst]=$(bench_free_port); done
serve dst
src="$name:${port[src]}"
dst="$name:${port[dst]}"
mkdir -p "$work/docker"
auth="$(printf '%s:%s' "$user" "$password" | base64 -w0)"
printf '{"auths":{"%s":{"auth":"%s"},"%s":{"auth":"%s"}}}\n' "$src" "$auth" "$dst" "$auth" \
  >"$work/docker/config.json"

# Content: random layers in an OCI layout, copied into the source registry by skopeo
echo "bench: making the images and seeding $src (not timed)..." >&2
mkdir -p "$work/layers"
layer() { head -c "$2" /dev/urandom >"$work/layers/$1"; echo "$work/layers/$1"; }
mib=$((1024 * 1024))
four="$(layer a1 $((32 * mib))),$(layer a2 $((32 * mib))),$(layer a3 $((32 * mib))),$(layer a4 $((32 * mib)))"
python3 "$here/bench/oci-image.py" "$work/layout" four "linux/amd64=$four" >/dev/null
python3 "$here/bench/oci-image.py" "$work/layout" big "linux/amd64=$(layer big $((256 * mib)))" >/dev/null
# (b): per platform a 2 MiB base layer all 50 images share, and a 256 KiB layer of each image's own
base_amd64=$(layer base-amd64 $((2 * mib)))
base_arm64=$(layer base-arm64 $((2 * mib)))
for i in $(seq "$images"); do
  python3 "$here/bench/oci-image.py" "$work/layout" "app$i" \
    "linux/amd64=$base_amd64,$(layer "app$i-amd64" $((256 * 1024)))" \
    "linux/arm64=$base_arm64,$(layer "app$i-arm64" $((256 * 1024)))" >/dev/null
done
rm -rf "$work/layers"
sk_src=(--src-cert-dir "$work/certs")
sk_dst=(--dest-cert-dir "$work/certs")
seed() { skopeo copy -q --all --dest-cert-dir "$work/certs" --authfile "$work/docker/config.json" "oci:$work/layout:$1" "docker://$src/$2"; }
seed four four:1
seed big big:1
export -f seed
export work src
seq "$images" | xargs -P 4 -I{} bash -c 'seed app{} app{}:1'
rm -rf "$work/layout"

ocitag="$here/ocitag"
"$ocitag" --version >/dev/null # builds the CLI and its class data archive; not timed
oc=("$ocitag" --ca-file "$work/ca.crt" --docker-config "$work/docker" -o json)
sk=(skopeo copy -q --all --authfile "$work/docker/config.json" "${sk_src[@]}" "${sk_dst[@]}")
floor=(python3 "$here/bench/promote-floor.py" "$work/ca.crt" "$src" "$user:$password" "$dst" "$user:$password")
for i in $(seq "$images"); do echo "$src/app$i:1 $dst/app$i:1"; done >"$work/batch"
for i in $(seq "$images"); do echo "app$i:1 app$i:1"; done >"$work/floor-batch"
gc_log="$work/gc.log"
mkdir -p "$work/jvmfloor"
javac -d "$work/jvmfloor" "$here/bench/JvmPromoteFloor.java"
jar cf "$work/jvmfloor.jar" -C "$work/jvmfloor" .
jvm=(java -XX:-UsePerfData -cp "$work/jvmfloor.jar" JvmPromoteFloor "$work/ca.crt" "$src" "$dst" "$user:$password")
# the same with BoringSSL's TLS (Conscrypt, the jar ocitag ships) and C1 alone, as ocitag runs
conscrypt=$(ls "$here"/cli/target/lib/conscrypt-openjdk-uber-*.jar)
jvmb=(java -XX:-UsePerfData -XX:TieredStopAtLevel=1 -Dfloor.tls=boringssl
  -cp "$work/jvmfloor.jar:$conscrypt" JvmPromoteFloor "$work/ca.crt" "$src" "$dst" "$user:$password")

ocitag_a() { "${oc[@]}" tag "$src/four:1" "$dst/four:1"; }
skopeo_a() { "${sk[@]}" "docker://$src/four:1" "docker://$dst/four:1"; }
floor_a() { echo "four:1 four:1" | "${floor[@]}" 8; }
jvm_a() { "${jvm[@]}" four:1; }
jvmb_a() { "${jvmb[@]}" four:1; }
ocitag_b() { "${oc[@]}" batch "$work/batch"; }
skopeo_b() {
  local i
  for i in $(seq "$images"); do "${sk[@]}" "docker://$src/app$i:1" "docker://$dst/app$i:1"; done
}
floor_b() { "${floor[@]}" "$jobs" <"$work/floor-batch"; }
# the GC log (a few lines) shows the heap stayed within 64 MiB
ocitag_d() { OCITAG_JAVA_OPTS="-Xmx64m -Xlog:gc:file=$gc_log" "${oc[@]}" tag "$src/big:1" "$dst/big:1"; }
skopeo_d() { "${sk[@]}" "docker://$src/big:1" "docker://$dst/big:1"; }
floor_d() { echo "big:1 big:1" | "${floor[@]}" 8; }
jvm_d() { java -Xmx64m "${jvm[@]:1}" big:1; }
jvmb_d() { java -Xmx64m "${jvmb[@]:1}" big:1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
# digest REF: the digest of the manifest REF names, as skopeo reads it
digest() { skopeo inspect --raw --authfile "$work/docker/config.json" --cert-dir "$work/certs" "docker://$1" | sha256sum | cut -d' ' -f1; }
rchar() { awk '/^rchar/ {print $2}' "/proc/${pid[$1]}/io"; }

# counted REGISTRY CMD...: runs CMD once and prints "wall_ms cpu_ms transfer.bytes uploads read":
# its wall time; the CPU time of its processes (user + system); the blob bytes ocitag's JSON reports
# (0 for other tools); the access log's requests on REGISTRY that carry or open blob uploads (PATCH,
# PUT to an upload, and a POST answered 202: every uploaded byte passes through them; a mount is a
# POST answered 201); the bytes the registry process read meanwhile (/proc/PID/io rchar: its
# sockets and files)
counted() {
  local r=$1 log="$work/$1/registry.log" lines before after t0 t1 cpu bytes uploads
  shift
  lines=$(wc -l <"$log")
  before=$(rchar "$r")
  t0=$(date +%s%N)
  ("$@" >"$work/last.out" 2>"$work/last.err" && times >"$work/times") ||
    { echo "bench: '$*' failed: $(tail -3 "$work/last.err")" >&2; exit 1; }
  t1=$(date +%s%N)
  after=$(rchar "$r")
  cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { printf "%d", s * 1000 }' "$work/times")
  bytes=$(jq -s '[.[] | (.reports // [.])[] | .results[] | .transfer.bytes // 0] | add // 0' \
    "$work/last.out" 2>/dev/null) || bytes=0 # not ocitag's JSON
  uploads=$(tail -n +$((lines + 1)) "$log" |
    grep -cE '"(PATCH|PUT) /v2/[^ ]*/blobs/uploads/|"POST /v2/[^ ]*/blobs/uploads/[^ ]* HTTP/[0-9.]+" 202 ' || true)
  echo "$(((t1 - t0) / 1000000)) $cpu $bytes $uploads $((after - before))"
}

# bench CASE [TOOLS]: RUNS runs of each tool, each into an empty target (the target registry
# restarted on empty storage, not timed); ocitag runs last, so its copy stays for (c). Results in
# $work/CASE.TOOL, one counted line a run.
bench() {
  local c=$1 tools=${2:-skopeo floor} i t
  for i in $(seq "$runs"); do
    for t in $tools ocitag; do
      serve dst
      counted dst "${t}_$c" >>"$work/$c.$t"
    done
  done
  echo "bench: ($c) wall ms: ocitag $(cut -d' ' -f1 "$work/$c.ocitag" | xargs); skopeo $(cut -d' ' -f1 "$work/$c.skopeo" | xargs); floor $(cut -d' ' -f1 "$work/$c.floor" | xargs)" >&2
}
# med CASE TOOL FIELD: the median of a field over the runs
med() { cut -d' ' -f"$3" "$work/$1.$2" | median; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: timing..." >&2
bench a "skopeo floor jvm jvmb"
[ "$(digest "$dst/four:1")" = "$(digest "$src/four:1")" ] || { echo "bench: (a) digest differs" >&2; exit 1; }
# (c) on (a)'s target as ocitag's last run left it
c_rerun_a=$(counted dst "${oc[@]}" tag "$src/four:1" "$dst/four:1")
c_newtag_a=$(counted dst "${oc[@]}" tag "$src/four:1" "$dst/four:2")
bench b
for i in 1 "$images"; do
  [ "$(digest "$dst/app$i:1")" = "$(digest "$src/app$i:1")" ] || { echo "bench: (b) app$i digest differs" >&2; exit 1; }
done
c_rerun_b=$(counted dst "${oc[@]}" batch "$work/batch")
sed 's/:1$/:2/' "$work/batch" >"$work/batch2"
c_newtag_b=$(counted dst "${oc[@]}" batch "$work/batch2")
c_within_a=$(counted src "${oc[@]}" tag "$src/four:1" "$src/promoted/four:1")
for i in $(seq "$images"); do echo "$src/app$i:1 $src/promoted/app$i:1"; done >"$work/within"
c_within_b=$(counted src "${oc[@]}" batch "$work/within")
c_within_sk=$(counted src "${sk[@]}" "docker://$src/four:1" "docker://$src/skopeo/four:1")
bench d "skopeo floor jvm jvmb"
ok_d=no
heap=$(grep -o 'Using [A-Za-z0-9]*' "$gc_log" | head -1 || true)
# "Pause Young ... 30M->6M(64M)": the most in use before a collection, and the largest heap
used=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$gc_log" | sed -E 's/M->.*//' | sort -n | tail -1 || true)
peak=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$gc_log" | sed -E 's/.*\(([0-9]+)M\)/\1/' | sort -n | tail -1 || true)
# a full read of the target's copy (skopeo checks each blob's digest as it reads) proves it whole
skopeo copy -q --authfile "$work/docker/config.json" --src-cert-dir "$work/certs" \
  "docker://$dst/big:1" "oci:$work/verify:big" && ok_d=yes
rm -rf "$work/verify"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------------------------------
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? v <= t : v >= t; print ok ? "PASS" : "MISS" }'; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
echo "# ocitag promotion between HTTPS registries, $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $load_before before, $load_after after"
echo "# $(java -version 2>&1 | head -1); $(skopeo --version); docker-registry $(docker-registry --version 2>/dev/null | awk '{print $NF}'); $(python3 --version)"
echo "# two registries on $name (ports ${port[src]}, ${port[dst]}): TLS by a private CA, Basic auth; median of $runs runs, each into an empty target"
echo
echo "| case | ocitag ms | skopeo ms | floor ms | ocitag × skopeo | ocitag × floor | skopeo × floor | CPU s: ocitag / skopeo / floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
row() {
  local o s f
  o=$(med "$2" ocitag 1) s=$(med "$2" skopeo 1) f=$(med "$2" floor 1)
  echo "| $1 | $o | $s | $f | $(ratio "$o" "$s") | $(ratio "$o" "$f") | $(ratio "$s" "$f") |" \
    "$(secs "$(med "$2" ocitag 2)") / $(secs "$(med "$2" skopeo 2)") / $(secs "$(med "$2" floor 2)") |"
}
row "(a) 1 image, 4 × 32 MiB layers" a
row "(b) $images images × 2 platforms: one batch, a skopeo loop" b
row "(d) 1 layer of 256 MiB, ocitag with -Xmx64m" d
echo
echo "JVM floors (bench/JvmPromoteFloor.java, HttpsURLConnection; -Xmx64m for (d)): with the JDK's TLS (C2 as well),"
echo "and with BoringSSL's (Conscrypt, as ocitag's blob streams; C1 alone, as ocitag runs):"
echo
echo "| case | TLS | JVM floor ms | JVM floor × skopeo | ocitag × JVM floor | CPU s: JVM floor |"
echo "|---|---|---:|---:|---:|---:|"
jrow() {
  local j s o
  j=$(med "$2" "$3" 1) s=$(med "$2" skopeo 1) o=$(med "$2" ocitag 1)
  echo "| $1 | $4 | $j | $(ratio "$j" "$s") | $(ratio "$o" "$j") | $(secs "$(med "$2" "$3" 2)") |"
}
jrow "(a) 1 image, 4 × 32 MiB layers" a jvm JDK
jrow "(a) 1 image, 4 × 32 MiB layers" a jvmb BoringSSL
jrow "(d) 1 layer of 256 MiB" d jvm JDK
jrow "(d) 1 layer of 256 MiB" d jvmb BoringSSL
echo
echo "(c) blob bytes sent: ocitag's JSON transfer.bytes; the registry's access log (requests carrying or opening blob uploads); bytes the registry process read"
echo
echo "| run | ms | transfer.bytes | upload requests | registry read |"
echo "|---|---:|---:|---:|---:|"
crow() { set -- "$1" $2; echo "| $1 | $2 | $4 | $5 | $6 |"; }
crow "(a) ocitag's last timed run, into an empty target (for scale)" "$(tail -1 "$work/a.ocitag")"
crow "(a) rerun" "$c_rerun_a"
crow "(a) again, to another tag in the target" "$c_newtag_a"
crow "(b) ocitag's last timed batch, into an empty target (for scale)" "$(tail -1 "$work/b.ocitag")"
crow "(b) batch rerun" "$c_rerun_b"
crow "(b) batch again, to other tags in the target" "$c_newtag_b"
crow "within $src: (a)'s image to another repository" "$c_within_a"
crow "within $src: (b)'s $images images to other repositories" "$c_within_b"
crow "within $src: skopeo copy --all of (a)'s image (for comparison)" "$c_within_sk"
echo
ra=$(ratio "$(med a ocitag 1)" "$(med a skopeo 1)")
rb=$(ratio "$(med b skopeo 1)" "$(med b ocitag 1)")
rd=$(ratio "$(med d ocitag 1)" "$(med d skopeo 1)")
zero=PASS
for c in "$c_rerun_a" "$c_newtag_a" "$c_rerun_b" "$c_newtag_b" "$c_within_a" "$c_within_b"; do
  set -- $c
  [ "$3" = 0 ] && [ "$4" = 0 ] || zero=MISS
done
echo "$(verdict "$ra" "<=" 1.0) (a) ocitag at ${ra}× skopeo copy --all's time (target ≤ 1.0×)"
echo "$(verdict "$rb" ">=" 5) (b) ocitag batch ${rb}× faster than the skopeo loop (target ≥ 5×)"
echo "$zero (c) reruns and promotions within a registry: 0 blob bytes (transfer.bytes 0, no upload request)"
d_ok=$([ "$ok_d" = yes ] && verdict "$rd" "<=" 1.5 || echo MISS)
echo "$d_ok (d) 256 MiB layer with -Xmx64m: copied (every digest checked by a full skopeo read: $ok_d) at ${rd}× skopeo's time (target ≤ 1.5×); ${heap:-?}: heap in use at most ${used:-?} MiB, its size at most ${peak:-?} MiB"
echo
echo "Commands (REG = $name:PORT; every timed run into an empty target registry):"
echo '  ocitag:  ./ocitag --ca-file ca.crt --docker-config DIR -o json tag SRC_REG/four:1 DST_REG/four:1'
echo '           ./ocitag --ca-file ca.crt --docker-config DIR -o json batch FILE   (lines: SRC_REG/appN:1 DST_REG/appN:1)'
echo '           OCITAG_JAVA_OPTS="-Xmx64m -Xlog:gc:file=gc.log" ./ocitag --ca-file ca.crt --docker-config DIR -o json tag SRC_REG/big:1 DST_REG/big:1'
echo '  skopeo:  skopeo copy -q --all --authfile DIR/config.json --src-cert-dir CERTS --dest-cert-dir CERTS docker://SRC_REG/IMAGE:1 docker://DST_REG/IMAGE:1'
echo '           ((b): one such copy per image, one after another)'
echo "  floor:   bench/promote-floor.py ca.crt SRC_REG USER:PASS DST_REG USER:PASS J < lines   (J = 8 in (a) and (d), $jobs in (b))"
