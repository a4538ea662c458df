#!/bin/bash
# dist_deb_package (fixture setup of dist_deb_debian12): cpack -G DEB of this build tree makes
# dockerdiff_<version>_<arch>.deb with the control fields filled in, a Depends line that
# dpkg-shlibdeps computed (each library the executable loads is there, by its package), and
# exactly /usr/bin/dockerdiff and the CMake package.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

dir=$DOCKERDIFF_DIST_WORK/deb
SECONDS=0
make_package DEB "$dir"
arch=$(debian_arch)
deb=$dir/dockerdiff_${DOCKERDIFF_VERSION}_${arch}.deb
[ -f "$deb" ] || fail "cpack made no $(basename "$deb"): $(cd "$dir" && echo *.deb)"
note "$(basename "$deb"): $(stat -c %s "$deb") bytes, in ${SECONDS}s"

dpkg-deb -I "$deb" | sed 's/^/    | /'
field() { dpkg-deb -f "$deb" "$1"; }
expect_eq Package "$(field Package)" dockerdiff
expect_eq Version "$(field Version)" "$DOCKERDIFF_VERSION"
expect_eq Architecture "$(field Architecture)" "$arch"
expect_eq Section "$(field Section)" admin
expect_eq Priority "$(field Priority)" optional
[[ $(field Maintainer) =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || fail "Maintainer is not 'Name <email>': $(field Maintainer)"
[[ $(field Homepage) == https://* ]] || fail "Homepage is not a URL: $(field Homepage)"
[ "$(field Description | wc -l)" -ge 2 ] || fail "Description has no long description: $(field Description)"

depends=$(field Depends 2>/dev/null || true)
note "Depends: $depends"
tree=$dir/tree
dpkg-deb -x "$deb" "$tree"
bin=$tree/usr/bin/dockerdiff
[ -x "$bin" ] || fail "no executable usr/bin/dockerdiff in the package"
mapfile -t needed < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ ${#needed[@]} -eq 0 ]; then
  # A static build's executable (no NEEDED library, no interpreter) depends on no package.
  readelf -l "$bin" | grep -q 'Requesting program interpreter' && fail "usr/bin/dockerdiff has an interpreter but no NEEDED library"
  expect_eq "Depends of a static executable" "$depends" ""
  note "static executable: no library, no Depends"
else
  # Depends, as dpkg-shlibdeps wrote it: libc and libarchive at least, with versions.
  for pkg in libc6 libarchive13; do
    [[ ", $depends," =~ ,\ $pkg\ \(\>=\ [^\)]+\), ]] || fail "Depends names no '$pkg (>= version)': $depends"
  done
fi

# Every library the packaged executable loads (its NEEDED entries, resolved as the loader does on
# this machine) belongs to an installed package, and that package is in Depends: a library built
# from elsewhere would be left out silently (CPack runs dpkg-shlibdeps with --ignore-missing-info).
# The package names of Depends, comma-separated (versions dropped, alternatives listed).
names=$(sed 's/ *([^)]*)//g; s/ *[,|] */,/g' <<<"$depends")
resolved=$(ldd "$bin") || fail "ldd $bin failed"
for soname in "${needed[@]}"; do
  path=$(awk -v so="$soname" '$1 == so && $2 == "=>" { print $3 }' <<<"$resolved")
  if [ -z "$path" ] || [ "$path" = not ]; then fail "$soname is not found on this machine: $resolved"; fi
  # dpkg knows a file by the path its package ships (/lib or /usr/lib: merged /usr links them).
  owner=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "${path#/usr}" 2>/dev/null || dpkg-query -S "/usr$path" 2>/dev/null) ||
    fail "$soname ($path) belongs to no installed package: Depends cannot name it (build against Debian's -dev packages)"
  pkg=${owner%%:*}
  [[ ",$names," == *",$pkg,"* ]] || fail "$soname is $pkg's, which Depends does not name: $depends"
  note "$soname: $pkg"
done
if readelf -S "$bin" | grep -q '\.debug_info'; then fail "usr/bin/dockerdiff is not stripped"; fi
"$bin" --version | grep -qF "$DOCKERDIFF_VERSION" || fail "usr/bin/dockerdiff --version does not say $DOCKERDIFF_VERSION"

# The files: the executable and the CMake package (where CMake's find_package searches under /usr),
# all root's, and nothing else.
listing=$dir/contents.txt
dpkg-deb -c "$deb" >"$listing"
sed 's/^/    | /' "$listing"
if awk '$2 != "root/root"' "$listing" | grep -q .; then fail "files not owned by root/root: $(awk '$2 != "root/root"' "$listing")"; fi
mapfile -t files < <(awk '$1 !~ /^d/ { print $6 }' "$listing" | sort)
cmakedir=$(dirname "$(printf '%s\n' "${files[@]}" | grep '/DockerDiffConfig\.cmake$')")
[[ $cmakedir =~ ^\./usr/lib/([a-z0-9_]+-linux-gnu[a-z0-9_]*/)?cmake/DockerDiff$ ]] ||
  fail "the CMake package is in $cmakedir, not in usr/lib[/<multiarch>]/cmake/DockerDiff"
expected=(./usr/bin/dockerdiff)
for file in DockerDiffConfig.cmake DockerDiffConfigVersion.cmake DockerDiffTargets.cmake DockerDiff.cmake DockerDiffResolveImages.cmake; do
  expected+=("$cmakedir/$file")
done
# The per-configuration targets file (DockerDiffTargets-<config>.cmake) names the executable.
config_targets=$(printf '%s\n' "${files[@]}" | grep "^$cmakedir/DockerDiffTargets-[a-z]*\.cmake$") ||
  fail "no per-configuration DockerDiffTargets-<config>.cmake in the package"
expected+=("$config_targets")
expect_eq "the package's files" "$(printf '%s\n' "${files[@]}")" "$(printf '%s\n' "${expected[@]}" | sort)"
# shellcheck disable=SC2016 # CMake's variable, literally
expect_grep "the imported executable" "$tree/${config_targets#./}" '${_IMPORT_PREFIX}/bin/dockerdiff'
printf '%s\n' "$deb" >"$DOCKERDIFF_DIST_WORK/deb.path"
note "the package is complete: $(basename "$deb")"
