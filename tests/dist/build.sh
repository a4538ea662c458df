#!/usr/bin/env bash
# build.sh ARCH: the fixture of the static executable's tests: scripts/build-static --arch ARCH
# builds it in DIST_BUILD_DIR/ARCH and copies it to DIST_BUILD_DIR/ARCH-bin/dockerdiff, and prints
# that path (the script's interface). Notes the build time and the sizes (unstripped and stripped).
# shellcheck source-path=SCRIPTDIR source=static_lib.sh
source "$(dirname "$0")/static_lib.sh"
arch=$1
build=$DIST_BUILD_DIR/$arch
out=$DIST_BUILD_DIR/$arch-bin
start=$SECONDS
printed=$("$DIST_SOURCE_DIR/scripts/build-static" --arch "$arch" --build-dir "$build" --out "$out") || fail "scripts/build-static --arch $arch failed"
expect_eq "the path build-static printed" "$printed" "$out/dockerdiff"
cmp -s "$printed" "$build/src/dockerdiff" || fail "$printed is not the executable of the build tree $build"
[ -x "$printed" ] || fail "$printed is not an executable"
strip_tool="strip"
if [ "$arch" = arm64 ]; then strip_tool=aarch64-linux-gnu-strip; fi
"$strip_tool" -o "$out/dockerdiff.stripped" "$printed" || fail "$strip_tool of $printed failed"
note "$arch: built in $((SECONDS - start)) s; $(stat -c %s "$printed") bytes, stripped $(stat -c %s "$out/dockerdiff.stripped")"
