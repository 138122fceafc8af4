#!/bin/bash
# The libvirt qemu hook (libvirt-hooks/qemu) and its installer:
#   - with no bus, or a bus that never answers, the hook exits 0 in under a
#     second, prints nothing, and leaves libvirt's pipes closed;
#   - with a private bus (DBUS_SYSTEM_BUS_ADDRESS) and the fake helper, the
#     helper receives NotifyLifecycle with the domain's name, the UUID from
#     the XML on stdin, the operation and sub-operation, through dbus-send
#     and through gdbus; prepare/start are not forwarded;
#   - install-hook.sh installs into an empty hooks dir, goes to qemu.d/
#     beside a foreign hook, never overwrites a foreign file, and
#     --uninstall removes only its own.
# Exits 77 when a tool is missing. Root is not needed.
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/lib.sh"

need dbus-daemon dbus-send gdbus timeout xmllint sed
HOOK=$srcdir/libvirt-hooks/qemu
INSTALL=$srcdir/libvirt-hooks/install-hook.sh
UUID=4dea22b3-1d52-d8f3-2516-782e98ab3fa0
T=$'\t'    # the fake helper's log is tab-separated

make_workdir
copy_xml
build_fake

cat >"$work/domain.xml" <<EOF
<domain type='kvm'>
  <name>web1</name>
  <uuid>$UUID</uuid>
  <memory unit='KiB'>1048576</memory>
  <sysinfo type='smbios'>
    <system><entry name='uuid'>00000000-0000-0000-0000-000000000001</entry></system>
  </sysinfo>
  <devices>
    <disk type='file' device='disk'><source file='/var/lib/libvirt/images/web1.qcow2'/></disk>
  </devices>
</domain>
EOF

# Processes the hook left behind: those whose environment points the system
# bus at one of this test's addresses (nothing else on the machine does).
leftovers() {
    local p
    for p in /proc/[0-9]*; do
        grep -qszF "DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/" "$p/environ" 2>/dev/null &&
            echo "${p#/proc/}"
    done
}
kill_leftovers() {
    local pid
    for pid in $(leftovers); do kill -KILL "$pid" 2>/dev/null; done
}
trap 'kill_leftovers; cleanup' EXIT

# run_hook ADDRESS ARGS...: runs the hook as libvirt does (XML on stdin,
# output captured, so a background process holding stdout would show as a
# slow hook); sets HOOK_RC, HOOK_OUT and HOOK_MS.
run_hook() {
    local address=$1 t0 t1
    shift
    t0=$(date +%s%N)
    HOOK_OUT=$(DBUS_SYSTEM_BUS_ADDRESS=$address timeout 10 "$HOOK" "$@" <"$work/domain.xml" 2>&1)
    HOOK_RC=$?
    t1=$(date +%s%N)
    HOOK_MS=$(((t1 - t0) / 1000000))
}
# hook_fast DESCRIPTION ADDRESS ARGS...: exit 0, no output, under 1 s
hook_fast() {
    local what=$1
    shift
    run_hook "$@"
    if [ "$HOOK_RC" -eq 0 ] && [ -z "$HOOK_OUT" ] && [ "$HOOK_MS" -lt 1000 ]; then
        ok "$what (${HOOK_MS} ms)"
    else
        not_ok "$what: exit $HOOK_RC, ${HOOK_MS} ms, output '$HOOK_OUT'"
    fi
}

# ------------------------------------------------------------- no bus
nobus=unix:path=$work/no-such-bus
for op in "prepare begin" "start begin" "started begin" "stopped end" "release end" \
          "reconnect begin" "migrate begin" "restore begin"; do
    # shellcheck disable=SC2086
    hook_fast "no bus: '$op' exits 0 at once" "$nobus" web1 $op -
done

# ------------------------------------------------ a bus that never answers
if command -v python3 >/dev/null 2>&1; then
    python3 - "$work/hung-bus" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
conns = []
while True:
    c, _ = s.accept()   # accept, then never say a word
    conns.append(c)
EOF
    BG_PIDS="$BG_PIDS $!"
    for _ in $(seq 50); do [ -S "$work/hung-bus" ] && break; sleep 0.05; done
    hook_fast "hung bus: 'started' exits 0 at once" "unix:path=$work/hung-bus" web1 started begin -
    stop_pid "$BG_PIDS"
    BG_PIDS=
else
    skip_check "hung bus: 'started' exits 0 at once" "python3 is not installed"
fi
# The background sender gives up when the bus goes away (or after 5 s).
no_leftovers() {
    local _
    for _ in $(seq 70); do
        [ -z "$(leftovers)" ] && return 0
        sleep 0.1
    done
    return 1
}
check "the hook's background sender ends by itself" no_leftovers

# -------------------------------------------------------- private bus
# The hook runs as root under libvirt and talks to a root-owned helper.
# Run by another user, this test lets that user stand in for root.
if [ "$(id -u)" -ne 0 ]; then
    EXTRA_POLICY=$work/allow-me.conf
    cat >"$EXTRA_POLICY" <<EOF
<busconfig>
  <policy user="$(id -un)">
    <allow own="org.libvmi.helper1"/>
    <allow send_destination="org.libvmi.helper1"/>
    <allow receive_sender="org.libvmi.helper1"/>
  </policy>
</busconfig>
EOF
fi
start_bus || { echo "cannot start dbus-daemon" >&2; exit 99; }
start_fake || exit 99

run_hook "$BUS_ADDR" web1 prepare begin -
run_hook "$BUS_ADDR" web1 start begin -
for op in "started begin" "reconnect begin" "stopped end" "release end"; do
    # shellcheck disable=SC2086 # "OPERATION SUB-OPERATION"
    set -- $op
    hook_fast "bus: '$op' exits 0 at once" "$BUS_ADDR" web1 "$1" "$2" -
    check "bus: the helper received NotifyLifecycle(web1, $UUID, $1, $2)" \
        wait_for_log "^NotifyLifecycle${T}web1${T}$UUID${T}$1${T}$2${T}"
done
check "bus: prepare and start were not forwarded" \
    bash -c "! grep -Eq '${T}(prepare|start)${T}' '$FAKE_LOG'"

# gdbus as the client, with a name that needs quoting
name="it's a \\ test"
LIBVMI_HOOK_CLIENT=gdbus run_hook "$BUS_ADDR" "$name" started begin -
check "bus: through gdbus, a quoted name arrives intact" \
    wait_for_log "^NotifyLifecycle${T}it's a \\\\ test${T}$UUID${T}started${T}begin${T}"

# no UUID in the XML: an empty one is sent
printf '<domain><name>nouuid</name></domain>\n' >"$work/domain.xml"
run_hook "$BUS_ADDR" nouuid stopped end -
check "bus: no <uuid> in the XML sends an empty UUID" \
    wait_for_log "^NotifyLifecycle${T}nouuid${T}${T}stopped${T}end${T}"

# ------------------------------------------------------ install-hook.sh
inst() { "$INSTALL" --source "$HOOK" "$@" >"$work/inst.log" 2>&1; }
same() { cmp -s "$1" "$2"; }

d=$work/hooks-fresh
inst --hooks-dir "$d"
check "install: fresh dir gets hooks/qemu" same "$HOOK" "$d/qemu"
check "install: hooks/qemu is executable" test -x "$d/qemu"
check "install: no qemu.d/ when hooks/qemu is free" test ! -e "$d/qemu.d"
check "install: tells to restart libvirtd" grep -q 'Restart libvirtd' "$work/inst.log"
inst --hooks-dir "$d"
check "install: a second run replaces its own hooks/qemu" same "$HOOK" "$d/qemu"
only_qemu() { [ "$(find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n')" = qemu ]; }
check "install: leaves no temporary file" only_qemu "$d"

d=$work/hooks-foreign
mkdir -p "$d"
printf '#!/bin/sh\n# the admin'"'"'s own hook\nexit 0\n' >"$d/qemu"
chmod 0755 "$d/qemu"
cp "$d/qemu" "$work/foreign"
inst --hooks-dir "$d"
check "install: a foreign hooks/qemu is left alone" same "$work/foreign" "$d/qemu"
check "install: beside a foreign hook it goes to qemu.d/libvmi" same "$HOOK" "$d/qemu.d/libvmi"
check "install: qemu.d/libvmi is executable" test -x "$d/qemu.d/libvmi"
inst --hooks-dir "$d" --uninstall
check "uninstall: removes qemu.d/libvmi" test ! -e "$d/qemu.d/libvmi"
check "uninstall: keeps the foreign hooks/qemu" same "$work/foreign" "$d/qemu"

mkdir -p "$d/qemu.d"
cp "$work/foreign" "$d/qemu.d/libvmi"
if inst --hooks-dir "$d"; then rc=0; else rc=$?; fi
check "install: refuses when qemu.d/libvmi is foreign too" test "$rc" -ne 0
check "install: the foreign qemu.d/libvmi is left alone" same "$work/foreign" "$d/qemu.d/libvmi"
inst --hooks-dir "$d" --uninstall
check "uninstall: leaves foreign files alone" \
    bash -c "cmp -s '$work/foreign' '$d/qemu' && cmp -s '$work/foreign' '$d/qemu.d/libvmi'"

d=$work/hooks-fresh
inst --hooks-dir "$d" --uninstall
check "uninstall: removes its own hooks/qemu" test ! -e "$d/qemu"

finish
