#!/bin/bash
# Fixture setup of the package samples: installs this build (cmake --install) into a prefix
# of its own, and checks the package is complete: the executable, the config and version
# files, the exported target and the module with its resolver script.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

prefix=$DOCKERDIFF_PACKAGE_PREFIX
rm -rf "$prefix"
"$CMAKE_COMMAND" --install "$DOCKERDIFF_BUILD_DIR" --prefix "$prefix" || fail "cmake --install $DOCKERDIFF_BUILD_DIR failed"

[ -x "$prefix/bin/dockerdiff" ] || fail "no $prefix/bin/dockerdiff"
config=$(find "$prefix" -name DockerDiffConfig.cmake)
[ -n "$config" ] || fail "no DockerDiffConfig.cmake under $prefix"
package_dir=$(dirname "$config")
for file in DockerDiffConfigVersion.cmake DockerDiffTargets.cmake DockerDiff.cmake DockerDiffResolveImages.cmake; do
  [ -f "$package_dir/$file" ] || fail "the package in $package_dir has no $file"
done
grep -q 'add_executable(DockerDiff::dockerdiff IMPORTED)' "$package_dir/DockerDiffTargets.cmake" ||
  fail "DockerDiffTargets.cmake does not import DockerDiff::dockerdiff"
"$prefix/bin/dockerdiff" --version
touch "$prefix/.installed"
note "installed in $prefix (package: ${package_dir#"$prefix"/})"
