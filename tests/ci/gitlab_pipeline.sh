#!/usr/bin/env bash
# The GitLab template (ci/gitlab/dockerdiff.gitlab-ci.yml) and component (ci/gitlab/templates/
# dockerdiff.yml) in pipelines run by gitlab-ci-local with the shell executor on the example
# archives. One pipeline:
#   slim-matrix     extends .dockerdiff-slim with parallel:matrix (2 jobs), DOCKERDIFF_BIN, defaults
#   slim-path       dockerdiff found on PATH, explicit output and report, --layout keep
#   slim-source     no DOCKERDIFF_BIN, none on PATH: fetches DOCKERDIFF_REF of DOCKERDIFF_REPO (a
#                   local repository of this source tree) and runs ci/build-dockerdiff.sh there,
#                   with cmake stubbed (it records its arguments and "builds" by copying the binary
#                   under test: no compile here); then alone again: the job cache has the binary
#   slim-component  the component included with inputs (two bases, one per line; gzip), beside
#                   the template it includes itself
#   use-dotenv      a later job that needs slim-path: gets the dotenv variables and the artifact
# checked: each job's artifacts (slim archive, report, summary), dotenv values equal to the report,
# metrics lines, and the slim archives pass dockerdiff verify; each job's image (--preview): the
# dockerdiff image of the release with its entrypoint reset, debian:12 where the job sets it. The
# template's job script in the dockerdiff image's environment (busybox sh and applets, dockerdiff on
# PATH, no jq, no bash): dotenv and metrics as jq would write them. Then the component included with
# component: in a project laid out as a catalog project, and the README's two GitLab blocks,
# include rewritten to local:, run as they are.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
work=$(fresh_work)
repo=$work/project
gitlab_repo "$repo"

# A git repository of this source tree for the build-from-source path, at tag dd-test.
srcrepo=$work/dockerdiff-src
mkdir -p "$srcrepo/ci"
cp -r "$SRC/CMakeLists.txt" "$SRC/src" "$srcrepo/"
[ ! -d "$SRC/cmake" ] || cp -r "$SRC/cmake" "$srcrepo/"
cp "$SRC/ci/build-dockerdiff.sh" "$srcrepo/ci/"
git -C "$srcrepo" init -q -b main
git -C "$srcrepo" add -A
git -C "$srcrepo" -c user.name=test -c user.email=test@example.com commit -q -m source
git -C "$srcrepo" tag dd-test

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

cat >"$repo/.gitlab-ci.yml" <<'EOF_YML'
include:
  - local: ci/gitlab/dockerdiff.gitlab-ci.yml
  - local: ci/gitlab/templates/dockerdiff.yml
    inputs:
      job-name: slim-component
      target: images/app.tar.gz
      base: |
        images/base.tar.gz
        images/app-plain.tar
      compress: gzip
      output: out/component.slim.tar.gz
      dockerdiff-bin: $DD_TEST_BIN

stages: [test, use]

slim-matrix:
  extends: .dockerdiff-slim
  parallel:
    matrix:
      - IMAGE: [app.tar.gz, app-plain.tar]
  variables:
    DOCKERDIFF_TARGET: images/$IMAGE
    DOCKERDIFF_BASE: images/base.tar.gz
    DOCKERDIFF_BIN: $DD_TEST_BIN

slim-path:
  extends: .dockerdiff-slim
  before_script:
    - export PATH="$DD_TEST_BIN_DIR:$PATH"
  variables:
    DOCKERDIFF_TARGET: images/app.tar.gz
    DOCKERDIFF_BASE: images/base.tar.gz
    DOCKERDIFF_OUTPUT: out/path.slim.tar
    DOCKERDIFF_REPORT: out/path.report.json
    DOCKERDIFF_LAYOUT: keep

slim-source:
  extends: .dockerdiff-slim
  before_script:
    - export PATH="$DD_TEST_STUB_DIR:$PATH"
  variables:
    DOCKERDIFF_TARGET: images/app-plain.tar
    DOCKERDIFF_BASE: images/base.tar.gz
    DOCKERDIFF_OUTPUT: out/source.slim.tar
    DOCKERDIFF_REPO: $DD_TEST_REPO
    DOCKERDIFF_REF: dd-test
    DOCKERDIFF_BUILD_DEPS: skip
    DOCKERDIFF_IMAGE: debian:12 # the from-source image (the shell executor runs here)

use-dotenv:
  stage: use
  needs: [slim-path]
  script:
    - echo "dotenv saved=$DOCKERDIFF_SAVED_BYTES ratio=$DOCKERDIFF_SAVED_RATIO slim=$DOCKERDIFF_SLIM_PATH report=$DOCKERDIFF_REPORT_PATH"
    - test -s "$DOCKERDIFF_SLIM_PATH"
EOF_YML
gitlab_commit "$repo"

bin_dir=$work/bin
mkdir -p "$bin_dir"
ln -s "$DOCKERDIFF" "$bin_dir/dockerdiff"
vars=(--variable "DD_TEST_BIN=$DOCKERDIFF" --variable "DD_TEST_BIN_DIR=$bin_dir"
  --variable "DD_TEST_STUB_DIR=$stub_dir" --variable "DD_TEST_REPO=file://$srcrepo")

note "pipeline: template (matrix, PATH, from source), component, dotenv consumer"
command -v dockerdiff >/dev/null 2>&1 && fail "a dockerdiff on the test's PATH would hide the from-source path"
glci "$repo" "$work/pipeline.log" "${vars[@]}" || { cat "$work/pipeline.log" >&2; fail "the pipeline failed"; }
for job in slim-component 'slim-matrix: \[app.tar.gz\]' 'slim-matrix: \[app-plain.tar\]' slim-path slim-source use-dotenv; do
  grep -q "PASS  $job" "$work/pipeline.log" || { cat "$work/pipeline.log" >&2; fail "job $job did not pass"; }
done

# expect_job TARGET SLIM REPORT SUMMARY BASES...: the job of TARGET kept SLIM, REPORT and SUMMARY
# as artifacts, its dotenv report agrees with REPORT, its metrics lines too, and SLIM is sound.
expect_job() {
  local target=$1 slim=$2 report=$3 summary=$4
  shift 4
  local art build
  art=$(glci_artifacts "$repo" "$report")
  build=$repo/.gitlab-ci-local/builds/${art##*/}
  local what="job ${art##*/} ($target)"
  [ -s "$art/$slim" ] || fail "$what: no artifact $slim"
  [ -s "$art/$summary" ] || fail "$what: no artifact $summary"
  expect_grep "$what: summary" "$art/$summary" "### dockerdiff: slim image archives"
  local dotenv=$art/.gitlab-ci-reports/dotenv/dockerdiff.env
  [ -s "$dotenv" ] || fail "$what: no dotenv report"
  local bytes ratio
  bytes=$(report_value "$art/$report" saved_bytes)
  ratio=$(report_value "$art/$report" saved_ratio)
  [ "$bytes" -gt 0 ] || fail "$what: nothing saved"
  expect_eq "$what: DOCKERDIFF_SAVED_BYTES" "$(dotenv_value "$dotenv" DOCKERDIFF_SAVED_BYTES)" "$bytes"
  expect_eq "$what: DOCKERDIFF_SAVED_RATIO" "$(dotenv_value "$dotenv" DOCKERDIFF_SAVED_RATIO)" "$ratio"
  expect_eq "$what: DOCKERDIFF_SLIM_PATH" "$(dotenv_value "$dotenv" DOCKERDIFF_SLIM_PATH)" "$slim"
  expect_eq "$what: DOCKERDIFF_REPORT_PATH" "$(dotenv_value "$dotenv" DOCKERDIFF_REPORT_PATH)" "$report"
  local metrics=$build/dockerdiff.metrics.txt
  expect_eq "$what: metrics" "$(cat "$metrics")" "$(printf '%s\n' \
    "dockerdiff_input_bytes{image=\"$target\"} $(report_value "$art/$report" input_bytes)" \
    "dockerdiff_output_bytes{image=\"$target\"} $(report_value "$art/$report" output_bytes)" \
    "dockerdiff_saved_bytes{image=\"$target\"} $bytes" \
    "dockerdiff_saved_ratio{image=\"$target\"} $ratio")"
  local base args=()
  for base in "$@"; do args+=(-b "$repo/$base"); done
  "$DOCKERDIFF" verify "$art/$slim" "${args[@]}" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log" >&2; fail "$what: dockerdiff verify rejects $slim"; }
  note "$what: $slim, $report, $summary; saved $bytes bytes (ratio $ratio)"
}

expect_job images/app.tar.gz dockerdiff/slim-matrix-app-tar-gz.slim.tar dockerdiff/slim-matrix-app-tar-gz.report.json \
  dockerdiff/slim-matrix-app-tar-gz.summary.md images/base.tar.gz
expect_job images/app-plain.tar dockerdiff/slim-matrix-app-plain-tar.slim.tar dockerdiff/slim-matrix-app-plain-tar.report.json \
  dockerdiff/slim-matrix-app-plain-tar.summary.md images/base.tar.gz
expect_job images/app.tar.gz out/path.slim.tar out/path.report.json dockerdiff/slim-path.summary.md images/base.tar.gz
expect_eq "slim-path: layout keep" "$(jq -r '.outputs[0].layout' "$(glci_artifacts "$repo" out/path.report.json)/out/path.report.json")" legacy
expect_job images/app-plain.tar out/source.slim.tar dockerdiff/slim-source.report.json dockerdiff/slim-source.summary.md images/base.tar.gz
expect_job images/app.tar.gz out/component.slim.tar.gz dockerdiff/slim-component.report.json dockerdiff/slim-component.summary.md \
  images/base.tar.gz images/app-plain.tar
component_report=$(glci_artifacts "$repo" dockerdiff/slim-component.report.json)/dockerdiff/slim-component.report.json
expect_eq "slim-component: both bases reached dockerdiff" \
  "$(jq -r '[.images[].layers[].provided_by] | unique | join(",")' "$component_report")" "images/app-plain.tar,images/base.tar.gz"
expect_eq "slim-component: gzip output" "$(od -An -tx1 -N2 "$(glci_artifacts "$repo" dockerdiff/slim-component.report.json)/out/component.slim.tar.gz" | tr -d ' ')" 1f8b

path_report=$(glci_artifacts "$repo" out/path.report.json)/out/path.report.json
expect_grep "use-dotenv: the dotenv variables" "$work/pipeline.log" \
  "dotenv saved=$(report_value "$path_report" saved_bytes) ratio=$(report_value "$path_report" saved_ratio) slim=out/path.slim.tar report=out/path.report.json"
expect_grep "slim-path: dockerdiff from PATH" "$work/pipeline.log" "slim-path > dockerdiff 0.1.0"

# The image each job would run in (the shell executor ignores it): the dockerdiff image of the
# pinned release, its entrypoint reset, unless the job sets DOCKERDIFF_IMAGE (slim-source).
note "images: the merged configuration (gitlab-ci-local --preview)"
(cd "$repo" && "$TOOLS_BIN/gitlab-ci-local" --preview --home "$repo.glci-home" "${vars[@]}") >"$work/preview.yml" 2>"$work/preview.err" ||
  { cat "$work/preview.err" >&2; fail "gitlab-ci-local --preview failed"; }
for job in slim-component slim-matrix slim-path slim-source; do
  # shellcheck disable=SC2016 # the variable as the job has it
  expect_eq "$job: image" "$(yaml_tool get "$work/preview.yml" "$job" image)" '{"name":"$DOCKERDIFF_IMAGE","entrypoint":[""]}'
done
for job in slim-component slim-matrix slim-path; do
  expect_eq "$job: DOCKERDIFF_IMAGE" "$(yaml_tool get "$work/preview.yml" "$job" variables DOCKERDIFF_IMAGE)" '"ghcr.io/OWNER/dockerdiff:0.1.0"'
done
expect_eq "slim-source: DOCKERDIFF_IMAGE" "$(yaml_tool get "$work/preview.yml" slim-source variables DOCKERDIFF_IMAGE)" '"debian:12"'

note "slim-source: built from source (stubbed cmake)"
expect_grep "slim-source: build message" "$work/pipeline.log" "building dd-test of file://$srcrepo"
expect_eq "slim-source: cmake calls" "$(wc -l <"$cmake_log")" 2
expect_grep "slim-source: configure" "$cmake_log" "-G Ninja -DCMAKE_BUILD_TYPE=Release -DDOCKERDIFF_BUILD_TESTS=OFF"
expect_grep "slim-source: configure the fetched tree" "$cmake_log" "/.dockerdiff-cache/src -B "
expect_grep "slim-source: build" "$cmake_log" "/.dockerdiff-cache/build --target dockerdiff"

note "slim-source again: from the job cache, no build"
glci "$repo" "$work/source-again.log" "${vars[@]}" slim-source || { cat "$work/source-again.log" >&2; fail "slim-source failed the second time"; }
expect_grep "slim-source again: cached" "$work/source-again.log" "using the cached build of dd-test"
expect_eq "slim-source again: cmake calls" "$(wc -l <"$cmake_log")" 2

# The default image (ghcr.io/OWNER/dockerdiff, built by scripts/build-image): the static dockerdiff
# on PATH and busybox as /bin/sh, no bash, no jq. The template's job script as that image's shell
# runs it: busybox sh, a PATH of busybox applets and dockerdiff only, the variables the job has.
note "the job script in the dockerdiff image's environment: busybox sh, no jq"
command -v busybox >/dev/null 2>&1 || fail "busybox not found (scripts/install-deps installs busybox-static)"
image_bin=$work/image-env/bin
mkdir -p "$image_bin"
for applet in $(busybox --list); do ln -s "$(command -v busybox)" "$image_bin/$applet"; done
ln -s "$DOCKERDIFF" "$image_bin/dockerdiff"
if [ -e "$image_bin/jq" ] || [ -e "$image_bin/bash" ]; then fail "the image's PATH must have no jq and no bash"; fi
job_script=$work/image-env/job.sh
yaml_tool job-script "$SRC/ci/gitlab/dockerdiff.gitlab-ci.yml" .dockerdiff-slim >"$job_script"
image_ws=$work/image-env/project
mkdir -p "$image_ws/images"
cp "$EXAMPLES/app.tar.gz" "$EXAMPLES/base.tar.gz" "$image_ws/images/"
cp "$EXAMPLES/app.tar.gz" "$image_ws/images/app \"1\".tar.gz" # a label value to escape
(cd "$image_ws" && env -i PATH="$image_bin" HOME="$image_ws" \
  DOCKERDIFF_TARGET='images/app "1".tar.gz' DOCKERDIFF_BASE=images/base.tar.gz DOCKERDIFF_OUTPUT=dockerdiff/job.slim.tar \
  DOCKERDIFF_REPORT=dockerdiff/job.report.json DOCKERDIFF_SUMMARY=dockerdiff/job.summary.md DOCKERDIFF_COMPRESS=none \
  DOCKERDIFF_LAYOUT=auto DOCKERDIFF_BIN= DOCKERDIFF_REPO=https://example.invalid/dockerdiff.git DOCKERDIFF_REF=v0.0.0 \
  busybox sh ../job.sh) >"$work/image-env.log" 2>&1 ||
  { cat "$work/image-env.log" >&2; fail "the job script failed in the image's environment"; }
image_report=$image_ws/dockerdiff/job.report.json
expect_eq "image env: dotenv" "$(cat "$image_ws/dockerdiff.env")" "$(printf '%s\n' \
  "DOCKERDIFF_SAVED_BYTES=$(report_value "$image_report" saved_bytes)" "DOCKERDIFF_SAVED_RATIO=$(report_value "$image_report" saved_ratio)" \
  "DOCKERDIFF_SLIM_PATH=dockerdiff/job.slim.tar" "DOCKERDIFF_REPORT_PATH=dockerdiff/job.report.json")"
expect_eq "image env: metrics (the label escaped as jq's @json would)" "$(cat "$image_ws/dockerdiff.metrics.txt")" "$(jq -r '
  "dockerdiff_input_bytes{image=\("images/app \"1\".tar.gz" | @json)} \(.input_bytes)",
  "dockerdiff_output_bytes{image=\("images/app \"1\".tar.gz" | @json)} \(.output_bytes)",
  "dockerdiff_saved_bytes{image=\("images/app \"1\".tar.gz" | @json)} \(.saved_bytes)",
  "dockerdiff_saved_ratio{image=\("images/app \"1\".tar.gz" | @json)} \(.saved_ratio)"' "$image_report")"
expect_grep "image env: dockerdiff from PATH" "$work/image-env.log" "dockerdiff 0.1.0"
"$DOCKERDIFF" verify "$image_ws/dockerdiff/job.slim.tar" -b "$image_ws/images/base.tar.gz" >/dev/null 2>&1 || fail "image env: the slim archive is not sound"
note "image env: saved $(report_value "$image_report" saved_bytes) bytes; dotenv and metrics without jq"
# A report without the numbers (not dockerdiff's) fails the job with one line, not empty values.
sed 's/^  "saved_ratio"/  "saved_share"/' "$image_report" >"$work/image-env/odd.json"
# A stand-in dockerdiff that writes that report (and an empty summary).
cat >"$work/image-env/odd-dockerdiff" <<STUB
#!/bin/sh
[ "\$1" != --version ] || { echo "dockerdiff 0.1.0"; exit 0; }
while [ \$# -gt 0 ]; do
  case \$1 in --report) cp '$work/image-env/odd.json' "\$2" ;; --summary) : >"\$2" ;; esac
  shift
done
STUB
chmod +x "$work/image-env/odd-dockerdiff"
status=0
(cd "$image_ws" && env -i PATH="$image_bin" HOME="$image_ws" DOCKERDIFF_TARGET=images/app.tar.gz DOCKERDIFF_BASE=images/base.tar.gz \
  DOCKERDIFF_OUTPUT=odd/job.slim.tar DOCKERDIFF_REPORT=odd/job.report.json DOCKERDIFF_SUMMARY=odd/job.summary.md \
  DOCKERDIFF_COMPRESS=none DOCKERDIFF_LAYOUT=auto DOCKERDIFF_BIN="$work/image-env/odd-dockerdiff" \
  busybox sh ../job.sh) >"$work/image-env-odd.log" 2>&1 || status=$?
[ "$status" != 0 ] || { cat "$work/image-env-odd.log" >&2; fail "image env: a report without saved_ratio passed"; }
expect_grep "image env: no number" "$work/image-env-odd.log" "dockerdiff job: odd/job.report.json has no number saved_ratio (not a dockerdiff report?)"

# The component: entry point. A project laid out as a catalog project (the component in templates/
# at its root, the template at the path the component includes) includes its own component at the
# pipeline's commit, the way GitLab's documentation tests a component in its project; the
# component's include:local then resolves in that project (gitlab-ci-local does as GitLab does).
note "pipeline: the component from a catalog project (include: component:)"
catalog=$work/catalog
gitlab_repo "$catalog"
mkdir -p "$catalog/templates"
mv "$catalog/ci/gitlab/templates/dockerdiff.yml" "$catalog/templates/"
rmdir "$catalog/ci/gitlab/templates"
cat >"$catalog/.gitlab-ci.yml" <<'EOF_YML'
include:
  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/dockerdiff@$CI_COMMIT_SHA
    inputs:
      job-name: slim-catalog
      target: images/app.tar.gz
      base: images/base.tar.gz
      dockerdiff-bin: $DD_TEST_BIN
EOF_YML
gitlab_commit "$catalog"
glci "$catalog" "$work/catalog.log" --variable "DD_TEST_BIN=$DOCKERDIFF" ||
  { cat "$work/catalog.log" >&2; fail "the catalog project's pipeline failed"; }
grep -q "PASS  slim-catalog" "$work/catalog.log" || { cat "$work/catalog.log" >&2; fail "job slim-catalog did not pass"; }
# expect_job reads the project from $repo.
repo=$catalog expect_job images/app.tar.gz dockerdiff/slim-catalog.slim.tar dockerdiff/slim-catalog.report.json \
  dockerdiff/slim-catalog.summary.md images/base.tar.gz

# The README's blocks, as a user copies them, include rewritten to the local copy; the images the
# README's build job would write are put in images/ (example archives under those names).
note "README: the template block with parallel:matrix"
readme=$work/readme
gitlab_repo "$readme"
cp "$EXAMPLES/base.tar.gz" "$readme/images/base.tar"
cp "$EXAMPLES/app.tar.gz" "$readme/images/api.tar"
gzip -dc "$EXAMPLES/app.tar.gz" >"$readme/images/worker.tar"
rewrite='s|remote: https://raw.githubusercontent.com/OWNER/dockerdiff/v0.1.0/|local: |'
readme_block gitlab-template | sed "$rewrite" >"$readme/template.gitlab-ci.yml"
grep -q 'local: ci/gitlab/dockerdiff.gitlab-ci.yml' "$readme/template.gitlab-ci.yml" || fail "README gitlab-template block: no include to rewrite"
# The component block includes with project: (from a copy of this repository on the GitLab
# instance): its file becomes the local one.
{
  echo "stages: [slim]"
  readme_block gitlab-component | sed -e '/^  - project: OWNER\/dockerdiff/d' -e '/^    ref: v0.1.0$/d' -e 's|^    file: |  - local: |'
} >"$readme/component.gitlab-ci.yml"
grep -q 'local: ci/gitlab/templates/dockerdiff.yml' "$readme/component.gitlab-ci.yml" || fail "README gitlab-component block: no include to rewrite"
gitlab_commit "$readme"
# dockerdiff on PATH, as in a runner image that has it.
PATH=$bin_dir:$PATH glci "$readme" "$work/readme-template.log" --file template.gitlab-ci.yml --stage slim ||
  { cat "$work/readme-template.log" >&2; fail "the README's template block failed"; }
for image in api worker; do
  art=$(glci_artifacts "$readme" "slim/$image.report.json")
  [ -s "$art/slim/$image.slim.tar" ] || fail "README template block: no slim/$image.slim.tar"
  "$DOCKERDIFF" verify "$art/slim/$image.slim.tar" -b "$readme/images/base.tar" >/dev/null 2>&1 || fail "README template block: slim/$image.slim.tar is not sound"
  note "README template block: slim: [$image] -> slim/$image.slim.tar, saved $(report_value "$art/slim/$image.report.json" saved_bytes) bytes"
done

note "README: the component block"
PATH=$bin_dir:$PATH glci "$readme" "$work/readme-component.log" --file component.gitlab-ci.yml ||
  { cat "$work/readme-component.log" >&2; fail "the README's component block failed"; }
art=$(glci_artifacts "$readme" dockerdiff/slim-api.report.json)
[ -s "$art/slim/api.slim.tar.zst" ] || fail "README component block: no slim/api.slim.tar.zst"
"$DOCKERDIFF" verify "$art/slim/api.slim.tar.zst" -b "$readme/images/base.tar" >/dev/null 2>&1 || fail "README component block: slim/api.slim.tar.zst is not sound"
note "README component block: slim-api -> slim/api.slim.tar.zst, saved $(report_value "$art/dockerdiff/slim-api.report.json" saved_bytes) bytes"
note "gitlab pipeline: all checks passed"
