# Shared by the bench scripts: a local distribution registry on a free loopback port, timing.
# Source it; it sets an EXIT trap that stops the registry and removes $work.

bench_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
  done
}

work="$(mktemp -d)"
registry_pid=""
bench_cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap bench_cleanup EXIT

# start_registry: runs docker-registry on 127.0.0.1 and sets $host (127.0.0.1:PORT)
start_registry() {
  local p port=""
  for _ in $(seq 20); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "bench: no free port" >&2; exit 1; }
  host="127.0.0.1:$port"
  cat >"$work/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
  delete:
    enabled: true
http:
  addr: $host
YAML
  docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -fsS "http://$host/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: the registry did not start: $(cat "$work/registry.log")" >&2
  exit 1
}

# seconds CMD...: wall time of one run, in seconds with milliseconds
seconds() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$work/last.err" || { echo "bench: '$*' failed: $(tail -3 "$work/last.err")" >&2; return 1; }
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

# median_ms RUNS CMD...: the median wall time of RUNS runs, in milliseconds
median_ms() {
  local runs=$1 i t0 t1
  shift
  for i in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$work/last.err" || { echo "bench: '$*' failed: $(tail -3 "$work/last.err")" >&2; return 1; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
  done | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }
