#!/bin/bash
# dist_deb_debian12: the .deb of dist_deb_package installed by apt-get on a clean Debian 12
# (debootstrap --variant=minbase), which fetches its Depends from the Debian mirror; there,
# dockerdiff slims and verifies the bundled example, and a CMake project finds the package and
# builds a slim artifact with it (in_debian12.sh). Needs root and the mirror (the network).
#
# The debootstrapped root is kept as a tarball in this build directory (the first run takes about
# 2.5 minutes to make it); each run unpacks a fresh copy. The mirror: DOCKERDIFF_DEBIAN_MIRROR, else
# the first of this machine's apt sources (as ../shared/tools/fresh-debian12 finds it), else
# deb.debian.org.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "dist_deb_debian12 needs root (debootstrap, chroot, mounts)"
for tool in debootstrap unshare chroot zstd; do
  command -v "$tool" >/dev/null || fail "no $tool (scripts/install-deps installs it)"
done
deb=$(cat "$DOCKERDIFF_DIST_WORK/deb.path" 2>/dev/null || true)
[ -f "$deb" ] || fail "no package from dist_deb_package (its fixture did not run)"

debian_mirror() {
  local u=${DOCKERDIFF_DEBIAN_MIRROR:-}
  [ -n "$u" ] || u=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$u" ] || u=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null)
  echo "${u:-http://deb.debian.org/debian}"
}

# mounts_under DIR: the mount points of this mount namespace at or below DIR.
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo; }

# unmount_under DIR: nothing stays mounted at or below DIR (else it says what and returns 1).
unmount_under() {
  [ -n "$(mounts_under "$1")" ] || return 0
  mounts_under "$1" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  [ -z "$(mounts_under "$1")" ] || {
    echo "still mounted under $1: $(mounts_under "$1" | tr '\n' ' ')" >&2
    return 1
  }
}

# remove_tree DIR: removes DIR, never through a mount (rm -rf would go into a bound /dev).
remove_tree() {
  [ -e "$1" ] || return 0
  unmount_under "$1" && rm -rf "$1"
}

work=$DOCKERDIFF_DIST_WORK/work/debian12
root=$work/root
cache=$DOCKERDIFF_DIST_WORK/debian12-minbase.tar.zst
mirror=$(debian_mirror)
remove_tree "$root"
rm -rf "$work"
mkdir -p "$work"
# The mounts below live in a private mount namespace and end with it; the trap covers a leftover
# all the same, and keeps the root of a failed run for a look (the next run replaces it).
status=1
cleanup() {
  if [ "$status" = 0 ]; then remove_tree "$root"; else unmount_under "$root"; fi
}
trap cleanup EXIT

SECONDS=0
if [ ! -f "$cache" ]; then
  note "debootstrap --variant=minbase bookworm from $mirror (once; kept in $cache)"
  strap=$DOCKERDIFF_DIST_WORK/debootstrap
  remove_tree "$strap"
  debootstrap --variant=minbase bookworm "$strap" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    remove_tree "$strap" || true
    fail "debootstrap failed (log: $work/debootstrap.log)"
  }
  unmount_under "$strap" # debootstrap unmounts its /proc itself; never archive a mount
  tar -C "$strap" --zstd -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
  remove_tree "$strap"
  note "debootstrapped in ${SECONDS}s"
fi
mkdir -p "$root"
tar -C "$root" --zstd -xf "$cache"
# What a machine on this network has: name resolution and the CA certificates (an https mirror).
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"

inside=$root/tmp/dist
mkdir -p "$inside"
cp "$deb" "$DOCKERDIFF_SOURCE_DIR/examples/app.tar.gz" "$DOCKERDIFF_SOURCE_DIR/examples/base.tar.gz" \
  "$DIST_TESTS_DIR/in_debian12.sh" "$DIST_TESTS_DIR/../shell/assert.sh" "$inside/"
note "Debian 12 root ready in ${SECONDS}s: $root"

SECONDS=0
# shellcheck disable=SC2016 # expanded by the shell in the namespace
unshare --mount --propagation private bash -c '
  root=$1; shift
  mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 99
  exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive ${http_proxy:+http_proxy=$http_proxy} ${https_proxy:+https_proxy=$https_proxy} \
    bash /tmp/dist/in_debian12.sh "$@"' _ "$root" "$(basename "$deb")" "$DOCKERDIFF_VERSION" ||
  fail "in the Debian 12 root (output above; the root is kept: $root)"
note "installed and used in ${SECONDS}s"
status=0
