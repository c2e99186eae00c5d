#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (as root, from Debian): podman,
# runc and iptables (Testcontainers starts every test registry, registry:2, in podman; .ci/podman.sh
# builds that image from docker-registry and starts podman's API service), and skopeo, the
# independent byte-level check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
missing=()
for tool in skopeo docker-registry podman runc iptables zsh; do # zsh: the zsh completion test
  have "$tool" || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "test.sh: CI needs ${missing[*]}; run as root or install them: apt-get install -y ${missing[*]}" >&2
    exit 1
  else
    echo "test.sh: ${missing[*]} missing; the tests that need them will be skipped (CI=true fails them)" >&2
  fi
fi

# The container engine for the registry tests: DOCKER_HOST and friends for Maven. A test JVM that
# is killed leaves its registry behind (Ryuk is off): those are removed before and after the run.
copy=""
cleanup() {
  if [ -n "$copy" ]; then rm -rf "$copy"; fi
  .ci/podman.sh clean || true
}
trap cleanup EXIT
if engine="$(.ci/podman.sh up)"; then
  eval "$engine"
elif [ "${CI:-}" = true ]; then
  echo "test.sh: CI needs a container engine for the registry tests (see above)" >&2
  exit 1
else
  echo "test.sh: no container engine; the registry tests will be skipped (CI=true fails them)" >&2
fi

mvn -B -ntp verify "$@"

# The repository launcher: no flock or readlink -f, a JDK change, a failing training, an old Java.
bash cli/src/test/sh/launcher-test.sh

# The README's first command, as a new user runs it: the launcher builds (and trains its class data
# archive), tags a copy of the example layout, and skopeo agrees on the digest.
if ! command -v skopeo >/dev/null 2>&1; then
  echo "launcher check: skipped, skopeo is not installed (CI=true installs it or fails above)"
  exit 0
fi
copy="$(mktemp -d)"
cp -r examples/hello "$copy/hello"
./ocitag tag "oci:$copy/hello:latest" v2 >/dev/null
ours="$(./ocitag digest "oci:$copy/hello:v2")"
theirs="sha256:$(skopeo inspect --raw "oci:$copy/hello:v2" | sha256sum | cut -d' ' -f1)"
if [ "$ours" != "$theirs" ] || [ "$ours" != "$(./ocitag digest "oci:$copy/hello:latest")" ]; then
  echo "launcher check: ocitag says $ours, skopeo says $theirs" >&2
  exit 1
fi
echo "launcher check: ./ocitag tag and digest agree with skopeo ($ours)"
