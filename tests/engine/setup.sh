#!/bin/bash
# Fixture setup of the engine tests: starts the private Docker 20.10 (engine docker20; the newer
# dockerds are started by engine_start.sh), builds the test images from a busybox root
# filesystem (no registry), and saves them once in every layout the tests load:
#
#   legacy/     docker save (Docker 20.10 writes the legacy layout):
#               multi.tar (app1 + app2 in one save), rep.tar, bases.tar (base, base2, repbase),
#               bases-partial.tar (base, repbase: a host without base2, which app2 needs)
#   docker25/   multi.tar, rep.tar in the Docker 25+ layout (OCI index + blobs + manifest.json)
#   oci/        app1, app2, rep, base, base2, repbase as OCI archives (skopeo: gzip blobs),
#               named docker.io/library/<image>:1
#   expect/     per app: image ID, diff_ids, OCI config digest and OCI layer blobs
#
# The images: base (imported rootfs), base2 (FROM base + RUN), repbase (FROM base + COPY
# rep.txt), app1 (FROM base), app2 (FROM base2), rep (FROM repbase: RUN rm, the same COPY
# again, RUN). Each app adds a COPY layer (/<app>.txt) and a RUN layer (/<app>-run.txt). rep's
# second COPY repeats repbase's COPY layer byte for byte, so docker save stores it once and
# links the other copy to it: slimmed against repbase, the data must move to the kept copy.
#
# Afterwards the daemon holds exactly the bases, which is what every docker test starts from.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "the engine tests need root (they start dockerd); configure with -DDOCKERDIFF_ENGINE_TESTS=OFF to leave them out"
missing=
for tool in dockerd "$DOCKER20_CLI" podman skopeo ctr busybox unshare tar sha256sum jq; do
  command -v "$tool" >/dev/null 2>&1 || missing+=" $tool"
done
[ -z "$missing" ] || fail "missing:$missing (Debian: apt-get install docker.io podman skopeo containerd busybox-static jq)"
# Every engine runs in a private mount namespace (isolate.sh), which needs / to be a mount point: in a
# chroot it is not, unless its directory was bind-mounted onto itself before entering.
if ! unshare_error=$(unshare --mount --propagation private true 2>&1); then
  fail "cannot make a private mount namespace (${unshare_error:-unshare failed}): is / a mount point? In a chroot, bind-mount its directory onto itself first (mount --rbind DIR DIR)"
fi
[ -x "$DOCKERDIFF" ] || fail "dockerdiff binary $DOCKERDIFF not found"
BUSYBOX=$(command -v busybox)
# (No "producer | grep -q" anywhere here: under pipefail, grep's early exit can fail the producer.)
ldd_out=$(ldd "$BUSYBOX" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$ldd_out" || fail "$BUSYBOX is dynamically linked: install busybox-static"

# A previous run that was interrupted before its cleanup: stop and remove it first.
if [ -s "$ENGINE_ROOT_FILE" ]; then
  engine_paths "$(cat "$ENGINE_ROOT_FILE")"
  note "removing the engine root of a previous run: $ENGINE_ROOT"
  stop_all_dockerds
  remove_engine_root "$ENGINE_ROOT"
  rm -f "$ENGINE_ROOT_FILE"
fi

# The engine root: in the build tree, unless that path is too long for the unix sockets under
# it (the longest is ROOT/docker26c-nobase/exec/containerd/containerd.sock.ttrpc, and sun_path
# holds 107 bytes) or lies under /run or /var/lib, which isolate.sh covers.
root=$DOCKERDIFF_ENGINE_DIR/e
case $root in /run/* | /var/lib/* | /var/tmp/*) root= ;; esac
if [ -z "$root" ] || [ "${#root}" -gt 50 ]; then
  root=$(mktemp -d /tmp/dockerdiff-engine.XXXXXX)
fi
mkdir -p "$root"
printf '%s\n' "$root" >"$ENGINE_ROOT_FILE"
# The short directory (see engine_paths): podman's runroots.
if [ "${#root}" -gt 30 ]; then mktemp -d /tmp/dockerdiff-short.XXXXXX >"$root/short-dir"; fi
engine_paths "$root"
note "engine root: $ENGINE_ROOT"
mkdir -p "$DOCKER_CONFIG" "$TMPDIR" "$IMAGES" "$EXPECT" "$CASES" "$SHORT_DIR"
# (podman requires both roots in it; every podman command here overrides them with its own.)
printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' "$SHORT_DIR/unused" "$ENGINE_ROOT/podman-unused" \
  >"$CONTAINERS_STORAGE_CONF"

# ---------------------------------------------------------------------------------------
start_dockerd

# ---------------------------------------------------------------------------------------
note "building the images"
build=$ENGINE_ROOT/build
mkdir -p "$build/rootfs/bin"
cp "$BUSYBOX" "$build/rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$build/rootfs/bin/$applet"
done
mkdir -p "$build/rootfs/tmp" "$build/rootfs/etc" "$build/rootfs/proc" "$build/rootfs/sys" "$build/rootfs/dev"
tar -C "$build/rootfs" -cf "$build/rootfs.tar" .
dk import "$build/rootfs.tar" base:1 >/dev/null
build_images "$build" base2 repbase "${APPS[@]}"

for image in "${APPS[@]}" "${BASES[@]}"; do
  dk image inspect -f '{{.Id}}' "$image:1" >"$EXPECT/$image.id"
  unbracket "$(dk image inspect -f '{{.RootFS.Layers}}' "$image:1")" >"$EXPECT/$image.diff_ids"
done
for image in "${BASES[@]}"; do cat "$EXPECT/$image.id"; done | sort -u >"$DOCKER_DIR/bases.legacy.ids"
read -r -a rep_layers <"$EXPECT/rep.diff_ids"
[ "${#rep_layers[@]}" = 5 ] || fail "rep has ${#rep_layers[@]} layers, expected 5"
expect_eq "rep: the second COPY layer repeats the first (diff_ids 1 and 3)" "${rep_layers[3]}" "${rep_layers[1]}"
expect_eq "rep: the repeated layer is repbase's COPY layer" "$(cut -d' ' -f2 "$EXPECT/repbase.diff_ids")" "${rep_layers[1]}"

# ---------------------------------------------------------------------------------------
note "saving: legacy layout (docker save)"
mkdir -p "$IMAGES/legacy" "$IMAGES/docker25" "$IMAGES/oci"
dk save -o "$IMAGES/legacy/multi.tar" app1:1 app2:1
dk save -o "$IMAGES/legacy/rep.tar" rep:1
dk save -o "$IMAGES/legacy/bases.tar" base:1 base2:1 repbase:1
dk save -o "$IMAGES/legacy/bases-partial.tar" base:1 repbase:1
for archive in "$IMAGES"/legacy/*.tar; do
  has_member "$archive" manifest.json || fail "$archive has no manifest.json"
  if has_member "$archive" index.json; then
    fail "$archive has an index.json: this dockerd saves the Docker 25+ layout, the legacy layout needs Docker <= 24"
  fi
done
# The repeated layer is stored once: one of its two paths is a symbolic link to the other.
links=$(tar -tvf "$IMAGES/legacy/rep.tar" | grep -c '^l.*/layer\.tar -> ' || true)
expect_eq "symbolically linked layer files in the legacy save of rep" "$links" 1

# Docker 20.10 cannot write the Docker 25+ layout (OCI index + blobs + manifest.json): it is
# made here by dockerdiff itself, as a conversion that drops nothing (an empty inventory).
note "saving: Docker 25+ layout (dockerdiff conversion against an empty inventory)"
printf '{"chain_ids":[]}\n' >"$IMAGES/empty.json"
for name in multi rep; do
  "$DOCKERDIFF" slim "$IMAGES/legacy/$name.tar" -b "$IMAGES/empty.json" -o "$IMAGES/docker25/$name.tar" \
    --report "$build/$name.d25.report.json" -q || fail "dockerdiff could not convert $name to the Docker 25+ layout"
  expect_eq "layers dropped converting $name to the Docker 25+ layout" "$(grep -Ec '"dropped": *true' "$build/$name.d25.report.json" || true)" 0
  for member in index.json manifest.json oci-layout; do
    has_member "$IMAGES/docker25/$name.tar" "$member" || fail "docker25/$name.tar has no $member"
  done
done

note "saving: OCI layout (skopeo copy docker-daemon: -> oci-archive:)"
for image in "${APPS[@]}" "${BASES[@]}"; do
  # The full name in org.opencontainers.image.ref.name: the containerd store keeps the name as
  # written, and "app1:1" would not be found by `docker image inspect app1:1` (which looks for
  # docker.io/library/app1:1); podman and ctr read both.
  skopeo_isolated copy -q --src-daemon-host "$DOCKER_HOST" "docker-daemon:$image:1" \
    "oci-archive:$IMAGES/oci/$image.tar:docker.io/library/$image:1" ||
    fail "skopeo could not copy $image to an OCI archive"
  archive=$IMAGES/oci/$image.tar
  if has_member "$archive" manifest.json; then fail "$archive is not a pure OCI archive"; fi
  index=$(tar -xOf "$archive" index.json)
  [[ $index =~ sha256:[0-9a-f]{64} ]] || fail "$archive: no manifest in index.json"
  manifest=${BASH_REMATCH[0]}
  manifest_json=$(tar -xOf "$archive" "blobs/sha256/${manifest#sha256:}")
  grep -o '"config":{[^}]*}' <<<"$manifest_json" | grep -o 'sha256:[0-9a-f]\{64\}' >"$EXPECT/$image.oci_id"
  printf '%s\n' "${manifest_json#*\"layers\":[}" | grep -o '"digest":"sha256:[0-9a-f]*"' | cut -d'"' -f4 | tr '\n' ' ' |
    sed 's/ $//' >"$EXPECT/$image.oci_layers"
  echo >>"$EXPECT/$image.oci_layers"
done

# ---------------------------------------------------------------------------------------
note "the daemon keeps the bases only"
docker_reset_to_bases
dk images -a
touch "$IMAGES/ready" "$DOCKER_DIR/ready"
note "setup done"
