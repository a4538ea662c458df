#!/bin/bash
# Fixture cleanup of the engine tests: stops the private dockerd (by its pidfile), with its
# containerd, and removes the engine root: the daemon's data, the saved archives, the podman
# hosts and containerd namespaces of the cases. Then checks that nothing is left: no process
# and no mount under the engine root.
#
# DOCKERDIFF_ENGINE_KEEP=1 keeps the engine root (not the daemon) to look into a failure.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

if [ ! -s "$ENGINE_ROOT_FILE" ]; then
  note "no engine root recorded: nothing to clean up"
  exit 0
fi
engine_paths "$(cat "$ENGINE_ROOT_FILE")"

if [ -S "$CONTAINERD_SOCK" ]; then
  # The cases' namespaces, so that containerd holds nothing of ours when it stops.
  for ns in $(ctrc namespaces ls -q 2>/dev/null || true); do
    case $ns in dde-*) ctr_drop_namespace "$ns" ;; esac
  done
fi
stop_dockerd

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
