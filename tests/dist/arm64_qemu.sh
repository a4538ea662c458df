#!/usr/bin/env bash
# arm64_qemu.sh: the arm64 static executable, run under qemu-user (named explicitly: binfmt_misc
# may not be registered), slims, restores, verifies and checks the bundled example exactly as the
# amd64 static executable does: the same archives and messages, byte for byte (but for ISA-L's
# gzip level 1, see below).
# shellcheck source-path=SCRIPTDIR source=static_lib.sh
source "$(dirname "$0")/static_lib.sh"
command -v qemu-aarch64-static >/dev/null 2>&1 || fail "qemu-aarch64-static is not installed (scripts/install-deps)"
amd64=$(static_exe amd64)
arm64=$(static_exe arm64)
work=$(fresh_dir arm64-qemu)
for arch in amd64 arm64; do
  example_inputs "$work/$arch"
  example_inventories "$work/$arch"
done
# The arm64 executable must not run natively here: else this test would not show qemu running it.
if "$arm64" --version >/dev/null 2>&1; then note "(the arm64 executable also runs natively: binfmt_misc is registered)"; fi
(cd "$work/amd64" && run_example "$amd64")
(cd "$work/arm64" && run_example qemu-aarch64-static "$arm64")
expect_example_ran "$work/amd64"
expect_example_ran "$work/arm64"
# ISA-L's fast gzip level (1) compresses with other code on arm64 than on x86-64 and picks other
# matches: the same data, other compressed bytes (zlib's levels and zstd give the same bytes).
expect_same_results "$work/amd64" "$work/arm64" "arm64 (qemu) against amd64" app.restored-1.tar.gz
note "gzip level 1 (ISA-L): $(stat -c %s "$work/amd64/app.restored-1.tar.gz") bytes on amd64, $(stat -c %s "$work/arm64/app.restored-1.tar.gz") on arm64, the same data"
