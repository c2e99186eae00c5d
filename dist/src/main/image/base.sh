#!/usr/bin/env bash
# The image's files besides ocitag's tree, for an image FROM scratch (no base image can be pulled
# here): the C libraries the jlink'd runtime links (found with ldd), a POSIX shell (dash, for
# bin/ocitag and for CI systems that run a job's script in the image, as GitLab CI does), uname
# (bin/ocitag's platform check), head, tr and grep (lib/jit.sh reads a batch file with them),
# /etc/passwd and /etc/group (the JVM's user.home comes from them), /root and /tmp. Copied from
# this build machine (Debian), so the image has its glibc.
#
#   base.sh RUNTIME OUT
set -euo pipefail
runtime=$1
out=$2
rm -rf "$out"
mkdir -p "$out/bin" "$out/usr/bin" "$out/etc" "$out/root" "$out/tmp"

copy_with_libs() { # FILE DEST: the file, and every library ldd says it loads, at its own path
  cp -L "$1" "$out$2"
  local lib
  for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
    if [ ! -e "$out$lib" ]; then
      mkdir -p "$out$(dirname "$lib")"
      cp -L "$lib" "$out$lib"
    fi
  done
}

sh=$(command -v dash || true)
[ -n "$sh" ] || { echo "base.sh: dash is missing (Debian package dash)" >&2; exit 1; }
copy_with_libs "$sh" /bin/sh
copy_with_libs "$(command -v uname)" /usr/bin/uname
# what lib/jit.sh reads a batch file with, to choose the JIT
for tool in head tr grep; do copy_with_libs "$(command -v $tool)" "/usr/bin/$tool"; done
for f in "$runtime/bin/java" "$runtime"/lib/*.so "$runtime"/lib/server/*.so; do
  for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
    case $lib in
      "$runtime"/*) ;; # the runtime's own
      *)
        if [ ! -e "$out$lib" ]; then
          mkdir -p "$out$(dirname "$lib")"
          cp -L "$lib" "$out$lib"
        fi
        ;;
    esac
  done
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$out/etc/group"
