#!/bin/bash
# restore.sh ENGINE (a dockerd, see lib.sh): slim, then restore from the bases, gives an archive that loads into a docker that
# holds no image at all; verify finds both sound (the slim one with the bases given).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
work=$(case_dir "restore-$ENGINE")
trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT

for mode in auto keep; do
  slim=$work/slim-$mode.tar
  full=$work/full-$mode.tar
  "$DOCKERDIFF" slim "$IMAGES/legacy/multi.tar" -b "$IMAGES/legacy/bases.tar" --layout "$mode" -o "$slim" -q ||
    fail "dockerdiff slim --layout $mode failed"
  "$DOCKERDIFF" verify "$slim" -b "$IMAGES/legacy/bases.tar" || fail "verify of the slim archive ($mode) with its bases failed"
  "$DOCKERDIFF" restore "$slim" -b "$IMAGES/legacy/bases.tar" --layout "$mode" -o "$full" || fail "dockerdiff restore --layout $mode failed"
  "$DOCKERDIFF" verify "$full" || fail "verify of the restored archive ($mode) failed"

  docker_remove_all_images
  dk load -i "$full" || fail "docker load of the restored archive ($mode) failed on an empty engine"
  # (The restored archive's layout tells the ID a containerd store gives it.)
  for app in app1 app2; do docker_check "$app" "$(layout_of "$full")"; done
  docker_reset_to_bases
done
rm -rf "$work"
note "restore: ok"
