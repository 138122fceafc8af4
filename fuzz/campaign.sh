#!/bin/bash
# The long fuzzing campaign: every built target for RUNS executions
# (default 10 million), split over JOBS parallel jobs (default: the number
# of cores), on a growing corpus kept in OUTDIR/campaign/corpus/<name>
# (seeded from fuzz/corpus/<name>); a unit slower than FUZZ_TIMEOUT s
# (default 10: the machine is shared, and one unit of ASan+coverage code
# that takes 4 ms natively took 2 s under load) is a hang; leaks are
# checked (detect_leaks=1).
#
#   fuzz/campaign.sh [RUNS]
#   FUZZ_OUT=dir   where fuzz/build.sh put the targets (default fuzz/out)
#   JOBS=n         parallel jobs per target
#   MAX_TIME=s     stop each target after s seconds too (a short campaign)
#   TARGETS="a b"  only these
#
# Writes OUTDIR/campaign/summary.txt: per target executions, exec/s,
# coverage (cov: edges, ft: features), crashes, hangs, leaks, out-of-memory;
# the inputs that failed are in OUTDIR/campaign/artifacts/.  Exits non-zero
# when any target failed.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/fuzz/options.sh"
runs=${1:-10000000}
out=${FUZZ_OUT:-$src/fuzz/out}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
camp=$out/campaign
mkdir -p "$camp/artifacts" "$camp/logs" "$camp/corpus"
targets=${TARGETS:-$(grep -v FAILED "$out/targets" 2>/dev/null)}
[ -n "$targets" ] || { echo "campaign: no targets built (run fuzz/build.sh)" >&2; exit 1; }
sum=$camp/summary.txt
printf '%-12s %11s %8s %6s %6s %7s %5s %5s %4s %7s\n' target execs exec/s cov ft crashes hangs leaks oom seconds >"$sum"
bad=0
for name in $targets; do
    bin=$out/fuzz-$name
    [ -x "$bin" ] || { echo "campaign: $name not built" >&2; bad=1; continue; }
    corpus=$camp/corpus/$name
    mkdir -p "$corpus"
    [ -d "$src/fuzz/corpus/$name" ] && cp -rn "$src/fuzz/corpus/$name/." "$corpus/"
    logs=$camp/logs/$name
    rm -rf "$logs" && mkdir -p "$logs"
    per=$(( (runs + jobs - 1) / jobs ))
    t0=$(date +%s)
    pids=()
    for j in $(seq 1 "$jobs"); do
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            "$bin" $(fuzz_options "$name") -runs="$per" ${MAX_TIME:+-max_total_time=$MAX_TIME} -timeout="${FUZZ_TIMEOUT:-10}" \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$camp/artifacts/$name-" \
            "$corpus" >"$logs/job-$j.log" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    secs=$(( $(date +%s) - t0 ))
    execs=$(cat "$logs"/job-*.log | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s+=$1} END{print s+0}')
    cov=$(cat "$logs"/job-*.log | grep -oE 'cov: [0-9]+' | cut -d' ' -f2 | sort -n | tail -1)
    ft=$(cat "$logs"/job-*.log | grep -oE 'ft: [0-9]+' | cut -d' ' -f2 | sort -n | tail -1)
    leaks=$(cat "$logs"/job-*.log | grep -c 'ERROR: LeakSanitizer')
    hangs=$(cat "$logs"/job-*.log | grep -c 'ALARM: working on the last Unit')
    oom=$(cat "$logs"/job-*.log | grep -c 'ERROR: libFuzzer: out-of-memory')
    crashes=$(cat "$logs"/job-*.log | grep -cE 'ERROR: AddressSanitizer|runtime error:|deadly signal|property violated')
    rate=$(( secs > 0 ? execs / secs : execs ))
    printf '%-12s %11s %8s %6s %6s %7s %5s %5s %4s %7s\n' "$name" "$execs" "$rate" "${cov:--}" "${ft:--}" \
        "$crashes" "$hangs" "$leaks" "$oom" "$secs" | tee -a "$sum"
    [ $((crashes + hangs + leaks + oom)) -eq 0 ] || bad=1
done
echo "campaign: summary in $sum"
cat "$sum"
exit $bad
