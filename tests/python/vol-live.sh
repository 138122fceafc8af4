#!/bin/bash
# Volatility 3's linux.pslist on a running rig guest through vmi://NAME
# (tests/python/test_vol.py VolLive), compared with the guest's VMI-PS.
GUEST=amd64
. "$(dirname "$0")/../real/rig-env.sh"
. "$(dirname "$0")/lib.sh"
: "${VOLATILITY3_DIR:=$top_srcdir/../shared/third_party/volatility3}"
[ -e "$VOLATILITY3_DIR/vol.py" ] || VOLATILITY3_DIR=/work/shared/third_party/volatility3
if ! [ -e "$VOLATILITY3_DIR/vol.py" ]; then
    echo "SKIP: Volatility 3 not found (VOLATILITY3_DIR=$VOLATILITY3_DIR)"
    exit 77
fi
if ! "$PY" -c 'import pefile' 2>/dev/null; then
    echo "SKIP: $PY has no pefile module, which Volatility 3 needs (apt-get install python3-pefile)"
    exit 77
fi
[ -x "$top_builddir/tests/real/check-live" ] ||
    { echo "SKIP: libvmi was built without the kvm driver"; exit 77; }
run=$work/run
cleanup() { "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"$rig" boot amd64 "$run" >/dev/null
{
    echo "vollive {"
    echo "    qmp = \"$run/qmp.sock\";"
    echo "    gdb = \"$run/gdb.sock\";"
    echo "}"
} >"$work/libvmi.conf"
export LIBVMI_CONF=$work/libvmi.conf VOL_LIVE_NAME=vollive LIVE_CONSOLE=$run/console.log
export VOLATILITY3_DIR PY RIG_SYSMAP RIG_KERNEL_DIR RIG_RAW RIG_ZCONF
py_checks "$work/py.log" test_vol.VolLive
checks_end "Volatility 3 through vmi:// on a live amd64 guest"
