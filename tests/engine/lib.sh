# shellcheck shell=bash
# Common library of the engine tests (CTest label "engine"), sourced by every script here.
#
# The tests run dockerdiff's outputs through real engines: private dockerds (Debian 12's 20.10,
# started by setup.sh; Debian 13's 26 and unstable's 28 in both image stores, started by
# engine_start.sh; all stopped by cleanup.sh), their containerds through ctr (1.6 and 2.x) in
# private namespaces, and podman with a private --root per case. Nothing touches the machine's own engines: every
# path is under the engine root (ENGINE_ROOT) and podman, skopeo and dockerd run through
# isolate.sh (see there).
#
# Environment (set by CTest, see CMakeLists.txt):
#   DOCKERDIFF              the dockerdiff binary under test
#   DOCKERDIFF_ENGINE_DIR   this directory's build directory; it records where the engine root is
#   DOCKERDIFF_TEST_DOCKER  optional: the docker client of Docker 20.10 (default /usr/bin/docker if present)
#   DOCKERDIFF_ENGINES      optional: where scripts/install-engines put the newer engines
#                           (default /opt/dockerdiff-engines)
#   ENGINE                  the engine a test runs against (see select_engine); docker20 if unset

set -euo pipefail

: "${DOCKERDIFF:?DOCKERDIFF must name the dockerdiff binary}"
: "${DOCKERDIFF_ENGINE_DIR:?DOCKERDIFF_ENGINE_DIR must name the engine tests build directory}"

ENGINE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# fail, note, expect_eq, expect_grep: the assertions every shell suite shares
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source "$ENGINE_LIB_DIR/../shell/assert.sh"
ENGINE_ROOT_FILE=$DOCKERDIFF_ENGINE_DIR/engine-root
EMPTY_BLOB=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# The images the setup builds (see setup.sh). Every app has a COPY layer with /<app>.txt
# ("<app>-content") and a RUN layer with /<app>-run.txt ("<app>-run").
APPS=(app1 app2 rep)
# shellcheck disable=SC2034 # used by the scripts that source this
BASES=(base base2 repbase)
# How many layers of each app its base provides (always the bottom ones): app1 is FROM base
# (1 layer), app2 FROM base2 (base + 1), rep FROM repbase (base + the COPY layer it repeats).
declare -A DROPPED=([app1]=1 [app2]=2 [rep]=2)

# The docker client of Docker 20.10 (the newer engines bring their own, see select_engine).
if [ -n "${DOCKERDIFF_TEST_DOCKER:-}" ]; then
  DOCKER20_CLI=$DOCKERDIFF_TEST_DOCKER
elif [ -x /usr/bin/docker ]; then
  DOCKER20_CLI=/usr/bin/docker
else
  DOCKER20_CLI=docker
fi
DOCKER_CLI=$DOCKER20_CLI
ENGINES_PREFIX=${DOCKERDIFF_ENGINES:-/opt/dockerdiff-engines}
# The PATH the tests were given; select_engine puts an engine's own directories before it.
ENGINE_BASE_PATH=${ENGINE_BASE_PATH:-$PATH}
export ENGINE_BASE_PATH

# Every private dockerd: NAME SUITE STORE. SUITE is the directory of scripts/install-engines
# holding it ("-": Debian 12's own, in PATH); STORE is classic (--storage-driver vfs) or
# containerd (the containerd image store, snapshotter native).
DOCKER_ENGINES=(
  "docker20 - classic"
  "docker26 trixie classic"
  "docker26c trixie containerd"
  "docker28 sid classic"
  "docker28c sid containerd"
)

# first_error LOG: the line of an engine's output that says why a load failed.
first_error() {
  local pattern
  for pattern in 'did not match' 'invalid diffID' 'wrong diff id' 'not found' 'no such file' '[Ee]rror' '[Ff]ail'; do
    if grep -m 1 -e "$pattern" "$1"; then return 0; fi
  done
  head -n 1 "$1"
}

# engine_paths ROOT: every path the tests use, derived from the engine root; and the engine
# of $ENGINE (see select_engine).
engine_paths() {
  ENGINE_ROOT=$1
  IMAGES=$ENGINE_ROOT/images
  EXPECT=$IMAGES/expect
  CASES=$ENGINE_ROOT/cases
  export DOCKER_CONFIG=$ENGINE_ROOT/client-config
  export TMPDIR=$ENGINE_ROOT/tmp
  # Short paths (podman refuses a runroot longer than 50 characters): under the engine root
  # when it is short enough, else a directory the setup made in /tmp.
  SHORT_DIR=$ENGINE_ROOT/r
  if [ -s "$ENGINE_ROOT/short-dir" ]; then SHORT_DIR=$(cat "$ENGINE_ROOT/short-dir"); fi
  # A storage.conf of our own, so that the machine's (additional image stores...) plays no part.
  export CONTAINERS_STORAGE_CONF=$ENGINE_ROOT/storage.conf
  select_engine "${ENGINE:-docker20}"
}

# select_engine NAME: the engine the docker and ctr helpers talk to.
#   docker20 docker26 docker26c docker28 docker28c   a private dockerd (see DOCKER_ENGINES)
#   podman                                           podman 4.3 (Debian 12), private storage per case
#   ctr                                              ctr 1.6 (Debian 12) on docker20's containerd
#   ctr2                                             ctr 2.x (unstable) on docker28's containerd
# Sets ENGINE, ENGINE_KIND (docker, podman, ctr), and for docker: DOCKER_DIR, DOCKER_HOST,
# DOCKER_CLI, DOCKER_STORE, DOCKER_SUITE, PATH (the engine's own binaries first: its dockerd
# spawns the containerd next to it, and dockerdiff runs the `docker` first in PATH); for ctr:
# CTR_BIN, CONTAINERD_SOCK, CTR_IMPORT (the import command).
select_engine() {
  local spec name suite store
  ENGINE=$1
  case $ENGINE in
    podman) ENGINE_KIND=podman; return 0 ;;
    ctr) ENGINE_KIND=ctr; CTR_BIN=ctr; select_docker_paths docker20 - classic ;;
    # containerd 2.x's ctr imports through the transfer service unless told --local; --local
    # is the client-side import that ctr 1.6 does, which is what users of `ctr import` get.
    ctr2) ENGINE_KIND=ctr; CTR_BIN=$ENGINES_PREFIX/sid/usr/bin/ctr; select_docker_paths docker28 sid classic ;;
    *)
      for spec in "${DOCKER_ENGINES[@]}"; do
        read -r name suite store <<<"$spec"
        if [ "$name" = "$ENGINE" ]; then
          ENGINE_KIND=docker
          select_docker_paths "$name" "$suite" "$store"
          return 0
        fi
      done
      fail "unknown engine $ENGINE"
      ;;
  esac
  CONTAINERD_SOCK=$DOCKER_DIR/exec/containerd/containerd.sock
  CTR_IMPORT=(images import --snapshotter native)
  if [ "$ENGINE" = ctr2 ]; then CTR_IMPORT=(images import --local --snapshotter native); fi
}

# select_docker_paths NAME SUITE STORE (see DOCKER_ENGINES)
select_docker_paths() {
  DOCKER_DIR=$ENGINE_ROOT/$1
  DOCKER_SUITE=$2
  DOCKER_STORE=$3
  export DOCKER_HOST=unix://$DOCKER_DIR/docker.sock
  CONTAINERD_SOCK=$DOCKER_DIR/exec/containerd/containerd.sock
  if [ "$DOCKER_SUITE" = - ]; then
    DOCKER_CLI=$DOCKER20_CLI
    export PATH=$ENGINE_BASE_PATH
  else
    local bin=$ENGINES_PREFIX/$DOCKER_SUITE/usr
    export PATH=$bin/bin:$bin/sbin:$ENGINE_BASE_PATH
    DOCKER_CLI=$bin/bin/docker
  fi
}

# engine_versions: one line naming what the test runs against.
engine_versions() {
  case $ENGINE_KIND in
    podman) printf 'podman %s\n' "$(podman --version | awk '{ print $NF }')" ;;
    ctr)
      printf '%s: ctr %s against containerd %s (of %s)\n' "$ENGINE" "$("$CTR_BIN" --version | awk '{ print $3 }')" \
        "$(ctrc version 2>/dev/null | awk '$1 == "Version:" { v = $2 } END { print v }')" "$(basename "$DOCKER_DIR")"
      ;;
    docker)
      printf '%s: dockerd %s (%s store), client %s, containerd %s, runc %s\n' "$ENGINE" \
        "$(dk version -f '{{.Server.Version}}' 2>/dev/null)" "$DOCKER_STORE" "$(dk version -f '{{.Client.Version}}' 2>/dev/null)" \
        "$(dk version -f '{{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}' 2>/dev/null)" \
        "$(dk version -f '{{range .Server.Components}}{{if eq .Name "runc"}}{{.Version}}{{end}}{{end}}' 2>/dev/null)"
      ;;
  esac
}

# use_engine [ENGINE]: for the tests: the engine root the setup recorded, with the engine
# ENGINE (default: $ENGINE, else docker20) up. Prints the versions the test runs against.
use_engine() {
  if [ $# -gt 0 ]; then ENGINE=$1; fi
  [ -s "$ENGINE_ROOT_FILE" ] || fail "no engine root recorded in $ENGINE_ROOT_FILE: the engine_setup fixture did not run"
  engine_paths "$(cat "$ENGINE_ROOT_FILE")"
  [ -f "$IMAGES/ready" ] || fail "the engine setup did not finish (no $IMAGES/ready)"
  if [ "$ENGINE_KIND" != podman ]; then
    dk version >/dev/null 2>&1 || fail "the private dockerd at $DOCKER_HOST does not answer"
    [ -f "$DOCKER_DIR/ready" ] || fail "the engine start of $(basename "$DOCKER_DIR") did not finish"
  fi
  note "engine: $(engine_versions)"
}

# case_dir NAME: a fresh work directory for one test.
case_dir() {
  local dir=$CASES/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# isolated SHADOW CMD...: CMD in a private mount namespace (see isolate.sh).
isolated() {
  local shadow=$1
  shift
  unshare --mount --propagation private -- bash "$ENGINE_LIB_DIR/isolate.sh" "$shadow" "$@"
}

dk() { "$DOCKER_CLI" "$@"; }

ctrc() { "$CTR_BIN" --address "$CONTAINERD_SOCK" "$@"; }

# pm HOST ARGS...: podman on the private host directory HOST (its own root, runroot,
# tmpdir, blob-info cache and temporary files). The runroot is a short directory whose path
# HOST/runroot records.
pm() {
  local host=$1
  shift
  in_podman_host "$host" podman "$@"
}

# in_podman_host HOST CMD...: CMD isolated as pm's podman is, with a `podman` first in PATH that
# is pm HOST's (a program that runs podman itself, such as dockerdiff load --engine podman).
in_podman_host() {
  local host=$1 runroot real
  shift
  if [ ! -s "$host/runroot" ]; then
    mkdir -p "$host/tmp" "$SHORT_DIR"
    mktemp -d "$SHORT_DIR/p.XXXXXX" >"$host/runroot"
  fi
  if [ ! -x "$host/bin/podman" ]; then
    runroot=$(cat "$host/runroot")
    real=$(PATH=$ENGINE_BASE_PATH command -v podman) || fail "no podman in PATH"
    mkdir -p "$host/bin"
    printf '#!/bin/sh\nexec %q --storage-driver vfs --root %q --runroot %q --tmpdir %q --events-backend none --cgroup-manager cgroupfs "$@"\n' \
      "$real" "$host/root" "$runroot" "$host/libpod" >"$host/bin/podman"
    chmod 755 "$host/bin/podman"
  fi
  TMPDIR=$host/tmp PATH=$host/bin:$PATH isolated "$host/shadow" "$@"
}

# remove_podman_host HOST
remove_podman_host() {
  local host=$1
  if [ -s "$host/runroot" ]; then rm -rf "$(cat "$host/runroot")"; fi
  rm -rf "$host"
}

skopeo_isolated() { isolated "$ENGINE_ROOT/skopeo" skopeo "$@"; }

docker_server_major() {
  local version
  version=$(dk version -f '{{.Server.Version}}')
  printf '%s\n' "${version%%.*}"
}

# ---------------------------------------------------------------------------------------
# What the setup recorded about the original images.

expected_id() { cat "$EXPECT/$1.id"; }             # docker image ID = config digest
expected_oci_id() { cat "$EXPECT/$1.oci_id"; }     # config digest in the OCI archive (skopeo rewrites the config)
expected_diff_ids() { cat "$EXPECT/$1.diff_ids"; } # space-separated
expected_oci_layers() { cat "$EXPECT/$1.oci_layers"; }

# expected_manifest_layers APP LAYOUT: the layer blobs a manifest names for APP in LAYOUT (the
# docker layouts of Docker 20.10: the diff_ids; OCI archives and Docker-made inputs: as saved).
expected_manifest_layers() {
  case $2 in
    oci) expected_oci_layers "$1" ;;
    made) cat "$EXPECT/$1.layers" ;;
    *) expected_diff_ids "$1" ;;
  esac
}

# The ID an engine must report for APP loaded from an archive of LAYOUT.
expected_id_for() {
  if [ "$2" = oci ]; then expected_oci_id "$1"; else expected_id "$1"; fi
}

# "[sha256:a sha256:b]" (a Go template's list) -> "sha256:a sha256:b"
unbracket() {
  local text=$1
  text=${text#[}
  text=${text%]}
  printf '%s\n' "$text"
}

with_prefix() { case $1 in sha256:*) printf '%s\n' "$1" ;; *) printf 'sha256:%s\n' "$1" ;; esac }

# chain_id DIFF_ID...: the OCI chain ID of the layers (bottom first).
chain_id() {
  local chain=$1
  shift
  local diff
  for diff in "$@"; do
    chain=sha256:$(printf '%s %s' "$chain" "$diff" | sha256sum | cut -d' ' -f1)
  done
  printf '%s\n' "$chain"
}

# The files every app must show, one "path content" per line.
app_files() { printf '/%s.txt %s-content\n/%s-run.txt %s-run\n' "$1" "$1" "$1" "$1"; }

# check_tree APP DIR: the app's files are in the root filesystem DIR.
check_tree() {
  local app=$1 dir=$2 path content
  while read -r path content; do
    [ -f "$dir$path" ] || fail "$app: $path is missing from the image's root filesystem"
    expect_eq "$app: content of $path" "$(cat "$dir$path")" "$content"
  done < <(app_files "$app")
}

# ---------------------------------------------------------------------------------------
# The inputs and bases of each layout (see setup.sh).

# layout_inputs LAYOUT: the archives holding the apps, in that layout.
layout_inputs() {
  case $1 in
    legacy | docker25) printf '%s\n' "$IMAGES/$1/multi.tar" "$IMAGES/$1/rep.tar" ;;
    oci) printf '%s\n' "$IMAGES/oci/app1.tar" "$IMAGES/oci/app2.tar" "$IMAGES/oci/rep.tar" ;;
    *) fail "unknown layout $1" ;;
  esac
}

# slim_base_args LAYOUT: dockerdiff's -b arguments for that layout's inputs.
slim_base_args() {
  case $1 in
    legacy | docker25) printf '%s\n' -b "$IMAGES/legacy/bases.tar" ;;
    oci) printf '%s\n' -b "$IMAGES/oci/base.tar" -b "$IMAGES/oci/base2.tar" -b "$IMAGES/oci/repbase.tar" ;;
    *) fail "unknown layout $1" ;;
  esac
}

# base_archives FORM: the archives that put the bases on a host. FORM is "legacy" (docker
# save: uncompressed layers), "oci" (skopeo: gzip blobs, as a registry pull would give),
# "legacy-partial" or "oci-partial" (base and repbase only: base2, which app2 needs, is
# missing), or "none".
base_archives() {
  case $1 in
    legacy) printf '%s\n' "$IMAGES/legacy/bases.tar" ;;
    oci) printf '%s\n' "$IMAGES/oci/base.tar" "$IMAGES/oci/base2.tar" "$IMAGES/oci/repbase.tar" ;;
    legacy-partial) printf '%s\n' "$IMAGES/legacy/bases-partial.tar" ;;
    oci-partial) printf '%s\n' "$IMAGES/oci/base.tar" "$IMAGES/oci/repbase.tar" ;;
    none) ;;
    *) fail "unknown base form $1" ;;
  esac
}

# has_member ARCHIVE PATH: the tar archive has an entry PATH.
has_member() {
  local listing
  listing=$(tar -tf "$1")
  grep -qxF "$2" <<<"$listing"
}

# blob_form FILE: gzip, zstd, empty or tar (uncompressed), by the file's first bytes.
blob_form() {
  local magic
  magic=$(od -An -tx1 -N4 "$1" | tr -d ' \n')
  case $magic in
    "") printf 'empty\n' ;;
    1f8b*) printf 'gzip\n' ;;
    28b52ffd) printf 'zstd\n' ;;
    *) printf 'tar\n' ;;
  esac
}

# made_blob_forms ARCHIVE: the form of every layer file manifest.json names, one per line.
made_blob_forms() {
  local archive=$1 tmp path
  tmp=$(mktemp -d)
  tar -C "$tmp" -xf "$archive"
  for path in $(grep -o '"Layers":\[[^]]*\]' "$tmp/manifest.json" | grep -o '"[^"]*/[^"]*"' | tr -d '"'); do
    blob_form "$tmp/$path"
  done
  rm -rf "$tmp"
}

# layout_of ARCHIVE: the layout dockerdiff reads in it.
layout_of() {
  "$DOCKERDIFF" inspect --json "$1" | grep -o '"layout": *"[a-z0-9]*"' | tail -n 1 | grep -o '"[a-z0-9]*"$' | tr -d '"'
}

# slim_all LAYOUT MODE DIR: slims every input of LAYOUT against its bases into DIR, checks
# the decisions (exactly the base layers dropped) and the output layout, and sets
# SLIM_OUTPUTS to the outputs' paths. (Not called in a subshell, so that a failure ends the test.)
slim_all() {
  local layout=$1 mode=$2 dir=$3 input out want_layout dropped kept inputs base_args
  local -a bases
  inputs=$(layout_inputs "$layout")
  base_args=$(slim_base_args "$layout")
  mapfile -t bases <<<"$base_args"
  SLIM_OUTPUTS=()
  want_layout=$layout
  if [ "$mode" = auto ]; then want_layout=docker25; fi
  dropped=0
  kept=0
  while read -r input; do
    out=$dir/$(basename "$input" .tar).slim.tar
    "$DOCKERDIFF" slim "$input" "${bases[@]}" -o "$out" --layout "$mode" --report "$out.report.json" -q </dev/null ||
      fail "dockerdiff slim $input failed"
    expect_eq "layout of $(basename "$out") (--layout $mode, $layout input)" "$(layout_of "$out")" "$want_layout"
    dropped=$((dropped + $(grep -Ec '"dropped": *true' "$out.report.json" || true)))
    kept=$((kept + $(grep -Ec '"dropped": *false' "$out.report.json" || true)))
    # The base layer alone is 2 MiB; what is left of an app is a few KiB.
    [ "$(stat -c %s "$out")" -lt 262144 ] || fail "$out is $(stat -c %s "$out") bytes: the base layers were not left out"
    SLIM_OUTPUTS+=("$out")
  done <<<"$inputs"
  # app1 + app2 + rep: 1 + 2 + 2 layers provided by the bases, 2 + 2 + 3 kept.
  expect_eq "layers dropped by dockerdiff ($layout, --layout $mode)" "$dropped" 5
  expect_eq "layers kept by dockerdiff ($layout, --layout $mode)" "$kept" 7
}

# ---------------------------------------------------------------------------------------
# docker

# docker_base_ids [FORM]: the image IDs of the bases in this dockerd when loaded in FORM
# (legacy: docker save; oci: the OCI archives, gzip blobs), as the setup or engine start
# recorded them (a classic store's IDs are config digests, the containerd store's are
# manifest digests, which depend on the form).
docker_base_ids() { cat "$DOCKER_DIR/bases.${1:-legacy}.ids"; }

# docker_load_bases FORM: loads the bases in FORM (see base_archives) into this dockerd.
docker_load_bases() {
  local archive archives
  archives=$(base_archives "$1")
  while read -r archive; do
    [ -n "$archive" ] || continue
    dk load -q -i "$archive" >/dev/null || fail "$ENGINE cannot load the base archive $archive"
  done <<<"$archives"
}

docker_all_image_ids() { dk images -a -q --no-trunc | sort -u; }

# docker_expected_id APP LAYOUT: the ID this dockerd must give APP loaded from a LAYOUT archive.
# Classic store: the config digest. Containerd store: the digest of the manifest (or index)
# the image name points to, which is whatever this engine made of the original archive: its
# engine start loaded the originals and recorded it (see record_reference_loads).
docker_expected_id() {
  if [ "$DOCKER_STORE" = classic ]; then
    expected_id_for "$1" "$2"
  else
    [ -s "$DOCKER_DIR/ref/$2.$1.id" ] || fail "$ENGINE did not load the original $2 archive of $1 (see $DOCKER_DIR/ref)"
    cat "$DOCKER_DIR/ref/$2.$1.id"
  fi
}

# docker_reference_load LAYOUT: "ok" or "refused" (this dockerd loading the original archives).
docker_reference_load() { cat "$DOCKER_DIR/ref/$1.load"; }

# Removes every image. A parent (base) cannot go while its children (base2, repbase) are
# there, whatever -f says: remove what can go until nothing is left.
docker_remove_all_images() {
  local pass id
  local -a all
  for ((pass = 0; pass < 6; pass++)); do
    mapfile -t all < <(docker_all_image_ids)
    [ "${#all[@]}" -gt 0 ] || return 0
    for id in "${all[@]}"; do dk rmi -f "$id" >/dev/null 2>&1 || true; done
  done
  fail "docker: cannot remove every image: $(docker_all_image_ids | tr '\n' ' ')"
}

# docker_remove_apps: removes the apps' tags (and so their images) if present.
docker_remove_apps() {
  local image
  for image in "${APPS[@]}"; do
    if dk image inspect "$image:1" >/dev/null 2>&1; then dk rmi -f "$image:1" >/dev/null; fi
  done
}

# docker_reset_to_bases: back to a daemon that holds exactly the bases (built by the setup, or
# loaded from bases.tar); docker_reset_to_bases_in FORM: in FORM (see docker_base_ids).
docker_reset_to_bases() { docker_reset_to_bases_in legacy; }
docker_reset_to_bases_in() {
  local form=$1
  docker_remove_apps
  if [ "$(docker_all_image_ids)" != "$(docker_base_ids "$form")" ]; then
    note "docker: resetting to the bases only ($form)"
    docker_remove_all_images
    docker_load_bases "$form"
  fi
  expect_eq "docker images after reset to the bases ($form)" "$(docker_all_image_ids | tr '\n' ' ')" "$(docker_base_ids "$form" | tr '\n' ' ')"
}

# docker_bases_form LAYOUT: the form in which a host that loads archives of LAYOUT got its
# bases when it pulled them: a containerd store keeps blobs as they came, so an OCI archive's
# (gzip) base blobs are there only if the bases came from OCI archives too; a classic store
# keeps layers, not blobs (and cannot load OCI archives). Other combinations: host_forms.sh.
docker_bases_form() {
  if [ "$DOCKER_STORE" = containerd ] && [ "$1" = oci ]; then printf 'oci\n'; else printf 'legacy\n'; fi
}

# docker_layer_count: how many layers a classic store holds (its layer database).
docker_layer_count() {
  local dir=$DOCKER_DIR/data/image/vfs/layerdb/sha256
  if [ -d "$dir" ]; then find "$dir" -mindepth 1 -maxdepth 1 | wc -l; else echo 0; fi
}

# docker_complete APP: `docker save` of APP gives an archive that dockerdiff verify finds
# sound, with every layer of the image in it (none empty). A containerd store may hold an
# image whose blobs it does not have: it runs, but docker save writes an archive without them
# (or with the empty blob as a layer).
docker_complete() {
  local app=$1 dir ok=0
  dir=$(mktemp -d)
  if dk save -o "$dir/saved.tar" "$app:1" >/dev/null 2>&1 && archive_complete "$dir/saved.tar" "$app"; then ok=1; fi
  rm -rf "$dir"
  [ "$ok" = 1 ]
}

# archive_complete ARCHIVE APP: dockerdiff verify finds ARCHIVE sound, and it holds every layer
# of APP, none empty.
archive_complete() {
  local json layers
  "$DOCKERDIFF" verify "$1" >/dev/null 2>&1 || return 1
  json=$("$DOCKERDIFF" inspect --json "$1" 2>/dev/null || true)
  layers=$(grep -c '"diff_id"' <<<"$json" || true)
  [ "$layers" = "$(wc -w <<<"$(expected_diff_ids "$2")")" ] || return 1
  ! grep -Eq '"empty": *true' <<<"$json"
}

# docker_check APP LAYOUT [EXPECTATION]: the loaded image of an archive of LAYOUT is right and
# a container reads its files. EXPECTATION:
#   good         the original: same ID, same diff_ids, complete (docker_complete; containerd store)
#   empty-blobs  the containerd store's behaviour for a legacy archive with emptied layer
#                files (as ctr's, see ctr_check): it records the empty blob as each dropped
#                layer: another ID than the original's, runs (the host has the base's
#                snapshots), but is incomplete (docker save writes the empty blob as a layer)
docker_check() {
  local app=$1 layout=$2 expectation=${3:-good} id layers out
  id=$(dk image inspect -f '{{.Id}}' "$app:1") || fail "docker: $app:1 is not in the engine after the load"
  case $expectation in
    good) expect_eq "docker: ID of $app:1" "$id" "$(docker_expected_id "$app" "$layout")" ;;
    empty-blobs)
      [ "$id" != "$(docker_expected_id "$app" "$layout")" ] || fail "docker: $app:1 has the original's ID: update the expectation"
      ;;
    *) fail "unknown expectation $expectation" ;;
  esac
  layers=$(unbracket "$(dk image inspect -f '{{.RootFS.Layers}}' "$app:1")")
  expect_eq "docker: diff_ids of $app:1" "$layers" "$(expected_diff_ids "$app")"
  out=$(dk run --rm --network none "$app:1" cat "/$app.txt" "/$app-run.txt") || fail "docker: a container of $app:1 does not run"
  expect_eq "docker: files read in a container of $app:1" "$out" "$(printf '%s-content\n%s-run' "$app" "$app")"
  if [ "$expectation" = good ] && [ "$DOCKER_STORE" = classic ]; then
    # A classic store keeps whole layers: its images are complete. (And docker save of an
    # image with a repeated layer, rep, leaks layer references in Docker 26 and 28's classic
    # store: the layers stay after the image is removed, so that a later "no base" host is not.)
    note "docker: $app:1 ok (ID, diff_ids, container reads /$app.txt and /$app-run.txt)"
  elif [ "$expectation" = good ]; then
    docker_complete "$app" || fail "docker: $app:1 is incomplete: its docker save is not a sound archive with every layer"
    note "docker: $app:1 ok (ID, diff_ids, container reads /$app.txt and /$app-run.txt, complete)"
  else
    if docker_complete "$app"; then fail "docker: $app:1 is complete: update the expectation"; fi
    note "docker: $app:1 as expected: another ID, diff_ids right, runs, incomplete (the empty blob as its dropped layers)"
  fi
}

# docker_usable APP: the image is there, is the original (of any layout) and runs (for the
# negative tests).
docker_usable() {
  local app=$1 id out layout known=0
  id=$(dk image inspect -f '{{.Id}}' "$app:1" 2>/dev/null) || return 1
  for layout in legacy docker25 oci; do
    if [ -s "$DOCKER_DIR/ref/$layout.$app.id" ] && [ "$id" = "$(cat "$DOCKER_DIR/ref/$layout.$app.id")" ]; then known=1; fi
  done
  if [ "$DOCKER_STORE" = classic ] && [ "$id" = "$(expected_id "$app")" ]; then known=1; fi
  [ "$known" = 1 ] || return 1
  out=$(dk run --rm --network none "$app:1" cat "/$app.txt" 2>/dev/null) || return 1
  [ "$out" = "$app-content" ]
}

# ---------------------------------------------------------------------------------------
# podman

# podman_host DIR FORM: a fresh podman host in DIR holding the bases in FORM (see base_archives).
podman_host() {
  local host=$1 form=$2 archives archive
  archives=$(base_archives "$form")
  remove_podman_host "$host"
  mkdir -p "$host"
  while read -r archive; do
    [ -n "$archive" ] || continue
    pm "$host" load -q -i "$archive" </dev/null >/dev/null || fail "podman: cannot load the base archive $archive"
  done <<<"$archives"
}

podman_check() {
  local host=$1 app=$2 layout=$3 id layers dir
  id=$(pm "$host" image inspect -f '{{.Id}}' "$app:1") || fail "podman: $app:1 is not in the engine after the load"
  expect_eq "podman: ID of $app:1" "$(with_prefix "$id")" "$(expected_id_for "$app" "$layout")"
  layers=$(unbracket "$(pm "$host" image inspect -f '{{.RootFS.Layers}}' "$app:1")")
  expect_eq "podman: diff_ids of $app:1" "$layers" "$(expected_diff_ids "$app")"
  # podman cannot run containers here (rlimits); the vfs driver's image mount is a plain directory.
  dir=$(pm "$host" image mount "$app:1") || fail "podman: cannot mount $app:1"
  check_tree "$app" "$dir"
  pm "$host" image unmount "$app:1" >/dev/null
  note "podman: $app:1 ok (ID, diff_ids, /$app.txt and /$app-run.txt in its root filesystem)"
}

podman_usable() {
  local host=$1 app=$2 id dir ok=0
  id=$(pm "$host" image inspect -f '{{.Id}}' "$app:1" 2>/dev/null) || return 1
  [ "$(with_prefix "$id")" = "$(expected_id "$app")" ] || [ "$(with_prefix "$id")" = "$(expected_oci_id "$app")" ] || return 1
  dir=$(pm "$host" image mount "$app:1" 2>/dev/null) || return 1
  if [ "$(cat "$dir/$app.txt" 2>/dev/null)" = "$app-content" ]; then ok=1; fi
  pm "$host" image unmount "$app:1" >/dev/null 2>&1 || true
  [ "$ok" = 1 ]
}

# ---------------------------------------------------------------------------------------
# containerd (ctr)

# ctr_namespace NAME FORM: a fresh containerd namespace holding the bases in FORM.
ctr_namespace() {
  local ns=$1 form=$2 archives archive
  archives=$(base_archives "$form")
  ctr_drop_namespace "$ns"
  while read -r archive; do
    [ -n "$archive" ] || continue
    ctrc -n "$ns" "${CTR_IMPORT[@]}" "$archive" </dev/null >/dev/null || fail "ctr: cannot import the base archive $archive"
  done <<<"$archives"
}

ctr_drop_namespace() {
  local ns=$1 refs
  refs=$(ctrc -n "$ns" images ls -q 2>/dev/null || true)
  if [ -n "$refs" ]; then
    # shellcheck disable=SC2086 # one reference per word
    ctrc -n "$ns" images rm $refs >/dev/null 2>&1 || true
  fi
}

# ctr_ref NS APP: the name containerd gave the app (docker archives: docker.io/library/app:1;
# skopeo's OCI archives name it app:1).
# (The awk programs read all their input: an early exit could fail ctr under pipefail.)
ctr_ref() {
  ctrc -n "$1" images ls | awk -v a="$2:1" -v b="docker.io/library/$2:1" 'NR > 1 && !found && ($1 == a || $1 == b) { print $1; found = 1 }'
}

ctr_manifest_digest() {
  ctrc -n "$1" images ls | awk -v ref="$2" 'NR > 1 && !found && $1 == ref { print $3; found = 1 }'
}

# ctr_status NS REF: "<status> <unpacked>" from ctr images check, e.g. "complete true".
ctr_status() {
  ctrc -n "$1" images check --snapshotter native | awk -v ref="$2" 'NR > 1 && !found && $1 == ref { print $4, $NF; found = 1 }'
}

# (jq: Docker 25+ writes indented manifests and configs.)
ctr_manifest_layers() {
  ctrc -n "$1" content get "$2" | jq -r '[.layers[].digest] | join(" ")'
}

ctr_manifest_config() {
  ctrc -n "$1" content get "$2" | jq -r '.config.digest'
}

ctr_config_diff_ids() {
  ctrc -n "$1" content get "$2" | jq -r '.rootfs.diff_ids | join(" ")'
}

# ctr_check_tree NS APP REF: reads the app's files from a (never started) container of REF,
# whose snapshot sits on the image's unpacked layers. (A container, not a bare view snapshot:
# containerd's garbage collection may remove a snapshot that nothing references.)
ctr_check_tree() {
  ctr_reads_tree "$@" || fail "ctr: cannot create a container of $3 (its layers are not unpacked) or read the files of $2"
}

# ctr_reads_tree NS APP REF: the same, as a status (the failing check's message on stderr).
ctr_reads_tree() {
  local ns=$1 app=$2 ref=$3 id dir status=0
  id=dde-check-$app-$$
  ctrc -n "$ns" containers create --snapshotter native "$ref" "$id" >/dev/null || return 1
  # native snapshotter: "mount -t bind <dir> <target> -o rbind,rw"
  dir=$(ctrc -n "$ns" snapshots --snapshotter native mounts /mnt "$id" | awk '{ print $4 }')
  (check_tree "$app" "$dir") || status=1
  ctrc -n "$ns" containers rm "$id" >/dev/null
  return "$status"
}

# ctr_check NS APP LAYOUT EXPECTATION
#   good         the stored manifest names the app's real layer blobs (never the empty blob),
#                the content is complete, the image is unpacked and its files are there.
#   empty-blobs  containerd's known behaviour for a legacy archive with emptied layer files: it
#                records the empty blob as each dropped layer (a wrong image that still unpacks
#                here, because the host has the base's snapshots, and that ctr check calls complete).
ctr_check() {
  local ns=$1 app=$2 layout=$3 expectation=$4 ref digest layers want config i
  ref=$(ctr_ref "$ns" "$app") || true
  [ -n "$ref" ] || fail "ctr: $app:1 is not in namespace $ns after the import"
  digest=$(ctr_manifest_digest "$ns" "$ref")
  config=$(ctr_manifest_config "$ns" "$digest")
  expect_eq "ctr: config digest (image ID) of $ref" "$config" "$(expected_id_for "$app" "$layout")"
  expect_eq "ctr: diff_ids in the config of $ref" "$(ctr_config_diff_ids "$ns" "$config")" "$(expected_diff_ids "$app")"
  layers=$(ctr_manifest_layers "$ns" "$digest")
  case $expectation in
    good)
      case " $layers " in *" $EMPTY_BLOB "*) fail "ctr: the manifest of $ref names the empty blob as a layer: $layers" ;; esac
      expect_eq "ctr: layers of the manifest of $ref" "$layers" "$(expected_manifest_layers "$app" "$layout")"
      ;;
    empty-blobs)
      local -a diffs
      read -r -a diffs <<<"$(expected_diff_ids "$app")"
      want=
      for ((i = 0; i < ${#diffs[@]}; i++)); do
        if [ "$i" -lt "${DROPPED[$app]}" ]; then want+=" $EMPTY_BLOB"; else want+=" ${diffs[$i]}"; fi
      done
      expect_eq "ctr: layers of the manifest of $ref (the empty blob for each dropped layer)" "$layers" "${want# }"
      ;;
    *) fail "unknown expectation $expectation" ;;
  esac
  expect_eq "ctr: images check of $ref (status, unpacked)" "$(ctr_status "$ns" "$ref")" "complete true"
  ctr_check_tree "$ns" "$app" "$ref"
  note "ctr: $ref ok ($expectation: config, diff_ids, manifest layers, complete, unpacked, files)"
}

# ctr_usable NS APP: present, complete, unpacked, and no layer is the empty blob.
ctr_usable() {
  local ns=$1 app=$2 ref digest
  ref=$(ctr_ref "$ns" "$app") || return 1
  [ -n "$ref" ] || return 1
  [ "$(ctr_status "$ns" "$ref")" = "complete true" ] || return 1
  digest=$(ctr_manifest_digest "$ns" "$ref")
  case " $(ctr_manifest_layers "$ns" "$digest") " in *" $EMPTY_BLOB "*) return 1 ;; esac
  return 0
}

# ---------------------------------------------------------------------------------------
# Engine lifetime (setup.sh, engine_start.sh, cleanup.sh)

# build_images DIR IMAGE...: builds the test images (see setup.sh) in this dockerd from
# Dockerfiles written to DIR/ctx, with the classic builder (no BuildKit: no registry, no
# frontend image to pull); base:1 must be there.
build_images() {
  local dir=$1 image app
  shift
  local ctx=$dir/ctx
  mkdir -p "$ctx"
  for app in "${APPS[@]}"; do printf '%s-content\n' "$app" >"$ctx/$app.txt"; done
  printf 'FROM base:1\nRUN echo base2 > /base2.txt\n' >"$ctx/base2.Dockerfile"
  printf 'FROM base:1\nCOPY rep.txt /rep.txt\n' >"$ctx/repbase.Dockerfile"
  printf 'FROM base:1\nCOPY app1.txt /app1.txt\nRUN echo app1-run > /app1-run.txt\n' >"$ctx/app1.Dockerfile"
  printf 'FROM base2:1\nCOPY app2.txt /app2.txt\nRUN echo app2-run > /app2-run.txt\n' >"$ctx/app2.Dockerfile"
  printf 'FROM repbase:1\nRUN rm /rep.txt\nCOPY rep.txt /rep.txt\nRUN echo rep-run > /rep-run.txt\n' >"$ctx/rep.Dockerfile"
  for image in "$@"; do
    DOCKER_BUILDKIT=0 dk build -q -f "$ctx/$image.Dockerfile" -t "$image:1" "$ctx" >/dev/null 2>"$dir/$image.build.log" ||
      { cat "$dir/$image.build.log" >&2; fail "docker build of $image on $ENGINE failed"; }
  done
}

# start_dockerd: starts the private dockerd of DOCKER_DIR (see select_engine) and waits for it
# and its containerd to answer. Everything it keeps is under DOCKER_DIR; it runs in a mount
# namespace of its own (isolate.sh), so that it uses no state directory of the machine.
start_dockerd() {
  local -a store_args
  mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec" "$DOCKER_DIR/ref"
  # --config-file: the machine's /etc/docker/daemon.json plays no part.
  if [ "$DOCKER_STORE" = containerd ]; then
    printf '{"features":{"containerd-snapshotter":true}}\n' >"$DOCKER_DIR/daemon.json"
    # The containerd store names a snapshotter as its storage driver; overlayfs is not
    # available under the tests' nesting, the native snapshotter (plain copies) always is.
    store_args=(--storage-driver native)
  else
    printf '{}\n' >"$DOCKER_DIR/daemon.json"
    store_args=(--storage-driver vfs)
  fi
  note "starting $ENGINE: $(dockerd --version) ($DOCKER_STORE store) at $DOCKER_HOST"
  # setsid: the daemon outlives this script; every descriptor is redirected so that CTest does
  # not wait for it. The PATH (see select_engine) makes it spawn its own suite's containerd.
  setsid unshare --mount --propagation private -- bash "$ENGINE_LIB_DIR/isolate.sh" "$DOCKER_DIR/shadow" \
    dockerd --config-file "$DOCKER_DIR/daemon.json" \
    --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" --pidfile "$DOCKER_DIR/pid" \
    -H "$DOCKER_HOST" "${store_args[@]}" --iptables=false --ip6tables=false --bridge=none \
    </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 &
  local ready=0 i
  for ((i = 0; i < 120; i++)); do
    if dk version >/dev/null 2>&1 && [ -S "$CONTAINERD_SOCK" ]; then
      ready=1
      break
    fi
    if [ -z "$(jobs -r)" ]; then break; fi
    sleep 0.5
  done
  if [ "$ready" != 1 ]; then
    tail -n 30 "$DOCKER_DIR/dockerd.log" >&2 || true
    fail "dockerd did not come up (log above: $DOCKER_DIR/dockerd.log)"
  fi
  if [ "$DOCKER_STORE" = containerd ]; then
    # The daemon must really use the containerd store, not silently the classic one.
    local driver
    driver=$(dk info -f '{{.Driver}} {{range .DriverStatus}}{{index . 0}}={{index . 1}};{{end}}')
    case $driver in *io.containerd.snapshotter*) ;; *) fail "$ENGINE does not use the containerd image store: $driver" ;; esac
  fi
  note "up: $(engine_versions)"
}

# Stops the private dockerd (and its containerd and shims) of DOCKER_DIR, by pid.
stop_dockerd() {
  local pidfile=$DOCKER_DIR/pid pid i
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      note "stopping dockerd (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null; then
        note "dockerd did not stop in 30 s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  # containerd and shims that outlived dockerd (only ever after a crash): the processes whose
  # command line names our containerd socket or state directory.
  local proc cmdline
  for proc in /proc/[0-9]*; do
    cmdline=$({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null || true)
    case $cmdline in
      *"$DOCKER_DIR/exec/containerd"*)
        note "stopping leftover ${cmdline%% *} (pid ${proc#/proc/})"
        kill -KILL "${proc#/proc/}" 2>/dev/null || true
        ;;
    esac
  done
}

stop_all_dockerds() {
  local spec name suite store dir
  for spec in "${DOCKER_ENGINES[@]}"; do
    read -r name suite store <<<"$spec"
    # (and the fresh dockerd negative.sh starts, if a test was killed while it ran)
    for dir in "$name" "$name-nobase"; do
      select_docker_paths "$dir" "$suite" "$store"
      stop_dockerd
    done
  done
}

# Unmounts anything still mounted under DIR (deepest first); prints nothing when clean.
unmount_under() {
  local dir=$1 target
  while read -r target; do
    note "unmounting leftover $target"
    umount -l "$target" 2>/dev/null || true
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

# Removes an engine root and its short directory, after checking that they are ours (a stray
# path must never be removed).
remove_engine_root() {
  local root=$1 short=
  case $root in
    "$DOCKERDIFF_ENGINE_DIR"/e | /tmp/dockerdiff-engine.*) ;;
    *) fail "refusing to remove $root: not an engine root" ;;
  esac
  [ -d "$root" ] || return 0
  if [ -s "$root/short-dir" ]; then short=$(cat "$root/short-dir"); fi
  case $short in
    "" | /tmp/dockerdiff-short.*) ;;
    *) fail "refusing to remove $short: not an engine short directory" ;;
  esac
  unmount_under "$root"
  rm -rf "$root"
  if [ -n "$short" ]; then rm -rf "$short"; fi
}
