# shellcheck shell=bash
# Counting shared by the real-guest tests (sourced).  Each test ends with
# the line tests/run-all.sh sums, whatever the outcome:
#   checks: N ran, M skipped
# A check that cannot run here is a skip, said so with its reason, never a
# pass: a test whose every check was skipped exits 77 (SKIP); one with some
# skipped passes on what ran, and its count line carries the skips.
checks_ran=0 checks_failed=0 checks_skipped=0
ok() { echo "ok - $*"; checks_ran=$((checks_ran + 1)); }
nok() { echo "not ok - $*"; checks_ran=$((checks_ran + 1)); checks_failed=$((checks_failed + 1)); }
# skip_check WHAT REASON [N]: N checks (default 1) could not run here
skip_check() {
    echo "# SKIP ${3:-1} check(s): $1: $2"
    checks_skipped=$((checks_skipped + ${3:-1}))
}
# count_tap FILE: the ok / not ok lines a checker program printed count as
# checks, its "# SKIP N check(s): ..." lines as skips (the program prints
# them itself; nothing is echoed here)
count_tap() {
    local n f s
    n=$(grep -cE '^(not )?ok( [0-9]+)? - ' "$1" || true)
    f=$(grep -cE '^not ok( [0-9]+)? - ' "$1" || true)
    s=$(sed -n 's/^# SKIP \([0-9][0-9]*\) check(s): .*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }')
    checks_ran=$((checks_ran + n))
    checks_failed=$((checks_failed + f))
    checks_skipped=$((checks_skipped + s))
}
# checks_end NAME: the count line; exits 1 when a check failed, 77 when
# none ran, else 0
checks_end() {
    echo "checks: $checks_ran ran, $checks_skipped skipped"
    if [ "$checks_failed" -gt 0 ]; then
        echo "FAIL: $1: $checks_failed of $checks_ran check(s) failed"
        exit 1
    elif [ "$checks_ran" -eq 0 ]; then
        echo "SKIP: $1: no check could run here"
        exit 77
    fi
    if [ "$checks_skipped" -gt 0 ]; then
        echo "PASS: $1 ($checks_skipped check(s) skipped, see above)"
    else
        echo "PASS: $1"
    fi
    exit 0
}
