#!/bin/sh
# helper-run.sh [start|check]: vmi-helperd inside the Xen rig's dom0 (issue 10, part 4),
# run by the acceptance payload (accept-run.sh) last, since it destroys a
# domU.  Ground truth: the toolstack (xl list: names, UUIDs, which domains
# exist) and the domUs' consoles (VMI-PS blocks, compared on the host by
# tests/xen/helper.py from the XEN-AT / XEN-OUT lines printed here).
#
#   - a private dbus-daemon in dom0 (bus config helper-bus.conf), vmi-helperd
#     on it with xen=on, no libvirt URI, and an empty libvmi.conf: the domUs
#     are opened with the library's Linux zero-config;
#   - each domU gets an object: Hypervisor "xen", Name and UUID as xl says,
#     Introspectable;
#   - virt-vmi ps DOMU over the bus (host side: equals the domU's VMI-PS);
#   - xl destroy of the PV domU: its object goes (absent from
#     GetManagedObjects, InterfacesRemoved seen by gdbus monitor) while the
#     PVH domU's stays, still introspectable.
# Prints XEN-TEST ok|not ok lines (and XEN-XS: the xenstore as xenstore-ls
# -f shows it, XEN-HLOG: the daemon's log).
P=${XEN_RIG_PAYLOAD:-/payload}
# zero-config: no libvmi.conf of the payload's other checks reaches the daemon
unset LIBVMI_CONF
PATH=$P/bin:$PATH
export PATH
PV=${XEN_RIG_PV:-domu-pv}
PVH=${XEN_RIG_PVH:-domu-pvh}
CON=${XEN_RIG_CONSOLE_DIR:-/var/log/xen/console}
# how long a domU may take to become introspectable (zero-config, TCG)
INTRO_TIMEOUT=${HELPER_INTRO_TIMEOUT:-120}
ok() { echo "XEN-TEST ok - helper: $*"; }
nok() { echo "XEN-TEST not ok - helper: $*"; }
info() { echo "XEN-TEST info - helper: $*"; }
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
emit() { [ -s "$2" ] && sed "s/^/$3 $1 /" "$2"; }
T=/tmp/helper
mkdir -p $T
vv() { timeout 30 virt-vmi --address "$ADDR" "$@"; }
xl_uuid() { awk -v n="$1" '$1 == n { print $7 }' $T/xl.txt; }
# the daemon, the monitor and the bus are stopped; the daemon's log ends
finish() {
    kill "$MPID" 2>/dev/null
    kill "$HPID" 2>/dev/null
    i=0
    while kill -0 "$HPID" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
    kill "$BUSPID" 2>/dev/null
}

phase_start() {
    # the store as the daemon reads it (tests/helper/xenstore-rig.txt)
    xenstore-ls -f 2>&1 | sed 's/^/XEN-XS /'
    [ -s /etc/group ] || echo "root:x:0:" >/etc/group
    out=$(dbus-daemon --config-file="$P/helper-bus.conf" --fork --print-address=1 --print-pid=1 2>$T/bus.err)
    ADDR=$(echo "$out" | sed -n 1p)
    BUSPID=$(echo "$out" | sed -n 2p)
    if [ -z "$ADDR" ]; then
        nok "a private dbus-daemon starts in dom0: $(head -c 300 $T/bus.err)"
        return 1
    fi
    ok "a private dbus-daemon starts in dom0 ($ADDR)"
    # the daemon's log goes to the console as it comes (XEN-HLOG): seen
    # even when the payload is killed
    mkfifo $T/hlog
    while IFS= read -r l; do echo "XEN-HLOG $l"; done <$T/hlog &
    vmi-helperd --address "$ADDR" --config "$P/helperd.conf" >$T/hlog 2>&1 &
    echo "$!" >$T/hpid
    gdbus monitor --address "$ADDR" --dest org.libvmi.helper1 >$T/monitor.log 2>&1 &
    echo "$!" >$T/mpid
    echo "ADDR='$ADDR' BUSPID=$BUSPID" >$T/env
    sleep 1
}
phase_check() {
    . $T/env
    HPID=$(cat $T/hpid)
    MPID=$(cat $T/mpid)
    # the toolstack's view: name -> uuid
    xl list -v >$T/xl.txt 2>&1
    # 1. an object per domU, Hypervisor xen, introspectable (both waited for
    # together, the reasons shown every 20 s)
    # (seconds of dom0's uptime: a virt-vmi call itself takes seconds under TCG)
    up() { cut -d. -f1 /proc/uptime; }
    t0=$(up)
    t=0
    while :; do
        n=0
        for d in $PV $PVH; do
            vv --json info "$d" >$T/info-$d.json 2>$T/info-$d.err
            grep -q '"Introspectable" *: *true' $T/info-$d.json && n=$((n + 1))
        done
        [ $n -eq 2 ] && break
        [ $t -lt "$INTRO_TIMEOUT" ] || break
        kill -0 "$HPID" 2>/dev/null || break
        if [ $((t - ${last:--99})) -ge 20 ]; then
            last=$t
            for d in $PV $PVH; do
                info "$d after ${t} s: $(grep -o '"IntrospectableReason" *: *"[^"]*"' $T/info-$d.json | head -c 300) $(head -c 200 $T/info-$d.err)"
            done
        fi
        sleep 2
        t=$(($(up) - t0))
    done
    for d in $PV $PVH; do
        info "$d: info after ${t} s: $(tr -d '\n' <$T/info-$d.json | head -c 600) $(head -c 200 $T/info-$d.err)"
        if grep -q '"Hypervisor" *: *"xen"' $T/info-$d.json &&
            grep -q "\"Name\" *: *\"$d\"" $T/info-$d.json; then
            ok "$d has an object with Hypervisor xen and its name"
        else
            nok "$d has no object with Hypervisor xen (virt-vmi info: $(head -c 200 $T/info-$d.err))"
        fi
        u=$(xl_uuid "$d")
        if [ -n "$u" ] && grep -q "\"UUID\" *: *\"$u\"" $T/info-$d.json &&
            grep -q "\"Path\" *: *\"/org/libvmi/helper1/domain/_$(echo "$u" | tr - _)\"" $T/info-$d.json; then
            ok "$d: the object's UUID and path are xl's UUID ($u)"
        else
            nok "$d: the object's UUID or path is not xl's UUID '$u'"
        fi
        if grep -q '"Introspectable" *: *true' $T/info-$d.json; then
            ok "$d is introspectable through the helper (zero-config, no libvmi.conf entry)"
        else
            nok "$d is not introspectable after $INTRO_TIMEOUT s: $(grep -o '"IntrospectableReason" *: *"[^"]*"' $T/info-$d.json | head -c 400)"
        fi
    done
    kill -0 "$HPID" 2>/dev/null || { nok "vmi-helperd exited (see XEN-HLOG)"; finish; }

    # 2. virt-vmi ps over the bus (compared on the host with VMI-PS)
    for d in $PV $PVH; do
        log=$CON/guest-$d.log
        n0=$(lines "$log")
        vv --json ps "$d" >$T/ps.out 2>$T/ps.err
        rc=$?
        e0=$(grep -c '^VMI-PS-END' "$log")
        i=0
        while [ "$(grep -c '^VMI-PS-END' "$log")" -le "$e0" ] && [ $i -lt 40 ]; do
            sleep 0.5
            i=$((i + 1))
        done
        echo "XEN-AT hps-$d $d $n0 $(lines "$log") $rc"
        emit "hps-$d" $T/ps.out XEN-OUT
        emit "hps-$d" $T/ps.err XEN-ERR
    done

    # 3. xl destroy of the PV domU: its object goes, the PVH one stays
    pvpath=$(grep -o '"Path" *: *"[^"]*"' $T/info-$PV.json | sed 's/.*: *"//; s/"$//')
    pvhpath=$(grep -o '"Path" *: *"[^"]*"' $T/info-$PVH.json | sed 's/.*: *"//; s/"$//')
    if [ -z "$pvpath" ] || [ -z "$pvhpath" ]; then
        nok "xl destroy $PV: no object paths to watch (see above)"
        finish; return
    fi
    xl destroy "$PV" >$T/destroy.log 2>&1 || info "xl destroy $PV: $(cat $T/destroy.log)"
    if xl list | awk '{ print $1 }' | grep -qx "$PV"; then
        info "xl still lists $PV after xl destroy"
    fi
    t0=$(up)
    t=0
    while :; do
        timeout 20 gdbus call --address "$ADDR" --dest org.libvmi.helper1 --object-path /org/libvmi/helper1 \
            --method org.freedesktop.DBus.ObjectManager.GetManagedObjects >$T/objects.txt 2>&1
        grep -q "$pvpath" $T/objects.txt || break
        t=$(($(up) - t0))
        [ $t -lt 30 ] || break
        sleep 1
    done
    if grep -q "objectpath '$pvhpath'" $T/objects.txt && ! grep -q "$pvpath" $T/objects.txt; then
        ok "xl destroy $PV: its object is gone from GetManagedObjects ($t s), $PVH's is there"
    else
        nok "xl destroy $PV: GetManagedObjects after $t s: $(head -c 300 $T/objects.txt)"
    fi
    sleep 1
    if grep -A3 'InterfacesRemoved' $T/monitor.log | grep -q "$pvpath"; then
        ok "xl destroy $PV: InterfacesRemoved for its object"
    else
        nok "xl destroy $PV: no InterfacesRemoved for $pvpath: $(grep -c . $T/monitor.log) monitor lines"
    fi
    if grep -A3 'InterfacesRemoved' $T/monitor.log | grep -q "$pvhpath"; then
        nok "xl destroy $PV: InterfacesRemoved for $PVH's object too"
    fi
    vv --json info "$PVH" >$T/info2.json 2>&1
    if grep -q '"Introspectable" *: *true' $T/info2.json; then
        ok "$PVH's object stays introspectable after $PV is destroyed"
    else
        nok "$PVH's object after $PV is destroyed: $(head -c 300 $T/info2.json)"
    fi
    vv info "$PV" >$T/info3.txt 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then
        ok "virt-vmi info $PV after xl destroy fails (exit $rc: $(head -c 120 $T/info3.txt))"
    else
        nok "virt-vmi info $PV after xl destroy still answers"
    fi
    finish; return
}

# helper-run.sh [start|check]: both by default (start: the bus and the
# daemon, which then opens the domUs while other checks run; check: the
# checks, then everything is stopped)
case ${1:-all} in
start) phase_start ;;
check) phase_check ;;
*) phase_start && phase_check ;;
esac
exit 0
