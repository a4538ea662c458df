#!/usr/bin/env bash
# file.sh: `file` calls both static executables statically linked, for their architecture.
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
