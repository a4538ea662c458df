#!/bin/bash
# isolate.sh SHADOW COMMAND [ARG...]
#
# Runs COMMAND in a private mount namespace in which the machine's default engine state
# directories are replaced by private directories under SHADOW, so that nothing the engine
# tests start reads or writes /var/lib/docker, /var/lib/containers, /run/containerd,
# /run/docker, /run/libpod, /run/containers or /var/tmp. Needed because some paths cannot be
# set from the command line: containerd 1.6 puts its shim sockets in /run/containerd/s,
# podman and skopeo keep their blob-info cache in /var/lib/containers/cache and their big
# temporary files in /var/tmp.
#
# /run and /var/lib are each covered with a tmpfs that holds symbolic links to everything
# the real directory holds (kept reachable through a recursive bind mount under SHADOW),
# except the engine directories, which are bind mounts of directories under SHADOW. This
# works whether or not the engine directories exist on the machine, and creates none there.
# Every mount lives and dies with the namespace: nothing is left mounted on the machine.
#
# Called by lib.sh as: unshare --mount --propagation private -- bash isolate.sh SHADOW CMD...
set -euo pipefail

shadow=$1
shift

# cover PARENT NAME...: PARENT/NAME... become private directories under $shadow.
cover() {
  local parent=$1
  shift
  local tag=${parent//\//_}
  local keep=$shadow/host$tag
  mkdir -p "$keep"
  mount --rbind "$parent" "$keep"
  mount -t tmpfs -o mode=0755 tmpfs "$parent"
  local entry
  for entry in "$keep"/* "$keep"/.[!.]*; do
    if [ -e "$entry" ] || [ -L "$entry" ]; then ln -s "$entry" "$parent/"; fi
  done
  local name
  for name in "$@"; do
    rm -f "${parent:?}/$name"
    mkdir -p "$shadow/state$tag/$name" "$parent/$name"
    mount --bind "$shadow/state$tag/$name" "$parent/$name"
  done
}

case $shadow in
  /run/* | /var/lib/* | /var/tmp/*) echo "isolate.sh: $shadow is inside a directory it covers" >&2; exit 2 ;;
esac
mkdir -p "$shadow"
cover /run containerd docker libpod containers
cover /var/lib containers docker
if [ -d /var/tmp ]; then
  mkdir -p "$shadow/var_tmp"
  mount --bind "$shadow/var_tmp" /var/tmp
fi
exec "$@"
