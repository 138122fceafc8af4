#!/bin/bash
# Defect 11 on a real guest (the rig's amd64 guest under a private libvirtd,
# tests/helper/env.sh): exits and reconnects leave nothing in the guest and
# tell the watcher.
#   - an execute watch (a gdbstub breakpoint) on the kernel's write syscall,
#     which the guest runs at every VMI-TICK it prints, fires; then the
#     helper gets SIGTERM while the watch is armed: the watcher (virt-vmi
#     watch) receives WatchLost and exits 1, the helper exits 0 and logs the
#     domain detached, and the guest runs on: it keeps printing ticks on its
#     console and libvirt says "running" (a breakpoint left behind would stop
#     it at its next write, with no debugger to continue it). The byte at the
#     watched address, read through QEMU's monitor (xp), is the original one
#     (on TCG the gdbstub keeps breakpoints outside guest memory, so this part
#     cannot tell; under KVM it can);
#   - a fresh helper, the same watch, then libvirtd restarted: the watch is
#     re-armed on the reopened instance (the helper logs it), the same
#     watcher sees new events without a WatchLost, and the guest runs on.
# Needs root; exits 77 when the environment cannot be built.
set -u
# shellcheck disable=SC2317
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/helper/env.sh
. "$HERE/env.sh"
CHECK=(python3 "$HERE/check.py")
henv_setup
W=$HENV_WORK
PATH_DOM=$HENV_PATH
DIFACE=org.libvmi.helper1.Domain
wait_for() {
    local n=$(($1 * 10)) i
    shift
    for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    "$@"
}
introspectable() { [ "$(henv_prop "$PATH_DOM" $DIFACE Introspectable)" = "b true" ]; }
ticks() { "${CHECK[@]}" tick-count "$HENV_CONSOLE"; }
runs_on() {
    local t0
    t0=$(ticks)
    sleep 3
    echo "ticks $t0 -> $(ticks), state $(henv_vsh domstate "$HENV_DOMAIN")"
    [ "$(ticks)" -gt "$t0" ] && [ "$(henv_vsh domstate "$HENV_DOMAIN")" = running ]
}
xp_byte() { henv_vsh qemu-monitor-command "$HENV_DOMAIN" --hmp "xp /1xb $1" | tr -d '\r' | grep -Eo '0x[0-9a-f]+$'; }

henv_virt_vmi enable "$HENV_DOMAIN" --mode both >"$W/enable.out" 2>&1 || { cat "$W/enable.out"; exit 1; }
henv_start_domain || { not_ok "the guest boots"; echo "0 passed"; exit 1; }
check "the domain is introspectable (60 s)" wait_for 60 introspectable
va=
for sym in __x64_sys_write ksys_write vfs_write; do
    va=$(henv_call "$PATH_DOM" $DIFACE.LookupSymbol "$sym" 2>/dev/null | grep -Eo '[0-9]+' | tail -1)
    [ -n "$va" ] && break
done
[ -n "$va" ] || { not_ok "LookupSymbol of the write syscall"; exit 1; }
pa=$(henv_call "$PATH_DOM" $DIFACE.TranslateKernel "$va" | grep -Eo '[0-9]+' | tail -1)
orig=$(xp_byte "$pa")
echo "# watching $sym at $(printf '0x%x' "$va") (pa $(printf '0x%x' "$pa"), byte $orig)"

# start_watch NAME: virt-vmi watch in the background, until it saw an event
start_watch() {
    "$VIRT_VMI" --address "$BUS_ADDR" watch "$HENV_DOMAIN" "$va" --access x --timeout 300 \
        >"$W/$1.out" 2>"$W/$1.err" &
    WATCH_PID=$!
    HENV_BG_PIDS="${HENV_BG_PIDS:-} $WATCH_PID"
    wait_for 30 grep -q 'access=x' "$W/$1.out"
}
watcher_lost() {     # NAME REGEX: the watcher exited 1 with WatchLost's reason
    local rc=0 i
    for ((i = 0; i < 300; i++)); do kill -0 "$WATCH_PID" 2>/dev/null || break; sleep 0.1; done
    wait "$WATCH_PID" || rc=$?
    echo "virt-vmi watch exit $rc: $(tail -1 "$W/$1.err")"
    [ $rc = 1 ] && grep -Eq "dropped by vmi-helperd: $2" "$W/$1.err"
}

# ------------------------------------------------ SIGTERM with a watch armed
check "an execute watch on $sym fires (virt-vmi watch --access x)" start_watch w1
armed=$(xp_byte "$pa")
echo "# the byte while armed: $armed"
kill -TERM "$HELPERD_PID"
rc=0
for _ in $(seq 600); do lv_alive "$HELPERD_PID" || break; sleep 0.1; done
wait "$HELPERD_PID" 2>/dev/null || rc=$?
check "SIGTERM: the helper exits 0 (exit $rc)" test "$rc" = 0
check "... the watcher got WatchLost (helper stopping) and exits 1" watcher_lost w1 "vmi-helperd is stopping"
check "... the helper logged the watch cleared from the guest and the domain detached" \
    bash -c "grep -q 'dropped (cleared from the guest): vmi-helperd is stopping' '$HENV_LOG' &&
             grep -q '1 domain detached: every watch cleared' '$HENV_LOG'"
check "... the guest runs on: new ticks on its console, libvirt says running" runs_on
byte_is_original() { local now; now=$(xp_byte "$pa"); echo "now $now"; [ -n "$orig" ] && [ "$now" = "$orig" ]; }
check "... the byte at the watched address (QEMU's xp) is the original ($orig)" byte_is_original

# ------------------------------------------------ libvirtd restart
henv_start_helperd || { not_ok "a fresh helper starts"; exit 1; }
check "a fresh helper: the domain is introspectable (60 s)" wait_for 60 introspectable
if [ "$HENV_LIBVIRTD_OURS" = 1 ]; then
    check "the same watch, set again, fires" start_watch w2
    henv_restart_libvirtd || not_ok "restart libvirtd: $HENV_ERR"
    n_before=$(grep -c 'access=x' "$W/w2.out")
    check "... and the helper serves it again (introspectable, 30 s)" wait_for 30 introspectable
    check "libvirtd restarted: the helper logged the watch re-armed (60 s)" \
        wait_for 60 grep -q 're-armed at .* after the libvirt reconnection' "$HENV_LOG"
    more_events() { [ "$(grep -c 'access=x' "$W/w2.out")" -gt "$n_before" ]; }
    same_watcher_fires() {
        wait_for 30 more_events && ! grep -q 'dropped by vmi-helperd' "$W/w2.err" &&
            kill -0 "$WATCH_PID"
    }
    check "... the same watcher (no WatchLost) sees new events after the restart (30 s)" \
        same_watcher_fires
    check "... the guest runs on" runs_on
    kill "$WATCH_PID" 2>/dev/null
else
    skip_check "libvirtd restart" "libvirtd was running before this test: not ours to restart" 4
fi
echo "$passed passed, $fails failed, $skipped skipped"
[ $fails -eq 0 ] || { tail -25 "$HENV_LOG" | sed 's/^/#   /'; exit 1; }
[ $passed -gt 0 ] || exit 77
exit 0
