#!/bin/bash
# Run by deb_debian12.sh inside a clean Debian 12 root (chroot), in /tmp/dist, which holds the
# package, the bundled examples and assert.sh. Arguments: DEB VERSION.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source /tmp/dist/assert.sh
deb=$1 version=$2
cd /tmp/dist

[ ! -e /usr/bin/dockerdiff ] || fail "the clean root already has /usr/bin/dockerdiff"
note "apt-get install ./$deb (its Depends come from the mirror), with cmake and make for the CMake check"
# A snapshot mirror's Release files are past their Valid-Until (this machine's apt says so too).
apt-get update -qq -o Acquire::Check-Valid-Until=false >apt-update.log 2>&1 || { cat apt-update.log >&2; fail "apt-get update failed"; }
apt-get install -y --no-install-recommends "./$deb" cmake make >apt-install.log 2>&1 ||
  { cat apt-install.log >&2; fail "apt-get install ./$deb failed"; }
grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' apt-install.log
expect_eq "dpkg status" "$(dpkg-query -W -f='${Status} ${Version}' dockerdiff)" "install ok installed $version"
expect_eq "dockerdiff on PATH" "$(command -v dockerdiff)" /usr/bin/dockerdiff
dockerdiff --version
dockerdiff --version | grep -qF "$version" || fail "dockerdiff --version does not say $version"

# The README's first command, then verify with the base providing the emptied layers.
dockerdiff slim app.tar.gz -b base.tar.gz -o app.slim.tar || fail "dockerdiff slim failed"
dockerdiff verify app.slim.tar -b base.tar.gz || fail "dockerdiff verify app.slim.tar failed"
full=$(gzip -dc app.tar.gz | wc -c) slim=$(stat -c %s app.slim.tar)
[ "$slim" -lt "$full" ] || fail "app.slim.tar ($slim bytes) is not smaller than app.tar ($full bytes)"
note "slim: $full -> $slim bytes, verified"

# A project finds the installed package where CMake searches /usr, and builds a slim artifact
# with the packaged executable.
mkdir -p project
cat >project/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(uses_dockerdiff LANGUAGES NONE)
find_package(DockerDiff 0.1 CONFIG REQUIRED)
get_target_property(dockerdiff_location DockerDiff::dockerdiff LOCATION)
message(STATUS "DockerDiff ${DockerDiff_VERSION} in ${DockerDiff_DIR}: ${dockerdiff_location}")
if(NOT dockerdiff_location STREQUAL "/usr/bin/dockerdiff")
  message(FATAL_ERROR "DockerDiff::dockerdiff is ${dockerdiff_location}, not /usr/bin/dockerdiff")
endif()
add_docker_slim_artifact(app TARGET /tmp/dist/app.tar.gz BASE /tmp/dist/base.tar.gz ALL)
CMAKE
cmake -S project -B project/build -G "Unix Makefiles" >cmake.log 2>&1 || { cat cmake.log >&2; fail "configuring the project failed"; }
grep -F 'DockerDiff ' cmake.log
cmake --build project/build >build.log 2>&1 || { cat build.log >&2; fail "building the project's artifact failed"; }
[ -f project/build/app.tar ] || fail "the project's build wrote no app.tar"
dockerdiff verify project/build/app.tar -b base.tar.gz || fail "the project's app.tar is not sound"
note "find_package(DockerDiff) and add_docker_slim_artifact work with the package"

apt-get purge -y dockerdiff >purge.log 2>&1 || { cat purge.log >&2; fail "apt-get purge dockerdiff failed"; }
[ ! -e /usr/bin/dockerdiff ] || fail "/usr/bin/dockerdiff is left after apt-get purge"
if find /usr/lib -path '*/cmake/DockerDiff*' | grep -q .; then fail "the CMake package is left after apt-get purge"; fi
note "apt-get purge removes it all"
