#!/usr/bin/env bash
# Runs every test. Installs what the tests need when it is missing (as root, from Debian):
# the distribution registry (docker-registry) and skopeo, the independent byte-level check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
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

exec mvn -B -ntp verify "$@"
