#!/usr/bin/env bash
# file.sh: `file` calls both static executables statically linked, for their architecture; the
# .tar.gz that cpack -G TGZ makes of each static build holds that static executable.
# shellcheck source-path=SCRIPTDIR source=static_lib.sh
source "$(dirname "$0")/static_lib.sh"
command -v file >/dev/null 2>&1 || fail "file is not installed (scripts/install-deps)"
for spec in "amd64 x86-64" "arm64 ARM aarch64"; do
  arch=${spec%% *}
  machine=${spec#* }
  exe=$(static_exe "$arch")
  says=$(file -b "$exe")
  case $says in *"statically linked"*) ;; *) fail "$arch: file does not say statically linked: $says" ;; esac
  case $says in *"$machine"*) ;; *) fail "$arch: file does not say $machine: $says" ;; esac
  note "$arch: $says"
done

# The release's .tar.gz of each static build (cpack -G TGZ in its build tree): named for its
# architecture, and the executable in it is the static one (no program interpreter).
work=$(fresh_dir static-tgz)
for arch in amd64 arm64; do
  build=$DIST_BUILD_DIR/$arch
  (cd "$work" && cpack --config "$build/CPackConfig.cmake" -G TGZ -B "$work/$arch" >"$work/$arch.log" 2>&1) || {
    cat "$work/$arch.log" >&2
    fail "$arch: cpack -G TGZ in the static build tree failed"
  }
  tgz=$(find "$work/$arch" -maxdepth 1 -name "dockerdiff-*-linux-$arch.tar.gz")
  [ -n "$tgz" ] || fail "$arch: no dockerdiff-*-linux-$arch.tar.gz from cpack ($(ls "$work/$arch"))"
  mkdir -p "$work/$arch/x"
  tar -xzf "$tgz" -C "$work/$arch/x"
  exe=$(find "$work/$arch/x" -path '*/bin/dockerdiff' -type f)
  [ -n "$exe" ] || fail "$arch: no bin/dockerdiff in $(basename "$tgz")"
  headers=$(readelf -lW "$exe") || fail "$arch: readelf of bin/dockerdiff in $(basename "$tgz") failed"
  case $headers in *"program interpreter"*) fail "$arch: bin/dockerdiff in $(basename "$tgz") is dynamically linked" ;; esac
  note "$arch: $(basename "$tgz"), $(stat -c %s "$tgz") bytes, static bin/dockerdiff"
done
