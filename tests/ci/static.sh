#!/usr/bin/env bash
# Static checks of ci/:
#   ShellCheck on every script of ci/, tests/ci/, tests/shell/ (the shared assertions), tests/dist/,
#   scripts/install-ci-tools, scripts/build-static, scripts/install-static-isal and scripts/build-image, and on the job
#   script of the GitLab template (POSIX sh: the job's image may lack bash; the component includes
#   the template and has no script of its own)
#   the scripts that action.yml and the template run directly are executable
#   the pinned ref of the GitLab files is v<the project's version>, their image that version's
#   dockerdiff image with the entrypoint reset, and the job script needs no jq
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
work=$(fresh_work)

mapfile -t scripts < <(cd "$SRC" && find ci tests/ci tests/shell tests/dist -name node_modules -prune -o -name '*.sh' -type f -print | sort)
scripts+=(scripts/install-ci-tools scripts/build-static scripts/install-static-isal scripts/build-image)
(cd "$SRC" && shellcheck -x "${scripts[@]}") || fail "shellcheck: ${scripts[*]}"
note "shellcheck: ${#scripts[@]} scripts"

template=$SRC/ci/gitlab/dockerdiff.gitlab-ci.yml
component=$SRC/ci/gitlab/templates/dockerdiff.yml
out=$work/dockerdiff-slim.sh
yaml_tool job-script "$template" .dockerdiff-slim >"$out"
shellcheck -s sh "$out" || fail "shellcheck of the job script of .dockerdiff-slim in $template (extracted to $out)"
note "shellcheck -s sh: the job script of ${template#"$SRC"/}"
# One definition of the job: the component brings in the template's, it has none of its own.
expect_grep "the component's include of the template" "$component" "  - local: /ci/gitlab/dockerdiff.gitlab-ci.yml"
if grep -q '^\.dockerdiff-slim:' "$component"; then fail "$component defines .dockerdiff-slim: it must include the template's"; fi
note "the component includes the template's .dockerdiff-slim"

for file in ci/github-action/dockerdiff-action.sh ci/build-dockerdiff.sh scripts/install-ci-tools; do
  [ -x "$SRC/$file" ] || fail "$file must be executable (action.yml and the build run it directly)"
done

version=$(sed -n 's/^project(dockerdiff VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project(dockerdiff VERSION ...) in CMakeLists.txt"
expect_grep "the template's pinned ref" "$template" "DOCKERDIFF_REF: v$version"
[ "$(grep -c "default: v$version\$" "$component")" = 1 ] || fail "the component's input ref must default to v$version"
note "pinned ref: v$version"
# The job runs in the dockerdiff image of that release, its entrypoint (dockerdiff) reset for the
# runner's shell.
# shellcheck disable=SC2016 # the variable as the template writes it
expect_eq "the template's job image" "$(yaml_tool get "$template" .dockerdiff-slim image)" '{"name":"$DOCKERDIFF_IMAGE","entrypoint":[""]}'
expect_eq "the template's pinned image" "$(yaml_tool get "$template" .dockerdiff-slim variables DOCKERDIFF_IMAGE)" "\"ghcr.io/OWNER/dockerdiff:$version\""
[ "$(grep -c "default: ghcr.io/OWNER/dockerdiff:$version\$" "$component")" = 1 ] || fail "the component's input image must default to ghcr.io/OWNER/dockerdiff:$version"
note "pinned image: ghcr.io/OWNER/dockerdiff:$version, entrypoint reset"
# The job script needs no jq (the dockerdiff image has none).
if yaml_tool job-script "$template" .dockerdiff-slim | grep -qw jq; then fail "the job script of $template uses jq: the dockerdiff image has none"; fi
