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

# bench_free_port: a loopback port nothing listens on
bench_free_port() {
  local p
  for _ in $(seq 50); do
    # below Linux's ephemeral ports (32768 and up), which any client's connection may hold: one
    # nothing listens on could still not be bound ("address already in use")
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench: no free port" >&2
  exit 1
}

# bench_hosts_add NAME: maps NAME to 127.0.0.1 in /etc/hosts (marked, for bench_hosts_remove)
# unless it resolves already
hosts_added=()
bench_hosts_add() {
  if ! getent hosts "$1" >/dev/null; then
    echo "127.0.0.1 $1 # ocitag-bench" >>/etc/hosts
    hosts_added+=("$1")
  fi
}

# bench_hosts_remove: removes the lines bench_hosts_add added, only those (another bench running
# at the same time keeps its own)
bench_hosts_remove() {
  local n
  for n in "${hosts_added[@]}"; do
    grep -vxF "127.0.0.1 $n # ocitag-bench" /etc/hosts >"$work/hosts" || true
    cat "$work/hosts" >/etc/hosts
  done
  hosts_added=()
}

# bench_tls CN SAN: a private CA ($work/ca.crt, also in $work/certs/), a leaf for CN with
# subjectAltName SAN ($work/leaf.crt, $work/leaf.key), and user $user with a random $password in
# $work/htpasswd
bench_tls() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ocitag bench CA" \
    -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$work/leaf.key" \
    -out "$work/leaf.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$2" >"$work/san.ext"
  openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
    -days 2 -extfile "$work/san.ext" -out "$work/leaf.crt" 2>/dev/null
  mkdir -p "$work/certs"
  cp "$work/ca.crt" "$work/certs/ca.crt"
  user=bench
  password="pw-$RANDOM$RANDOM"
  htpasswd -Bbn "$user" "$password" >"$work/htpasswd" 2>/dev/null
}

# bench_registry_config DIR ADDR TLS AUTH [LINE...]: writes DIR/config.yml for docker-registry:
# storage in DIR/storage (deletes allowed), listening on ADDR (HOST:PORT), no access log; TLS=yes
# serves bench_tls's leaf, AUTH=yes asks for the users in $work/htpasswd; each LINE is added to the
# http section as it is (say "draintimeout: 10s")
bench_registry_config() {
  local dir=$1 addr=$2 tls=$3 auth=$4 line
  shift 4
  {
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: %s\n  secret: bench-secret\n' "$addr"
    for line in "$@"; do printf '  %s\n' "$line"; done
    if [ "$tls" = yes ]; then
      printf '  tls:\n    certificate: %s/leaf.crt\n    key: %s/leaf.key\n' "$work" "$work"
    fi
    if [ "$auth" = yes ]; then
      printf 'auth:\n  htpasswd:\n    realm: bench\n    path: %s/htpasswd\n' "$work"
    fi
  } >"$dir/config.yml"
}

# start_registry: runs docker-registry on 127.0.0.1 and sets $host (127.0.0.1:PORT)
start_registry() {
  host="127.0.0.1:$(bench_free_port)"
  bench_registry_config "$work" "$host" no no
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
