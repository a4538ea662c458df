#!/bin/bash
# dist_deb_arch_names: the packages of a cross build are named for its target, in Debian's names:
# this source tree configured (not built) as a cross build for each processor below gives CPack
# that architecture (the .deb's Architecture, both file names). The host's compiler and libraries
# stand in for the cross ones: only the names are checked.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
: "${CMAKE_COMMAND:=cmake}"

work=$(work_dir arch-names)
for pair in x86_64:amd64 aarch64:arm64; do
  processor=${pair%%:*} arch=${pair#*:}
  build=$work/$processor
  "$CMAKE_COMMAND" -S "$DOCKERDIFF_SOURCE_DIR" -B "$build" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$processor" \
    -DBUILD_TESTING=OFF >"$work/$processor.log" 2>&1 || {
    cat "$work/$processor.log" >&2
    fail "configuring for $processor failed"
  }
  config=$build/CPackConfig.cmake
  expect_grep "$processor: the .deb's Architecture" "$config" "set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE \"$arch\")"
  expect_grep "$processor: the .deb's name" "$config" 'set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")'
  expect_grep "$processor: the archive's name" "$config" "set(CPACK_PACKAGE_FILE_NAME \"dockerdiff-$DOCKERDIFF_VERSION-linux-$arch\")"
  note "$processor: $arch"
done
