#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (as root, from Debian):
# the distribution registry (docker-registry) and skopeo, the independent byte-level check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v zsh >/dev/null 2>&1 || missing+=(zsh) # the zsh completion test
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
trap 'rm -rf "$copy"' EXIT
cp -r examples/hello "$copy/hello"
./ocitag tag "oci:$copy/hello:latest" v2 >/dev/null
ours="$(./ocitag digest "oci:$copy/hello:v2")"
theirs="sha256:$(skopeo inspect --raw "oci:$copy/hello:v2" | sha256sum | cut -d' ' -f1)"
if [ "$ours" != "$theirs" ] || [ "$ours" != "$(./ocitag digest "oci:$copy/hello:latest")" ]; then
  echo "launcher check: ocitag says $ours, skopeo says $theirs" >&2
  exit 1
fi
echo "launcher check: ./ocitag tag and digest agree with skopeo ($ours)"
