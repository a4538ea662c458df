#!/bin/bash
# outputs.sh ENGINE   (docker20 | docker26 | docker26c | docker28 | docker28c | podman | ctr | ctr2)
#
# The other output forms, loaded where only the bases are:
#   --bundle      app1 + app2 (one docker save) and rep in one archive, each blob once, with
#                 --layout auto and --layout keep: every image must be the original (ctr with
#                 --layout keep: the empty blobs containerd records for legacy archives, as in
#                 load_case.sh).
#   --compress    gzip and zstd. Whether an engine reads a compressed archive at all is the
#                 engine's business: the same original archive, in the same layout and
#                 compressed the same way (a dockerdiff run that drops nothing), is loaded
#                 first into an engine without the apps. The slim archive must load and give the originals exactly when
#                 the engine loads that reference; when the engine cannot read it, the slim
#                 archive must fail too and leave no usable image.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
loader=$ENGINE_KIND
work=$(case_dir "outputs-$ENGINE")
bases=(-b "$IMAGES/legacy/bases.tar")
inputs=("$IMAGES/legacy/multi.tar" "$IMAGES/legacy/rep.tar")

for mode in auto keep; do
  "$DOCKERDIFF" slim "${inputs[@]}" "${bases[@]}" --bundle -o "$work/bundle-$mode.tar" --layout "$mode" \
    --report "$work/bundle-$mode.json" -q || fail "dockerdiff slim --bundle --layout $mode failed"
  expect_eq "layers dropped in the bundle (--layout $mode)" "$(grep -Ec '"dropped": *true' "$work/bundle-$mode.json" || true)" 5
  expect_eq "layers kept in the bundle (--layout $mode)" "$(grep -Ec '"dropped": *false' "$work/bundle-$mode.json" || true)" 7
done
expect_eq "layout of the bundle (--layout auto)" "$(layout_of "$work/bundle-auto.tar")" docker25
expect_eq "layout of the bundle (--layout keep)" "$(layout_of "$work/bundle-keep.tar")" legacy
for c in gzip zstd; do
  "$DOCKERDIFF" slim "${inputs[0]}" "${bases[@]}" --compress "$c" -o "$work/slim.$c" -q || fail "dockerdiff slim --compress $c failed"
  "$DOCKERDIFF" slim "${inputs[0]}" -b "$IMAGES/empty.json" --compress "$c" -o "$work/reference.$c" -q ||
    fail "dockerdiff --compress $c of the original failed"
done

# Per engine: fresh (only the bases), load (status in $status, output in $work/load.log),
# check (APP EXPECTATION LAYOUT: LAYOUT is the archive's, by which a containerd store's image
# ID is known), usable (APP), and remove the apps.
case $loader in
  docker)
    trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
    fresh() { docker_reset_to_bases >/dev/null; }
    fresh_empty() { docker_reset_to_bases >/dev/null; }
    load() { status=0; dk load -i "$1" >"$work/load.log" 2>&1 || status=$?; }
    check() { docker_check "$1" "$3" "$2"; }
    usable() { docker_usable "$1"; }
    ;;
  podman)
    host=$work/podman
    fresh() { podman_host "$host" legacy; }
    fresh_empty() { podman_host "$host" none; }
    load() { status=0; pm "$host" load -i "$1" >"$work/load.log" 2>&1 || status=$?; }
    check() { podman_check "$host" "$1" legacy; }
    usable() { podman_usable "$host" "$1"; }
    ;;
  ctr)
    n=0
    fresh() { n=$((n + 1)); ns=dde-outputs-$n; ctr_namespace "$ns" legacy; }
    fresh_empty() { n=$((n + 1)); ns=dde-outputs-$n; ctr_namespace "$ns" none; }
    load() { status=0; ctrc -n "$ns" "${CTR_IMPORT[@]}" "$1" >"$work/load.log" 2>&1 || status=$?; }
    check() { ctr_check "$ns" "$1" legacy "$2"; }
    usable() { ctr_usable "$ns" "$1"; }
    ;;
esac

for mode in auto keep; do
  note "$loader: --bundle --layout $mode"
  fresh
  load "$work/bundle-$mode.tar"
  [ "$status" = 0 ] || { cat "$work/load.log" >&2; fail "$loader could not load the bundle (--layout $mode)"; }
  # containerd (ctr, or a dockerd's containerd store) records the empty blob for the emptied
  # layer files of a legacy archive (see load_case.sh).
  expectation=good
  if [ "$mode" = keep ] && { [ "$loader" = ctr ] || [ "${DOCKER_STORE:-}" = containerd ]; }; then expectation=empty-blobs; fi
  for app in "${APPS[@]}"; do check "$app" "$expectation" "$(layout_of "$work/bundle-$mode.tar")"; done
done

for c in gzip zstd; do
  fresh_empty
  load "$work/reference.$c"
  reference=$status
  reference_log=$(first_error "$work/load.log")
  fresh
  load "$work/slim.$c"
  if [ "$reference" = 0 ]; then
    [ "$status" = 0 ] || { cat "$work/load.log" >&2; fail "$loader loads a $c archive, but not the $c slim archive"; }
    for app in app1 app2; do check "$app" good "$(layout_of "$work/slim.$c")"; done
    note "$loader: --compress $c: loads"
  else
    [ "$status" != 0 ] || fail "$loader cannot load the $c original, but loaded the $c slim archive"
    for app in app1 app2; do
      if usable "$app"; then fail "$loader: $app:1 is usable after a failed load"; fi
    done
    note "$loader: --compress $c: the engine reads no $c archive (the original fails too: $reference_log)"
  fi
done
if [ "$loader" = podman ]; then remove_podman_host "$host"; fi
if [ "$loader" = ctr ]; then for ((i = 1; i <= n; i++)); do ctr_drop_namespace "dde-outputs-$i"; done; fi
rm -rf "$work"
note "outputs $loader: ok"
