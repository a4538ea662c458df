#!/usr/bin/env bash
# The logic of the dockerdiff GitHub Action (action.yml beside this file); every input arrives
# through the environment, never through the command line of a `run:`.
#
#   dockerdiff-action.sh prepare   validate the inputs; for install: source or release, print the
#                                  cache key and directory of the binary (outputs cache-key, cache-dir)
#   dockerdiff-action.sh slim      validate again, find, build or download dockerdiff, slim, and write the
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
#   DOCKERDIFF_INSTALL   source (build from the action's tree, binary cached) | release (download
#                        the static executable of a release, SHA-256 checked, cached) | path
#                        (default source)
#   DOCKERDIFF_BIN       with install: path, the dockerdiff to run (a path or a name on PATH)
#   DOCKERDIFF_VERSION   with install: release, the release tag (vX.Y.Z; default the action's ref)
#   DOCKERDIFF_RELEASE_URL with install: release, the URL the assets are under (default
#                        $GITHUB_SERVER_URL/<the action's repository>/releases/download/TAG)
#   DOCKERDIFF_ACTION_REF, DOCKERDIFF_ACTION_REPOSITORY   ${{ github.action_ref }} and
#                        ${{ github.action_repository }}: the runner leaves GITHUB_ACTION_REF and
#                        GITHUB_ACTION_REPOSITORY empty in a composite action's run: steps
#                        (actions/runner#2473), so action.yml passes them; those are the fallback
# Runner environment: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH; for
# install: release also GITHUB_SERVER_URL, RUNNER_ARCH, RUNNER_OS, RUNNER_TOOL_CACHE.
#
# Release assets (what .github/workflows/release.yml publishes, per tag vX.Y.Z):
#   dockerdiff-X.Y.Z-linux-amd64, dockerdiff-X.Y.Z-linux-arm64   the static executables
#   SHA256SUMS                                                   `sha256sum` lines of every asset
# The download lands in a private directory of RUNNER_TEMP, is checked against its SHA256SUMS line,
# and only then made executable and moved to RUNNER_TOOL_CACHE/dockerdiff/X.Y.Z/ARCH/dockerdiff
# (with the sum beside it, checked again on reuse), which the actions/cache step keeps.
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
  case $install in source | release | path) ;; *) fail "dockerdiff action: input 'install' must be source, release or path, not '$install'" ;; esac
  [ "$install" != release ] || release_target

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

# release_target: for install: release, sets tag (vX.Y.Z), version (X.Y.Z), arch (amd64 | arm64),
# asset, base_url and release_dir (the cache directory of the executable), or fails with one line.
tag=''
version=''
arch=''
asset=''
base_url=''
release_dir=''
release_target() {
  tag=${DOCKERDIFF_VERSION:-}
  local from="input 'version'"
  if [ -z "$tag" ]; then
    tag=${DOCKERDIFF_ACTION_REF:-${GITHUB_ACTION_REF:-}}
    from="the action's ref"
    [ -n "$tag" ] || fail "dockerdiff action: install: release needs the version to download, and the action's ref is unknown (github.action_ref is empty, e.g. a local action): set input 'version' (e.g. v0.1.0) or use install: source"
  fi
  local given=$tag
  [[ ! $tag =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || tag=v$tag # a version: its tag
  if ! [[ $tag =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
    fail "dockerdiff action: install: release needs a release tag (vX.Y.Z), and $from '$given' is not one: use install: source, or set input 'version' to a release"
  fi
  version=${tag#v}

  if [ -n "${RUNNER_OS:-}" ] && [ "$RUNNER_OS" != Linux ]; then
    fail "dockerdiff action: install: release has executables for Linux only, not RUNNER_OS '$RUNNER_OS'"
  fi
  local machine=${RUNNER_ARCH:-}
  if [ -z "$machine" ]; then
    case $(uname -m) in x86_64) machine=X64 ;; aarch64 | arm64) machine=ARM64 ;; *) machine=$(uname -m) ;; esac
  fi
  case $machine in
    X64) arch=amd64 ;;
    ARM64) arch=arm64 ;;
    *) fail "dockerdiff action: install: release has executables for X64 and ARM64 runners, not RUNNER_ARCH '$machine': use install: source" ;;
  esac
  asset=dockerdiff-$version-linux-$arch

  base_url=${DOCKERDIFF_RELEASE_URL:-}
  if [ -z "$base_url" ]; then
    local repository=${DOCKERDIFF_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}
    [ -n "$repository" ] ||
      fail "dockerdiff action: install: release cannot tell the action's repository (github.action_repository is empty): set input 'release-url'"
    base_url=${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/$tag
  fi
  one_line release-url "$base_url"
  base_url=${base_url%/}
  release_dir=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?}/tool-cache}/dockerdiff/$version/$arch
}

# download URL FILE: fetches URL into FILE with curl, else wget (DOCKERDIFF_DOWNLOADER=curl|wget
# chooses); fails with one line naming the URL and the HTTP status.
download() {
  local url=$1 file=$2 tool=${DOCKERDIFF_DOWNLOADER:-}
  if [ -z "$tool" ]; then
    if command -v curl >/dev/null 2>&1; then tool=curl; elif command -v wget >/dev/null 2>&1; then tool=wget; fi
  fi
  case $tool in
    curl)
      local code
      code=$(curl -sSL --retry 2 --connect-timeout 20 -o "$file" -w '%{http_code}' "$url") ||
        fail "dockerdiff action: cannot download $url (curl exit $?)"
      [ "$code" = 200 ] || fail "dockerdiff action: cannot download $url: HTTP $code (is $tag released, with $asset?)"
      ;;
    wget)
      local err status=0
      err=$(wget -q -S -O "$file" "$url" 2>&1) || status=$?
      if [ "$status" != 0 ]; then
        local code
        code=$(printf '%s\n' "$err" | sed -n 's/^ *HTTP\/[0-9.]* \([0-9]*\).*/\1/p' | tail -n 1)
        fail "dockerdiff action: cannot download $url: ${code:+HTTP $code }(wget exit $status; is $tag released, with $asset?)"
      fi
      ;;
    *) fail "dockerdiff action: install: release needs curl or wget" ;;
  esac
}

# install_release: sets bin, the release's executable, from the cache directory or downloaded,
# checked against SHA256SUMS before it is made executable and moved into place.
download_dir=''
cleanup_download() {
  [ -z "$download_dir" ] || rm -rf "$download_dir"
}
install_release() {
  bin=$release_dir/dockerdiff
  local stamp=$release_dir/dockerdiff.sha256
  if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(sed -n 2p "$stamp")" = "$base_url/$asset" ] &&
    [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$(sed -n 1p "$stamp")" ]; then
    printf 'dockerdiff action: using the cached %s (%s)\n' "$bin" "$asset" >&2
    return
  fi
  download_dir=$(mktemp -d "$RUNNER_TEMP/dockerdiff-download.XXXXXX")
  trap cleanup_download EXIT
  printf 'dockerdiff action: downloading %s/%s\n' "$base_url" "$asset" >&2
  download "$base_url/SHA256SUMS" "$download_dir/SHA256SUMS"
  local want got
  want=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1; exit }' "$download_dir/SHA256SUMS")
  [ -n "$want" ] || fail "dockerdiff action: $base_url/SHA256SUMS has no line for $asset"
  [[ $want =~ ^[0-9a-f]{64}$ ]] || fail "dockerdiff action: $base_url/SHA256SUMS has no SHA-256 for $asset, but '$want'"
  download "$base_url/$asset" "$download_dir/$asset"
  got=$(sha256sum "$download_dir/$asset" | cut -d' ' -f1)
  [ "$got" = "$want" ] ||
    fail "dockerdiff action: checksum mismatch for $base_url/$asset: SHA-256 $got, SHA256SUMS says $want (not installed)"
  chmod 755 "$download_dir/$asset"
  "$download_dir/$asset" --version >/dev/null 2>&1 ||
    fail "dockerdiff action: the downloaded $asset does not run here (not installed)"
  mkdir -p "$release_dir"
  rm -f "$stamp"
  cp "$download_dir/$asset" "$release_dir/.dockerdiff.partial"
  mv -f "$release_dir/.dockerdiff.partial" "$bin"
  printf '%s\n%s\n' "$got" "$base_url/$asset" >"$stamp"
  cleanup_download
  download_dir=''
  printf 'dockerdiff action: installed %s (SHA-256 %s) as %s\n' "$asset" "$got" "$bin" >&2
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
  if [ "$install" = release ]; then
    install_release
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
  elif [ "$install" = release ]; then
    printf 'cache-key=%s\ncache-dir=%s\n' "dockerdiff-release-$version-linux-$arch" "$release_dir" >>"$GITHUB_OUTPUT"
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
