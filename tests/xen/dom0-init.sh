#!/bin/sh
# /init of the Xen rig's dom0 (busybox ash, pid 1), see tests/xen/README.md.
# Starts the toolstack (xenstored, xen-init-dom0, xenconsoled), creates the
# PV and the PVH domU, waits for both to print VMI-READY, runs
# /payload/run.sh, copies the domU consoles to this console and powers off
# (reboot -f: QEMU runs with -no-reboot and exits).
PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/xen-4.17/lib/x86_64-linux-gnu
export PATH LD_LIBRARY_PATH
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
exec </dev/console >/dev/console 2>&1

. /etc/xen-rig.conf # READY_TIMEOUT PAYLOAD_TIMEOUT DOMUS
up() { read -r u _ </proc/uptime; echo "$u"; }
say() { echo "XEN-RIG $*"; }
finish() {
    say "POWEROFF $(up)"
    sync
    reboot -f
    sleep 60
}
die() {
    say "ERROR $*"
    dump_consoles
    finish
}
# the domUs' consoles, streamed to this console as they grow (a run cut
# short by the host's time limit still has them)
stream_consoles() {
    for d in $DOMUS; do
        (
            f=/var/log/xen/console/guest-$d.log
            while [ ! -f "$f" ]; do sleep 0.2; done
            exec tail -n +1 -f "$f" | sed "s/^/XEN-CON $d /"
        ) &
    done
}
dump_consoles() {
    sleep 3 # let the streams catch up
}

say "INIT $(up)"
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs; do
    insmod /lib/modules/$m.ko || die "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || die "mount xenfs failed"
mkdir -p /var/run/xen /var/run/xenstored /var/lib/xen /var/lib/xenstored /var/log/xen/console /run/payload
xenstored --pid-file=/var/run/xenstored.pid || die "xenstored failed"
xen-init-dom0 || die "xen-init-dom0 failed"
xenconsoled --pid-file=/var/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console ||
    die "xenconsoled failed"
say "TOOLSTACK $(up)"

# both at once (building a domain is mostly dom0 CPU: the kernel's
# decompression by libxenguest)
for d in $DOMUS; do
    (
        if xl create /etc/xen/$d.cfg >/run/xl-create-$d.log 2>&1; then
            say "CREATED $d $(up)"
        else
            say "CREATE-FAILED $d"
            cat /run/xl-create-$d.log
        fi
    ) &
done
wait
for d in $DOMUS; do
    xl domid "$d" >/dev/null 2>&1 || die "xl create $d failed (no domain $d)"
done

stream_consoles

# both domUs up: VMI-READY on their consoles
t=0
while :; do
    n=0
    for d in $DOMUS; do
        grep -q '^VMI-READY' /var/log/xen/console/guest-$d.log 2>/dev/null && n=$((n + 1))
    done
    [ "$n" -eq "$(echo $DOMUS | wc -w)" ] && break
    t=$((t + 1))
    [ "$t" -le "$((READY_TIMEOUT * 2))" ] || { xl list; die "the domUs did not print VMI-READY in $READY_TIMEOUT s"; }
    sleep 0.5
done
say "DOMUS-READY $(up)"
xl list | sed 's/^/XEN-RIG XL /'

if [ -x /payload/run.sh ]; then
    say "PAYLOAD-BEGIN $(up)"
    (
        cd /payload || exit 1
        XEN_RIG_CONSOLE_DIR=/var/log/xen/console
        XEN_RIG_PAYLOAD=/payload
        LD_LIBRARY_PATH=/payload/lib:$LD_LIBRARY_PATH
        export XEN_RIG_CONSOLE_DIR XEN_RIG_PAYLOAD LD_LIBRARY_PATH XEN_RIG_PV XEN_RIG_PVH
        timeout -s KILL "$PAYLOAD_TIMEOUT" ./run.sh </dev/null
    )
    rc=$?
    say "PAYLOAD-END rc=$rc $(up)"
else
    say "PAYLOAD-NONE"
fi
xl list | sed 's/^/XEN-RIG XL /'
dump_consoles
finish
