#!/usr/bin/env bash
# empty_root.sh: the amd64 static executable alone in a container whose root holds nothing else
# (an image imported from a tar of that one file) slims, restores, verifies and checks the bundled
# example, with the same archives and messages, byte for byte, as the dynamic build ($DOCKERDIFF).
# check reads an inventory file: there is no engine CLI inside. Runs on the engine tests' private
# Docker 20.10 (tests/engine; fixture dockerdiff_engine).
# shellcheck source-path=SCRIPTDIR source=static_lib.sh
source "$(dirname "$0")/static_lib.sh"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$(dirname "$0")/../engine/lib.sh"
use_engine docker20
static=$(static_exe amd64)
work=$(case_dir dist-empty-root)
image=dockerdiff-dist-static:test
trap 'dk rmi -f "$image" >/dev/null 2>&1 || true' EXIT

mkdir -p "$work/root"
cp "$static" "$work/root/dockerdiff"
tar -C "$work/root" -cf "$work/root.tar" dockerdiff
dk import "$work/root.tar" "$image" >/dev/null || fail "docker import of the tar holding only the executable failed"
expect_eq "files in the image's root" "$(tar -tf "$work/root.tar")" "dockerdiff"

for run in dynamic static; do
  example_inputs "$work/$run"
  example_inventories "$work/$run"
done
(cd "$work/dynamic" && run_example "$DOCKERDIFF")
# --network none: the tool needs none. The container's only file is /dockerdiff: no shell and no
# /tmp, so TMPDIR names a directory of the mounted work directory (verify spools a compressed
# archive's blobs to temporary files).
mkdir -p "$work/static/tmp"
(cd "$work/static" && run_example dk run --rm --network none -v "$work/static:/work" -w /work -e TMPDIR=/work/tmp "$image" /dockerdiff)
expect_example_ran "$work/dynamic"
expect_example_ran "$work/static"
expect_same_results "$work/dynamic" "$work/static" "static in an empty root against the dynamic build"
