#!/bin/bash
# delta.sh ENGINE (a dockerd with a classic store, see lib.sh): delta releases. Two releases of an
# app are built on this dockerd (release 2 changes a few bytes of a 1 MiB binary and adds a file)
# and saved as it saves them. slim --delta-from ships release 2's layer as a zstd patch against
# release 1's; then, on this dockerd:
#   holding release 1   plain docker load refuses the delta archive and loads nothing;
#                       dockerdiff load rebuilds the layer and loads release 2 with its own ID,
#                       and a container reads the new file
#   without release 1   dockerdiff load refuses, naming release 1's layer; nothing is loaded
#   nothing at all      restore -b bases -b release 1 writes the full archive, which loads
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
[ "$DOCKER_STORE" = classic ] || fail "delta.sh runs on a classic store (a containerd store saves gzip layers, which go whole)"
work=$(case_dir "delta-$ENGINE")
trap 'dk rmi -f rel:1 rel:2 >/dev/null 2>&1 || true; docker_reset_to_bases >/dev/null 2>&1 || true' EXIT

ctx=$work/ctx
mkdir -p "$ctx/v1" "$ctx/v2"
head -c 1048576 /dev/urandom >"$ctx/v1/tool"
cp "$ctx/v1/tool" "$ctx/v2/tool"
for offset in 1000 300000 700000; do printf 'XY' | dd of="$ctx/v2/tool" bs=1 seek="$offset" conv=notrunc status=none; done
echo 1 >"$ctx/v1/VERSION"
echo 2 >"$ctx/v2/VERSION"
echo new >"$ctx/v2/NEW"
for release in 1 2; do
  printf 'FROM base:1\nCOPY v%s/ /rel/\n' "$release" >"$ctx/rel$release.Dockerfile"
  DOCKER_BUILDKIT=0 dk build -q -f "$ctx/rel$release.Dockerfile" -t "rel:$release" "$ctx" >/dev/null || fail "docker build of rel:$release failed"
  dk save -o "$work/rel$release.tar" "rel:$release" || fail "docker save of rel:$release failed"
done
id2=$(dk image inspect -f '{{.Id}}' rel:2)
read -r -a rel1_layers <<<"$(unbracket "$(dk image inspect -f '{{.RootFS.Layers}}' rel:1)")"
reference=$(chain_id "${rel1_layers[@]}")  # release 1's top layer: the patch's reference

"$DOCKERDIFF" slim "$work/rel2.tar" -b "$IMAGES/legacy/bases.tar" --delta-from "$work/rel1.tar" -o "$work/delta.tar" \
  --report "$work/report.json" || fail "dockerdiff slim --delta-from failed"
expect_grep "the report has a layer shipped as a patch" "$work/report.json" '"state": "delta"'
size=$(stat -c %s "$work/delta.tar")
[ "$size" -lt 65536 ] || fail "the delta archive is $size bytes: the 1 MiB layer was not shipped as a small patch"
note "delta archive: $size bytes (release 2 saved: $(stat -c %s "$work/rel2.tar") bytes)"

# The host holds release 1 (and the bases).
dk rmi rel:2 >/dev/null
before=$(docker_all_image_ids)
if dk load -i "$work/delta.tar" >"$work/plain.log" 2>&1; then fail "plain docker load of a delta archive succeeded"; fi
expect_eq "images after plain docker load of the delta archive" "$(docker_all_image_ids)" "$before"
if [ "$ENGINE" = docker20 ]; then
  # podman and containerd (ctr 1.6 on this dockerd's containerd) refuse it too, and hold no image.
  mkdir -p "$work/podman"
  if pm "$work/podman" load -i "$work/delta.tar" >"$work/podman.log" 2>&1; then fail "podman load of a delta archive succeeded"; fi
  expect_eq "podman images after its load of the delta archive" "$(pm "$work/podman" images -q | wc -l)" 0
  remove_podman_host "$work/podman"
  ns=dde-delta
  CTR_BIN=ctr
  if ctrc -n "$ns" images import --snapshotter native "$work/delta.tar" >"$work/ctr.log" 2>&1; then
    fail "ctr import of a delta archive succeeded"
  fi
  expect_eq "ctr images after its import of the delta archive" "$(ctrc -n "$ns" images ls -q | wc -l)" 0
  note "podman load and ctr import refuse the delta archive and hold no image"
fi

"$DOCKERDIFF" load "$work/delta.tar" || fail "dockerdiff load of the delta archive failed on a host holding release 1"
expect_eq "ID of rel:2 loaded from the delta archive" "$(dk image inspect -f '{{.Id}}' rel:2)" "$id2"
expect_eq "rel:2 reads its new file" "$(dk run --rm --network none rel:2 cat /rel/VERSION /rel/NEW | tr '\n' ' ')" "2 new "

# Without release 1: refused, nothing loaded.
dk rmi rel:2 rel:1 >/dev/null
before=$(docker_all_image_ids)
if "$DOCKERDIFF" load "$work/delta.tar" 2>"$work/refused.log"; then fail "dockerdiff load succeeded without release 1"; fi
cat "$work/refused.log"
expect_grep "the refusal names release 1's layer" "$work/refused.log" "$reference"
expect_eq "images after the refused load" "$(docker_all_image_ids)" "$before"

# Restored from the bases and release 1: the full archive loads where nothing is.
"$DOCKERDIFF" restore "$work/delta.tar" -b "$IMAGES/legacy/bases.tar" -b "$work/rel1.tar" -o "$work/full.tar" ||
  fail "dockerdiff restore of the delta archive failed"
docker_remove_all_images
dk load -i "$work/full.tar" >/dev/null || fail "docker load of the restored archive failed on an empty engine"
expect_eq "ID of rel:2 restored from the delta archive" "$(dk image inspect -f '{{.Id}}' rel:2)" "$id2"

rm -rf "$work"
note "delta: ok"
