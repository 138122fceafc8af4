#!/bin/bash
# make bench-python: the figures of the Python binding and of Volatility 3
# through vmi:// (reported, not asserted):
#  1. read_va of 4 KiB (warm) from Python (ABI mode, and API mode when the
#     compiled module was built) vs from C, on the rig's amd64 snapshot and
#     on a live guest (shared RAM file): the overhead per call in us
#     (target < 2);
#  2. linux.pslist through vmi://NAME on the live guest vs the same plugin
#     on a raw snapshot of that guest (its RAM file copied while paused):
#     the ratio of wall times, best of 2 (target <= 1.5).
set -euo pipefail
: "${top_srcdir:?run through make bench-python}" "${top_builddir:?}"
PY=${LIBVMI_TEST_PYTHON:-/usr/bin/python3}
rig=$top_srcdir/tests/rig/rig.sh
eval "$("$rig" env amd64)"
export PYTHONPATH=$top_srcdir/python:$top_builddir/python LIBVMI_LIBRARY=$top_builddir/libvmi/.libs/libvmi.so.0
export PYTHONDONTWRITEBYTECODE=1 LD_LIBRARY_PATH=$top_builddir/libvmi/.libs
cbench=$top_builddir/bench/.libs/vmi-bench-read-va
[ -x "$cbench" ] || cbench=$top_builddir/bench/vmi-bench-read-va
VOLATILITY3_DIR=${VOLATILITY3_DIR:-$top_srcdir/../shared/third_party/volatility3}
[ -e "$VOLATILITY3_DIR/vol.py" ] || VOLATILITY3_DIR=/work/shared/third_party/volatility3
work=$(mktemp -d /tmp/vmi-pybench.XXXXXX)
run=$work/run
cleanup() { "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a) ? b : a }'; }
overhead() {   # overhead WHERE NAME: best of 3 interleaved runs of each
    local c=1e12 abi=1e12 api=1e12 x i
    for i in 1 2 3; do
        c=$(min "$c" "$("$cbench" "$2" | awk '{ print $2 }')")
        x=$(LIBVMI_PYTHON_MODE=abi "$PY" "$top_srcdir/bench/python-bench.py" readva "$2" | awk '{ print $2 }')
        abi=$(min "$abi" "$x")
        if [ -e "$top_builddir/python/_libvmi_cffi.so" ]; then
            x=$(LIBVMI_PYTHON_MODE=api "$PY" "$top_srcdir/bench/python-bench.py" readva "$2" | awk '{ print $2 }')
            api=$(min "$api" "$x")
        fi
    done
    awk -v w="$1" -v c="$c" -v p="$abi" -v q="$api" 'BEGIN {
        printf "read_va 4 KiB, %s: C %.0f ns; Python ABI mode %.0f ns: overhead %.2f us", w, c, p, (p - c) / 1000
        if (q < 1e12) printf "; API mode %.0f ns: overhead %.2f us", q, (q - c) / 1000
        printf " per call (target < 2)\n" }'
}

export LIBVMI_CONF=$RIG_CONF
overhead "snapshot $(basename "$RIG_RAW")" "$RIG_RAW"

"$rig" boot amd64 "$run" >/dev/null
{
    echo "benchlive {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\"; gdb = \"$run/gdb.sock\"; kvm_access = \"shm\";"
    echo "}"
} >"$work/libvmi.conf"
export LIBVMI_CONF=$work/libvmi.conf
overhead "live guest (shm)" benchlive

if ! [ -e "$VOLATILITY3_DIR/vol.py" ] || ! "$PY" -c 'import pefile' 2>/dev/null; then
    echo "linux.pslist: skipped (no Volatility 3 or pefile)"
    exit 0
fi
"$PY" "$top_srcdir/bench/python-bench.py" snapshot benchlive "$run/ram.file" "$work/guest.raw"
symbols=${VMI_TEST_ISF_DIR:-}
if [ -z "$symbols" ]; then
    # the test's ISF (tests/python/test_vol.py make_isf)
    symbols=$(cd "$top_srcdir/tests/python" && RIG_SYSMAP=$RIG_SYSMAP RIG_KERNEL_DIR=$RIG_KERNEL_DIR \
        top_srcdir=$top_srcdir "$PY" -c 'import sys, test_vol; print(test_vol.make_isf(sys.argv[1]))' "$work")
fi
vol() {   # vol LOCATION: wall seconds of linux.pslist
    local t0 t1
    t0=$(date +%s.%N)
    mkdir -p "$work/cache"
    "$PY" "$VOLATILITY3_DIR/vol.py" -q -r json --cache-path "$work/cache" \
        --plugin-dirs "$top_srcdir/python/volatility3" -s "$symbols" -f "$1" linux.pslist \
        >"$work/out.json" 2>"$work/vol.err" || { cat "$work/vol.err" >&2; return 1; }
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}
vol "$work/guest.raw" >/dev/null   # warm the identifier cache
best_raw=1e9 best_vmi=1e9
for i in 1 2; do
    r=$(vol "$work/guest.raw"); v=$(vol vmi://benchlive)
    best_raw=$(awk -v a="$best_raw" -v b="$r" 'BEGIN { print (b < a) ? b : a }')
    best_vmi=$(awk -v a="$best_vmi" -v b="$v" 'BEGIN { print (b < a) ? b : a }')
done
awk -v r="$best_raw" -v v="$best_vmi" 'BEGIN {
    printf "linux.pslist: vmi:// live %.1f s, raw snapshot of that guest %.1f s: ratio %.2f (target <= 1.5)\n",
           v, r, v / r }'
