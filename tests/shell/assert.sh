# shellcheck shell=bash
# Assertions shared by the shell test suites (tests/ci/lib.sh and tests/cmake/lib.sh source it), so
# that a failure reads the same in every suite's log. Each one exits the test script: the scripts
# run under `set -e`, one check per line, and the first broken expectation is the one to read.

# fail MESSAGE...: the test fails with MESSAGE.
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# note MESSAGE...: a progress line, so that a failure's log shows how far the test got.
note() { printf -- '--- %s\n' "$*"; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}

# expect_grep WHAT FILE TEXT: FILE holds TEXT (a fixed string); else FILE is shown and the test fails.
expect_grep() {
  grep -qF -- "$3" "$2" || {
    cat "$2" >&2
    fail "$1: '$3' not found in $2"
  }
}
