#!/usr/bin/env bash
# build.sh ARCH: the fixture of the dist tests: scripts/build-static --arch ARCH builds the static
# executable into DIST_BUILD_DIR/ARCH, and prints its path (the script's interface), which must be
# that executable. Notes the build time and the sizes (unstripped and stripped).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
arch=$1
out=$DIST_BUILD_DIR/$arch
start=$SECONDS
printed=$("$DIST_SOURCE_DIR/scripts/build-static" --arch "$arch" --out "$out") || fail "scripts/build-static --arch $arch failed"
expect_eq "the path build-static printed" "$printed" "$out/src/dockerdiff"
[ -x "$printed" ] || fail "$printed is not an executable"
strip_tool="strip"
if [ "$arch" = arm64 ]; then strip_tool=aarch64-linux-gnu-strip; fi
"$strip_tool" -o "$out/dockerdiff.stripped" "$printed" || fail "$strip_tool of $printed failed"
note "$arch: built in $((SECONDS - start)) s; $(stat -c %s "$printed") bytes, stripped $(stat -c %s "$out/dockerdiff.stripped")"
