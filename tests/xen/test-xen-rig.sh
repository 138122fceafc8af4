#!/bin/bash
# shellcheck source=tests/xen/lib.sh disable=SC2154
# The Xen rig's smoke test (no libvmi): boots Xen + dom0 + a PV and a PVH
# domU under QEMU and runs tests/xen/xen-probe.c in dom0 against each domU
# (libxenctrl, libxenforeignmemory, libxenstore).  The ground truth is the
# domU's own console (VMI-BANNER, VMI-KSYM, VMI-PA, VMI-TICK) and `xl domid`.
# SKIP (77) when libxen-dev is missing or a download fails.
. "$(dirname "$0")/lib.sh"
# The rig's own smoke test boots Xen once more for checks that
# test-xen-accept.sh makes through the driver as well (domains, names, CR3
# walks, the PV p2m, pause): run it when the rig itself changes.
[ "${LIBVMI_XEN_SMOKE:-0}" = 1 ] || { echo "SKIP: the Xen rig's smoke test runs with LIBVMI_XEN_SMOKE=1 (test-xen-accept.sh covers the driver)"; exit 77; }

have_xen_dev || { echo "SKIP: libxen-dev not installed (pkg-config $xen_libs)"; exit 77; }
[ -w "${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig}" ] || [ "$(id -u)" = 0 ] ||
    { echo "SKIP: the rig cache ${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig} is not writable (run as root)"; exit 77; }

# shellcheck disable=SC2046
$CC -O2 -Wall -Wextra -Werror -o "$work/xen-probe" "$top_srcdir/tests/xen/xen-probe.c" \
    $(pkg-config --cflags --libs $xen_libs) || { nok "xen-probe builds"; checks_end test-xen-rig; }
"$xen_rig" payload "$work/payload" "$work/xen-probe" || { nok "payload"; checks_end test-xen-rig; }
install -m 0755 "$top_srcdir/tests/xen/smoke-run.sh" "$work/payload/run.sh"

out=$work/out
if run_rig "$work/payload" "$out"; then
    ok "rig: Xen, dom0 and both domUs up, payload finished"
else
    nok "rig: Xen, dom0 and both domUs up, payload finished"
    tail -n 40 "$out/serial.log" 2>/dev/null | sed 's/^/# serial: /'
fi
for d in domu-pv domu-pvh; do
    if grep -q '^VMI-READY' "$out/console-$d.log" 2>/dev/null; then
        ok "$d: its console (hvc0) reached dom0's serial log with VMI-READY"
    else
        nok "$d: no VMI-READY in its console copied to the serial log"
    fi
    # the probe's last check: it ran to the end on this domU
    if grep -q "^XEN-TEST [a-z ]* - $d: unpause" "$out/results.txt" 2>/dev/null; then
        ok "$d: xen-probe ran all its checks"
    else
        nok "$d: xen-probe did not finish (see the serial log)"
        grep -E "(xen-probe|$d)" "$out/serial.log" 2>/dev/null | grep -v '^XEN-CON' | tail -n 10 | sed 's/^/# /'
    fi
done
count_xen_tests "$out/results.txt"
checks_end test-xen-rig
