#!/bin/bash
# Installs what the build and the tests need (Debian 12, as root), builds
# with -Werror, runs every test (the real-guest tests boot QEMU guests; the
# rig caches kernels and snapshots in /var/cache/libvmi-rig), then runs the
# unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer,
# and the helper's acceptance test (a live guest under libvirt) under them too,
# then builds the libFuzzer targets (fuzz/) and runs each for 10 s
# (LIBVMI_FUZZ_SECONDS).
#
#   sudo tests/run-all.sh            # everything
#   LIBVMI_SKIP_INSTALL=1 tests/run-all.sh   # packages already there
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${LIBVMI_BUILD_DIR:-$src/build-check}
jobs=$(nproc)

[ "${LIBVMI_SKIP_INSTALL:-0}" = 1 ] || "$src/tests/install-deps.sh"

# The costly fault cycles (QEMU killed, libvirtd restarted, domain destroyed,
# gdbstub stalls) get 40 s each here, so that the whole run stays near half
# an hour on 2 cores; the cheap ones still run 100 cycles.  A full campaign:
# LIBVMI_FAULT_BUDGET_S=150 (tests/faults/faults.am).
export LIBVMI_FAULT_BUDGET_S=${LIBVMI_FAULT_BUDGET_S:-40}

cd "$src"
./autogen.sh >/dev/null 2>&1 || ./autogen.sh
summary() {
    # sums the automake test-suite.log of a build dir: PASS/FAIL/SKIP counts
    local log=$1/test-suite.log
    [ -f "$log" ] || { echo "0 0 0"; return; }
    awk '/^# PASS:/{p=$3} /^# FAIL:/{f=$3} /^# XPASS:/{f+=$3} /^# ERROR:/{f+=$3} /^# SKIP:/{s=$3} END{print p+0, f+0, s+0}' "$log"
}
inner() {
    # DIR...: the checks inside the tests under DIR that passed or failed
    # (a test that SKIPped as a whole is a skip already): "ran skipped",
    # from each script's closing "checks: N ran, M skipped" line, plus the
    # GLib unit tests' skipped cases ("ok N /path # SKIP reason")
    local trs log
    for trs in $(find "$@" -name '*.trs' 2>/dev/null); do
        grep -qE '^:test-result: (PASS|FAIL|ERROR|XPASS)' "$trs" || continue
        log=${trs%.trs}.log
        [ -f "$log" ] || continue
        sed -n 's/^checks: \([0-9]*\) ran, \([0-9]*\) skipped$/\1 \2/p' "$log" | tail -1
        { grep -cE '^ok [0-9]+ .* # SKIP' "$log" || true; } | sed 's/^/0 /'
    done | awk '{ r += $1; s += $2 } END { print r + 0, s + 0 }'
}

# The rig first (kernels and guest snapshots, cached in /var/cache/libvmi-rig):
# the unit tests of the kallsyms, BTF and ISF readers also check every rig
# kernel (LIBVMI_TEST_KERNELS); with no rig they count those parts as skips.
echo "== test rig"
rig_rc=0
"$src/tests/rig/rig.sh" all >/dev/null || rig_rc=$?
echo "rig.sh all: exit $rig_rc (77: something could not be downloaded; those tests SKIP)"
rig_cache=${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig}
[ -d "$rig_cache/kernels" ] && export LIBVMI_TEST_KERNELS=$rig_cache/kernels

echo "== build with -Werror and run every test ($build)"
rm -rf "$build" && mkdir -p "$build" && cd "$build"
"$src/configure" --enable-werror >/dev/null
make -j"$jobs" >/dev/null
rc=0
make -j"$jobs" check || rc=$?
failed_logs() {
    # the end of the log of every test that failed (CI shows only stdout)
    local trs
    for trs in $(find . -name '*.trs' 2>/dev/null); do
        grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
        echo "---- ${trs%.trs}.log: the failed checks"
        grep -n -B2 -A3 -E '^ *not ok|^# *(FAIL|fail)' "${trs%.trs}.log" | head -80 || true
        echo "---- ${trs%.trs}.log (end)"
        tail -60 "${trs%.trs}.log"
    done
}
[ $rc -eq 0 ] || failed_logs
read -r p1 f1 s1 < <(summary "$build")
# Honest counting: how many checks against real guests ran (tests/real and
# the helper's acceptance test), and how many checks inside passing tests
# were skipped (they count as skips below, never as passes).
read -r real_ran real_skipped < <(inner tests/real tests/helper)
read -r _ in_skipped1 < <(inner .)
echo "real-guest checks: $real_ran ran, $real_skipped skipped"
if [ "$rig_rc" -eq 0 ] && [ "$real_ran" -eq 0 ]; then
    echo "FAIL: the rig was available (rig.sh all: exit 0) but no real-guest check ran"
    rc=1
fi

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
san=$build-san
rm -rf "$san" && mkdir -p "$san" && cd "$san"
"$src/configure" --enable-werror --enable-sanitizers --disable-real-tests --disable-bench >/dev/null
make -j"$jobs" >/dev/null
rc2=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    make -j"$jobs" check || rc2=$?
[ $rc2 -eq 0 ] || failed_logs
read -r p2 f2 s2 < <(summary "$san")

# The helper's whole path under the sanitizers too (vmi-helperd, virt-vmi,
# libvmi's kvm driver on a live guest; the rig is cached by now). A SKIP
# counts as a skip, never as a pass.
echo "== the helper's acceptance test under AddressSanitizer + UndefinedBehaviorSanitizer, with no libvmi.conf entry"
p3=0 f3=0 s3=0
if [ -x "$san/helper/vmi-helperd" ]; then
    rc3=0
    # ... with no libvmi.conf entry for the domain: the helper introspects it
    # with nothing but its memory (kallsyms, BTF), all checks as above
    HENV_ZERO_CONF=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make check TESTS="tests/helper/test-helper.sh" || rc3=$?
    res=$(sed -n 's/^:test-result: //p' "$san/tests/helper/test-helper.sh.trs" 2>/dev/null | head -1)
    case $res in
        PASS) p3=1 ;;
        SKIP) s3=1; grep '^SKIP' "$san/tests/helper/test-helper.sh.log" || true ;;
        *) f3=1; failed_logs ;;
    esac
    [ "$res" = PASS ] || [ "$res" = SKIP ] || rc2=1
else
    echo "(vmi-helperd not built: no helper test)"
fi
p2=$((p2 + p3)) f2=$((f2 + f3)) s2=$((s2 + s3))
# the checks inside the sanitizer build's tests, the helper's among the
# real-guest ones
read -r _ in_skipped2 < <(inner .)
read -r r3 s3r < <(inner tests/helper)
real_ran=$((real_ran + r3)) real_skipped=$((real_skipped + s3r))

# Every parser's libFuzzer target (fuzz/targets.txt), built with clang and
# run briefly on its seed corpus; each target is one test.  A target that
# cannot be built (clang or its fuzzer runtime missing) is a failure.
fuzz_secs=${LIBVMI_FUZZ_SECONDS:-10}
echo "== fuzz targets: build, then each for $fuzz_secs s"
fz=$build-fuzz
rm -rf "$fz"
rc4=0
BUILDDIR=$build "$src/fuzz/build.sh" "$fz" || rc4=1
FUZZ_OUT=$fz "$src/fuzz/run.sh" "$fuzz_secs" | tee "$build/fuzz-run.txt" || rc4=1
read -r p4 f4 < <(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$build/fuzz-run.txt") || true
p4=${p4:-0} f4=${f4:-1}
[ $rc4 -eq 0 ] || [ "$f4" -gt 0 ] || f4=1
p2=$((p2 + p4)) f2=$((f2 + f4))
[ "$f4" -eq 0 ] || rc2=1

echo
echo "real-guest checks: $real_ran ran, $real_skipped skipped"
echo "tests: $((p1 + p2)) passed, $((f1 + f2)) failed, $((s1 + s2 + in_skipped1 + in_skipped2)) skipped" \
     "($((s1 + s2)) whole tests, $((in_skipped1 + in_skipped2)) checks inside passing tests)"
[ $rc -eq 0 ] && [ $rc2 -eq 0 ]
