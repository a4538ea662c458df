#!/bin/bash
# readme_example.sh: the CMake example of the README (the first ```cmake block after "## CMake")
# configures with the installed package, and declares what it says: the target app whose
# command slims docker:myapp:1 into app.tar.zst with its report and summary, the test
# app_verify (after app_verify_build, which builds app), and the install of the artifact and its
# report. (Not built: it needs docker.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

require_package
work=$(work_dir readme)
awk '/^## CMake$/ { section = 1; next }
     /^## / { section = 0 }
     section && /^```cmake$/ && !done { block = 1; next }
     block && /^```$/ { block = 0; done = 1; next }
     block { print }' "$DOCKERDIFF_SOURCE_DIR/README.md" >"$work/example.cmake"
grep -q 'add_docker_slim_artifact(app' "$work/example.cmake" || fail "no add_docker_slim_artifact(app in the README's CMake example"

build=$work/build
configure "$work/configure.log" "$PROJECTS/readme" "$build" -G Ninja -DCMAKE_PREFIX_PATH="$DOCKERDIFF_PACKAGE_PREFIX" \
  -DREADME_EXAMPLE="$work/example.cmake"

commands=$(cd "$build" && ninja -t commands app)
want="$DOCKERDIFF_PACKAGE_PREFIX/bin/dockerdiff slim docker:myapp:1 -b docker:debian:12-slim -o $build/app.tar.zst"
want+=" --layout auto --compress zstd --report $build/app.report.json --summary $build/app.summary.md -q"
grep -qF -- "$want" <<<"$commands" || fail "the example's command is not: $want ($commands)"
grep -qF -- "docker build -t myapp:1" <<<"$commands" || fail "the example does not build the image first: $commands"
expect_eq "tests of the example" "$("$CTEST_COMMAND" --test-dir "$build" -N | grep -o 'Test *#[0-9]*: [^ ]*' | sed 's/.*: //' | tr '\n' ' ')" \
  "app_verify_build app_verify "
grep -qF 'share/myapp/images' "$build/cmake_install.cmake" || fail "the example installs nothing into share/myapp/images"
grep -qF 'app.report.json' "$build/cmake_install.cmake" || fail "the example does not install the report"
rm -rf "$work"
note "README example: ok"
