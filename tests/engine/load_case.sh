#!/bin/bash
# load_case.sh ENGINE LAYOUT MODE
#   ENGINE  docker20 | docker26 | docker26c | docker28 | docker28c | podman | ctr | ctr2 (lib.sh)
#   LAYOUT  legacy | docker25 | oci   (the layout of the archives that are slimmed)
#   MODE    auto | keep               (dockerdiff slim --layout)
#
# Slims app1, app2 (one multi-image archive for legacy/docker25) and rep against the bases,
# loads the outputs into an engine that holds only the bases, and checks every app against
# the original: image ID and diff_ids, and the files of its app layers (docker: in a running
# container; podman: in its mounted root filesystem; ctr: in its unpacked snapshot, plus the
# layers the stored manifest names and `ctr images check`).
#
# The outcome each combination must have is fixed below (see "expected outcome"): where an
# engine cannot load an archive, the test asserts that failure and that the original archive,
# before dockerdiff, fails the same way.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

layout=$2 mode=$3
case $layout in legacy | docker25 | oci) ;; *) fail "unknown layout $layout" ;; esac
case $mode in auto | keep) ;; *) fail "unknown mode $mode" ;; esac
use_engine "$1"
loader=$ENGINE_KIND
work=$(case_dir "$ENGINE-$layout-$mode")

# ---------------------------------------------------------------------------------------
# Expected outcome.
expected=loads
case $loader/$layout/$mode in
  docker/oci/keep)
    # docker load of Docker <= 24 reads only manifest.json, which a pure OCI archive does not
    # have ("open .../blobs/json: no such file or directory"), slimmed or not; so do the
    # classic stores of Docker 26 and 28 (measured). The containerd store reads index.json.
    # (--layout auto adds a manifest.json: docker/oci/auto loads on every engine.)
    case $ENGINE in
      docker20 | docker26 | docker28) expected=engine-cannot-read-oci ;;
    esac
    if [ "$ENGINE" != docker20 ]; then
      # What the engine start measured with the original archives must agree.
      reference=loads
      if [ "$(docker_reference_load oci)" = refused ]; then reference=engine-cannot-read-oci; fi
      expect_eq "$ENGINE: outcome of loading the original OCI archives" "$reference" "$expected"
    fi
    ;;
  ctr/legacy/keep)
    # containerd imports a legacy archive by the layer files' content: an emptied file becomes
    # the empty blob in the manifest it records. `--layout auto` exists for this case.
    expected=ctr-records-empty-blobs
    ;;
  docker/legacy/keep)
    # The containerd store imports a legacy archive through containerd: the same (measured).
    if [ "$DOCKER_STORE" = containerd ]; then expected=docker-records-empty-blobs; fi
    ;;
esac
note "$loader loads $layout archives slimmed with --layout $mode: expected outcome: $expected"

# ---------------------------------------------------------------------------------------
note "slimming the $layout archives (--layout $mode)"
slim_all "$layout" "$mode" "$work"
outputs=("${SLIM_OUTPUTS[@]}")
mapfile -t originals <<<"$(layout_inputs "$layout")"
if [ "$layout" != legacy ] && [ "$mode" = auto ]; then
  # auto leaves a Docker 25+ input as --layout keep writes it, and gives a pure OCI input only a
  # manifest.json more (the blobs and index.json stay as they are).
  mapfile -t bases <<<"$(slim_base_args "$layout")"
  for out in "${outputs[@]}"; do
    input=$(dirname "${originals[0]}")/$(basename "$out" .slim.tar).tar
    "$DOCKERDIFF" slim "$input" "${bases[@]}" -o "$out.keep" --layout keep -q
    if [ "$layout" = docker25 ]; then
      cmp -s "$out" "$out.keep" || fail "--layout auto and --layout keep differ for the $layout input $input"
      continue
    fi
    expect_eq "entries of the --layout auto output of $input, less manifest.json" \
      "$(tar -tf "$out" | grep -vxF manifest.json | sort)" "$(tar -tf "$out.keep" | sort)"
    for member in index.json $(tar -tf "$out.keep" | grep '^blobs/sha256/.'); do
      cmp -s <(tar -xOf "$out" "$member") <(tar -xOf "$out.keep" "$member") || fail "$member differs between --layout auto and keep for $input"
    done
  done
fi

# ---------------------------------------------------------------------------------------
case $loader in
  docker)
    docker_reset_to_bases_in "$(docker_bases_form "$layout")"
    if [ "$expected" = engine-cannot-read-oci ]; then
      for out in "${outputs[@]}" "${originals[@]}"; do
        if dk load -q -i "$out" >"$work/load.log" 2>&1; then
          fail "$ENGINE loaded the OCI archive $out: update the expected outcome"
        fi
        expect_grep "docker load of $out failed for another reason" "$work/load.log" 'no such file or directory'
        note "docker load $(basename "$out"): fails as expected: $(first_error "$work/load.log")"
      done
      for app in "${APPS[@]}"; do
        if dk image inspect "$app:1" >/dev/null 2>&1; then fail "docker: $app:1 is present after a failed load"; fi
      done
    else
      for out in "${outputs[@]}"; do
        dk load -i "$out" || fail "docker load of $out failed"
      done
      # A containerd store tells an image by its manifest digest: --layout auto writes a legacy
      # input's images as new OCI manifests (those of the docker25 originals), and keeps a pure
      # OCI input's manifests as they are (the oci originals'), though the layout is docker25.
      check=good
      if [ "$expected" = docker-records-empty-blobs ]; then check=empty-blobs; fi
      id_layout=$layout
      if [ "$layout/$mode" = legacy/auto ]; then id_layout=docker25; fi
      for app in "${APPS[@]}"; do docker_check "$app" "$id_layout" "$check"; done
    fi
    docker_reset_to_bases
    ;;

  podman)
    # The host got its bases the way the archive's layers are stored: docker save (uncompressed)
    # for legacy and Docker 25+ archives, OCI archives (gzip blobs, as from a registry) for OCI.
    # (An OCI slim archive on a host whose bases came from docker save: see base_form.sh.)
    form=legacy
    if [ "$layout" = oci ]; then form=oci; fi
    host=$work/podman
    podman_host "$host" "$form"
    for out in "${outputs[@]}"; do
      pm "$host" load -i "$out" || fail "podman load of $out failed"
    done
    for app in "${APPS[@]}"; do podman_check "$host" "$app" "$layout"; done
    remove_podman_host "$host"
    ;;

  ctr)
    form=legacy
    if [ "$layout" = oci ]; then form=oci; fi
    ns=dde-$layout-$mode
    ctr_namespace "$ns" "$form"
    for out in "${outputs[@]}"; do
      ctrc -n "$ns" "${CTR_IMPORT[@]}" "$out" || fail "ctr import of $out failed"
    done
    check=good
    if [ "$expected" = ctr-records-empty-blobs ]; then check=empty-blobs; fi
    for app in "${APPS[@]}"; do ctr_check "$ns" "$app" "$layout" "$check"; done
    ctr_drop_namespace "$ns"
    ;;
esac

rm -rf "$work"
note "$loader/$layout/$mode: $expected: ok"
