# shellcheck shell=bash
# Common library of the distribution tests (CTest label "dist"), sourced by the scripts here.
#
# Environment (set by CTest, see CMakeLists.txt):
#   DOCKERDIFF_SOURCE_DIR  the dockerdiff source tree
#   DOCKERDIFF_BUILD_DIR   the build tree running the tests: cpack packages it
#   DOCKERDIFF_DIST_WORK   this directory's build directory: every test works under it
#   DOCKERDIFF_VERSION     the project's version
#   DOCKERDIFF             the dockerdiff of this build
#   CPACK_COMMAND          the cpack of the build running the tests

set -euo pipefail

: "${DOCKERDIFF_SOURCE_DIR:?}" "${DOCKERDIFF_BUILD_DIR:?}" "${DOCKERDIFF_DIST_WORK:?}" "${DOCKERDIFF_VERSION:?}" "${DOCKERDIFF:?}"
: "${CPACK_COMMAND:=cpack}"

DIST_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fail, note, expect_eq, expect_grep
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source "$DIST_TESTS_DIR/../shell/assert.sh"

# work_dir NAME: a fresh directory for one test.
work_dir() {
  local dir=$DOCKERDIFF_DIST_WORK/work/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# The Debian name of this machine's architecture: a native build's packages must carry it (the
# build computes it from CMAKE_SYSTEM_PROCESSOR; this is the independent answer).
debian_arch() { dpkg --print-architecture; }

# make_package GENERATOR DIR: cpack of the build tree into DIR, emptied first (its log in DIR/cpack.log).
make_package() {
  local log=$2/cpack.log
  rm -rf "$2"
  mkdir -p "$2"
  [ -f "$DOCKERDIFF_BUILD_DIR/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $DOCKERDIFF_BUILD_DIR"
  if ! "$CPACK_COMMAND" --config "$DOCKERDIFF_BUILD_DIR/CPackConfig.cmake" -G "$1" -B "$2" >"$log" 2>&1; then
    cat "$log" >&2
    fail "cpack -G $1 failed (log above)"
  fi
  if grep -q 'CMake Warning\|CPack Warning\|dpkg-shlibdeps: warning' "$log"; then
    cat "$log" >&2
    fail "cpack -G $1 warned (log above)"
  fi
}
