#!/bin/bash
# image_refs.sh stand-in docker|podman GENERATOR | image_refs.sh engine
#
# The sample projects/images: an artifact whose TARGET is ENGINE:REF, built by a custom
# target that runs `ENGINE build`, listed in DEPENDS. Checks that the image is resolved again
# on every build, that the artifact is rewritten only when the image ID changed, and that its
# VERIFY test passes.
#   stand-in  a stand-in CLI (stand-in-engine.sh) as `docker` or `podman` first in PATH: an
#             image is an archive file; the base is an archive. No daemon needed.
#   engine    the private dockerd of the engine tests (fixture dockerdiff_engine): a real
#             `docker build` FROM base:1 against docker:base:1, and the artifact loads.
#             (Ninja; needs the environment of the engine tests: DOCKERDIFF, DOCKERDIFF_ENGINE_DIR.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

mode=$1
require_package
image=dockerdiff-cmake-app:1
case $mode in
  stand-in)
    engine=$2
    generator=$3
    work=$(work_dir "refs-$engine-${generator// /-}")
    copy_inputs "$work/inputs"
    mkdir -p "$work/bin" "$work/store" "$work/context"
    ln -s "$CMAKE_TESTS_DIR/stand-in-engine.sh" "$work/bin/$engine"
    export PATH=$work/bin:$PATH STAND_IN_STORE=$work/store
    # No daemon at DOCKER_HOST: dockerdiff reads docker:REF through the (stand-in) CLI.
    export DOCKER_HOST=unix://$work/no-daemon.sock
    sample_bases=$work/inputs/base.tar.gz
    dropped=2
    # The image and its change: the same app in another file (another ID).
    cp "$work/inputs/app.tar.gz" "$work/context/image.tar"
    change_image() { cp "$work/inputs/app.tar" "$work/context/image.tar"; }
    image_id() { "$engine" image inspect --format '{{.Id}}' "$image"; }
    base_stamp=""
    ;;
  engine)
    engine=docker
    generator=Ninja
    # shellcheck source=../engine/lib.sh
    source "$CMAKE_TESTS_DIR/../engine/lib.sh"
    use_engine
    work=$(work_dir refs-engine)
    trap 'dk rmi -f "$image" >/dev/null 2>&1 || true; docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
    command -v docker >/dev/null || fail "no docker client in PATH (the sample and dockerdiff run \`docker\`)"
    docker_reset_to_bases
    mkdir -p "$work/context"
    printf 'FROM base:1\nCOPY message.txt /message.txt\n' >"$work/context/Dockerfile"
    printf 'one\n' >"$work/context/message.txt"
    sample_bases=docker:base:1
    dropped=1
    change_image() { printf 'two\n' >"$work/context/message.txt"; }
    image_id() { docker image inspect --format '{{.Id}}' "$image"; }
    # The stamp holds every engine reference: the base's too.
    base_stamp=$'\n'"docker:base:1 $(docker image inspect --format '{{.Id}}' base:1)"
    ;;
  *) fail "unknown mode $mode" ;;
esac

require_generator "$generator"
build=$work/build
output=$build/app.tar
report=$build/app.json
stamp=$build/CMakeFiles/DockerDiff/app.image-ids
configure "$work/configure.log" "$PROJECTS/images" "$build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$DOCKERDIFF_PACKAGE_PREFIX" -DSAMPLE_ENGINE="$engine" -DSAMPLE_IMAGE="$image" \
  -DSAMPLE_CONTEXT="$work/context" -DSAMPLE_BASES="$sample_bases"

note "first build: the image is built, resolved and slimmed"
build "$work/build1.log" "$build"
expect_in_log "$work/build1.log" "Building the image $image"
expect_in_log "$work/build1.log" "Resolving the images of app"
expect_in_log "$work/build1.log" "Slimming app: $engine:$image"
first_id=$(image_id)
expect_eq "the stamp" "$(cat "$stamp")" "$engine:$image $first_id$base_stamp"
check_report "$report" "$output" "" "$dropped" ""
output_mtime=$(mtime "$output")
report_mtime=$(mtime "$report")
stamp_mtime=$(mtime "$stamp")

note "second build: the image is built and resolved again, the same ID: nothing rewritten"
build "$work/build2.log" "$build"
expect_in_log "$work/build2.log" "Building the image $image"
expect_in_log "$work/build2.log" "Resolving the images of app"
expect_not_in_log "$work/build2.log" "Slimming"
expect_eq "image ID after the second build" "$(image_id)" "$first_id"
expect_eq "mtime of app.tar after the second build" "$(mtime "$output")" "$output_mtime"
expect_eq "mtime of app.json after the second build" "$(mtime "$report")" "$report_mtime"
expect_eq "mtime of the stamp after the second build" "$(mtime "$stamp")" "$stamp_mtime"

note "a changed image: a new ID, the artifact is rewritten"
change_image
build "$work/build3.log" "$build"
expect_in_log "$work/build3.log" "Slimming app: $engine:$image"
second_id=$(image_id)
[ "$second_id" != "$first_id" ] || fail "the changed image kept its ID $first_id"
expect_eq "the stamp after the change" "$(cat "$stamp")" "$engine:$image $second_id$base_stamp"
[ "$(mtime "$output")" != "$output_mtime" ] || fail "app.tar was not rewritten for the new image"
check_report "$report" "$output" "" "$dropped" ""

note "VERIFY"
"$CTEST_COMMAND" --test-dir "$build" --output-on-failure || fail "the VERIFY test failed"

if [ "$mode" = engine ]; then
  note "the artifact loads where only the bases are, as the built image"
  dk rmi -f "$image" >/dev/null
  docker_reset_to_bases
  dk load -i "$output" || fail "docker load of $output failed"
  expect_eq "ID of the loaded image" "$(image_id)" "$second_id"
  expect_eq "content of /message.txt in the loaded image" "$(dk run --rm --network none "$image" cat /message.txt)" two
else
  calls=$(grep -c " save " "$STAND_IN_STORE/calls" || true)
  expect_eq "images saved by dockerdiff (first build and the changed image)" "$calls" 2
fi
rm -rf "$work"
note "$mode $engine ($generator): ok"
