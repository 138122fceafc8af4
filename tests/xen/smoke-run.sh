#!/bin/sh
# run.sh of the smoke payload (tests/xen/test-xen-rig.sh), inside dom0:
# bin/xen-probe on each domU (both at once), against its console log
for d in "$XEN_RIG_PV:pv" "$XEN_RIG_PVH:pvh"; do
    (
        name=${d%:*}
        kind=${d#*:}
        id=$(xl domid "$name" 2>/dev/null)
        if [ -z "$id" ]; then
            echo "XEN-TEST not ok - $name: xl domid: no such domain"
            exit 0
        fi
        ./bin/xen-probe "$name" "$kind" "$id" "$XEN_RIG_CONSOLE_DIR/guest-$name.log" ||
            echo "XEN-TEST info - $name: xen-probe exited with $?"
    ) &
done
wait
# the domUs still run after the probe (paused and resumed)
xl list | sed 's/^/XEN-INFO /'
