#!/bin/sh
# Runs inside the Xen rig's dom0 as /payload/run.sh (tests/xendrv/run-xendrv.sh
# puts it there): the xen driver checks on both domUs.  Output: XEN-TEST lines.
cd /payload || exit 1
con=${XEN_RIG_CONSOLE_DIR:-/var/log/xen/console}
for d in ${XEN_RIG_PVH:-domu-pvh} ${XEN_RIG_PV:-domu-pv}; do
    log=$con/guest-$d.log
    set -- $(sed -n 's/^VMI-PA \([0-9]*\) \([0-9a-f]*\) \([0-9a-f]*\) .*/\3/p' "$log" | head -n1)
    pa=${1:-0}
    set -- $(sed -n 's/^VMI-ARGV1 \([0-9]*\) \([0-9a-f]*\) .*/\1 \2/p' "$log" | head -n1)
    echo "XEN-TEST $d begin pa=$pa argv=$1:$2 $(cut -d' ' -f1 /proc/uptime)"
    ./bin/xen-check "$d" "$pa" "$1" "$2" 2>&1 | sed 's/^\([^X]\)/XEN-TEST '"$d"' stderr \1/'
    echo "XEN-TEST $d ps-begin"
    ./bin/vmi-process-list "$d" >/run/ps.out 2>&1
    rc=$?
    sed "s/^/XEN-TEST $d ps /" /run/ps.out
    echo "XEN-TEST $d ps-end rc=$rc"
    # domain by id too
    id=$(xl domid "$d")
    echo "XEN-TEST $d byid $(./bin/vmi-process-list "$id" 2>&1 | wc -l) domid=$id"
    xl list "$d" | tail -n1 | sed "s/^/XEN-TEST $d xl /"
done
# the domUs print their sentinels' command lines every 2 s: let them
sleep 6
echo "XEN-TEST all done"
