#!/bin/bash
# negative.sh ENGINE   (docker20 | docker26 | docker26c | docker28 | docker28c | podman | ctr | ctr2)
#
# A slim archive loaded where its base is missing must not give a usable image:
#   no-base     the engine holds no image at all: app1 and app2 (and for OCI app1) must fail
#   wrong-base  the engine holds base and repbase but not base2, which app2 is built on: app2
#               must fail (app1, in the same multi-image archive, needs only base and may load)
# for the outputs of every layout: legacy (--layout keep), Docker 25+ (--layout auto of the
# legacy save) and OCI. Each load must fail, and afterwards the image must not be usable:
# checked in the engine, not only by the exit status (docker: absent, or no container runs;
# podman: absent, or not the original, or its files missing; ctr: not complete, not
# unpacked, or a layer that is the empty blob).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
loader=$ENGINE_KIND
work=$(case_dir "negative-$ENGINE")

note "slimming against the bases"
mkdir -p "$work/legacy-keep" "$work/legacy-auto" "$work/oci"
slim_all legacy keep "$work/legacy-keep"
slim_all legacy auto "$work/legacy-auto"
slim_all oci keep "$work/oci"

# expect_refused WHAT STATUS ARCHIVE LOG "APPS" USABLE-CHECK...: the load of ARCHIVE (exit
# STATUS, output in LOG) left no usable image of APPS.
expect_refused() {
  local what=$1 status=$2 archive=$3 log=$4 apps=$5
  shift 5
  local app
  for app in $apps; do
    if "$@" "$app"; then
      cat "$log" >&2
      fail "$what: $app:1 is usable after loading $archive where its base is missing"
    fi
  done
  if [ "$status" = 0 ]; then
    if [ "$loader" != docker ] || [ "$(docker_server_major)" -lt 25 ]; then
      cat "$log" >&2
      fail "$what: loading $archive where its base is missing exited 0"
    fi
    note "$what: $archive: exit 0 (Docker 25+), but $apps not usable"
  else
    note "$what: $archive: refused, $apps not usable (exit $status: $(first_error "$log"))"
  fi
}

short() { printf '%s\n' "${1#"$work"/}"; }

no_base=("$work/legacy-keep/multi.slim.tar" "$work/legacy-auto/multi.slim.tar" "$work/oci/app1.slim.tar")
no_base_apps=("app1 app2" "app1 app2" "app1")
wrong_base=("$work/legacy-keep/multi.slim.tar" "$work/legacy-auto/multi.slim.tar" "$work/oci/app2.slim.tar")

case $loader in
  docker)
    trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
    # Docker <= 24 and the classic stores of Docker 26 and 28 cannot read OCI archives at all
    # (see load_case.sh): the docker layouts only there.
    cases=(0 1)
    if [ "$ENGINE" != docker20 ] && [ "$(docker_reference_load oci)" = ok ]; then cases+=(2); fi
    # The no-base host: a dockerd of the same engine that never held an image. (This engine's
    # dockerd will not do: the classic stores of Docker 26 and 28 keep the base layer once all
    # images are removed, measured after engine_start.sh, so a load would find it there.)
    note "docker: no-base (a fresh dockerd of $ENGINE that holds no image)"
    main_dir=$DOCKER_DIR
    select_docker_paths "$ENGINE-nobase" "$DOCKER_SUITE" "$DOCKER_STORE"
    trap 'stop_dockerd; rm -rf "$DOCKER_DIR"; select_engine "$ENGINE"; docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
    stop_dockerd
    rm -rf "$DOCKER_DIR"
    start_dockerd
    cp -r "$main_dir/ref/." "$DOCKER_DIR/ref/" # the IDs the originals get in this engine (docker_usable)
    expect_eq "docker images" "$(docker_all_image_ids)" ""
    if [ "$DOCKER_STORE" = classic ]; then expect_eq "$ENGINE: layers in a fresh dockerd" "$(docker_layer_count)" 0; fi
    for i in "${cases[@]}"; do
      out=${no_base[$i]}
      status=0
      dk load -i "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "docker no-base" "$status" "$(short "$out")" "$work/load.log" "${no_base_apps[$i]}" docker_usable
      docker_remove_apps
    done
    stop_dockerd
    rm -rf "$DOCKER_DIR"
    select_engine "$ENGINE"
    trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT

    note "docker: wrong-base (base and repbase, no base2)"
    for i in "${cases[@]}"; do
      out=${wrong_base[$i]}
      # As in the positive cases, an OCI archive meets bases that came as OCI archives.
      form=legacy
      if [ "$i" = 2 ]; then form=$(docker_bases_form oci); fi
      docker_reset_to_bases_in "$form"
      dk rmi base2:1 >/dev/null
      status=0
      dk load -i "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "docker wrong-base" "$status" "$(short "$out")" "$work/load.log" app2 docker_usable
      docker_remove_apps
    done
    docker_reset_to_bases
    ;;

  podman)
    host=$work/podman
    for i in 0 1 2; do
      out=${no_base[$i]}
      podman_host "$host" none
      status=0
      pm "$host" load -i "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "podman no-base" "$status" "$(short "$out")" "$work/load.log" "${no_base_apps[$i]}" podman_usable "$host"
    done
    for i in 0 1 2; do
      out=${wrong_base[$i]}
      # An OCI archive's base layers are gzip blobs: the host has its bases in that form, as
      # the positive OCI cases do, so that the load gets as far as the missing layer.
      if [ "$i" = 2 ]; then podman_host "$host" oci-partial; else podman_host "$host" legacy-partial; fi
      status=0
      pm "$host" load -i "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "podman wrong-base" "$status" "$(short "$out")" "$work/load.log" app2 podman_usable "$host"
    done
    remove_podman_host "$host"
    ;;

  ctr)
    for i in 0 1 2; do
      out=${no_base[$i]}
      ns=dde-negative-none-$i
      ctr_namespace "$ns" none
      status=0
      ctrc -n "$ns" "${CTR_IMPORT[@]}" "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "ctr no-base" "$status" "$(short "$out")" "$work/load.log" "${no_base_apps[$i]}" ctr_usable "$ns"
      ctr_drop_namespace "$ns"
    done
    for i in 0 1 2; do
      out=${wrong_base[$i]}
      ns=dde-negative-partial-$i
      if [ "$i" = 2 ]; then ctr_namespace "$ns" oci-partial; else ctr_namespace "$ns" legacy-partial; fi
      status=0
      ctrc -n "$ns" "${CTR_IMPORT[@]}" "$out" >"$work/load.log" 2>&1 || status=$?
      expect_refused "ctr wrong-base" "$status" "$(short "$out")" "$work/load.log" app2 ctr_usable "$ns"
      ctr_drop_namespace "$ns"
    done
    ;;
esac

rm -rf "$work"
note "negative $loader: ok"
