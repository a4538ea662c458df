#!/bin/bash
# files_sample.sh MODE GENERATOR: the sample projects/MODE (subdirectory: dockerdiff added with
# add_subdirectory and built in the tree; package: the installed package through find_package)
# declares the artifacts of projects/artifacts.cmake from archive files; configured with
# GENERATOR, built, and checked:
#   - in the tree, the including project keeps its build type and its C++ standard;
#   - outputs, reports, summary and target properties; the report's sizes match the files;
#   - a second build does nothing; touching the target archive rebuilds only its artifact,
#     touching a base (archive, OCI directory, inventory) only the artifacts on it, and in the
#     tree a new dockerdiff executable all; an artifact without ALL is built by the umbrella
#     target docker_slim_artifacts;
#   - VERIFY registers passing tests (that fail on a damaged artifact), each after a setup test
#     that builds its artifact: ctest passes before any build too (package mode);
#   - INSTALL_DESTINATION: cmake --install and CPack ship the artifact and its report.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

mode=$1
generator=$2
require_generator "$generator"
work=$(work_dir "files-$mode-${generator// /-}")
inputs=$work/inputs
build=$work/build
copy_inputs "$inputs"
add_oci_base "$inputs"

case $mode in
  subdirectory)
    snapshot_source "$work/dockerdiff"
    # Debug without -g: the quickest build of dockerdiff in the tree.
    mode_args=(-DDOCKERDIFF_SOURCE_DIR="$work/dockerdiff" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0)
    dockerdiff=$build/dockerdiff/src/dockerdiff
    ;;
  package)
    require_package
    mode_args=(-DCMAKE_PREFIX_PATH="$DOCKERDIFF_PACKAGE_PREFIX")
    dockerdiff=$DOCKERDIFF_PACKAGE_PREFIX/bin/dockerdiff
    ;;
  *) fail "unknown mode $mode" ;;
esac

note "configure ($mode, $generator)"
configure "$work/configure.log" "$PROJECTS/$mode" "$build" -G "$generator" -DSAMPLE_INPUTS="$inputs" "${mode_args[@]}"

# The targets' properties (the sample writes them at configure time).
expected_properties="app DOCKERDIFF_OUTPUT=$build/app.tar
app DOCKERDIFF_REPORT=$build/reports/app.json
app DOCKERDIFF_SUMMARY=$build/reports/app.md
app DOCKERDIFF_VERIFY_TEST=app_verify
app_zstd DOCKERDIFF_OUTPUT=$build/app_zstd.tar.zst
app_zstd DOCKERDIFF_REPORT=$build/app_zstd.json
app_zstd DOCKERDIFF_SUMMARY=
app_zstd DOCKERDIFF_VERIFY_TEST=app_zstd_verify
app_oci_base DOCKERDIFF_OUTPUT=$build/app_oci_base.tar
app_oci_base DOCKERDIFF_REPORT=$build/app_oci_base.json
app_oci_base DOCKERDIFF_SUMMARY=
app_oci_base DOCKERDIFF_VERIFY_TEST=
app_later DOCKERDIFF_OUTPUT=$build/later/app-later.tar.gz
app_later DOCKERDIFF_REPORT=
app_later DOCKERDIFF_SUMMARY=
app_later DOCKERDIFF_VERIFY_TEST="
expect_eq "target properties" "$(cat "$build/artifact-properties.txt")" "$expected_properties"

if [ "$mode" = subdirectory ]; then
  # The project that adds dockerdiff keeps its build type and its C++17; dockerdiff stays C++20.
  expect_eq "the project's build type" "$(cache_value "$build" CMAKE_BUILD_TYPE)" Debug
  expect_std "$build" parent_tool parent_tool.cpp 17
  expect_std "$build" dockerdiff cli/main.cpp 20
fi

# The slim command runs the dockerdiff this mode provides.
if [ "$generator" = Ninja ]; then
  commands=$(cd "$build" && ninja -t commands app)
  grep -qF "$dockerdiff slim $inputs/app.tar.gz -b $inputs/base.tar.gz -o $build/app.tar" <<<"$commands" ||
    fail "the command of app does not run $dockerdiff: $commands"
fi

note "first build"
build "$work/build1.log" "$build"
[ -x "$dockerdiff" ] || fail "no $dockerdiff after the build"
expect_in_log "$work/build1.log" "Slimming app: $inputs/app.tar.gz against $inputs/base.tar.gz"
expect_in_log "$work/build1.log" "Slimming app_zstd: $inputs/app.tar against $inputs/base.tar.gz"
expect_in_log "$work/build1.log" "Slimming app_oci_base: $inputs/app.tar against $inputs/base-oci, $inputs/empty-inventory.json"
expect_not_in_log "$work/build1.log" "Slimming app_later"
[ ! -e "$build/later/app-later.tar.gz" ] || fail "app_later (not ALL) was built by the default build"
# app: auto turns the legacy input into the Docker 25+ layout; app_zstd keeps it (legacy).
check_report "$build/reports/app.json" "$build/app.tar" "$inputs/app.tar.gz" 2 docker25
check_report "$build/app_zstd.json" "$build/app_zstd.tar.zst" "$inputs/app.tar" 2 legacy
check_report "$build/app_oci_base.json" "$build/app_oci_base.tar" "$inputs/app.tar" 2 docker25
expect_eq "zstd magic of app_zstd.tar.zst" "$(magic "$build/app_zstd.tar.zst")" 28b52ffd
grep -qF 'app.tar' "$build/reports/app.md" || fail "the summary does not name app.tar"
grep -qF 'saved' "$build/reports/app.md" || fail "the summary says nothing saved"
[ ! -e "$build/reports/app_zstd.md" ] || fail "a summary nobody asked for"

app_files=("$build/app.tar" "$build/reports/app.json" "$build/reports/app.md")
zstd_files=("$build/app_zstd.tar.zst" "$build/app_zstd.json")
oci_base_files=("$build/app_oci_base.tar" "$build/app_oci_base.json")
outputs=("${app_files[@]}" "${zstd_files[@]}" "${oci_base_files[@]}")
declare -A before
snapshot_mtimes() { for f in "${outputs[@]}"; do before[$f]=$(mtime "$f"); done; }
# expect_rewritten yes|no FILE...
expect_rewritten() {
  local want=$1 f
  shift
  for f in "$@"; do
    if [ "$(mtime "$f")" = "${before[$f]}" ]; then
      [ "$want" = no ] || fail "$(basename "$f") was not rewritten"
    else
      [ "$want" = yes ] || fail "$(basename "$f") was rewritten"
    fi
  done
}

note "second build: nothing to do"
snapshot_mtimes
build "$work/build2.log" "$build"
expect_not_in_log "$work/build2.log" "Slimming"
if [ "$generator" = Ninja ]; then expect_in_log "$work/build2.log" "ninja: no work to do."; fi
expect_rewritten no "${outputs[@]}"

note "touching the target archive of app rebuilds app only"
snapshot_mtimes
touch "$inputs/app.tar.gz"
build "$work/build3.log" "$build"
expect_in_log "$work/build3.log" "Slimming app:"
expect_not_in_log "$work/build3.log" "Slimming app_"
expect_rewritten yes "${app_files[@]}"
expect_rewritten no "${zstd_files[@]}" "${oci_base_files[@]}"

note "touching base.tar.gz rebuilds the two artifacts on it"
snapshot_mtimes
touch "$inputs/base.tar.gz"
build "$work/build4.log" "$build"
expect_in_log "$work/build4.log" "Slimming app:"
expect_in_log "$work/build4.log" "Slimming app_zstd:"
expect_not_in_log "$work/build4.log" "Slimming app_oci_base"
expect_rewritten yes "${app_files[@]}" "${zstd_files[@]}"
expect_rewritten no "${oci_base_files[@]}"

for base_file in base-oci/index.json empty-inventory.json; do
  note "touching $base_file rebuilds app_oci_base only"
  snapshot_mtimes
  touch "$inputs/$base_file"
  build "$work/build-${base_file%%/*}.log" "$build"
  expect_in_log "$work/build-${base_file%%/*}.log" "Slimming app_oci_base:"
  expect_not_in_log "$work/build-${base_file%%/*}.log" "Slimming app:"
  expect_not_in_log "$work/build-${base_file%%/*}.log" "Slimming app_zstd"
  expect_rewritten yes "${oci_base_files[@]}"
  expect_rewritten no "${app_files[@]}" "${zstd_files[@]}"
done

if [ "$mode" = subdirectory ]; then
  note "a new dockerdiff executable rebuilds every artifact"
  snapshot_mtimes
  touch "$dockerdiff"
  build "$work/build4b.log" "$build"
  expect_in_log "$work/build4b.log" "Slimming app:"
  expect_in_log "$work/build4b.log" "Slimming app_zstd:"
  expect_in_log "$work/build4b.log" "Slimming app_oci_base:"
  expect_rewritten yes "${outputs[@]}"
fi

note "docker_slim_artifacts builds the artifact without ALL too"
snapshot_mtimes
build "$work/build5.log" "$build" --target docker_slim_artifacts
expect_in_log "$work/build5.log" "Slimming app_later:"
expect_not_in_log "$work/build5.log" "Slimming app:"
expect_rewritten no "${outputs[@]}"
expect_eq "gzip magic of later/app-later.tar.gz" "$(magic "$build/later/app-later.tar.gz" | cut -c1-4)" 1f8b

note "VERIFY: one passing test per verified artifact, after the test that builds it"
listed=$("$CTEST_COMMAND" --test-dir "$build" -N | grep -o 'Test *#[0-9]*: [^ ]*' | sed 's/.*: //' | sort | tr '\n' ' ')
expect_eq "tests of the sample" "$listed" "app_verify app_verify_build app_zstd_verify app_zstd_verify_build "
"$CTEST_COMMAND" --test-dir "$build" --output-on-failure || fail "the VERIFY tests failed"

if [ "$mode" = package ]; then
  # The installed dockerdiff needs no build, so a second tree is cheap here (the subdirectory
  # sample would build dockerdiff again): ctest right after configuring builds the artifacts
  # through the fixtures before it verifies them.
  note "VERIFY: ctest before any build"
  fresh=$work/build-ctest-first
  configure "$work/configure-ctest-first.log" "$PROJECTS/$mode" "$fresh" -G "$generator" -DSAMPLE_INPUTS="$inputs" "${mode_args[@]}"
  [ ! -e "$fresh/app.tar" ] || fail "app.tar exists before any build"
  "$CTEST_COMMAND" --test-dir "$fresh" --output-on-failure >"$work/ctest-first.log" 2>&1 ||
    { cat "$work/ctest-first.log" >&2; fail "ctest before the build failed"; }
  expect_grep "ctest before the build" "$work/ctest-first.log" "100% tests passed, 0 tests failed out of 4"
  check_report "$fresh/reports/app.json" "$fresh/app.tar" "$inputs/app.tar.gz" 2 docker25
  [ ! -e "$fresh/app_oci_base.tar" ] || fail "ctest built app_oci_base, which has no VERIFY"
fi

note "INSTALL_DESTINATION: cmake --install of the component and CPack"
"$CMAKE_COMMAND" --install "$build" --prefix "$work/install" --component images
for file in app.tar app.json; do
  source_file=$build/app.tar
  if [ "$file" = app.json ]; then source_file=$build/reports/app.json; fi
  cmp "$source_file" "$work/install/share/sample/images/$file" || fail "installed $file differs from the build's"
done
installed=$(cd "$work/install" && find . -type f | sort | tr '\n' ' ')
expect_eq "files installed by the images component" "$installed" "./share/sample/images/app.json ./share/sample/images/app.tar "
(cd "$build" && "$CPACK_COMMAND" -G TGZ >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  fail "cpack failed"
}
packaged=$(tar -tzf "$build/sample-images.tar.gz")
for file in app.tar app.json; do
  grep -qx "sample-images/share/sample/images/$file" <<<"$packaged" || fail "the CPack package has no share/sample/images/$file: $packaged"
done

note "a damaged artifact fails its VERIFY test"
head -c 10240 "$build/app.tar" >"$work/damaged.tar"
cp "$work/damaged.tar" "$build/app.tar"
if "$CTEST_COMMAND" --test-dir "$build" -R '^app_verify$' >"$work/damaged.log" 2>&1; then
  cat "$work/damaged.log" >&2
  fail "app_verify passed on a truncated app.tar"
fi
rm -rf "$work"
note "$mode ($generator): ok"
