# shellcheck shell=bash
# Common library of the CMake integration tests (CTest label "cmake"), sourced by the scripts
# here: they configure, build and check the sample projects under projects/.
#
# Environment (set by CTest, see CMakeLists.txt):
#   DOCKERDIFF_SOURCE_DIR      the dockerdiff source tree
#   DOCKERDIFF_BUILD_DIR       the build tree running the tests (installed by install_package.sh)
#   DOCKERDIFF_CMAKE_WORK      this directory's build directory: every test works under it
#   DOCKERDIFF_PACKAGE_PREFIX  where install_package.sh installs dockerdiff (the package samples use it)
#   DOCKERDIFF                 the dockerdiff of this build (to prepare inputs)
#   CMAKE_COMMAND, CTEST_COMMAND, CPACK_COMMAND   the tools of the build running the tests

set -euo pipefail

: "${DOCKERDIFF_SOURCE_DIR:?}" "${DOCKERDIFF_BUILD_DIR:?}" "${DOCKERDIFF_CMAKE_WORK:?}" "${DOCKERDIFF_PACKAGE_PREFIX:?}" "${DOCKERDIFF:?}"
: "${CMAKE_COMMAND:=cmake}" "${CTEST_COMMAND:=ctest}" "${CPACK_COMMAND:=cpack}"

CMAKE_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this
PROJECTS=$CMAKE_TESTS_DIR/projects

# fail, note, expect_eq, expect_grep
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source "$CMAKE_TESTS_DIR/../shell/assert.sh"

# work_dir NAME: a fresh directory for one test.
work_dir() {
  local dir=$DOCKERDIFF_CMAKE_WORK/work/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# copy_inputs DIR: the example archives (copies: the tests touch them), and app.tar, the same
# image as app.tar.gz in another (uncompressed) file.
copy_inputs() {
  mkdir -p "$1"
  cp "$DOCKERDIFF_SOURCE_DIR/examples/app.tar.gz" "$DOCKERDIFF_SOURCE_DIR/examples/base.tar.gz" "$1/"
  gzip -dc "$1/app.tar.gz" >"$1/app.tar"
}

# add_oci_base DIR: DIR/base-oci, the base of DIR/base.tar.gz as an OCI layout directory (the
# Docker 25+ layout dockerdiff writes for a legacy input, extracted), and DIR/empty-inventory.json.
add_oci_base() {
  printf '{"chain_ids": []}\n' >"$1/empty-inventory.json"
  "$DOCKERDIFF" slim "$1/base.tar.gz" -b "$1/empty-inventory.json" -o "$1/base-docker25.tar" -q ||
    fail "cannot convert $1/base.tar.gz"
  mkdir -p "$1/base-oci"
  tar -xf "$1/base-docker25.tar" -C "$1/base-oci"
  [ -f "$1/base-oci/index.json" ] || fail "no index.json in $1/base-oci"
}

# The installed package (the fixture install_package.sh sets up).
require_package() {
  [ -f "$DOCKERDIFF_PACKAGE_PREFIX/.installed" ] ||
    fail "no installed package in $DOCKERDIFF_PACKAGE_PREFIX: the cmake_package fixture did not run"
}

mtime() { stat -c %.9Y "$1"; }

# configure LOG SOURCE BUILD ARGS...: configures a sample, with dev warnings as errors.
configure() {
  local log=$1 source=$2 build=$3
  shift 3
  "$CMAKE_COMMAND" -S "$source" -B "$build" -Werror=dev --warn-uninitialized "$@" >"$log" 2>&1 ||
    {
      cat "$log" >&2
      fail "configuring $source failed (log above)"
    }
  if grep -q 'CMake Warning' "$log"; then
    cat "$log" >&2
    fail "configuring $source warned (log above)"
  fi
}

# build LOG BUILD ARGS...: builds, keeps the log in LOG and shows it.
build() {
  local log=$1 dir=$2
  shift 2
  if ! "$CMAKE_COMMAND" --build "$dir" --parallel 2 "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "building $dir $* failed (log above)"
  fi
  sed 's/^/    | /' "$log"
}

# expect_in_log LOG TEXT / expect_not_in_log LOG TEXT (fixed strings)
expect_in_log() { grep -qF -- "$2" "$1" || fail "$(basename "$1"): no '$2' in the build log"; }
expect_not_in_log() {
  if grep -qF -- "$2" "$1"; then fail "$(basename "$1"): '$2' in the build log: $(grep -F -- "$2" "$1" | head -n 1)"; fi
}

# check_report REPORT OUTPUT INPUT DROPPED LAYOUT: the JSON report describes OUTPUT (see
# check_report.cmake); INPUT may be empty (an engine's image: no file to compare sizes with).
check_report() {
  "$CMAKE_COMMAND" -DREPORT="$1" -DOUTPUT="$2" -DINPUT="$3" -DDROPPED="$4" -DLAYOUT="$5" \
    -P "$CMAKE_TESTS_DIR/check_report.cmake" || fail "report $1 does not match $2"
}

# cache_value BUILD NAME: the value of a cache entry of the build tree BUILD.
cache_value() {
  sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"
}

# expect_std BUILD TARGET SOURCE STANDARD: in the Ninja build BUILD, TARGET compiles SOURCE as C++
# STANDARD (-std=c++STANDARD or gnu++STANDARD: the extensions are the including project's call).
expect_std() {
  local command
  command=$(cd "$1" && ninja -t commands "$2" | grep -F -- "$3" | grep -F -- ' -c ') ||
    fail "$2: no compile command of $3 in $1"
  grep -qE -- "-std=(c|gnu)\+\+$4( |\$)" <<<"$command" || fail "$2: $3 is not compiled as C++$4: $command"
}

# magic FILE: the first 4 bytes in hex.
magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }

# snapshot_source DIR: what a project that adds dockerdiff to its tree gets (the top-level
# CMakeLists.txt, cmake/ and src/; tests, bench and fuzz are off in a subproject), copied so
# that edits to the working tree during a test play no part.
snapshot_source() {
  mkdir -p "$1"
  cp -R "$DOCKERDIFF_SOURCE_DIR/CMakeLists.txt" "$DOCKERDIFF_SOURCE_DIR/cmake" "$DOCKERDIFF_SOURCE_DIR/src" "$1/"
}

# require_generator GENERATOR: its build tool is there.
require_generator() {
  case $1 in
    Ninja) command -v ninja >/dev/null || fail "no ninja (Debian: ninja-build, see scripts/install-deps)" ;;
    "Unix Makefiles") command -v make >/dev/null || fail "no make (Debian: make) for the Unix Makefiles samples" ;;
    *) fail "unexpected generator $1" ;;
  esac
}
