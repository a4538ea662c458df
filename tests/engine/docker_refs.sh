#!/bin/bash
# docker_refs.sh ENGINE (a dockerd, see lib.sh): dockerdiff reads the target and the base from the engine itself
# (docker:REF), through the `docker` client first in PATH and DOCKER_HOST (the private
# dockerd); the output loads where only the bases are and gives the original images.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
work=$(case_dir "docker-refs-$ENGINE")
trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
command -v docker >/dev/null || fail "no docker client in PATH (dockerdiff runs \`docker\`)"
note "dockerdiff runs $(command -v docker) ($(docker version -f '{{.Client.Version}}'), server $(docker version -f '{{.Server.Version}}'))"

docker_reset_to_bases
dk load -q -i "$IMAGES/legacy/multi.tar" >/dev/null
"$DOCKERDIFF" slim docker:app1:1 -b docker:base:1 -o "$work/app1.tar" --report "$work/app1.json" -q || fail "dockerdiff slim docker:app1:1 failed"
"$DOCKERDIFF" slim docker:app2:1 -b docker:base2:1 -o "$work/app2.tar" --report "$work/app2.json" -q || fail "dockerdiff slim docker:app2:1 failed"
expect_eq "layers dropped from docker:app1:1 against docker:base:1" "$(grep -Ec '"dropped": *true' "$work/app1.json" || true)" 1
expect_eq "layers dropped from docker:app2:1 against docker:base2:1" "$(grep -Ec '"dropped": *true' "$work/app2.json" || true)" 2
expect_eq "layout of the output of docker:app1:1" "$(layout_of "$work/app1.tar")" docker25

docker_reset_to_bases
for app in app1 app2; do
  dk load -i "$work/$app.tar" || fail "docker load of $work/$app.tar failed"
  docker_check "$app" legacy
done
docker_reset_to_bases
rm -rf "$work"
note "docker refs: ok"
