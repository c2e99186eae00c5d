#!/usr/bin/env bash
# Retag on a local registry: ocitag (a cold JVM per run) against `skopeo copy docker:// docker://`
# and against the bare minimum, curl GET + PUT of the manifest; then one ocitag command with 100
# tags against a loop of 100 skopeo copies.
#
#   bench/registry-retag.sh [RUNS]     (default 7; median of RUNS for the single retag)
#
# Needs: docker-registry (Debian package docker-registry), skopeo, curl, a JDK and Maven (the
# ./ocitag launcher builds itself). Only 127.0.0.1 is contacted; the registry is stopped at the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-7}"
. "$here/bench/lib.sh"
bench_need docker-registry skopeo curl sha256sum
start_registry

repo="$host/bench/app"
skopeo copy -q --all --dest-tls-verify=false "oci:$here/examples/hello:latest" "docker://$repo:1.0"
src_digest="$("$here/ocitag" digest "$repo:1.0")" # also builds the CLI when needed (not timed)
accept="application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: >"$work/ocitag.ms"; : >"$work/skopeo.ms"; : >"$work/curl.ms"
for i in $(seq "$runs"); do
  t0=$(now_ms)
  "$here/ocitag" tag "$repo:1.0" "o$i" >/dev/null
  t1=$(now_ms)
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$repo:1.0" "docker://$repo:s$i"
  t2=$(now_ms)
  type="$(curl -fsS -o "$work/m.json" -w '%{content_type}' -H "Accept: $accept" \
    "http://$host/v2/bench/app/manifests/1.0")"
  curl -fsS -o /dev/null -X PUT -H "Content-Type: $type" --data-binary "@$work/m.json" \
    "http://$host/v2/bench/app/manifests/c$i"
  t3=$(now_ms)
  echo $((t1 - t0)) >>"$work/ocitag.ms"
  echo $((t2 - t1)) >>"$work/skopeo.ms"
  echo $((t3 - t2)) >>"$work/curl.ms"
done
o=$(median <"$work/ocitag.ms"); s=$(median <"$work/skopeo.ms"); c=$(median <"$work/curl.ms")

tags=(); for i in $(seq 100); do tags+=("m$i"); done
t0=$(now_ms)
"$here/ocitag" tag "$repo:1.0" "${tags[@]}" >/dev/null
t1=$(now_ms)
for i in $(seq 100); do
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$repo:1.0" "docker://$repo:k$i"
done
t2=$(now_ms)
o100=$((t1 - t0)); s100=$((t2 - t1))

# every tag written must carry the source's exact bytes
bad=0
for t in o1 s1 c1 m1 m50 m100 k1 k100; do
  d="sha256:$(skopeo inspect --raw --tls-verify=false "docker://$repo:$t" | sha256sum | cut -d' ' -f1)"
  [ "$d" = "$src_digest" ] || { echo "bench: $t has $d, not $src_digest" >&2; bad=1; }
done

echo "registry $host, source $src_digest ($(nproc) cores), median of $runs runs"
printf '%-38s %8s ms\n' "one retag: ocitag (cold JVM)" "$o"
printf '%-38s %8s ms   ocitag/skopeo = %s\n' "one retag: skopeo copy docker->docker" "$s" "$(ratio "$o" "$s")"
printf '%-38s %8s ms   ocitag/curl   = %s\n' "one retag: curl GET + PUT" "$c" "$(ratio "$o" "$c")"
printf '%-38s %8s ms\n' "100 tags: one ocitag command" "$o100"
printf '%-38s %8s ms   ocitag/skopeo = %s\n' "100 tags: loop of 100 skopeo copy" "$s100" "$(ratio "$o100" "$s100")"
[ "$bad" = 0 ] && echo "checked: sampled tags are byte-identical to the source (skopeo inspect --raw | sha256sum)"
exit "$bad"
