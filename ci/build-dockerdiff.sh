#!/usr/bin/env bash
# build-dockerdiff.sh SOURCE_DIR PREFIX: builds the dockerdiff binary from a source tree (only the
# CLI: no tests, no benchmark) and installs it as PREFIX/bin/dockerdiff, which it prints.
# build-dockerdiff.sh --deps-only: only installs the missing build dependencies (a cached binary
# on a fresh machine needs their libraries).
#
# The one way the CI integrations build dockerdiff from source: the GitHub Action (install: source,
# from the action's own tree) and the GitLab template (from a clone at DOCKERDIFF_REF) both call it.
#
# Missing build dependencies (Debian / Ubuntu package names below) are installed with apt-get, as
# root or through `sudo -n`, unless DOCKERDIFF_BUILD_DEPS=skip; without apt-get it names them.
# Environment: DOCKERDIFF_BUILD_DIR (default SOURCE_DIR/build-dockerdiff-ci), DOCKERDIFF_BUILD_DEPS
# (auto | skip), DOCKERDIFF_BUILD_JOBS (default: all cores).
set -euo pipefail

fail() {
  printf 'dockerdiff build: %s\n' "$*" >&2
  exit 1
}

deps_only=false
if [ "${1:-}" = --deps-only ] && [ $# -eq 1 ]; then
  deps_only=true
elif [ $# -ne 2 ]; then
  fail "usage: build-dockerdiff.sh SOURCE_DIR PREFIX | build-dockerdiff.sh --deps-only"
fi

# What building the CLI needs (scripts/install-deps installs these and more: the test engines).
packages=(g++ cmake ninja-build pkg-config libarchive-dev libisal-dev libzstd-dev liblzma-dev libbz2-dev zlib1g-dev libssl-dev nlohmann-json3-dev libcli11-dev)

install_deps() {
  local missing=() pkg
  if ! command -v dpkg-query >/dev/null 2>&1; then
    return 0 # not Debian-like: configure will say what is missing
  fi
  for pkg in "${packages[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  local run=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "missing build dependencies (${missing[*]}) and not root (no sudo)"
    run=(sudo -n)
  fi
  command -v apt-get >/dev/null 2>&1 || fail "missing build dependencies (${missing[*]}) and no apt-get"
  printf 'dockerdiff build: installing %s\n' "${missing[*]}" >&2
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

case ${DOCKERDIFF_BUILD_DEPS:-auto} in
  auto) install_deps ;;
  skip) ;;
  *) fail "DOCKERDIFF_BUILD_DEPS must be auto or skip, not '${DOCKERDIFF_BUILD_DEPS}'" ;;
esac
if $deps_only; then exit 0; fi

src=$1
prefix=$2
if [ ! -f "$src/CMakeLists.txt" ] || [ ! -d "$src/src" ]; then
  fail "$src is not a dockerdiff source tree (no CMakeLists.txt and src/)"
fi
build=${DOCKERDIFF_BUILD_DIR:-$src/build-dockerdiff-ci}

jobs=${DOCKERDIFF_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}
printf 'dockerdiff build: %s -> %s\n' "$src" "$prefix/bin/dockerdiff" >&2
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOCKERDIFF_BUILD_TESTS=OFF >&2
cmake --build "$build" --target dockerdiff -j "$jobs" >&2
mkdir -p "$prefix/bin"
# Through a temporary name, so that an interrupted copy never leaves a broken cached binary.
cp "$build/src/dockerdiff" "$prefix/bin/dockerdiff.tmp.$$"
mv -f "$prefix/bin/dockerdiff.tmp.$$" "$prefix/bin/dockerdiff"
"$prefix/bin/dockerdiff" --version >&2
printf '%s\n' "$prefix/bin/dockerdiff"
