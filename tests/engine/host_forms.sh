#!/bin/bash
# host_forms.sh ENGINE   (docker20 | docker26 | docker26c | docker28 | docker28c | podman | ctr | ctr2)
#
# A slim archive leaves out the base layers by chain ID; a containerd store keeps *blobs*, so
# what a load gives also depends on the form in which the host got its base:
#   docker-save  the form the CI saved (docker save / docker load: uncompressed layers)
#   registry     as a registry serves it: gzip blobs from another compressor (skopeo's OCI
#                archives, loaded with docker load, podman load, ctr import; only an engine
#                that keeps blobs, the containerd store, podman and ctr, can hold that form: a
#                classic store keeps layers, not blobs, and cannot load an OCI archive)
# and the slim archive:
#   docker25     the CI's docker save (Docker 20.10), slimmed with --layout auto: the Docker 25+
#                layout, uncompressed blobs (their digests are the diff_ids)
#   oci          skopeo's OCI archives (gzip blobs), slimmed with --layout auto (index.json and
#                blobs as they were, plus the manifest.json of the Docker 25+ layout)
#   inventory    (containerd stores) the CI's docker save slimmed against this host's own
#                `dockerdiff inventory`, which lists the blobs its store holds: a dropped layer
#                held as another blob is named as that blob, so the load is complete; the
#                manifest digest (the image ID there) then differs from the CI's
# loaded with
#   engine       the engine's own load (docker load, podman load, ctr import)
#   dockerdiff   `dockerdiff load` (docker and podman; the oci slim archives from stdin): it
#                checks, then streams the archive into the engine's load, on a containerd store
#                with each dropped layer whose named blob the store lacks written in from the
#                host's own images (decompressed: same manifest) or named as the host's blob
# Each cell (host, slim, base form, loader) records, for app1 and app2 (which must agree):
#   loads     the load exits 0 and the image is there
#   runs      a container reads the app's file (podman cannot run containers here: the file in
#             its mounted image; ctr: in the snapshot of a created container)
#   same_id   the engine's image ID is the original's (classic, podman, ctr: config digest;
#             containerd store: manifest digest, as the engine start measured with the
#             original archive)
#   complete  docker or podman save of it passes dockerdiff verify with every layer, none
#             empty; ctr: `ctr images check` says complete and no layer is the empty blob
# prints one line per cell, checks it against the outcome fixed below (measured), and writes
# it to DOCKERDIFF_ENGINE_DIR/host-forms.tsv (tab-separated, a header line; one line per
# cell, the lines of earlier runs of this engine replaced) for the README's compatibility table.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
work=$(case_dir "host-forms-$ENGINE")
tsv=$DOCKERDIFF_ENGINE_DIR/host-forms.tsv

# Per engine kind: the version and store for the table, and (hf_: not to hide lib.sh's names)
#   fresh FORM      a host holding the bases in FORM (docker-save: legacy, registry: oci)
#   load ARCHIVE    (output appended to $work/load.log)
#   image_id APP    prints the ID, fails when the image is not there
#   expected_id APP SLIM
#   runs APP        its file is read in a container (or the mounted image)
#   complete APP
case $ENGINE_KIND in
  docker)
    trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
    version=$(dk version -f '{{.Server.Version}}')
    store=$DOCKER_STORE
    hf_fresh() { docker_remove_all_images; docker_load_bases "$1"; }
    hf_load() { dk load -i "$1" >>"$work/load.log" 2>&1; }
    hf_dockerdiff_load() { env "${host_env[@]}" "$DOCKERDIFF" load "$@" >>"$work/load.log" 2>&1; }
    hf_image_id() { dk image inspect -f '{{.Id}}' "$1:1" 2>/dev/null; }
    hf_expected_id() { docker_expected_id "$1" "$2"; }
    hf_runs() { [ "$(dk run --rm --network none "$1:1" cat "/$1.txt" 2>"$work/run.log")" = "$1-content" ]; }
    hf_complete() { docker_complete "$1"; }
    ;;
  podman)
    host=$work/podman
    version=$(podman --version | awk '{ print $NF }')
    store=vfs
    hf_fresh() { podman_host "$host" "$1"; }
    hf_load() { pm "$host" load -i "$1" >>"$work/load.log" 2>&1; }
    hf_dockerdiff_load() { in_podman_host "$host" "$DOCKERDIFF" load --engine podman "$@" >>"$work/load.log" 2>&1; }
    hf_image_id() { local id; id=$(pm "$host" image inspect -f '{{.Id}}' "$1:1" 2>/dev/null) && with_prefix "$id"; }
    hf_expected_id() { expected_id_for "$1" "$2"; }
    hf_runs() { podman_usable "$host" "$1" 2>"$work/run.log"; }
    hf_complete() {
      rm -f "$work/saved.tar"
      pm "$host" save -o "$work/saved.tar" "$1:1" >/dev/null 2>&1 && archive_complete "$work/saved.tar" "$1"
    }
    ;;
  ctr)
    n=0
    version="$("$CTR_BIN" --version | awk '{ print $3 }')/$(ctrc version 2>/dev/null | awk '$1 == "Version:" { v = $2 } END { print v }')"
    store=native
    hf_fresh() { n=$((n + 1)); ns=dde-host-forms-$n; ctr_namespace "$ns" "$1"; }
    hf_load() { ctrc -n "$ns" "${CTR_IMPORT[@]}" "$1" >>"$work/load.log" 2>&1; }
    hf_image_id() {
      local ref
      ref=$(ctr_ref "$ns" "$1") && [ -n "$ref" ] && ctr_manifest_config "$ns" "$(ctr_manifest_digest "$ns" "$ref")"
    }
    hf_expected_id() { expected_id_for "$1" "$2"; }
    hf_runs() { ctr_reads_tree "$ns" "$1" "$(ctr_ref "$ns" "$1")" 2>"$work/run.log"; }
    hf_complete() { ctr_usable "$ns" "$1"; }
    ;;
esac

# expected SLIM FORM LOADER: "loads runs same_id complete" (yes/no; "-" where nothing loaded), a
# pattern: "*" where the engine is not consistent (see measure: "mixed:app1=..,app2=..").
expected() {
  local family=$ENGINE_KIND
  if [ "$family" = docker ]; then family=$DOCKER_STORE; fi
  if [ "$3" = dockerdiff ]; then
    case $ENGINE/$1/$2 in
      docker26c/oci/docker-save) echo "yes * no yes"; return ;;  # docker run: as with the engine's load
    esac
    case $family/$1/$2 in
      # skopeo's gzip blobs, which this host holds uncompressed: the manifest names the host's
      # blobs, complete under another manifest digest (as the inventory slim).
      containerd/oci/docker-save) echo "yes yes no yes" ;;
      # Everywhere else complete, and the original image: on a containerd store holding the base
      # gzipped, the uncompressed layers the manifest names are written in, decompressed.
      *) echo "yes yes yes yes" ;;
    esac
    return
  fi
  case $ENGINE/$1/$2 in
    # Docker 26's containerd store does not always take it as a local image: docker run of app2
    # (two dropped layers) tried to pull it from the registry in every run, app1 ran in some
    # runs only; Docker 28's runs both.
    docker26c/oci/docker-save) echo "yes * yes no"; return ;;
  esac
  case $family/$1/$2 in
    classic/docker25/docker-save) echo "yes yes yes yes" ;;
    # Docker 20.10, 26 and 28's classic store read no pure OCI archive (see load_case.sh), but
    # --layout auto gives it the manifest.json they read, and they find the layers by chain ID.
    classic/oci/docker-save) echo "yes yes yes yes" ;;
    containerd/docker25/docker-save | containerd/oci/registry | containerd/inventory/docker-save) echo "yes yes yes yes" ;;
    # The manifest names the host's gzip blobs: complete, under another manifest digest.
    containerd/inventory/registry) echo "yes yes no yes" ;;
    # The host holds the dropped layers only in another blob form: the load runs, but the
    # image is incomplete (docker save exits 0 with an archive that lacks them). It becomes
    # complete in the complete-loads issue; dockerdiff check must say so (issue 12 item 5).
    containerd/docker25/registry | containerd/oci/docker-save) echo "yes yes yes no" ;;
    podman/docker25/docker-save | podman/oci/registry | ctr/docker25/docker-save | ctr/oci/registry) echo "yes yes yes yes" ;;
    # podman finds an uncompressed layer by its diff_id whatever blob it came from, and its
    # save writes layers from its storage.
    podman/docker25/registry) echo "yes yes yes yes" ;;
    # A pure OCI archive names the base layer's gzip blob, which podman knows by another digest:
    # it reads the emptied file and rejects it ("Digest did not match", see base_form.sh). With
    # --layout auto podman reads manifest.json, by diff_id, and finds the layers it has.
    podman/oci/docker-save) echo "yes yes yes yes" ;;
    # containerd (1.6 and 2.x) finds the snapshots by chain ID, but lacks the blobs the slim
    # manifest names: unpacked, but incomplete in the content store (see base_form.sh).
    ctr/oci/docker-save | ctr/docker25/registry) echo "yes yes yes no" ;;
    *) fail "no expected outcome for $family/$1/$2" ;;
  esac
}

slim_archives() {
  case $1 in
    docker25) printf '%s\n' "$work/docker25/multi.slim.tar" ;;
    oci) printf '%s\n' "$work/oci/app1.slim.tar" "$work/oci/app2.slim.tar" ;;
    inventory) printf '%s\n' "$work/inventory/multi.slim.tar" ;;
  esac
}

# Docker 27+ reports its containerd socket in docker info; Docker 26 does not, and this dockerd
# runs a containerd of its own, not the system's: CONTAINERD_ADDRESS says where.
host_env=()
if [ "$ENGINE_KIND" = docker ] && [ "$(docker_server_major)" -lt 27 ]; then host_env=(CONTAINERD_ADDRESS="$CONTAINERD_SOCK"); fi

# The CI's docker save slimmed against the inventory of the host as it is now.
slim_against_inventory() {
  mkdir -p "$work/inventory"
  env "${host_env[@]}" "$DOCKERDIFF" inventory -o "$work/inventory/host.json" || fail "$ENGINE: dockerdiff inventory failed"
  "$DOCKERDIFF" slim "$IMAGES/legacy/multi.tar" -b "$work/inventory/host.json" -o "$work/inventory/multi.slim.tar" \
    --report "$work/inventory/report.json" -q || fail "$ENGINE: slim against the host's inventory failed"
}

mkdir -p "$work/docker25" "$work/oci"
slim_all legacy auto "$work/docker25"
slim_all oci auto "$work/oci"

# measure SLIM FORM LOADER: sets CELL to "loads runs same_id complete" and NOTE; where app1 and app2
# differ, the field is "mixed:app1=X,app2=Y". On docker, STRICT is what `dockerdiff check
# --strict` of the slim archives said before the load ("ok": exit 0 for all, "fails": exit 1).
measure() {
  local slim=$1 form=$2 loader=$3 archive status=0 app id value i
  local -A got=()
  local -a one two
  if [ "$form" = registry ]; then hf_fresh oci; else hf_fresh legacy; fi
  if [ "$slim" = inventory ]; then slim_against_inventory; fi
  STRICT=-
  if [ "$ENGINE_KIND" = docker ] && [ "$loader" = engine ]; then
    STRICT=ok
    : >"$work/check.log"
    while read -r archive; do
      env "${host_env[@]}" "$DOCKERDIFF" check --strict "$archive" >>"$work/check.log" 2>&1 || STRICT=fails
    done < <(slim_archives "$slim")
    if [ "$STRICT" = fails ]; then
      # Without --strict the same finding is a message and exit 0 (missing chain IDs aside).
      env "${host_env[@]}" "$DOCKERDIFF" check "$(slim_archives "$slim" | head -n 1)" >"$work/check-plain.log" 2>&1 ||
        { cat "$work/check-plain.log" >&2; fail "$ENGINE: plain check of a $slim slim archive ($form base) failed"; }
      expect_grep "$ENGINE: check names no incomplete image" "$work/check-plain.log" 'incomplete'
    fi
  fi
  while read -r archive; do
    if [ "$loader" = engine ]; then
      hf_load "$archive" || status=$?
    elif [ "$slim" = oci ]; then
      hf_dockerdiff_load - <"$archive" || status=$?
    else
      hf_dockerdiff_load "$archive" || status=$?
    fi
  done < <(slim_archives "$slim")
  NOTE=
  for app in app1 app2; do
    if [ "$status" != 0 ] || ! id=$(hf_image_id "$app"); then
      value="no - - -"
      NOTE="refused: $(first_error "$work/load.log")"
    else
      value=yes
      : >"$work/run.log"
      if hf_runs "$app"; then
        value+=" yes"
      else
        value+=" no"
        NOTE="run: $(first_error "$work/run.log")"
      fi
      # (The inventory slim is the docker25 conversion of the same docker save.)
      if [ "$id" = "$(hf_expected_id "$app" "${slim/inventory/docker25}")" ]; then value+=" yes"; else value+=" no"; fi
      if hf_complete "$app"; then value+=" yes"; else value+=" no"; fi
    fi
    got[$app]=$value
  done
  read -r -a one <<<"${got[app1]}"
  read -r -a two <<<"${got[app2]}"
  CELL=
  for i in 0 1 2 3; do
    if [ "${one[$i]}" = "${two[$i]}" ]; then CELL+=" ${one[$i]}"; else CELL+=" mixed:app1=${one[$i]},app2=${two[$i]}"; fi
  done
  CELL=${CELL# }
  if [ "$loader" = dockerdiff ] && [ "$status" = 0 ]; then
    # The engine's own lines pass through; dockerdiff says what it wrote in.
    expect_grep "$ENGINE: dockerdiff load printed no 'Loaded image' line of the engine" "$work/load.log" 'Loaded image'
    NOTE=$(grep -m 1 '^dockerdiff load: ' "$work/load.log" | sed -e 's/^dockerdiff load: [^:]*: //') ||
      fail "$ENGINE: dockerdiff load printed no summary"
  fi
  if [ "$CELL" = "yes yes yes no" ] && [ "$ENGINE_KIND" = docker ]; then
    dk save -o "$work/saved.tar" app1:1 >/dev/null 2>&1 || true
    NOTE="docker save of app1:1: $(stat -c %s "$work/saved.tar" 2>/dev/null || echo no) bytes"
  fi
  # (Without this run's paths, so that the table does not change from run to run.)
  NOTE=$(sed -e "s|$ENGINE_ROOT/|<engine root>/|g" -e 's|docker-import-[0-9]*|docker-import-N|g' <<<"$NOTE")
  : >"$work/load.log"
}

forms=(docker-save)
slims=(docker25 oci)
if [ "$store" != classic ]; then forms+=(registry); fi
if [ "$ENGINE_KIND" = docker ] && [ "$store" != classic ]; then slims+=(inventory); fi
lines=()
failed=()
cells=()
for slim in "${slims[@]}"; do
  for form in "${forms[@]}"; do
    cells+=("$slim $form engine")
    if [ "$ENGINE_KIND" != ctr ] && [ "$slim" != inventory ]; then cells+=("$slim $form dockerdiff"); fi
  done
done
for cell in "${cells[@]}"; do
  read -r slim form loader <<<"$cell"
  measure "$slim" "$form" "$loader"
  read -r loads runs same complete <<<"$CELL"
  printf 'host-form: %-9s %-8s slim %-9s base %-11s %-10s loads=%-3s runs=%-3s same_id=%-3s complete=%-3s check_strict=%-5s %s\n' \
    "$ENGINE" "$version" "$slim" "$form" "$loader" "$loads" "$runs" "$same" "$complete" "$STRICT" "$NOTE"
  lines+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$ENGINE" "$version" "$store" "$slim" "$form" \
    "$loader" "$loads" "$runs" "$same" "$complete" "$STRICT" "$NOTE")")
  want=$(expected "$slim" "$form" "$loader")
  # shellcheck disable=SC2053 # $want is a pattern
  [[ $CELL == $want ]] || failed+=("$slim/$form/$loader: expected loads runs same_id complete = $want, measured $CELL")
  # check --strict agrees with the completeness measured: it fails exactly where a loaded
  # image is incomplete (on a classic store there is nothing to be incomplete about).
  if [ "$ENGINE_KIND" = docker ] && [ "$loader" = engine ] && [ "$loads" = yes ]; then
    strict_want=ok
    if [ "$complete" != yes ]; then strict_want=fails; fi
    [ "$STRICT" = "$strict_want" ] ||
      { cat "$work/check.log" >&2; failed+=("$slim/$form: check --strict said $STRICT, the load was complete=$complete"); }
  fi
done

# Every engine's test writes its lines into the one file: under a lock.
(
  flock 9
  header=$(printf 'engine\tversion\tstore\tslim\tbase_form\tloader\tloads\truns\tsame_id\tcomplete\tcheck_strict\tnote')
  if [ ! -s "$tsv" ] || [ "$(head -n 1 "$tsv")" != "$header" ]; then printf '%s\n' "$header" >"$tsv"; fi
  grep -v "^$ENGINE	" "$tsv" >"$tsv.new" || true
  printf '%s\n' "${lines[@]}" >>"$tsv.new"
  mv "$tsv.new" "$tsv"
) 9>"$tsv.lock"

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'FAIL: %s\n' "${failed[@]}" >&2
  fail "$ENGINE: ${#failed[@]} cell(s) differ from the expected outcome"
fi
case $ENGINE_KIND in
  docker) docker_reset_to_bases ;;
  podman) remove_podman_host "$host" ;;
  ctr) for ((i = 1; i <= n; i++)); do ctr_drop_namespace "dde-host-forms-$i"; done ;;
esac
rm -rf "$work"
note "host forms $ENGINE: ok (cells in $tsv)"
