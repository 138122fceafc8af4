#!/bin/bash
# The Python binding on a running rig guest through the kvm driver
# (tests/python/test_live.py): process list, symbols, translations,
# registers, pause/resume, a write the guest prints, INT3 events; the
# guest's console is the ground truth.
GUEST=amd64
. "$(dirname "$0")/../real/rig-env.sh"
. "$(dirname "$0")/lib.sh"
[ -x "$top_builddir/tests/real/check-live" ] ||
    { echo "SKIP: libvmi was built without the kvm driver"; exit 77; }

run=$work/run
cleanup() { "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
LIBVMI_RIG_BUSY=1 "$rig" boot amd64 "$run" >/dev/null
{
    echo "pylive {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\";"
    echo "    gdb = \"$run/gdb.sock\";"
    echo "}"
} >"$work/libvmi.conf"
export LIBVMI_CONF=$work/libvmi.conf LIVE_NAME=pylive LIVE_CONSOLE=$run/console.log RIG_KALLSYMS
py_checks_modes "$work/py.log" test_live
checks_end "python on a live amd64 guest"
