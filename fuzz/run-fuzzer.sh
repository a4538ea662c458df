#!/usr/bin/env bash
# Runs one fuzz target for a bounded time (the CTest tests of label "fuzz"):
#
#   run-fuzzer.sh FUZZER SEED_DIR DICT WORK_DIR SECONDS
#
# New inputs go to WORK_DIR/corpus (started empty; SEED_DIR is only read), a crash input to
# WORK_DIR/artifacts. Any crash, sanitizer report, uncaught exception, timeout (10 s for one input)
# or RSS over 2 GiB fails the test, with libFuzzer's report; the last line gives executions and
# corpus sizes.
set -euo pipefail
fuzzer=$1 seeds=$2 dict=$3 work=$4 seconds=$5
name=$(basename "$fuzzer")

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -dict="$dict" \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" "$seeds" >"$work/log" 2>&1 || status=$?

files() { find "$1" -type f | wc -l; }
bytes() { du -sb "$1" | cut -f1; }
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
if [[ $status -ne 0 ]] || [[ -n $(ls -A "$work/artifacts") ]]; then
  tail -n 150 "$work/log"
  echo "$name: FAILED (exit status $status); input(s) in $work/artifacts:"
  ls -l "$work/artifacts"
  exit 1
fi
grep -E '^(INFO: (Loaded|seed corpus)|#[0-9]+ +(INITED|DONE))' "$work/log" || true
echo "$name: ${runs:-?} executions in ${seconds} s, no finding; corpus $(files "$seeds") seeds ($(bytes "$seeds") bytes)" \
  "+ $(files "$work/corpus") new inputs ($(bytes "$work/corpus") bytes)"
