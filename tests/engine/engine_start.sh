#!/bin/bash
# engine_start.sh ENGINE   (docker26 | docker26c | docker28 | docker28c)
#
# Fixture setup of one newer private dockerd (see DOCKER_ENGINES in lib.sh), after the main
# setup (setup.sh) built and saved the images on Docker 20.10:
#   1. starts it (own data root, exec root, pid file, socket and mount namespace; its own
#      suite's containerd), in the classic store (vfs) or the containerd store (native);
#   2. loads the bases (legacy/bases.tar; on a containerd store also the OCI archives) and
#      records their IDs in this engine (DOCKER_DIR/bases.FORM.ids);
#   3. loads the original (not slimmed) archives of every layout and records what happened
#      (DOCKER_DIR/ref/LAYOUT.load: ok or refused, with the engine's message in .log) and the
#      apps' IDs (ref/LAYOUT.APP.id): the slim archives must give the same;
#   4. builds the apps itself on those bases and saves them with its own `docker save`
#      (DOCKER_DIR/made/: multi.tar = app1 + app2, rep.tar; what to expect in made/expect): the inputs
#      that Docker 25+ makes (classic store: OCI layout + manifest.json, uncompressed blobs;
#      containerd store: gzip blobs), for made_inputs.sh and host_forms.sh.
# Afterwards the daemon holds exactly the bases. engine_stop.sh stops it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ENGINE=$1
[ -s "$ENGINE_ROOT_FILE" ] || fail "no engine root: the engine_setup fixture did not run"
engine_paths "$(cat "$ENGINE_ROOT_FILE")"
[ -f "$IMAGES/ready" ] || fail "the engine setup did not finish (no $IMAGES/ready)"
if [ "$ENGINE_KIND" != docker ] || [ "$DOCKER_SUITE" = - ]; then fail "$ENGINE is not one of the newer dockerds"; fi
[ -x "$ENGINES_PREFIX/$DOCKER_SUITE/usr/sbin/dockerd" ] ||
  fail "no $ENGINES_PREFIX/$DOCKER_SUITE/usr/sbin/dockerd: run scripts/install-engines (as root)"
note "engines of $DOCKER_SUITE: $(tr '\n' ' ' <"$ENGINES_PREFIX/$DOCKER_SUITE/versions")"

stop_dockerd
rm -rf "$DOCKER_DIR"
mkdir -p "$DOCKER_DIR/ref" "$DOCKER_DIR/made"
start_dockerd

# The bases' IDs in each form this engine can hold them in (see docker_base_ids).
forms=(legacy)
if [ "$DOCKER_STORE" = containerd ]; then forms+=(oci); fi
for form in "${forms[@]}"; do
  note "$ENGINE: loading the bases ($form)"
  docker_remove_all_images
  docker_load_bases "$form"
  docker_all_image_ids >"$DOCKER_DIR/bases.$form.ids"
  [ "$(wc -l <"$DOCKER_DIR/bases.$form.ids")" = 3 ] || fail "$ENGINE holds $(wc -l <"$DOCKER_DIR/bases.$form.ids") image IDs after loading the 3 bases"
done
docker_reset_to_bases

# ---------------------------------------------------------------------------------------
for layout in legacy docker25 oci; do
  status=ok
  mapfile -t originals <<<"$(layout_inputs "$layout")"
  : >"$DOCKER_DIR/ref/$layout.log"
  for archive in "${originals[@]}"; do
    dk load -i "$archive" >>"$DOCKER_DIR/ref/$layout.log" 2>&1 || status=refused
  done
  printf '%s\n' "$status" >"$DOCKER_DIR/ref/$layout.load"
  for app in "${APPS[@]}"; do
    if [ "$status" = ok ]; then
      dk image inspect -f '{{.Id}}' "$app:1" >"$DOCKER_DIR/ref/$layout.$app.id" ||
        fail "$ENGINE: the original $layout archive loaded, but $app:1 is not there"
    elif dk image inspect "$app:1" >/dev/null 2>&1; then
      fail "$ENGINE: the original $layout archives were refused, but $app:1 is there"
    fi
  done
  note "$ENGINE: original $layout archives: $status$(if [ "$status" = refused ]; then printf ' (%s)' "$(first_error "$DOCKER_DIR/ref/$layout.log")"; fi)"
  docker_reset_to_bases
done

# ---------------------------------------------------------------------------------------
note "$ENGINE: building the apps and saving them with its own docker save"
made=$DOCKER_DIR/made
build_images "$made" "${APPS[@]}"
dk save -o "$made/multi.tar" app1:1 app2:1
dk save -o "$made/rep.tar" rep:1
# What the tests expect of these images (the layout "made", see expected_id and
# docker_expected_id): config digest, diff_ids and layer blobs as the saved archives name
# them, and the ID this dockerd gives them.
mkdir -p "$made/expect"
for archive in "$made/multi.tar" "$made/rep.tar"; do
  "$DOCKERDIFF" inspect --json "$archive" | jq -r '.images[] | [(.tags[0] | sub(":1$"; "")), .config_digest,
    ([.layers[].diff_id] | join(" ")), ([.layers[].blob_digest] | join(" "))] | join("\t")' |
    while IFS=$'\t' read -r app config diffs blobs; do
      printf '%s\n' "$config" >"$made/expect/$app.id"
      printf '%s\n' "$config" >"$made/expect/$app.oci_id"
      printf '%s\n' "$diffs" >"$made/expect/$app.diff_ids"
      printf '%s\n' "$blobs" >"$made/expect/$app.layers"
    done
done
for app in "${APPS[@]}"; do
  [ -s "$made/expect/$app.id" ] || fail "$ENGINE: $app:1 is not in its own docker save"
  dk image inspect -f '{{.Id}}' "$app:1" >"$DOCKER_DIR/ref/made.$app.id"
  expect_eq "$ENGINE: diff_ids of $app:1 in its docker save" "$(cat "$made/expect/$app.diff_ids")" \
    "$(unbracket "$(dk image inspect -f '{{.RootFS.Layers}}' "$app:1")")"
done
for archive in "$made/multi.tar" "$made/rep.tar"; do
  # Docker 25+ saves the combined layout in both stores.
  for member in index.json manifest.json oci-layout; do
    has_member "$archive" "$member" || fail "$ENGINE: docker save wrote no $member in $(basename "$archive")"
  done
done
note "$ENGINE: saved $(layout_of "$made/multi.tar") archives, layer blobs: $(made_blob_forms "$made/multi.tar" | sort | uniq -c | tr -s ' \n' ' ')"
docker_reset_to_bases
touch "$DOCKER_DIR/ready"
note "$ENGINE: ready"
