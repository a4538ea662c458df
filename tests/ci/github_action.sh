#!/usr/bin/env bash
# The GitHub Action (ci/github-action) run by a simulated runner (run-composite.mjs: the steps of
# action.yml with their env:, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH)
# on the example archives:
#   path      install: path with dockerdiff-path a file, then a name on PATH; default and explicit
#             output names, compression; outputs equal the report's numbers; the step summary
#   source    install: source with an empty cache: the action's build script runs (cmake stubbed: it
#             records its arguments and "builds" by copying the binary under test, so no compile
#             here), the binary lands in the cache directory that the actions/cache step names;
#             then again with that cache: no build
#   bad       bad inputs fail the job with a clear message and an error annotation; a missing
#             target, an unreadable base and a docker:REF that docker cannot save (a stub docker)
#             with dockerdiff's own message
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
work=$(fresh_work)
action=$SRC/ci/github-action
runner_temp=$work/runner-temp
mkdir -p "$runner_temp"

# run_action NAME INPUTS_JSON: runs the action in $work/NAME (the workspace); sets status, result,
# log and summary. The archives of examples/ are in the workspace as app.tar.gz and base.tar.gz.
run_action() {
  local name=$1
  local ws=$work/$name
  mkdir -p "$ws"
  cp "$EXAMPLES/app.tar.gz" "$EXAMPLES/base.tar.gz" "$ws/"
  printf '%s\n' "$2" >"$ws/inputs.json"
  result=$ws/result.json
  log=$ws/log
  summary=$ws/step-summary.md
  : >"$summary"
  status=0
  (cd "$ws" && GITHUB_STEP_SUMMARY=$summary RUNNER_TEMP=$runner_temp \
    node "$CI_LIB_DIR/run-composite.mjs" "$action" inputs.json result.json) >"$log" 2>&1 || status=$?
  ws_dir=$ws
}

output() { jq -er --arg name "$1" '.outputs[$name]' "$result"; }

# expect_slimmed WHAT SLIM REPORT: the action's outputs name SLIM and REPORT (relative to the
# workspace), agree with the report, and the step summary is the report's Markdown.
expect_slimmed() {
  local what=$1 slim=$2 report=$3
  if [ "$status" != 0 ]; then
    cat "$log" >&2
    fail "$what: the action failed (exit $status)"
  fi
  expect_eq "$what: slim-path" "$(output slim-path)" "$slim"
  expect_eq "$what: report-path" "$(output report-path)" "$report"
  [ -s "$ws_dir/$slim" ] || fail "$what: no slim archive $slim"
  expect_eq "$what: saved-bytes" "$(output saved-bytes)" "$(report_value "$ws_dir/$report" saved_bytes)"
  expect_eq "$what: saved-ratio" "$(output saved-ratio)" "$(report_value "$ws_dir/$report" saved_ratio)"
  [ "$(output saved-bytes)" -gt 0 ] || fail "$what: nothing saved"
  expect_eq "$what: report schema" "$(jq -r .schema "$ws_dir/$report")" dockerdiff.report/v1
  expect_grep "$what: step summary" "$summary" "### dockerdiff: slim image archives"
  expect_grep "$what: step summary names the artifact" "$summary" "\`$slim\`"
  "$DOCKERDIFF" verify "$ws_dir/$slim" -b "$ws_dir/base.tar.gz" >"$ws_dir/verify.log" 2>&1 ||
    { cat "$ws_dir/verify.log" >&2; fail "$what: dockerdiff verify rejects $slim"; }
  note "$what: $slim, saved $(output saved-bytes) bytes (ratio $(output saved-ratio))"
}

note "path: dockerdiff-path a file; default output and report; bases with blank lines and spaces"
run_action path-file "$(jq -n --arg bin "$DOCKERDIFF" '{target: "app.tar.gz", base: "  base.tar.gz \n\n", install: "path", "dockerdiff-path": $bin}')"
expect_slimmed path-file app.slim.tar app.slim.report.json
expect_eq "path-file: no cache step" "$(jq -r '.steps[1].skipped' "$result")" true

note "path: dockerdiff on PATH; explicit output in a new directory, zstd, layout keep"
bin_dir=$work/bin
mkdir -p "$bin_dir"
ln -s "$DOCKERDIFF" "$bin_dir/dockerdiff"
PATH=$bin_dir:$PATH run_action path-name '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "path", "output": "out/app.slim.tar.zst", "report": "out/app.json", "compress": "zstd", "layout": "keep"}'
expect_slimmed path-name out/app.slim.tar.zst out/app.json
expect_eq "path-name: zstd output" "$(od -An -tx1 -N4 "$ws_dir/out/app.slim.tar.zst" | tr -d ' ')" 28b52ffd
expect_eq "path-name: layout keep" "$(jq -r '.outputs[0].layout' "$ws_dir/out/app.json")" legacy

note "path: default output name follows the compression"
run_action path-gzip "$(jq -n --arg bin "$DOCKERDIFF" '{target: "app.tar.gz", base: "base.tar.gz", install: "path", "dockerdiff-path": $bin, compress: "gzip"}')"
expect_slimmed path-gzip app.slim.tar.gz app.slim.report.json

note "source: empty cache: the build script runs (cmake stubbed)"
stub_dir=$work/stub
cmake_log=$work/cmake-calls
mkdir -p "$stub_dir"
: >"$cmake_log"
cat >"$stub_dir/cmake" <<STUB
#!/usr/bin/env bash
# A stub cmake: records its arguments; --build "builds" by copying the binary under test.
printf '%s\n' "\$*" >>'$cmake_log'
if [ "\$1" = --build ]; then mkdir -p "\$2/src" && cp '$DOCKERDIFF' "\$2/src/dockerdiff"; fi
STUB
chmod +x "$stub_dir/cmake"
export DOCKERDIFF_BUILD_DEPS=skip # never apt-get from a test
PATH=$stub_dir:$PATH run_action source-cold '{"target": "app.tar.gz", "base": "base.tar.gz"}'
expect_slimmed source-cold app.slim.tar app.slim.report.json
cache_dir=$runner_temp/dockerdiff-cache
expect_eq "source-cold: cache step" "$(jq -r '.steps[1].uses' "$result")" actions/cache@v4
expect_eq "source-cold: cache path" "$(jq -r '.steps[1].with.path' "$result")" "$cache_dir"
key=$(jq -r '.steps[1].with.key' "$result")
case $key in dockerdiff-*-"$(uname -m)"-????????????????????) ;; *) fail "source-cold: unexpected cache key '$key'" ;; esac
expect_eq "source-cold: key stored with the binary" "$(cat "$cache_dir/key")" "$key"
[ -x "$cache_dir/bin/dockerdiff" ] || fail "source-cold: no binary in the cache directory"
expect_eq "source-cold: cmake calls" "$(wc -l <"$cmake_log")" 2
expect_grep "source-cold: configure" "$cmake_log" "-S $SRC -B $runner_temp/dockerdiff-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOCKERDIFF_BUILD_TESTS=OFF"
expect_grep "source-cold: build" "$cmake_log" "--build $runner_temp/dockerdiff-build --target dockerdiff"

note "source: warm cache: no build"
PATH=$stub_dir:$PATH run_action source-warm '{"target": "app.tar.gz", "base": "base.tar.gz"}'
expect_slimmed source-warm app.slim.tar app.slim.report.json
expect_grep "source-warm: cached binary" "$log" "using the cached $cache_dir/bin/dockerdiff"
expect_eq "source-warm: cmake calls" "$(wc -l <"$cmake_log")" 2
expect_eq "source-warm: same key" "$(jq -r '.steps[1].with.key' "$result")" "$key"

# expect_refused WHAT MESSAGE INPUTS_JSON: the job fails, says MESSAGE and annotates it.
expect_refused() {
  local what=$1 message=$2
  run_action "$what" "$3"
  if [ "$status" = 0 ]; then
    cat "$log" >&2
    fail "$what: the action succeeded"
  fi
  expect_eq "$what: failed" "$(jq -r .failed "$result")" true
  expect_grep "$what: message" "$log" "$message"
  grep '^::error title=dockerdiff::' "$log" | grep -qF -- "$message" ||
    { cat "$log" >&2; fail "$what: no error annotation with '$message'"; }
  [ ! -e "$ws_dir/app.slim.tar" ] || fail "$what: a slim archive was left behind"
  note "$what: refused: $message"
}

# The tool's own one-line message for these arguments (run in the workspace of the case).
tool_message() {
  local ws=$work/$1
  shift
  mkdir -p "$ws"
  cp "$EXAMPLES/app.tar.gz" "$EXAMPLES/base.tar.gz" "$ws/"
  printf 'not an image archive\n' >"$ws/junk.tar"
  (cd "$ws" && "$DOCKERDIFF" "$@" -o probe.tar 2>&1 >/dev/null | tail -n 1) || true
}

bin_json=$(jq -n --arg bin "$DOCKERDIFF" '$bin')
msg=$(tool_message bad-missing-target slim missing.tar -b base.tar.gz)
expect_eq "the tool's message for a missing target" "$msg" "dockerdiff: missing.tar: no such file or directory"
expect_refused bad-missing-target "$msg" "{\"target\": \"missing.tar\", \"base\": \"base.tar.gz\", \"install\": \"path\", \"dockerdiff-path\": $bin_json}"
msg=$(tool_message bad-unreadable-base slim app.tar.gz -b junk.tar)
case $msg in "dockerdiff: junk.tar: "*) ;; *) fail "unexpected message of the tool for an unreadable base: $msg" ;; esac
expect_refused bad-unreadable-base "$msg" "{\"target\": \"app.tar.gz\", \"base\": \"junk.tar\", \"install\": \"path\", \"dockerdiff-path\": $bin_json}"
# A docker:REF target names the default output after the image; a docker that fails (a stub:
# no daemon here) fails the job with dockerdiff's message about it.
docker_stub=$work/docker-stub
mkdir -p "$docker_stub"
printf '#!/bin/sh\necho "Cannot connect to the Docker daemon (stub)" >&2\nexit 1\n' >"$docker_stub/docker"
chmod +x "$docker_stub/docker"
msg=$(PATH=$docker_stub:$PATH tool_message bad-docker-ref slim docker:example.com/app:1.0 -b base.tar.gz)
expect_eq "the tool's message for a failing docker" "$msg" "dockerdiff: docker:example.com/app:1.0: save failed: Cannot connect to the Docker daemon (stub)"
PATH=$docker_stub:$PATH expect_refused bad-docker-ref "$msg" "{\"target\": \"docker:example.com/app:1.0\", \"base\": \"base.tar.gz\", \"install\": \"path\", \"dockerdiff-path\": $bin_json}"
expect_grep "bad-docker-ref: default output named after the image" "$log" " -o app-1.0.slim.tar "
expect_refused bad-no-target "input 'target' is required" '{"target": "", "base": "base.tar.gz", "install": "path"}'
expect_refused bad-no-base "input 'base' is required" '{"target": "app.tar.gz", "base": " \n ", "install": "path"}'
expect_refused bad-compress "input 'compress' must be none, gzip or zstd, not 'lz4'" '{"target": "app.tar.gz", "base": "base.tar.gz", "compress": "lz4"}'
expect_refused bad-layout "input 'layout' must be auto or keep, not 'legacy'" '{"target": "app.tar.gz", "base": "base.tar.gz", "layout": "legacy"}'
expect_refused bad-install "input 'install' must be source or path, not 'apt'" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "apt"}'
expect_refused bad-path "dockerdiff action: /nonexistent/dockerdiff is not an executable file" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "path", "dockerdiff-path": "/nonexistent/dockerdiff"}'
expect_refused bad-path-name "dockerdiff action: 'no-such-dockerdiff' is not on PATH" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "path", "dockerdiff-path": "no-such-dockerdiff"}'
note "github action: all cases passed"
