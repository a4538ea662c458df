#!/bin/bash
# base_form.sh ENGINE   (podman | ctr | ctr2; the dockerds: host_forms.sh)
#
# An OCI archive names its layers by blob digest, and skopeo/podman/buildx store layers as
# gzip blobs: the blob digest of the base layer is not its diff_id. dockerdiff drops a layer by
# chain ID, so an OCI slim archive relies on the host knowing the base's *blobs*, not only its
# layers. This test records what happens on a host whose bases came from docker save
# (uncompressed layers: same chain IDs, other blob digests):
#   podman  the load fails: the blob is not known, so podman reads the emptied file and
#           rejects it ("Digest did not match, expected <gzip blob>, got <empty blob>").
#   ctr     the import unpacks (containerd finds the snapshots by chain ID) and the files are
#           there, but the image stays incomplete in the content store (the gzip base blobs are
#           missing), so it cannot be exported or pushed from there.
# The positive OCI cases (load_case.sh) use hosts that got their bases from OCI archives.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
loader=$ENGINE_KIND
work=$(case_dir "base-form-$ENGINE")
slim_all oci keep "$work"
outputs=("${SLIM_OUTPUTS[@]}")

case $loader in
  podman)
    host=$work/podman
    podman_host "$host" legacy
    for out in "${outputs[@]}"; do
      app=$(basename "$out" .slim.tar)
      status=0
      pm "$host" load -i "$out" >"$work/load.log" 2>&1 || status=$?
      [ "$status" != 0 ] || fail "podman loaded $app's OCI slim archive on a host whose bases came from docker save: update this test"
      expect_grep "podman load of $app failed for another reason" "$work/load.log" 'Digest did not match'
      if podman_usable "$host" "$app"; then fail "podman: $app:1 is usable after a failed load"; fi
      note "podman: $app (OCI slim, bases from docker save): refused: $(grep -o -m 1 'reading blob[^*]*Digest did not match[^*]*' "$work/load.log")"
    done
    remove_podman_host "$host"
    ;;
  ctr)
    ns=dde-base-form
    ctr_namespace "$ns" legacy
    for out in "${outputs[@]}"; do
      ctrc -n "$ns" "${CTR_IMPORT[@]}" "$out" || fail "ctr import of $out failed"
    done
    for app in "${APPS[@]}"; do
      ref=$(ctr_ref "$ns" "$app")
      [ -n "$ref" ] || fail "ctr: $app:1 is not in namespace $ns"
      status=$(ctr_status "$ns" "$ref")
      expect_eq "ctr: images check of $ref (bases from docker save: status, unpacked)" "$status" "incomplete true"
      expect_eq "ctr: config digest of $ref" "$(ctr_manifest_config "$ns" "$(ctr_manifest_digest "$ns" "$ref")")" "$(expected_oci_id "$app")"
      ctr_check_tree "$ns" "$app" "$ref"
      note "ctr: $ref (OCI slim, bases from docker save): unpacked with its files, but incomplete in the content store"
    done
    ctr_drop_namespace "$ns"
    ;;
  *) fail "unknown loader $loader" ;;
esac

rm -rf "$work"
note "base form $loader: ok"
