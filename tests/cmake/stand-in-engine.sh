#!/bin/bash
# A stand-in for the docker / podman CLI (installed as both by image_refs.sh), enough for
# add_docker_slim_artifact() and dockerdiff with docker:REF / podman:REF: an image is an
# archive file in $STAND_IN_STORE, and its ID the archive's sha256.
#
#   build -q -t REF CONTEXT                      stores CONTEXT/image.tar as REF
#   image inspect --format '{{.Id}}' REF         prints the ID
#   save [--format=docker-archive] REF          prints the archive
#
# Every call is logged to $STAND_IN_STORE/calls.
set -euo pipefail
: "${STAND_IN_STORE:?STAND_IN_STORE must name the store of the stand-in engine}"
engine=$(basename "$0")
printf '%s %s\n' "$engine" "$*" >>"$STAND_IN_STORE/calls"

usage() {
  printf 'stand-in %s: usage: %s\n' "$engine" "$*" >&2
  exit 2
}

stored() {
  local file=$STAND_IN_STORE/$engine-${1//[\/:]/_}.tar
  [ -f "$file" ] || {
    printf 'Error: No such image: %s\n' "$1" >&2
    exit 1
  }
  printf '%s\n' "$file"
}

case "${1:-}" in
  build)
    if [ "$#" != 5 ] || [ "$2" != -q ] || [ "$3" != -t ]; then usage "build -q -t REF CONTEXT"; fi
    cp "$5/image.tar" "$STAND_IN_STORE/$engine-${4//[\/:]/_}.tar"
    ;;
  image)
    if [ "$#" != 5 ] || [ "$2" != inspect ] || [ "$3" != --format ] || [ "$4" != '{{.Id}}' ]; then
      usage "image inspect --format '{{.Id}}' REF"
    fi
    file=$(stored "$5")
    printf 'sha256:%s\n' "$(sha256sum "$file" | cut -d' ' -f1)"
    ;;
  save)
    shift
    if [ "${1:-}" = --format=docker-archive ]; then shift; fi
    if [ "$#" != 1 ]; then usage "save [--format=docker-archive] REF"; fi
    file=$(stored "$1")
    cat "$file"
    ;;
  *) usage "build, image inspect or save, not: $*" ;;
esac
