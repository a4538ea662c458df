#!/bin/bash
# cleanup.sh [ENGINE]
#
# Without ENGINE: fixture cleanup of the engine tests: stops every private dockerd (by its
# pidfile), with its containerd, and removes the engine root: the daemons' data, the saved
# archives, the podman hosts and containerd namespaces of the cases. Then checks that nothing
# is left: no process and no mount under the engine root.
# With ENGINE (one of the newer dockerds): the fixture cleanup of that engine (engine_start.sh):
# stops it only; the engine root goes with the main cleanup.
#
# DOCKERDIFF_ENGINE_KEEP=1 keeps the engine root (not the daemons) to look into a failure.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

if [ ! -s "$ENGINE_ROOT_FILE" ]; then
  note "no engine root recorded: nothing to clean up"
  exit 0
fi
engine_paths "$(cat "$ENGINE_ROOT_FILE")"

# drop_case_namespaces: the cases' containerd namespaces in the containerd of $ENGINE, so that
# it holds nothing of ours when it stops.
drop_case_namespaces() {
  local ns
  [ -S "$CONTAINERD_SOCK" ] || return 0
  for ns in $(ctrc namespaces ls -q 2>/dev/null || true); do
    case $ns in dde-*) ctr_drop_namespace "$ns" ;; esac
  done
}

if [ $# -gt 0 ]; then
  ENGINE=$1 engine_paths "$ENGINE_ROOT"
  CTR_BIN=$ENGINES_PREFIX/$DOCKER_SUITE/usr/bin/ctr drop_case_namespaces
  stop_dockerd
  note "$1 stopped"
  exit 0
fi

ENGINE=ctr engine_paths "$ENGINE_ROOT"
drop_case_namespaces
ENGINE=ctr2 engine_paths "$ENGINE_ROOT"
drop_case_namespaces
stop_all_dockerds

# Every mount the daemon made lived in its private mount namespace, which is gone with it.
leftover=$(awk -v d="$ENGINE_ROOT" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo)
if [ -n "$leftover" ]; then
  note "mounts left under $ENGINE_ROOT:"
  printf '%s\n' "$leftover"
fi

if [ "${DOCKERDIFF_ENGINE_KEEP:-0}" = 1 ]; then
  note "DOCKERDIFF_ENGINE_KEEP=1: keeping $ENGINE_ROOT"
else
  note "removing $ENGINE_ROOT"
  remove_engine_root "$ENGINE_ROOT"
  [ ! -e "$ENGINE_ROOT" ] || fail "could not remove $ENGINE_ROOT"
  rm -f "$ENGINE_ROOT_FILE"
fi

for proc in /proc/[0-9]*; do
  cmdline=$({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null || true)
  case $cmdline in *"$ENGINE_ROOT/"*) fail "process ${proc#/proc/} still runs: $cmdline" ;; esac
done
[ -z "$(awk -v d="$ENGINE_ROOT" '$5 == d || index($5, d "/") == 1' /proc/self/mountinfo)" ] || fail "mounts are left under $ENGINE_ROOT"
note "cleanup done"
