# bench/lib.sh: shell helpers shared by bench/run and bench/paths (sourced, not run).
#
# The sourcing script sets bench_name (for messages) before sourcing, and time_file (a path prefix
# for the timing files of measure) and check_failures=0 before measuring or checking.
# shellcheck shell=bash

die() {
  echo "${bench_name:-bench}: $*" >&2
  exit 2
}

# need_tools TOOL...: GNU time (for peak RSS) and every TOOL are there.
need_tools() {
  if ! /usr/bin/time -f %M true >/dev/null 2>&1; then
    die "GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time"
  fi
  local tool
  for tool; do
    command -v "$tool" >/dev/null || die "$tool not found"
  done
}

# build_missing BUILD_DIR DOCKERDIFF GENERATOR: builds dockerdiff (unless DOCKERDIFF was given) and
# the generator with cmake when they are missing, and prints the absolute path of dockerdiff.
build_missing() {
  local build_dir=$1 dockerdiff=$2 generator=$3 repo_dir
  repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
  if [[ -n ${DOCKERDIFF:-} && $dockerdiff != */* ]]; then dockerdiff=$(command -v -- "$dockerdiff" || echo "$dockerdiff"); fi
  local targets=()
  if [[ ! -x $dockerdiff ]]; then
    [[ -n ${DOCKERDIFF:-} ]] && die "DOCKERDIFF=$DOCKERDIFF is not an executable"
    targets+=(dockerdiff)
  fi
  [[ -n $generator && ! -x $generator ]] && targets+=(dockerdiff_make_bench_archive)
  if ((${#targets[@]} > 0)); then
    command -v cmake >/dev/null || die "cmake not found (needed to build ${targets[*]})"
    echo "$bench_name: building ${targets[*]} in $build_dir" >&2
    local configure=(cmake -S "$repo_dir" -B "$build_dir" -DDOCKERDIFF_BUILD_TESTS=ON)
    if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null; then configure+=(-G Ninja); fi
    "${configure[@]}" >/dev/null
    cmake --build "$build_dir" --target "${targets[@]}" >&2
  fi
  echo "$(cd -- "$(dirname -- "$dockerdiff")" && pwd)/$(basename -- "$dockerdiff")"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }

# --- measuring ---------------------------------------------------------------------------------
# Everything measured starts from the same state: inputs in the page cache, no dirty data being
# written back (sync), no stale output to free.
warm() { cat -- "$@" >/dev/null; }
# recache FILE...: writes the files back, drops their pages and reads them again, so that the page
# cache holds them as reading leaves them (readahead). How a file was written otherwise shows in how
# fast the kernel copies from it; this way dockerdiff's inputs and cp's input start out alike.
recache() {
  sync
  local file
  for file; do
    dd if="$file" iflag=nocache count=0 status=none
    cat -- "$file" >/dev/null
  done
}
settle() {
  rm -rf -- "$@"
  sync
}

# Each measured command runs in a session of its own (a scheduler autogroup of its own) at the
# highest CPU priority available (nice -20 for the session and the processes, as root), all alike:
# other work on the machine then disturbs the figures much less. The clock is read inside, around
# the command alone. The session leader's pid (the session id) goes to $stamp.pid.
# shellcheck disable=SC2016 # expanded by the inner bash
bench_runner='if [[ ${BENCH_OWN_SESSION:-} == 1 ]]; then echo -20 >/proc/self/autogroup 2>/dev/null || true; fi
stamp=$1
shift
echo $$ >"$stamp.pid"
start=$EPOCHREALTIME
/usr/bin/time -f "%M %U %S" -o "$stamp.rusage" "$@"
status=$?
end=$EPOCHREALTIME
echo "$start $end" >"$stamp.wall"
exit $status'
priority=()
priority_text="normal priority"
if [[ $EUID == 0 ]]; then
  priority=(nice -n -20)
  priority_text="nice -20"
fi
if command -v setsid >/dev/null && [[ $(setsid --help 2>&1) == *--wait* ]]; then
  priority=(setsid --wait env BENCH_OWN_SESSION=1 "${priority[@]}")
  priority_text="own session/autogroup, $priority_text"
fi

# measure NAME CMD...: appends wall seconds, peak RSS (KiB) and CPU seconds to the series NAME
# (arrays wall, rss and cpu). The command's stdout is measure's stdout.
declare -A wall rss cpu
measure() {
  local name=$1
  shift
  if ! "${priority[@]}" bash -c "$bench_runner" runner "${time_file:?}" "$@"; then
    cat -- "$time_file.rusage" >&2 || true
    die "failed: $*"
  fi
  local start end max_kib user sys
  read -r start end <"${time_file:?}.wall"
  read -r max_kib user sys <"$time_file.rusage"
  wall[$name]+="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }') "
  rss[$name]+="$max_kib "
  cpu[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') "
}

minimum() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | head -n 1; }
median() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | tail -n 1; }
# peak_mib SERIES: the largest peak RSS of a series, in MiB.
peak_mib() { mib "$(($(maximum "${rss[$1]}") * 1024))"; }

# --- report ------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? v <= t + 1e-9 : v >= t - 1e-9; print ok ? "PASS" : "FAIL" }'; }

# --- the outputs are what they should be -------------------------------------------------------
# check_entry ARCHIVE PATH SIZE: the entry exists with exactly that size.
check_entry() {
  local listed
  listed=$(tar tvf "$1" | awk -v p="$2" '$6 == p { print $3 }')
  if [[ $listed == "$3" ]]; then
    printf '  ok    %-13s %-80s %12s bytes\n' "$(basename -- "$1")" "$2" "$listed"
  else
    printf '  WRONG %-13s %-80s %12s bytes, expected %s\n' "$(basename -- "$1")" "$2" "${listed:-missing}" "$3"
    check_failures=$((check_failures + 1))
  fi
}
# check_digest ARCHIVE PATH DIGEST: the entry's bytes hash to DIGEST.
check_digest() {
  local actual
  actual=sha256:$(tar xOf "$1" "$2" | sha256sum | awk '{ print $1 }')
  if [[ $actual == "$3" ]]; then
    printf '  ok    %-13s %-80s sha256 matches its diff_id\n' "$(basename -- "$1")" "$2"
  else
    printf '  WRONG %-13s %-80s %s, expected %s\n' "$(basename -- "$1")" "$2" "$actual" "$3"
    check_failures=$((check_failures + 1))
  fi
}
