#!/usr/bin/env bash
# The logic of the dockerdiff GitHub Action (action.yml beside this file); every input arrives
# through the environment, never through the command line of a `run:`.
#
#   dockerdiff-action.sh prepare   validate the inputs; for install: source, print the cache key
#                                  and directory of the built binary (outputs cache-key, cache-dir)
#   dockerdiff-action.sh slim      validate again, find or build dockerdiff, slim, and write the
#                                  outputs (slim-path, report-path, saved-bytes, saved-ratio) and the
#                                  Markdown summary to $GITHUB_STEP_SUMMARY
#
# Inputs (environment):
#   DOCKERDIFF_TARGET    required: an image archive, an OCI layout directory, or docker:REF / podman:REF
#   DOCKERDIFF_BASE      required: one base per line (archive, OCI layout, docker:REF, inventory JSON)
#   DOCKERDIFF_OUTPUT    the slim archive (default: NAME.slim.tar from the target, .gz / .zst when compressed)
#   DOCKERDIFF_REPORT    the JSON report (default: the output without .tar... plus .report.json)
#   DOCKERDIFF_COMPRESS  none | gzip | zstd (default none)
#   DOCKERDIFF_LAYOUT    auto | keep (default auto)
#   DOCKERDIFF_INSTALL   source (build from the action's tree, binary cached) | path (default source)
#   DOCKERDIFF_BIN       with install: path, the dockerdiff to run (a path or a name on PATH)
# Runner environment: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
source_dir=$(cd "$action_dir/../.." && pwd)

# annotate MESSAGE: an error annotation on the run (workflow command, escaped).
annotate() {
  local msg=$*
  msg=${msg//'%'/'%25'}
  msg=${msg//$'\r'/'%0D'}
  msg=${msg//$'\n'/'%0A'}
  printf '::error title=dockerdiff::%s\n' "$msg"
}

# fail MESSAGE: the annotation and the message on stderr, then exit 1.
fail() {
  annotate "$*"
  printf '%s\n' "$*" >&2
  exit 1
}

need_env() {
  local name
  for name in "$@"; do
    [ -n "${!name:-}" ] || fail "dockerdiff action: $name is not set (run this script from action.yml on a runner)"
  done
}

# one_line NAME VALUE: inputs that become outputs or file names must be one line.
one_line() {
  case $2 in *$'\n'* | *$'\r'*) fail "dockerdiff action: input '$1' must be a single line" ;; esac
}

target=''
output=''
report=''
compress=''
layout=''
install=''
bases=()

validate() {
  target=${DOCKERDIFF_TARGET:-}
  [ -n "$target" ] || fail "dockerdiff action: input 'target' is required (an image archive, an OCI layout directory, or docker:REF)"
  one_line target "$target"

  local line
  bases=()
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [ -z "$line" ] || bases+=("$line")
  done <<<"${DOCKERDIFF_BASE:-}"
  [ ${#bases[@]} -gt 0 ] || fail "dockerdiff action: input 'base' is required (one base per line: archive, OCI layout, docker:REF or inventory JSON)"

  compress=${DOCKERDIFF_COMPRESS:-none}
  case $compress in none | gzip | zstd) ;; *) fail "dockerdiff action: input 'compress' must be none, gzip or zstd, not '$compress'" ;; esac
  layout=${DOCKERDIFF_LAYOUT:-auto}
  case $layout in auto | keep) ;; *) fail "dockerdiff action: input 'layout' must be auto or keep, not '$layout'" ;; esac
  install=${DOCKERDIFF_INSTALL:-source}
  case $install in source | path) ;; *) fail "dockerdiff action: input 'install' must be source or path, not '$install'" ;; esac

  output=${DOCKERDIFF_OUTPUT:-}
  if [ -z "$output" ]; then
    local name=${target#docker:}
    name=${name#podman:}
    while [ "${name%/}" != "$name" ]; do name=${name%/}; done
    name=${name##*/}
    local ext
    for ext in .tar.gz .tar.zst .tar.xz .tar.bz2 .tgz .tar; do name=${name%"$ext"}; done
    name=${name//[:@]/-}
    [ -n "$name" ] || fail "dockerdiff action: cannot name the output after target '$target'; set input 'output'"
    output=$name.slim.tar
    case $compress in gzip) output=$output.gz ;; zstd) output=$output.zst ;; esac
  fi
  one_line output "$output"
  report=${DOCKERDIFF_REPORT:-${output%.tar*}.report.json}
  one_line report "$report"
}

# cache_key: sets key, what the built binary depends on (the sources and the build script, the
# OS, the machine), so that a cached binary is reused only where it was built from the same tree.
key=''
cache_key() {
  local os=unknown sum
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091 # the runner's
    os=$(. /etc/os-release && printf '%s-%s' "${ID:-linux}" "${VERSION_ID:-0}")
  fi
  local paths=() path
  for path in CMakeLists.txt cmake src ci/build-dockerdiff.sh; do
    [ ! -e "$source_dir/$path" ] || paths+=("$path")
  done
  sum=$(cd "$source_dir" && find "${paths[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20) ||
    fail "dockerdiff action: cannot hash the source tree $source_dir"
  key=dockerdiff-$os-$(uname -m)-$sum
}

# find_dockerdiff: sets bin, the binary to run, built into the cache directory when it is not
# there yet (a function that sets a variable, not $(...), so that fail exits the script).
bin=''
find_dockerdiff() {
  if [ "$install" = path ]; then
    bin=${DOCKERDIFF_BIN:-dockerdiff}
    if [ "${bin#*/}" = "$bin" ]; then
      command -v "$bin" >/dev/null 2>&1 || fail "dockerdiff action: '$bin' is not on PATH (input dockerdiff-path, install: path)"
      bin=$(command -v "$bin")
    fi
    if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
      fail "dockerdiff action: $bin is not an executable file (input dockerdiff-path, install: path)"
    fi
    return
  fi
  if [ ! -f "$source_dir/CMakeLists.txt" ] || [ ! -x "$source_dir/ci/build-dockerdiff.sh" ]; then
    fail "dockerdiff action: $source_dir is not the dockerdiff source tree; use install: path"
  fi
  local dir=$RUNNER_TEMP/dockerdiff-cache
  bin=$dir/bin/dockerdiff
  cache_key
  if [ -x "$bin" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
    printf 'dockerdiff action: using the cached %s\n' "$bin" >&2
    # A fresh runner may lack the libraries it links to: the build dependencies bring them.
    "$bin" --version >/dev/null 2>&1 || "$source_dir/ci/build-dockerdiff.sh" --deps-only ||
      fail "dockerdiff action: cannot install the libraries the cached dockerdiff needs"
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    DOCKERDIFF_BUILD_DIR=$RUNNER_TEMP/dockerdiff-build "$source_dir/ci/build-dockerdiff.sh" "$source_dir" "$dir" >/dev/null ||
      fail "dockerdiff action: building dockerdiff from $source_dir failed (see the log above)"
    printf '%s\n' "$key" >"$dir/key"
  fi
}

prepare() {
  need_env GITHUB_OUTPUT RUNNER_TEMP
  validate
  if [ "$install" = source ]; then
    cache_key
    printf 'cache-key=%s\ncache-dir=%s\n' "$key" "$RUNNER_TEMP/dockerdiff-cache" >>"$GITHUB_OUTPUT"
  fi
}

slim() {
  need_env GITHUB_OUTPUT GITHUB_STEP_SUMMARY RUNNER_TEMP
  validate
  command -v jq >/dev/null 2>&1 || fail "dockerdiff action: jq is needed to read the report (apt-get install jq)"
  find_dockerdiff

  local args=(slim "$target") base
  for base in "${bases[@]}"; do args+=(-b "$base"); done
  args+=(-o "$output" --layout "$layout" --compress "$compress" --report "$report")
  local summary log
  summary=$(mktemp "$RUNNER_TEMP/dockerdiff-summary.XXXXXX")
  log=$(mktemp "$RUNNER_TEMP/dockerdiff-log.XXXXXX")
  args+=(--summary "$summary")
  mkdir -p "$(dirname "$output")" "$(dirname "$report")"

  printf 'dockerdiff'
  printf ' %q' "${args[@]}"
  printf '\n'
  local status=0
  "$bin" "${args[@]}" 2>"$log" || status=$?
  cat "$log" >&2
  if [ "$status" != 0 ]; then
    # dockerdiff says what is wrong in one line (the last one on stderr): the annotation.
    annotate "$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)"
    printf 'dockerdiff action: dockerdiff slim exited %s\n' "$status" >&2
    exit 1
  fi

  local saved_bytes saved_ratio
  saved_bytes=$(jq -er '.saved_bytes' "$report") || fail "dockerdiff action: $report has no saved_bytes"
  saved_ratio=$(jq -er '.saved_ratio' "$report") || fail "dockerdiff action: $report has no saved_ratio"
  {
    printf 'slim-path=%s\n' "$output"
    printf 'report-path=%s\n' "$report"
    printf 'saved-bytes=%s\n' "$saved_bytes"
    printf 'saved-ratio=%s\n' "$saved_ratio"
  } >>"$GITHUB_OUTPUT"
  {
    cat "$summary"
    printf '\n'
  } >>"$GITHUB_STEP_SUMMARY"
  rm -f "$summary" "$log"
  printf 'dockerdiff action: %s: saved %s bytes (ratio %s); report %s\n' "$output" "$saved_bytes" "$saved_ratio" "$report"
}

case ${1:-} in
  prepare) prepare ;;
  slim) slim ;;
  *) fail "usage: dockerdiff-action.sh prepare|slim" ;;
esac
