#!/usr/bin/env bash
# The GitLab template's failures and its off switch, with gitlab-ci-local (shell executor):
#   bad inputs fail the job with a clear message: a missing target and an unreadable base with
#   dockerdiff's own one-line message, missing or invalid variables with the job's; no dotenv
#   report and no slim archive are left
#   DOCKERDIFF_DISABLED=true or 1 removes the jobs (rules: when: never); other values keep them
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
work=$(fresh_work)
repo=$work/project
gitlab_repo "$repo"

cat >"$repo/.gitlab-ci.yml" <<'EOF_YML'
include:
  - local: ci/gitlab/dockerdiff.gitlab-ci.yml

.bad:
  extends: .dockerdiff-slim
  variables:
    DOCKERDIFF_TARGET: images/app.tar.gz
    DOCKERDIFF_BASE: images/base.tar.gz
    DOCKERDIFF_BIN: $DD_TEST_BIN
    DOCKERDIFF_OUTPUT: out/slim.tar

missing-target:
  extends: .bad
  variables:
    DOCKERDIFF_TARGET: images/missing.tar

unreadable-base:
  extends: .bad
  variables:
    DOCKERDIFF_BASE: |
      images/base.tar.gz
      images/junk.tar

no-target:
  extends: .bad
  variables:
    DOCKERDIFF_TARGET: ""

no-base:
  extends: .bad
  variables:
    DOCKERDIFF_BASE: ""

bad-compress:
  extends: .bad
  variables:
    DOCKERDIFF_COMPRESS: lz4

missing-bin:
  extends: .bad
  variables:
    DOCKERDIFF_BIN: /nonexistent/dockerdiff
EOF_YML
gitlab_commit "$repo"

# The tool's own one-line message for these arguments, run in the project.
tool_message() {
  (cd "$repo" && "$DOCKERDIFF" "$@" -o "$work/probe.tar" 2>&1 >/dev/null | tail -n 1) || true
}
msg_target=$(tool_message slim images/missing.tar -b images/base.tar.gz)
expect_eq "the tool's message for a missing target" "$msg_target" "dockerdiff: images/missing.tar: no such file or directory"
msg_base=$(tool_message slim images/app.tar.gz -b images/base.tar.gz -b images/junk.tar)
case $msg_base in "dockerdiff: images/junk.tar: "*) ;; *) fail "unexpected message of the tool for an unreadable base: $msg_base" ;; esac

note "bad inputs: every job must fail"
if glci "$repo" "$work/bad.log" --variable "DD_TEST_BIN=$DOCKERDIFF"; then
  cat "$work/bad.log" >&2
  fail "the pipeline of bad inputs passed"
fi
# expect_failed JOB MESSAGE
expect_failed() {
  grep -q "FAIL  $1" "$work/bad.log" || { cat "$work/bad.log" >&2; fail "job $1 did not fail"; }
  grep -F "$1 > " "$work/bad.log" | grep -qF -- "$2" || { cat "$work/bad.log" >&2; fail "job $1: no '$2' in its log"; }
  [ ! -e "$repo/.gitlab-ci-local/builds/$1/dockerdiff.env" ] || fail "job $1 left a dotenv report"
  [ ! -e "$repo/.gitlab-ci-local/builds/$1/out/slim.tar" ] || fail "job $1 left a slim archive"
  note "$1: failed: $2"
}
expect_failed missing-target "$msg_target"
expect_failed unreadable-base "$msg_base"
expect_failed no-target "dockerdiff job: DOCKERDIFF_TARGET is required"
expect_failed no-base "dockerdiff job: DOCKERDIFF_BASE is required"
expect_failed bad-compress "dockerdiff job: DOCKERDIFF_COMPRESS must be none, gzip or zstd, not 'lz4'"
expect_failed missing-bin "dockerdiff job: DOCKERDIFF_BIN=/nonexistent/dockerdiff is not an executable file"

note "DOCKERDIFF_DISABLED"
cat >"$repo/switch.gitlab-ci.yml" <<'EOF_YML'
include:
  - local: ci/gitlab/dockerdiff.gitlab-ci.yml
  - local: ci/gitlab/templates/dockerdiff.yml
    inputs:
      job-name: slim-component
      target: images/app.tar.gz
      base: images/base.tar.gz

slim-template:
  extends: .dockerdiff-slim
  variables:
    DOCKERDIFF_TARGET: images/app.tar.gz
    DOCKERDIFF_BASE: images/base.tar.gz

other:
  script: [echo other]
EOF_YML
gitlab_commit "$repo"
for value in true 1 false ""; do
  glci "$repo" "$work/list.log" --file switch.gitlab-ci.yml --list --variable "DOCKERDIFF_DISABLED=$value" ||
    { cat "$work/list.log" >&2; fail "gitlab-ci-local --list failed"; }
  grep -q '^other ' "$work/list.log" || { cat "$work/list.log" >&2; fail "--list shows no job 'other'"; }
  listed=$(grep -cE '^slim-(template|component) ' "$work/list.log" || true)
  case $value in true | 1) expect_eq "DOCKERDIFF_DISABLED=$value: slim jobs" "$listed" 0 ;; *) expect_eq "DOCKERDIFF_DISABLED=$value: slim jobs" "$listed" 2 ;; esac
  note "DOCKERDIFF_DISABLED='$value': $listed slim jobs"
done
note "gitlab negative: all checks passed"
