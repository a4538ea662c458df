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
#   release   install: release against a stand-in release server on loopback (serve-dir.mjs, a
#             "release" of the binary under test and its SHA256SUMS): the default URL from
#             GITHUB_SERVER_URL and GITHUB_ACTION_REPOSITORY at the action's ref, the executable in
#             the tool cache that the actions/cache step names; again with the server stopped: the
#             cache; input version over a branch ref and release-url; wget in place of curl; a wrong
#             checksum, a 404, a missing SHA256SUMS line, a branch ref, a bad version, an unknown
#             architecture fail with one clear line and leave no executable behind
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

note "release: a stand-in release server on loopback"
for cmd in curl wget sha256sum; do command -v "$cmd" >/dev/null 2>&1 || fail "$cmd not found (install: release downloads with curl, else wget; the test runs both)"; done
# The release of v0.1.0 as .github/workflows/release.yml publishes it, at the path of a GitHub
# release download: the executables of both architectures (this machine's is the binary under
# test; the other one's a placeholder) and SHA256SUMS. v0.0.9 has a wrong sum for this machine's
# asset, v0.0.8 a SHA256SUMS without it.
case $(uname -m) in
  x86_64) runner_arch=X64 here=amd64 other=arm64 ;;
  aarch64) runner_arch=ARM64 here=arm64 other=amd64 ;;
  *) fail "no release architecture for $(uname -m)" ;;
esac
export RUNNER_ARCH=$runner_arch RUNNER_OS=Linux
serve=$work/release-server
rel=$serve/OWNER/dockerdiff/releases/download
make_release() { # TAG: the assets of TAG, sums right
  local dir=$rel/$1 version=${1#v}
  mkdir -p "$dir"
  cp "$DOCKERDIFF" "$dir/dockerdiff-$version-linux-$here"
  printf 'not this machine\n' >"$dir/dockerdiff-$version-linux-$other"
  (cd "$dir" && sha256sum dockerdiff-* >SHA256SUMS)
}
make_release v0.1.0
make_release v0.0.9
sed -i "/linux-$here\$/s/^[0-9a-f]\{8\}/00000000/" "$rel/v0.0.9/SHA256SUMS"
make_release v0.0.8
sed -i "/linux-$here\$/d" "$rel/v0.0.8/SHA256SUMS"
requests=$work/requests.log
: >"$requests"
server_pid=''
start_server() {
  rm -f "$work/port"
  node "$CI_LIB_DIR/serve-dir.mjs" "$serve" "$work/port" "$requests" 2>"$work/server.err" &
  server_pid=$!
  local _
  for _ in $(seq 100); do
    [ ! -s "$work/port" ] || break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; fail "the stand-in server exited"; }
    sleep 0.05
  done
  [ -s "$work/port" ] || fail "the stand-in server did not start"
  server=http://127.0.0.1:$(cat "$work/port")
  export GITHUB_SERVER_URL=$server # the default release URL's host (a new port on each start)
}
stop_server() {
  [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  server_pid=''
}
trap stop_server EXIT
start_server
[ "$(curl -s -o /dev/null -w '%{http_code}' "$server/OWNER/dockerdiff/releases/download/v0.1.0/SHA256SUMS")" = 200 ] ||
  fail "the stand-in server does not serve SHA256SUMS"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$server/../../etc/passwd")" = 404 ] || fail "the stand-in server serves outside its directory"
: >"$requests"

# Executables left in the tool cache and download directories left in RUNNER_TEMP.
executables() { find "$@" -type f -perm -u+x 2>/dev/null | sort; }
downloads_left() { find "$runner_temp" -maxdepth 1 -name 'dockerdiff-download.*' | sort; }
tool_cache=$work/tool-cache
export RUNNER_TOOL_CACHE=$tool_cache GITHUB_ACTION_REPOSITORY=OWNER/dockerdiff
rel_bin=$tool_cache/dockerdiff/0.1.0/$here/dockerdiff

note "release: cold: downloads v0.1.0 (the action's ref) from GITHUB_SERVER_URL/GITHUB_ACTION_REPOSITORY"
GITHUB_ACTION_REF=v0.1.0 run_action release-cold '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "release"}'
expect_slimmed release-cold app.slim.tar app.slim.report.json
expect_eq "release-cold: cache step" "$(jq -r '.steps[1].uses' "$result")" actions/cache@v4
expect_eq "release-cold: cache path" "$(jq -r '.steps[1].with.path' "$result")" "$tool_cache/dockerdiff/0.1.0/$here"
expect_eq "release-cold: cache key" "$(jq -r '.steps[1].with.key' "$result")" "dockerdiff-release-0.1.0-linux-$here"
expect_eq "release-cold: requests" "$(cat "$requests")" "$(printf '%s\n' \
  "GET /OWNER/dockerdiff/releases/download/v0.1.0/SHA256SUMS 200" \
  "GET /OWNER/dockerdiff/releases/download/v0.1.0/dockerdiff-0.1.0-linux-$here 200")"
cmp -s "$rel_bin" "$DOCKERDIFF" || fail "release-cold: the tool cache does not hold the released executable"
expect_eq "release-cold: executables in the tool cache" "$(executables "$tool_cache")" "$rel_bin"
expect_eq "release-cold: download directories left" "$(downloads_left)" ""
expect_grep "release-cold: installed" "$log" "installed dockerdiff-0.1.0-linux-$here (SHA-256 $(sha256sum "$DOCKERDIFF" | cut -d' ' -f1))"

note "release: warm: the server stopped, the tool cache serves"
stop_server
GITHUB_ACTION_REF=v0.1.0 run_action release-warm '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "release"}'
expect_slimmed release-warm app.slim.tar app.slim.report.json
expect_grep "release-warm: cached" "$log" "using the cached $rel_bin"
expect_eq "release-warm: requests" "$(wc -l <"$requests")" 2
start_server
: >"$requests"

note "release: a cached executable that no longer matches its sum is downloaded again"
printf 'x' >>"$rel_bin"
GITHUB_ACTION_REF=v0.1.0 run_action release-tampered '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "release"}'
expect_slimmed release-tampered app.slim.tar app.slim.report.json
expect_eq "release-tampered: requests" "$(wc -l <"$requests")" 2
cmp -s "$rel_bin" "$DOCKERDIFF" || fail "release-tampered: the tool cache does not hold the released executable"
: >"$requests"

note "release: input version over a branch ref, release-url, wget"
RUNNER_TOOL_CACHE=$work/tool-cache-wget DOCKERDIFF_DOWNLOADER=wget GITHUB_ACTION_REF=main run_action release-wget \
  "$(jq -n --arg url "$server/OWNER/dockerdiff/releases/download/v0.1.0/" '{target: "app.tar.gz", base: "base.tar.gz", install: "release", version: "0.1.0", "release-url": $url}')"
expect_slimmed release-wget app.slim.tar app.slim.report.json
expect_eq "release-wget: requests" "$(wc -l <"$requests")" 2
cmp -s "$work/tool-cache-wget/dockerdiff/0.1.0/$here/dockerdiff" "$DOCKERDIFF" || fail "release-wget: not installed"

# expect_release_refused WHAT MESSAGE REF INPUTS_JSON: refused (expect_refused below), nothing in
# the tool cache, no download directory left in RUNNER_TEMP.
expect_release_refused() {
  local what=$1 message=$2 ref=$3 inputs=$4 cache=$work/tool-cache-$1
  RUNNER_TOOL_CACHE=$cache GITHUB_ACTION_REF=$ref expect_refused "$what" "$message" "$inputs"
  expect_eq "$what: executables left" "$(executables "$cache")" ""
  expect_eq "$what: download directories left" "$(downloads_left)" ""
  [ ! -e "$cache/dockerdiff" ] || fail "$what: something was cached: $(find "$cache/dockerdiff")"
}
release_inputs='{"target": "app.tar.gz", "base": "base.tar.gz", "install": "release"}'
: the job fails, says MESSAGE and annotates it.
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
# A docker:REF target names the default output after the image; a docker that fails (a stub;
# DOCKER_HOST names a socket with no daemon, so dockerdiff runs the CLI) fails the job with
# dockerdiff's message about it.
export DOCKER_HOST=unix://$work/no-daemon.sock
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
expect_refused bad-install "input 'install' must be source, release or path, not 'apt'" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "apt"}'
expect_refused bad-path "dockerdiff action: /nonexistent/dockerdiff is not an executable file" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "path", "dockerdiff-path": "/nonexistent/dockerdiff"}'
expect_refused bad-path-name "dockerdiff action: 'no-such-dockerdiff' is not on PATH" '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "path", "dockerdiff-path": "no-such-dockerdiff"}'

: >"$requests"
expect_release_refused release-bad-sum \
  "dockerdiff action: checksum mismatch for $server/OWNER/dockerdiff/releases/download/v0.0.9/dockerdiff-0.0.9-linux-$here: SHA-256 $(sha256sum "$DOCKERDIFF" | cut -d' ' -f1), SHA256SUMS says 00000000" \
  v0.0.9 "$release_inputs"
expect_eq "release-bad-sum: the asset was fetched" "$(grep -c "dockerdiff-0.0.9-linux-$here 200" "$requests")" 1
expect_release_refused release-404 \
  "dockerdiff action: cannot download $server/OWNER/dockerdiff/releases/download/v9.9.9/SHA256SUMS: HTTP 404" v9.9.9 "$release_inputs"
DOCKERDIFF_DOWNLOADER=wget expect_release_refused release-404-wget \
  "dockerdiff action: cannot download $server/OWNER/dockerdiff/releases/download/v9.9.9/SHA256SUMS: HTTP 404 (wget exit 8" v9.9.9 \
  "$release_inputs"
expect_release_refused release-no-line \
  "dockerdiff action: $server/OWNER/dockerdiff/releases/download/v0.0.8/SHA256SUMS has no line for dockerdiff-0.0.8-linux-$here" v0.0.8 "$release_inputs"
expect_eq "release-no-line: the asset was not fetched" "$(grep -c "v0.0.8/dockerdiff-" "$requests" || true)" 0
expect_release_refused release-branch \
  "dockerdiff action: install: release needs a release tag (vX.Y.Z), and the action's ref 'main' is not one: use install: source, or set input 'version' to a release" \
  main "$release_inputs"
expect_release_refused release-sha "the action's ref '54ba1ef0' is not one" 54ba1ef0 "$release_inputs"
expect_release_refused release-no-ref "github.action_ref is empty" "" "$release_inputs"
expect_release_refused release-bad-version "input 'version' 'latest' is not one" v0.1.0 \
  '{"target": "app.tar.gz", "base": "base.tar.gz", "install": "release", "version": "latest"}'
RUNNER_ARCH=X86 expect_release_refused release-arch "has executables for X64 and ARM64 runners, not RUNNER_ARCH 'X86': use install: source" v0.1.0 "$release_inputs"
expect_eq "release refusals: requests" "$(grep -vc -e v0.0.9 -e v9.9.9 -e v0.0.8 "$requests" || true)" 0
note "github action: all cases passed"
