#!/usr/bin/env bash
# image.sh: scripts/build-image makes the dockerdiff image from the amd64 static executable on the
# engine tests' private Docker 20.10 (no registry, no base image): its entrypoint is dockerdiff, its
# working directory /work, it has a shell for CI jobs, and `docker run -v DIR:/work IMAGE …` runs the
# example (slim, restore, verify, check) with the same archives and messages as the dynamic build.
# A dynamically linked executable is refused, and no image is left behind.
# shellcheck source-path=SCRIPTDIR source=static_lib.sh
source "$(dirname "$0")/static_lib.sh"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$(dirname "$0")/../engine/lib.sh"
use_engine docker20
static=$(static_exe amd64)
work=$(case_dir dist-image)
image=dockerdiff-dist-image:test
refused=dockerdiff-dist-image:dynamic
cleanup() { dk rmi -f "$image" "$refused" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

note "a dynamically linked executable is refused"
status=0
"$DIST_SOURCE_DIR/scripts/build-image" --binary "$DOCKERDIFF" "$refused" >"$work/refused.out" 2>"$work/refused.err" || status=$?
expect_eq "build-image of a dynamic executable: exit status" "$status" 1
expect_grep "its message" "$work/refused.err" "is not a static executable"
expect_eq "lines it printed on stderr" "$(wc -l <"$work/refused.err")" 1
dk image inspect "$refused" >/dev/null 2>&1 && fail "an image was left behind for the refused executable"

note "the image"
id=$("$DIST_SOURCE_DIR/scripts/build-image" --binary "$static" "$image") || fail "scripts/build-image failed"
expect_eq "the ID build-image printed" "$id" "$(dk image inspect --format '{{.Id}}' "$image")"
expect_eq "entrypoint" "$(dk image inspect --format '{{json .Config.Entrypoint}}' "$image")" '["dockerdiff"]'
expect_eq "working directory" "$(dk image inspect --format '{{.Config.WorkingDir}}' "$image")" /work
# The same executable and busybox make the same root: built again, the layer is the same.
layer=$(dk image inspect --format '{{json .RootFS.Layers}}' "$image")
"$DIST_SOURCE_DIR/scripts/build-image" --binary "$static" "$image" >/dev/null || fail "scripts/build-image failed the second time"
expect_eq "the root layer of a second build" "$(dk image inspect --format '{{json .RootFS.Layers}}' "$image")" "$layer"

note "a shell for CI jobs, and dockerdiff on its PATH"
dk run --rm --network none --entrypoint sh "$image" -c 'command -v dockerdiff && dockerdiff --version && test -d /tmp -a -w /tmp' \
  >"$work/shell.out" 2>&1 || {
  cat "$work/shell.out" >&2
  fail "sh -c in the image failed"
}
expect_grep "dockerdiff on the image's PATH" "$work/shell.out" /usr/local/bin/dockerdiff
expect_grep "its version" "$work/shell.out" "$("$DOCKERDIFF" --version)"

note "the example through docker run -v DIR:/work IMAGE"
for run in dynamic image; do
  example_inputs "$work/$run"
  example_inventories "$work/$run"
done
(cd "$work/dynamic" && run_example "$DOCKERDIFF")
(cd "$work/image" && run_example dk run --rm --network none -v "$work/image:/work" "$image")
expect_example_ran "$work/dynamic"
expect_example_ran "$work/image"
expect_same_results "$work/dynamic" "$work/image" "the image against the dynamic build"
