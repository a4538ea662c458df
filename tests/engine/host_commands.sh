#!/bin/bash
# host_commands.sh ENGINE: `dockerdiff inventory` and `dockerdiff check` against the private
# dockerd ENGINE (see lib.sh).
# The inventory of an engine holding the bases is a base for slim; check passes there; once a
# base is removed, check fails and names it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

use_engine "$1"
work=$(case_dir "host-commands-$ENGINE")
trap 'docker_reset_to_bases >/dev/null 2>&1 || true' EXIT
command -v docker >/dev/null || fail "no docker client in PATH (dockerdiff runs \`docker\`)"

docker_reset_to_bases
# Docker 26 does not tell its containerd socket, and this dockerd runs a containerd of its own.
inventory_env=()
if [ "$DOCKER_STORE" = containerd ] && [ "$(docker_server_major)" -lt 27 ]; then inventory_env=(CONTAINERD_ADDRESS="$CONTAINERD_SOCK"); fi
env "${inventory_env[@]}" "$DOCKERDIFF" inventory -o "$work/inventory.json" 2>"$work/inventory.err" ||
  { cat "$work/inventory.err"; fail "dockerdiff inventory failed"; }
expect_grep "inventory has no schema line" "$work/inventory.json" '"schema": "dockerdiff.inventory/v1"'
for base in "${BASES[@]}"; do
  expect_grep "the inventory does not list $base:1" "$work/inventory.json" "\"$base:1\""
done
# The bottom layer of every image is its own chain ID: it must be among the chain IDs.
read -r bottom _ <<<"$(expected_diff_ids app2)"
expect_grep "the inventory lacks the base's bottom chain ID $bottom" "$work/inventory.json" "\"$bottom\""
# A containerd image store holds blobs: the inventory records each with its layer's diff_id, and
# only blobs the content store holds. A classic store records none.
blob=$(jq -r --arg d "$bottom" '[.blobs // [] | .[] | select(.diff_id == $d) | .digest] | first // empty' "$work/inventory.json")
if [ "$DOCKER_STORE" = containerd ]; then
  [ -n "$blob" ] || { cat "$work/inventory.err"; fail "the inventory of a containerd store records no blob of the bottom layer $bottom"; }
  # (Listed into a file: grep -q ending the pipe early would fail it under pipefail.)
  ctr --address "$CONTAINERD_SOCK" -n moby content ls --quiet >"$work/content.txt" || fail "ctr content ls failed"
  grep -qx "$blob" "$work/content.txt" || fail "the inventory records blob $blob, which the content store does not hold"
  note "$ENGINE: inventory records $(jq '.blobs | length' "$work/inventory.json") blobs"
else
  expect_eq "blobs recorded for a classic store" "$(jq 'has("blobs")' "$work/inventory.json")" false
fi

# Slim against the inventory: app2 (FROM base2, FROM base) drops the two base layers.
"$DOCKERDIFF" slim "$IMAGES/legacy/multi.tar" -b "$work/inventory.json" -o "$work/multi.tar" --report "$work/report.json" -q ||
  fail "dockerdiff slim against the inventory failed"
expect_eq "layers dropped against the inventory" "$(grep -Ec '"dropped": *true' "$work/report.json" || true)" \
  "$((DROPPED[app1] + DROPPED[app2]))"

"$DOCKERDIFF" check "$work/multi.tar" >"$work/check-ok.out" 2>&1 || { cat "$work/check-ok.out"; fail "check failed where the bases are present"; }
expect_eq "images check reports as ok" "$(grep -c ': ok' "$work/check-ok.out" || true)" 2
"$DOCKERDIFF" check "$work/multi.tar" --inventory "$work/inventory.json" >/dev/null || fail "check --inventory failed for the inventory slim used"

# Without base2 (its own layer; base stays, app1 only needs base) the host lacks one layer of app2.
dk rmi -f base2:1 >/dev/null
status=0
"$DOCKERDIFF" check "$work/multi.tar" >"$work/check-missing.out" 2>&1 || status=$?
cat "$work/check-missing.out"
expect_eq "check's exit status without base2" "$status" 1
grep -q '^app2:1: missing 1 of 2 layers' "$work/check-missing.out" || fail "check does not say app2:1 misses one layer"
expect_grep "check does not name base2:1 as the image that provided the missing layer" "$work/check-missing.out" 'base2:1'
grep -q '^app1:1: ok' "$work/check-missing.out" || fail "check no longer passes app1:1, which needs only base"

# dockerdiff load refuses it before the engine sees it: one line naming the layer and the base
# image it came from; nothing is loaded, not even app1, which could have been.
status=0
env "${inventory_env[@]}" "$DOCKERDIFF" load "$work/multi.tar" >"$work/load-refused.out" 2>&1 || status=$?
cat "$work/load-refused.out"
expect_eq "dockerdiff load's exit status without base2" "$status" 1
expect_eq "lines dockerdiff load printed when refusing" "$(wc -l <"$work/load-refused.out")" 1
expect_grep "dockerdiff load does not name app2's missing layer" "$work/load-refused.out" ': not loaded: app2:1 needs layer '
expect_grep "dockerdiff load does not name base2:1" "$work/load-refused.out" ' [base2:1], which this host does not hold'
if dk image inspect app1:1 >/dev/null 2>&1; then fail "dockerdiff load refused the archive, but app1:1 was loaded"; fi

# And the engine agrees: the slim archive no longer loads app2 correctly (Docker 20.10 refuses
# the load; Docker 28's containerd store exits 0 but leaves no usable app2:1).
status=0
dk load -i "$work/multi.tar" >"$work/load.out" 2>&1 || status=$?
if docker_usable app2; then fail "app2:1 loaded and runs although check said base2's layer is missing"; fi
note "$ENGINE: loading it without base2: exit $status, app2:1 not usable"
# (A dropped layer held only in another blob form on a containerd store: host_forms.sh checks
# that check --strict fails exactly for the loads it measures incomplete.)
rm -rf "$work"
note "inventory and check: ok"
