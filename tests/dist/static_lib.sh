# shellcheck shell=bash
# Common part of the dist tests of the static executables (CTest label "dist", see CMakeLists.txt):
# those that scripts/build-static makes, for amd64 and (cross-built) arm64. (lib.sh is the packages'.)
#
# Environment (set by CTest):
#   DIST_SOURCE_DIR   the source tree (scripts/build-static, examples/)
#   DIST_BUILD_DIR    this directory's build directory: the static builds are DIST_BUILD_DIR/<arch>,
#                     their executables DIST_BUILD_DIR/<arch>-bin/dockerdiff
set -euo pipefail

: "${DIST_SOURCE_DIR:?DIST_SOURCE_DIR must name the source tree}"
: "${DIST_BUILD_DIR:?DIST_BUILD_DIR must name the dist tests build directory}"
# fail, note, expect_eq, expect_grep
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/assert.sh"

EXAMPLES=$DIST_SOURCE_DIR/examples

# static_exe ARCH: the static executable of ARCH that the fixture built (fails if there is none).
static_exe() {
  local exe=$DIST_BUILD_DIR/$1-bin/dockerdiff
  [ -x "$exe" ] || fail "no static $1 executable at $exe: the dist_build_static_$1 fixture did not run"
  printf '%s\n' "$exe"
}

# fresh_dir NAME: an empty directory for one test, under the build directory.
fresh_dir() {
  local dir=$DIST_BUILD_DIR/work/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# example_inputs DIR: the bundled example archives, copied into DIR (every run then reads and
# writes the same relative paths, so that its messages can be compared byte for byte).
example_inputs() {
  mkdir -p "$1"
  cp "$EXAMPLES/app.tar.gz" "$EXAMPLES/base.tar.gz" "$1/"
}

# The example's command sequence, in the current directory, through the command given (an
# executable, or a wrapper such as `qemu-aarch64-static EXE` or `docker run ... /dockerdiff`):
# slim, restore (plain and through each compressor), verify of the slim and a restored output
# (its gzip form: reading back through ISA-L's inflate), and check against inventory.json (which the caller
# puts there) and against an empty inventory. Each step's stdout and stderr go to <step>.out/.err.
run_example() {
  local step status
  run_step() {
    step=$1
    shift
    status=0
    "$@" >"$step.out" 2>"$step.err" || status=$?
    echo "$status" >"$step.status"
  }
  run_step slim "$@" slim app.tar.gz -b base.tar.gz -o app.slim.tar
  run_step restore "$@" restore app.slim.tar -b base.tar.gz -o app.restored.tar
  # Every compressor linked in: zlib (gzip's default level), ISA-L (gzip level 1), zstd.
  run_step restore-gzip "$@" restore app.slim.tar -b base.tar.gz -o app.restored.tar.gz --compress gzip
  run_step restore-isal "$@" restore app.slim.tar -b base.tar.gz -o app.restored-1.tar.gz --compress gzip --level 1
  run_step restore-zstd "$@" restore app.slim.tar -b base.tar.gz -o app.restored.tar.zst --compress zstd
  run_step verify-slim "$@" verify app.slim.tar -b base.tar.gz
  run_step verify-restored "$@" verify app.restored.tar.gz
  run_step check "$@" check app.slim.tar --inventory inventory.json
  run_step check-empty "$@" check app.slim.tar --inventory empty-inventory.json
}

# example_inventories DIR: inventory.json (the chain IDs of the example base, from the dynamic
# build's inspect) and empty-inventory.json (no chain ID: check must say no).
example_inventories() {
  : "${DOCKERDIFF:?DOCKERDIFF must name the dynamic dockerdiff executable}"
  "$DOCKERDIFF" inspect "$EXAMPLES/base.tar.gz" --json | jq '{chain_ids: [.images[].layers[].chain_id]}' >"$1/inventory.json" ||
    fail "cannot make the inventory of the example base"
  printf '{"chain_ids": []}\n' >"$1/empty-inventory.json"
}

# expect_example_ran DIR: the steps did what the example must do.
expect_example_ran() {
  local dir=$1 step
  for step in slim restore restore-gzip restore-isal restore-zstd verify-slim verify-restored check; do
    if [ "$(cat "$dir/$step.status")" != 0 ]; then
      cat "$dir/$step.err" >&2
      fail "$step exited $(cat "$dir/$step.status") in $dir"
    fi
  done
  expect_eq "check against an empty inventory: exit status" "$(cat "$dir/check-empty.status")" 1
  [ -s "$dir/app.slim.tar" ] || fail "no slim archive in $dir"
  [ -s "$dir/app.restored.tar" ] || fail "no restored archive in $dir"
}

# expect_same_results A B WHAT [GZIP_FILE...]: the two runs wrote the same archives and said the
# same, byte for byte; each GZIP_FILE is compared decompressed instead.
expect_same_results() {
  local a=$1 b=$2 what=$3 file
  local -a decompressed=("${@:4}")
  for file in "${decompressed[@]}"; do
    cmp -s <(gzip -dc "$a/$file") <(gzip -dc "$b/$file") || fail "$what: $file decompresses to other bytes ($a/$file, $b/$file)"
  done
  for file in app.slim.tar app.restored.tar app.restored.tar.gz app.restored-1.tar.gz app.restored.tar.zst \
    {slim,restore,restore-gzip,restore-isal,restore-zstd,verify-slim,verify-restored,check,check-empty}.{out,err,status}; do
    case " ${decompressed[*]} " in *" $file "*) continue ;; esac
    cmp -s "$a/$file" "$b/$file" || {
      diff "$a/$file" "$b/$file" >&2 || true
      fail "$what: $file differs ($a/$file, $b/$file)"
    }
  done
  note "$what: the same slim and restored archives ($(stat -c %s "$a/app.slim.tar") and $(stat -c %s "$a/app.restored.tar") bytes) and the same messages"
}
