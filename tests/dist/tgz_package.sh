#!/bin/bash
# dist_tgz_package: cpack -G TGZ of this build tree makes dockerdiff-<version>-linux-<arch>.tar.gz,
# one top directory of that name holding bin/dockerdiff (stripped) and the CMake package; the
# executable runs from the unpacked archive and the package there points at it (relocatable).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

dir=$DOCKERDIFF_DIST_WORK/tgz
SECONDS=0
make_package TGZ "$dir"
name=dockerdiff-${DOCKERDIFF_VERSION}-linux-$(debian_arch)
tgz=$dir/$name.tar.gz
[ -f "$tgz" ] || fail "cpack made no $(basename "$tgz"): $(cd "$dir" && echo *.tar.gz)"
note "$(basename "$tgz"): $(stat -c %s "$tgz") bytes, in ${SECONDS}s"

tar -tzf "$tgz" | sed 's/^/    | /'
if tar -tzf "$tgz" | grep -v "^$name/"; then fail "entries outside the top directory $name/ (above)"; fi
mkdir "$dir/x"
tar -xzf "$tgz" -C "$dir/x"
top=$dir/x/$name
[ -x "$top/bin/dockerdiff" ] || fail "no bin/dockerdiff in the archive"
if readelf -S "$top/bin/dockerdiff" | grep -q '\.debug_info'; then fail "bin/dockerdiff is not stripped"; fi
"$top/bin/dockerdiff" --version | grep -qF "$DOCKERDIFF_VERSION" || fail "bin/dockerdiff --version does not say $DOCKERDIFF_VERSION"
config_targets=$(find "$top/lib" -path '*/cmake/DockerDiff/DockerDiffTargets-*.cmake')
[ -n "$config_targets" ] || fail "no CMake package (lib/.../cmake/DockerDiff) in the archive"
# shellcheck disable=SC2016 # CMake's variable, literally
expect_grep "the imported executable, relative to the package" "$config_targets" '${_IMPORT_PREFIX}/bin/dockerdiff'
note "the archive is complete: $(basename "$tgz")"
