#!/bin/bash
# restore.sh ENGINE (a dockerd, see lib.sh): slim, then restore from the bases, gives an archive that loads into a docker that
# holds no image at all; verify finds both sound (the slim one with the bases given). Also across
# forms: bases holding the layers as other blobs than the slim archive names.
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
mapfile -t oci_bases < <(slim_base_args oci)

# restore_across_forms SLIM OUT SAYS BASE_ARGS...: restores SLIM from bases that hold its dropped
# layers as other blobs; restore's summary says SAYS, verify finds OUT sound, and OUT loads into
# a docker holding no image.
restore_across_forms() {
  local slim=$1 out=$2 says=$3
  shift 3
  "$DOCKERDIFF" restore "$slim" "$@" -o "$out" 2>"$work/restore.err" ||
    { cat "$work/restore.err"; fail "dockerdiff restore of $(basename "$slim") across forms failed"; }
  cat "$work/restore.err"
  expect_grep "restore's summary does not say '$says'" "$work/restore.err" "$says"
  "$DOCKERDIFF" verify "$out" || fail "verify of $(basename "$out") failed"
  docker_remove_all_images
  dk load -i "$out" || fail "docker load of $(basename "$out") failed on an empty engine"
}

# The CI's slim archive (Docker 25+ layout: its manifests name the uncompressed layers) restored
# from the bases as a registry serves them (skopeo's gzip blobs): each layer decompressed and
# checked against its diff_id; the result is the original image.
restore_across_forms "$work/slim-auto.tar" "$work/full-from-gzip.tar" 'decompressed' "${oci_bases[@]}"
for app in app1 app2; do docker_check "$app" docker25; done
docker_reset_to_bases

# The other way: skopeo's archive of app1 (gzip blobs) slimmed, then restored from the CI's docker
# save (uncompressed layers): the layer is written as the base holds it and the manifest names that
# blob; the config, and so the classic store's image ID, stay the original's.
"$DOCKERDIFF" slim "$IMAGES/oci/app1.tar" "${oci_bases[@]}" -o "$work/app1-oci.slim.tar" -q || fail "dockerdiff slim of app1's OCI archive failed"
restore_across_forms "$work/app1-oci.slim.tar" "$work/app1-from-uncompressed.tar" 'descriptor rewritten' -b "$IMAGES/legacy/bases.tar"
if [ "$DOCKER_STORE" = classic ]; then
  docker_check app1 oci
else
  # A containerd store names the image by its manifest, which now names the other blob.
  layers=$(unbracket "$(dk image inspect -f '{{.RootFS.Layers}}' app1:1)")
  expect_eq "docker: diff_ids of app1:1 restored across forms" "$layers" "$(expected_diff_ids app1)"
  expect_eq "docker: app1:1 restored across forms reads" "$(dk run --rm --network none app1:1 cat /app1.txt)" app1-content
  docker_complete app1 || fail "docker: app1:1 restored across forms is incomplete"
fi
docker_reset_to_bases

rm -rf "$work"
note "restore: ok"
