#!/bin/bash
# Runs every fuzz target briefly on a copy of its seed corpus.
#
#   fuzz/run.sh [SECONDS]          (default 10 per target)
#
# Targets: the lines of fuzz/targets.txt whose fuzz-<name>.c exists; the
# binaries are taken from $FUZZ_OUT (default fuzz/out, where fuzz/build.sh
# puts them).  A target that is listed but not built (no clang, a build
# failure) counts as failed, never as passed.  Each run reports its
# executions, coverage (cov/ft) and whether it found a crash, leak, timeout
# (-timeout, default 5 s) or out-of-memory; the input that did is kept in
# $FUZZ_OUT/artifacts/.  Ends with "fuzz: N passed, N failed" and exits
# non-zero when any target failed.  A target's own libFuzzer options are
# in fuzz/<name>.options (see fuzz/options.sh).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/fuzz/options.sh"
secs=${1:-10}
out=${FUZZ_OUT:-$src/fuzz/out}
timeout=${FUZZ_TIMEOUT:-5}
mkdir -p "$out/artifacts" "$out/logs"
work=$(mktemp -d "${TMPDIR:-/tmp}/libvmi-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
printf '%-12s %10s %8s %8s %8s  %s\n' target execs exec/s cov ft result
while read -r name _; do
    name=${name%%#*}
    [ -n "$name" ] || continue
    [ -f "$src/fuzz/fuzz-$name.c" ] || continue
    bin=$out/fuzz-$name
    if [ ! -x "$bin" ]; then
        printf '%-12s %10s %8s %8s %8s  %s\n' "$name" - - - - "FAIL (not built: run fuzz/build.sh)"
        failed=$((failed + 1))
        continue
    fi
    corpus=$work/$name
    mkdir -p "$corpus"
    [ -d "$src/fuzz/corpus/$name" ] && cp -r "$src/fuzz/corpus/$name/." "$corpus/"
    log=$out/logs/$name.log
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" $(fuzz_options "$name") -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    if [ $rc -eq 0 ]; then
        result=ok
        passed=$((passed + 1))
    else
        if grep -q 'ERROR: LeakSanitizer' "$log"; then result="FAIL (leak)"
        elif grep -q 'ALARM: working on the last Unit' "$log"; then result="FAIL (timeout)"
        elif grep -q 'out-of-memory' "$log"; then result="FAIL (out of memory)"
        else result="FAIL (crash, exit $rc)"
        fi
        art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | cut -d' ' -f5)
        [ -n "$art" ] && result="$result: $art"
        failed=$((failed + 1))
    fi
    printf '%-12s %10s %8s %8s %8s  %s\n' "$name" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "$result"
    if [ $rc -ne 0 ]; then
        grep -m1 -A25 -E '^==[0-9]+==ERROR|runtime error|property violated|ALARM|out-of-memory' "$log" | sed 's/^/    /' | head -40
    fi
done < "$src/fuzz/targets.txt"
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
