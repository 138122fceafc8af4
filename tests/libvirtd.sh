# shellcheck shell=bash
# Shared by the tests that start libvirtd when it is not running
# (tests/real/live-libvirt.sh, tests/cli/test-virt-vmi-libvirt.sh,
# tests/helper/env.sh); sourced by bash.
#
# One such test at a time: each takes LV_LOCK first (lv_lock), so that no
# test stops the libvirtd another one is using. Daemons started here do not
# inherit the lock.

LV_LOCK=/run/lock/libvmi-libvirtd.lock
LV_LOCK_FD=
LV_LIBVIRTD_PID=
LV_VIRTLOGD_PID=
LV_ERR=

# lv_alive PID: running (a daemon's zombie may wait for a reaper that never
# comes: pid 1 of a container often reaps nothing)
lv_alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

# lv_running NAME: a live process of that name (pgrep alone counts zombies)
lv_running() {
    local p
    for p in $(pgrep -x "$1"); do lv_alive "$p" && return 0; done
    return 1
}

# lv_stop PID [kill]: SIGTERM, wait up to 5 s until it is gone; with "kill",
# SIGKILL after that
lv_stop() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do lv_alive "$pid" || return 0; sleep 0.1; done
    [ "${2:-}" != kill ] || kill -KILL "$pid" 2>/dev/null || true
}

# lv_lock SECONDS: takes the lock, waiting at most SECONDS; 1 when it could not
lv_lock() {
    mkdir -p "${LV_LOCK%/*}" || return 1
    exec {LV_LOCK_FD}>"$LV_LOCK" || return 1
    flock -w "$1" "$LV_LOCK_FD"
}

# lv_kvm_node: a /dev/kvm that only root may open (a machine without udev:
# no rule gave it to group kvm) makes libvirt 9.0 probe QEMU again at every
# define and start (its QEMU probe, run as root, finds KVM; the check of
# its cache, as user libvirt-qemu, does not: "KVM was enabled when probing,
# but it is not available now"), 30 s or more each time under TCG. Gives it
# what Debian's udev rule does: group kvm (libvirt-qemu is in it), 0660.
lv_kvm_node() {
    [ -c /dev/kvm ] && [ "$(stat -c %G /dev/kvm)" = root ] && getent group kvm >/dev/null || return 0
    chgrp kvm /dev/kvm 2>/dev/null && chmod 0660 /dev/kvm 2>/dev/null &&
        echo "# /dev/kvm given to group kvm (0660), as udev would" >&2
    return 0
}

# lv_start URI DIR: starts virtlogd (unless a live one runs) and libvirtd
# (its stderr in DIR/libvirtd.err), waits until libvirtd answers at URI.
# Sets LV_VIRTLOGD_PID (when started here) and LV_LIBVIRTD_PID; on failure
# returns 1 with the reason in LV_ERR. Not for a subshell: it records pids.
lv_start() {
    local uri=$1 dir=$2 i
    LV_ERR=
    lv_kvm_node
    if ! lv_running virtlogd; then
        virtlogd -d {LV_LOCK_FD}>&- || { LV_ERR="virtlogd does not start here"; return 1; }
        for ((i = 0; i < 50; i++)); do [ -s /run/virtlogd.pid ] && break; sleep 0.1; done
        LV_VIRTLOGD_PID=$(cat /run/virtlogd.pid 2>/dev/null || true)
    fi
    # not on a test's private bus: libvirtd keeps the environment it starts with
    env -u DBUS_SYSTEM_BUS_ADDRESS libvirtd -d 2>"$dir/libvirtd.err" {LV_LOCK_FD}>&- ||
        { LV_ERR="libvirtd does not start here: $(tail -1 "$dir/libvirtd.err")"; return 1; }
    for ((i = 0; i < 300; i++)); do virsh -q -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.1; done
    LV_LIBVIRTD_PID=$(cat /run/libvirtd.pid 2>/dev/null || true)
    virsh -q -c "$uri" uri >/dev/null 2>&1 || {
        LV_ERR="libvirtd started but does not answer at $uri: $(virsh -q -c "$uri" uri 2>&1 | tail -1)"
        return 1
    }
}
