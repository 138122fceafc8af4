#!/bin/sh
# run.sh of the acceptance payload (tests/xen/test-xen-accept.sh), inside
# dom0.  The tools' outputs go to the serial log as XEN-OUT lines, compared
# on the host with the domU's console (tests/xen/accept.py); bin/check-xen
# prints its own XEN-TEST lines.
LIBVMI_CONF=/payload/libvmi.conf
export LIBVMI_CONF
PATH=/payload/bin:$PATH
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# emit TAG FILE PREFIX: FILE's lines as "PREFIX TAG line"
emit() { [ -s "$2" ] && sed "s/^/$3 $1 /" "$2"; }
# tool TAG DOMU CMD...: run a tool (timeout 120 s), note the domU console's
# line count before it and after the next complete process list
tool() {
    tag=$1 d=$2
    shift 2
    log=$XEN_RIG_CONSOLE_DIR/guest-$d.log
    n0=$(lines "$log")
    timeout 600 "$@" >/tmp/out-$d 2>/tmp/err-$d
    rc=$?
    e0=$(grep -c '^VMI-PS-END' "$log")
    i=0
    while [ "$(grep -c '^VMI-PS-END' "$log")" -le "$e0" ] && [ $i -lt 40 ]; do
        sleep 0.5
        i=$((i + 1))
    done
    echo "XEN-AT $tag $d $n0 $(lines "$log") $rc"
    emit "$tag" /tmp/out-$d XEN-OUT
    emit "$tag" /tmp/err-$d XEN-ERR
}
# both domUs at once (the checks mostly wait for the guests' consoles)
for d in "$XEN_RIG_PV:pv" "$XEN_RIG_PVH:pvh"; do
    (
        name=${d%:*}
        kind=${d#*:}
        tool "ps-$name" "$name" vmi-process-list --json --sort "$name"
        tool "banner-$name" "$name" vmi-map-symbol --string --json "$name" linux_banner
        timeout 1000 check-xen "$name" "$kind" "$XEN_RIG_CONSOLE_DIR/guest-$name.log" ||
            echo "XEN-TEST info - $name: check-xen exited with $?"
        echo "XEN-TEST info - $name: check-xen done"
    ) &
done
wait
xl list | sed 's/^/XEN-INFO /'
# the helper's part (tests/xen/helper-run.sh) last: it destroys the PV
# domU.  (Not started earlier: its zero-config scans would share dom0's one
# vCPU with the checks above.)
[ -x ./helper-run.sh ] && ./helper-run.sh
