#!/usr/bin/env bash
# The container engine the registry tests run on: RealRegistry starts registry:2 through
# Testcontainers, which talks to podman's Docker-compatible API on a unix socket. No Docker engine,
# and nothing is pulled: registry:2 is built here from the Debian docker-registry binary.
#
#   eval "$(.ci/podman.sh up)"
#       installs podman, runc, iptables and docker-registry when missing (as root, from Debian),
#       writes a containers.conf, builds registry:2 when it is absent (or its docker-registry binary
#       changed), starts `podman system service` when its socket does not answer (detached: it
#       outlives the run and serves the next one; a first registry container proves it), removes
#       test containers left behind, and prints the exports for Maven: DOCKER_HOST,
#       TESTCONTAINERS_RYUK_DISABLED, CONTAINERS_CONF.
#   .ci/podman.sh clean
#       removes the test containers whose JVM is gone.
#
# up exits 0 when the engine answers (or DOCKER_HOST is already set: then it prints nothing and
# changes nothing), 3 when podman is missing and this is not root, 1 when the set-up failed.
# OCITAG_PODMAN_DIR moves the state (socket, containers.conf, service log); OCITAG_REGISTRY_IMAGE
# names the image (registry:2, as RealRegistry).
set -Eeuo pipefail # -E: the ERR trap also fires inside functions

state="${OCITAG_PODMAN_DIR:-${XDG_RUNTIME_DIR:-/tmp}/ocitag-podman-$(id -u)}"
sock="$state/podman.sock"
conf="$state/containers.conf"
log="$state/service.log"
image="${OCITAG_REGISTRY_IMAGE:-registry:2}"
case "$image" in
  */*) ;;
  *) image="docker.io/library/$image" ;;
esac
# RealRegistry labels its containers with its JVM's process id
pid_label=dev.ocitag.test.pid

say() { echo "podman.sh: $*" >&2; }

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

install_missing() {
  local missing=() tool
  # iptables: netavark (podman's network back end) publishes ports with it, and only suggests it
  for tool in podman runc iptables docker-registry; do
    have "$tool" || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "${missing[*]} missing; as root: apt-get install -y ${missing[*]}"
    exit 3
  fi
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

write_conf() {
  mkdir -p "$state"
  chmod 700 "$state"
  # runc, not crun (crun fails to start containers on some kernels); every container's nofile at
  # the hard limit of this shell (podman's default, 1048576, is refused where the limit is lower)
  local hard
  hard="$(ulimit -Hn)"
  [ "$hard" = unlimited ] && hard=1048576
  cat >"$conf.new" <<CONF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
  mv "$conf.new" "$conf"
}

podman_() { CONTAINERS_CONF="$conf" podman "$@"; }

# registry:2 from the host's docker-registry (distribution 2.8): the binary, the libraries it links,
# a default config (RealRegistry copies its own over it) and empty storage. Docker Hub's registry:2
# takes the same config path and port, so either image serves the tests. An image without our label
# (say Docker Hub's, pulled on a machine that can) is kept.
build_image() {
  local bin sum current old root lib
  bin="$(command -v docker-registry)"
  sum="$(sha256sum "$bin" | cut -d' ' -f1)"
  old=""
  if podman_ image exists "$image"; then
    current="$(podman_ image inspect --format '{{index .Labels "dev.ocitag.registry.sha256"}}' "$image")"
    if [ -z "$current" ] || [ "$current" = "<no value>" ] || [ "$current" = "$sum" ]; then
      return 0
    fi
    old="$(podman_ image inspect --format '{{.Id}}' "$image")"
    say "rebuilding $image: docker-registry changed"
  fi
  root="$(mktemp -d)"
  mkdir -p "$root/usr/bin" "$root/etc/docker/registry" "$root/tmp" "$root/var/lib/registry"
  chmod 1777 "$root/tmp"
  cp "$bin" "$root/usr/bin/docker-registry"
  for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' || true); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cat >"$root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
YAML
  tar -C "$root" --owner=0 --group=0 --numeric-owner -c . | podman_ import --quiet \
    --change 'ENTRYPOINT ["/usr/bin/docker-registry"]' \
    --change 'CMD ["serve","/etc/docker/registry/config.yml"]' \
    --change 'EXPOSE 5000' \
    --change "LABEL dev.ocitag.registry.sha256=$sum" \
    - "$image" >/dev/null
  rm -rf "$root"
  if [ -n "$old" ]; then
    podman_ rmi "$old" >/dev/null 2>&1 || true
  fi
  say "built $image from $bin ($(docker-registry --version 2>/dev/null | awk '{print $NF}'))"
}

answers() { timeout 10 podman --url "unix://$sock" version >/dev/null 2>&1; }

start_service() {
  answers && return 0
  # A service that is alive but slow to answer (a loaded machine, several builds at once) is
  # waited for, not replaced: replacing it removes the socket that running tests use.
  local pidfile="$state/service.pid" old
  old="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    for _ in $(seq 12); do
      answers && return 0
      sleep 5
    done
    say "podman system service $old does not answer on $sock; starting another"
    kill "$old" 2>/dev/null || true
  fi
  rm -f "$sock"
  say "starting podman system service on $sock (log: $log)"
  # its own session: it outlives this run (and a Ctrl-C of it) and serves the next one; started
  # in its state directory, since conmon fails every container once the service's working
  # directory is gone (a CI clone removed after the run)
  (cd "$state" && CONTAINERS_CONF="$conf" exec setsid podman system service --time=0 \
    "unix://$sock" >>"$log" 2>&1 </dev/null) &
  local service=$! id
  echo "$service" >"$pidfile"
  for _ in $(seq 100); do
    answers && break
    sleep 0.1
  done
  if ! answers; then
    say "podman system service does not answer on $sock: $(tail -5 "$log" 2>/dev/null)"
    kill "$service" 2>/dev/null || true
    exit 1
  fi
  # once per service: a registry container with a published port starts through it (rootless
  # podman, for one, may lack /dev/net/tun); else no service, and the tests skip (or fail with CI)
  if ! id="$(podman --url "unix://$sock" run -d --label "$pid_label=$$" \
    -p 127.0.0.1::5000 "$image" 2>&1)"; then
    say "podman cannot run $image here: $id"
    kill "$service" 2>/dev/null || true
    podman_ ps -a -q --filter "label=$pid_label=$$" | xargs -r env CONTAINERS_CONF="$conf" podman rm -f >/dev/null 2>&1 || true
    exit 1
  fi
  podman --url "unix://$sock" rm -f "$id" >/dev/null
}

# Removes test containers (Testcontainers' label) whose JVM has exited: Ryuk is off, so a JVM that
# was killed leaves its registry running. Containers of a JVM still running are left alone.
clean() {
  have podman || return 0
  local id pid
  podman_ ps -a --filter label=org.testcontainers=true --filter "label=$pid_label" \
    --format "{{.ID}} {{index .Labels \"$pid_label\"}}" 2>/dev/null |
    while read -r id pid; do
      if [ -n "$id" ] && { [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; }; then
        if podman_ rm -f -v "$id" >/dev/null 2>&1; then
          say "removed leftover test container $id"
        fi
      fi
    done
}

case "${1:-}" in
  up)
    trap 'say "setting up podman failed (above); as root ./test.sh does it"; exit 1' ERR
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$sock" ]; then
      say "DOCKER_HOST is set ($DOCKER_HOST): using that engine"
      exit 0
    fi
    install_missing
    write_conf
    build_image
    start_service
    clean
    echo "export DOCKER_HOST=unix://$sock"
    # Ryuk (Testcontainers' reaper) is an image from Docker Hub; RealRegistry stops its containers
    # and `clean` removes what a killed JVM left
    echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    echo "export CONTAINERS_CONF=$conf"
    ;;
  clean)
    [ -f "$conf" ] || write_conf
    clean
    ;;
  *)
    echo "usage: eval \"\$(.ci/podman.sh up)\" | .ci/podman.sh clean" >&2
    exit 2
    ;;
esac
