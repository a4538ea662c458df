#!/bin/bash
# docker_refs.sh ENGINE (a dockerd, see lib.sh): dockerdiff reads the target and the base from the engine itself
# (docker:REF): from the daemon's socket where DOCKER_HOST names one (the private dockerd), through
# the `docker` client first in PATH for a context; both give the same bytes, and the output loads
# where only the bases are and gives the original images. A missing image: one line, exit 1.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
work=$(case_dir "docker-refs-$ENGINE")
trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
command -v docker >/dev/null || fail "no docker client in PATH (dockerdiff runs \`docker\`)"
note "dockerdiff runs $(command -v docker) ($(docker version -f '{{.Client.Version}}'), server $(docker version -f '{{.Server.Version}}'))"

# same_members A B: the two archives hold the same members with the same contents (Docker 25+'s
# classic store stamps each save with its own time, so the bytes of two saves differ).
same_members() {
  local dir=$work/members
  rm -rf "$dir"
  mkdir -p "$dir/a" "$dir/b"
  tar -xf "$1" -C "$dir/a" && tar -xf "$2" -C "$dir/b" && diff -r "$dir/a" "$dir/b"
}

docker_reset_to_bases
dk load -q -i "$IMAGES/legacy/multi.tar" >/dev/null
"$DOCKERDIFF" slim docker:app1:1 -b docker:base:1 -o "$work/app1.tar" --report "$work/app1.json" -q || fail "dockerdiff slim docker:app1:1 failed"
"$DOCKERDIFF" slim docker:app2:1 -b docker:base2:1 -o "$work/app2.tar" --report "$work/app2.json" -q || fail "dockerdiff slim docker:app2:1 failed"
expect_eq "layers dropped from docker:app1:1 against docker:base:1" "$(grep -Ec '"dropped": *true' "$work/app1.json" || true)" 1
expect_eq "layers dropped from docker:app2:1 against docker:base2:1" "$(grep -Ec '"dropped": *true' "$work/app2.json" || true)" 2
expect_eq "layout of the output of docker:app1:1" "$(layout_of "$work/app1.tar")" docker25

# The socket, not the CLI: a `docker` first in PATH whose `save` fails (the rest is the real
# client's: a base is only inspected) is never asked to save.
stub=$work/stub
mkdir -p "$stub"
printf '#!/bin/sh\nif [ "$1" = save ]; then echo "stub docker run: $*" >&2; exit 1; fi\nexec %q "$@"\n' \
  "$(command -v "$DOCKER_CLI")" >"$stub/docker"
chmod +x "$stub/docker"
PATH=$stub:$PATH "$DOCKERDIFF" slim docker:app1:1 -b docker:base:1 -o "$work/app1-socket.tar" -q ||
  fail "dockerdiff slim docker:app1:1 ran the CLI although DOCKER_HOST names a unix socket"
same_members "$work/app1.tar" "$work/app1-socket.tar" || fail "two slims of docker:app1:1 differ"

# A context: the CLI's business (its config in a directory of this test's own). The stub shows
# that the CLI is run; the real client, that its stream gives the same archive.
export DOCKER_CONFIG=$work/docker-config
dk context create dockerdiff-test --docker "host=$DOCKER_HOST" >/dev/null
msg=$(env -u DOCKER_HOST DOCKER_CONTEXT=dockerdiff-test PATH="$stub:$PATH" "$DOCKERDIFF" slim docker:app1:1 -b docker:base:1 -o "$work/ctx.tar" 2>&1) &&
  fail "dockerdiff slim with a context did not run the docker CLI"
expect_eq "message when the CLI of a context fails" "$msg" "dockerdiff: docker:app1:1: save failed: stub docker run: save app1:1"
mkdir -p "$work/cli"
ln -s "$(command -v "$DOCKER_CLI")" "$work/cli/docker"
env -u DOCKER_HOST DOCKER_CONTEXT=dockerdiff-test PATH="$work/cli:$PATH" "$DOCKERDIFF" slim docker:app1:1 -b docker:base:1 -o "$work/app1-cli.tar" -q ||
  fail "dockerdiff slim docker:app1:1 through the CLI of a context failed"
same_members "$work/app1.tar" "$work/app1-cli.tar" || fail "docker:app1:1 through the CLI differs from through the socket"
unset DOCKER_CONFIG

# A missing image: the daemon's message on one line, exit 1, no output.
status=0
msg=$("$DOCKERDIFF" slim docker:no-such-app:1 -b docker:base:1 -o "$work/none.tar" 2>&1) || status=$?
expect_eq "exit status for a missing docker: image" "$status" 1
expect_eq "lines printed for a missing docker: image" "$(printf '%s\n' "$msg" | wc -l)" 1
case $msg in "dockerdiff: docker:no-such-app:1: save failed: Error response from daemon: "*) ;;
  *) fail "unexpected message for a missing docker: image: $msg" ;; esac
[ ! -e "$work/none.tar" ] || fail "an output was left for a missing docker: image"

docker_reset_to_bases
for app in app1 app2; do
  dk load -i "$work/$app.tar" || fail "docker load of $work/$app.tar failed"
  docker_check "$app" legacy
done
docker_reset_to_bases
rm -rf "$work"
note "docker refs: ok"
