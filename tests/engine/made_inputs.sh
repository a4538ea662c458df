#!/bin/bash
# made_inputs.sh ENGINE   (docker26 | docker26c | docker28 | docker28c)
#
# Inputs made by Docker 25+ itself: the apps that ENGINE built on the bases and saved with its
# own `docker save` (engine_start.sh: DOCKER_DIR/made; classic store: OCI layout +
# manifest.json, uncompressed blobs; containerd store: the same with gzip blobs for the layers
# it built). dockerdiff must:
#   inspect  read them as the Docker 25+ layout, with the layer blobs in the form saved;
#   verify   find them sound;
#   slim     drop exactly the base layers (against the bases as Docker 20.10 saved them: same
#            chain IDs), keep the input's layout and blobs (--layout auto = keep), and write
#            archives that verify finds sound with those bases;
#   restore  give back archives that verify finds sound without any base;
# and the slim archives must load where the bases are and give the originals, complete: on
# ENGINE itself, on podman and on ctr 1.6 (hosts that got their bases from docker save); the
# restored ones on ENGINE where no image is.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
engine=$ENGINE
if [ "$ENGINE_KIND" != docker ] || [ "$DOCKER_SUITE" = - ]; then fail "$ENGINE is not one of the newer dockerds"; fi
work=$(case_dir "made-inputs-$ENGINE")
made=$DOCKER_DIR/made
trap 'ENGINE=$engine engine_paths "$ENGINE_ROOT"; docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
# The expectations of these images (engine_start.sh), for the checks of every engine below.
EXPECT=$made/expect

inputs=("$made/multi.tar" "$made/rep.tar")
for input in "${inputs[@]}"; do
  expect_eq "layout of $ENGINE's docker save $(basename "$input")" "$(layout_of "$input")" docker25
  "$DOCKERDIFF" verify "$input" >/dev/null || fail "dockerdiff verify of $ENGINE's docker save $(basename "$input") failed"
done
forms=$(made_blob_forms "$made/multi.tar" | sort -u | tr '\n' ' ')
if [ "$DOCKER_STORE" = containerd ]; then
  # The layers it built are gzip blobs; the bases' layers stay as they were loaded (tar).
  expect_eq "$ENGINE: forms of the layer blobs of its docker save" "$forms" "gzip tar "
else
  expect_eq "$ENGINE: forms of the layer blobs of its docker save" "$forms" "tar "
fi
note "$ENGINE's docker save: docker25 layout, layer blobs: $forms, sound"

# ---------------------------------------------------------------------------------------
for mode in auto keep; do
  mkdir -p "$work/$mode"
  dropped=0
  kept=0
  for input in "${inputs[@]}"; do
    out=$work/$mode/$(basename "$input")
    "$DOCKERDIFF" slim "$input" -b "$IMAGES/legacy/bases.tar" --layout "$mode" -o "$out" --report "$out.json" -q ||
      fail "dockerdiff slim --layout $mode of $ENGINE's $(basename "$input") failed"
    dropped=$((dropped + $(grep -Ec '"dropped": *true' "$out.json" || true)))
    kept=$((kept + $(grep -Ec '"dropped": *false' "$out.json" || true)))
    expect_eq "layout of the slim $(basename "$input") (--layout $mode)" "$(layout_of "$out")" docker25
    "$DOCKERDIFF" verify "$out" -b "$IMAGES/legacy/bases.tar" >/dev/null || fail "verify of the slim $(basename "$input") with its bases failed"
    "$DOCKERDIFF" restore "$out" -b "$IMAGES/legacy/bases.tar" -o "$out.restored" >/dev/null ||
      fail "dockerdiff restore of the slim $(basename "$input") failed"
    "$DOCKERDIFF" verify "$out.restored" >/dev/null || fail "verify of the restored $(basename "$input") failed"
  done
  expect_eq "layers dropped from $ENGINE's saves (--layout $mode)" "$dropped" 5
  expect_eq "layers kept from $ENGINE's saves (--layout $mode)" "$kept" 7
done
# A Docker 25+ input is kept as it is: auto and keep write the same archives.
for input in "${inputs[@]}"; do
  cmp -s "$work/auto/$(basename "$input")" "$work/keep/$(basename "$input")" ||
    fail "--layout auto and --layout keep differ for $ENGINE's $(basename "$input")"
done
slims=("$work/auto/multi.tar" "$work/auto/rep.tar")
note "slim, verify, restore: ok (5 layers dropped, 7 kept)"

# ---------------------------------------------------------------------------------------
note "$ENGINE: loading the slim archives where only the bases are"
docker_reset_to_bases
for out in "${slims[@]}"; do dk load -i "$out" || fail "$ENGINE: docker load of the slim $(basename "$out") failed"; done
for app in "${APPS[@]}"; do docker_check "$app" made; done

note "$ENGINE: loading the restored archives where no image is"
docker_remove_all_images
for out in "${slims[@]}"; do dk load -i "$out.restored" || fail "$ENGINE: docker load of the restored $(basename "$out") failed"; done
for app in "${APPS[@]}"; do docker_check "$app" made; done
docker_reset_to_bases

note "podman: loading the slim archives where the bases came from docker save"
host=$work/podman
podman_host "$host" legacy
for out in "${slims[@]}"; do pm "$host" load -i "$out" || fail "podman load of the slim $(basename "$out") failed"; done
for app in "${APPS[@]}"; do podman_check "$host" "$app" made; done
remove_podman_host "$host"

note "ctr: importing the slim archives where the bases came from docker save"
use_engine ctr
EXPECT=$made/expect
ns=dde-made-$engine
ctr_namespace "$ns" legacy
for out in "${slims[@]}"; do ctrc -n "$ns" "${CTR_IMPORT[@]}" "$out" || fail "ctr import of the slim $(basename "$out") failed"; done
for app in "${APPS[@]}"; do ctr_check "$ns" "$app" made good; done
ctr_drop_namespace "$ns"

rm -rf "$work"
note "inputs made by $engine: ok"
