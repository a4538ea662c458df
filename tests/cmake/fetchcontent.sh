#!/bin/bash
# fetchcontent.sh: a project that gets dockerdiff through FetchContent configures, and its
# artifact is made by the dockerdiff it builds in its tree (checked in the generated build,
# without building: the subdirectory sample builds the same way); the project keeps its own
# C++ standard and build type.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

work=$(work_dir fetchcontent)
copy_inputs "$work/inputs"
snapshot_source "$work/dockerdiff"
tar -czf "$work/dockerdiff.tar.gz" -C "$work" dockerdiff

build=$work/build
configure "$work/configure.log" "$PROJECTS/fetchcontent" "$build" -G Ninja \
  -DDOCKERDIFF_ARCHIVE="$work/dockerdiff.tar.gz" -DSAMPLE_INPUTS="$work/inputs" -DCMAKE_BUILD_TYPE=Debug

dockerdiff=$build/_deps/dockerdiff-build/src/dockerdiff
commands=$(cd "$build" && ninja -t commands app)
grep -qF "$dockerdiff slim $work/inputs/app.tar.gz -b $work/inputs/base.tar.gz -o $build/app.tar" <<<"$commands" ||
  fail "the command of app does not run the fetched dockerdiff: $commands"
# The artifact depends on the executable (built first, and rebuilt artifacts when it changes).
inputs=$(cd "$build" && ninja -t query app.tar)
grep -qxF "    _deps/dockerdiff-build/src/dockerdiff" <<<"$inputs" || fail "app.tar does not depend on the fetched dockerdiff: $inputs"
# The fetched project's tests and benchmark stay out of a consumer's build.
if grep -q 'dockerdiff_unit_tests' "$build/build.ninja"; then fail "the fetched dockerdiff's tests are in the build"; fi

# The including project's settings stay its own: its build type, its C++17 for its own target,
# while dockerdiff's targets still compile as C++20.
expect_eq "the project's build type" "$(cache_value "$build" CMAKE_BUILD_TYPE)" Debug
expect_std "$build" parent_tool parent_tool.cpp 17
expect_std "$build" dockerdiff cli/main.cpp 20
# No build type given: none is imposed on the including project (an empty one means no flags).
configure "$work/configure-no-type.log" "$PROJECTS/fetchcontent" "$work/build-no-type" -G Ninja \
  -DDOCKERDIFF_ARCHIVE="$work/dockerdiff.tar.gz" -DSAMPLE_INPUTS="$work/inputs"
expect_eq "the project's build type when none is given" "$(cache_value "$work/build-no-type" CMAKE_BUILD_TYPE)" ""
rm -rf "$work"
note "fetchcontent: ok"
