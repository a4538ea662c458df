#!/bin/bash
# bad_call.sh CASE MESSAGE: configuring projects/bad_calls with BAD_CALL=CASE fails, and says
# MESSAGE (a fixed string; CMake's line wrapping is undone first). With MESSAGE empty, the
# configuration must succeed instead (the good call: the failures are the bad calls' doing).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

case_name=$1
message=${2-}
require_package
work=$(work_dir "bad-call-$case_name")
args=(-DBAD_CALL="$case_name" -DCMAKE_PREFIX_PATH="$DOCKERDIFF_PACKAGE_PREFIX")
if [ "$case_name" = no_executable ]; then args+=(-DDOCKERDIFF_MODULE="$DOCKERDIFF_SOURCE_DIR/cmake/DockerDiff.cmake"); fi
status=0
"$CMAKE_COMMAND" -S "$PROJECTS/bad_calls" -B "$work/build" -G Ninja -Werror=dev "${args[@]}" >"$work/configure.log" 2>&1 || status=$?
cat "$work/configure.log"

if [ -z "$message" ]; then
  expect_eq "configure status of the good call" "$status" 0
  if grep -q 'CMake Warning' "$work/configure.log"; then fail "the good call warns"; fi
else
  [ "$status" != 0 ] || fail "configuring with BAD_CALL=$case_name succeeded"
  grep -q '^CMake Error at ' "$work/configure.log" || fail "no CMake error in the output"
  # One line: CMake indents and wraps a message at about 80 columns.
  flat=$(tr '\n' ' ' <"$work/configure.log" | tr -s ' ')
  grep -qF -- "$message" <<<"$flat" || fail "the output does not say: $message"
fi
rm -rf "$work"
note "$case_name: ok"
