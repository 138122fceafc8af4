#!/bin/bash
# The system-bus policy dbus/org.libvmi.helper1.conf on a private
# dbus-daemon that applies the system bus's default rules and then ours:
#   - root owns org.libvmi.helper1 and can call every interface;
#   - a member of the group libvmi can call Manager, Domain, Properties,
#     Introspectable and ObjectManager, and receives the helper's signals,
#     but not NotifyLifecycle (root only);
#   - another user is refused (org.freedesktop.DBus.Error.AccessDenied) and
#     does not receive the helper's signals;
#   - no non-root user can own the name.
# Needs root (it runs commands as two test users it creates when missing:
# vmitest-member in group libvmi, vmitest-other; they and the group libvmi
# are left on the machine). Exits 77 when a tool is missing or not root.
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/lib.sh"

need dbus-daemon gdbus runuser timeout xmllint
[ "$(id -u)" -eq 0 ] || skip "needs root: it owns the name as root and runs commands as test users"
need getent groupadd useradd usermod gpasswd
[ -r "$POLICY" ] || { echo "cannot read $POLICY" >&2; exit 99; }

GROUP=libvmi
MEMBER=vmitest-member
OTHER=vmitest-other
MANAGER=/org/libvmi/helper1
DOMAIN=/org/libvmi/helper1/domain/_c7a5fdbd_cdaf_9455_926a_d65c16db1809

# ------------------------------------------------------------------ users
getent group "$GROUP" >/dev/null || groupadd --system "$GROUP" || exit 99
for u in "$MEMBER" "$OTHER"; do
    getent passwd "$u" >/dev/null ||
        useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$u" || exit 99
done
id -nG "$MEMBER" | tr ' ' '\n' | grep -qx "$GROUP" || usermod -a -G "$GROUP" "$MEMBER" || exit 99
if id -nG "$OTHER" | tr ' ' '\n' | grep -qx "$GROUP"; then
    gpasswd -d "$OTHER" "$GROUP" >/dev/null || exit 99
fi

make_workdir
copy_xml
build_fake
start_bus || { echo "cannot start dbus-daemon with $POLICY" >&2; exit 99; }
start_fake || exit 99

# call USER OUTFILE METHOD_ARGS...: gdbus call to the helper as USER
call() {
    local user=$1 out=$2
    shift 2
    local cmd=(timeout 10 gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 "$@")
    if [ "$user" = root ]; then
        "${cmd[@]}" >"$out" 2>&1
    else
        runuser -u "$user" -- "${cmd[@]}" >"$out" 2>&1
    fi
}
# allowed DESCRIPTION USER EXPECTED_REGEX ARGS...: the call goes through
# and its output (reply or the helper's own error) matches
allowed() {
    local what=$1 user=$2 expect=$3
    shift 3
    call "$user" "$work/out" "$@"
    if grep -Eq -- "$expect" "$work/out" && ! grep -q 'DBus.Error.AccessDenied' "$work/out"; then
        ok "$what"
    else
        not_ok "$what: $(head -c 400 "$work/out")"
    fi
}
# denied DESCRIPTION USER ARGS...: the bus refuses the call
denied() {
    local what=$1 user=$2
    shift 2
    if ! call "$user" "$work/out" "$@" && grep -q 'org.freedesktop.DBus.Error.AccessDenied' "$work/out"; then
        ok "$what"
    else
        not_ok "$what: $(head -c 400 "$work/out")"
    fi
}

PROPS=(--method org.freedesktop.DBus.Properties)
INTRO=(--method org.freedesktop.DBus.Introspectable.Introspect)

# ------------------------------------------------------------------- root
allowed "root calls Manager.ListDomains" root "$DOMAIN" \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.ListDomains
allowed "root reads Manager.Version" root "'fake'" \
    --object-path $MANAGER "${PROPS[0]}" "${PROPS[1]}.Get" org.libvmi.helper1.Manager Version
allowed "root calls Manager.NotifyLifecycle" root '^\(\)' \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.NotifyLifecycle \
    root-test 00000000-0000-0000-0000-000000000000 reconnect begin
check "the helper received root's NotifyLifecycle" wait_for_log $'^NotifyLifecycle\troot-test\t'

# ----------------------------------------------------------- group member
allowed "a libvmi member calls Manager.ListDomains" "$MEMBER" "$DOMAIN" \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.ListDomains
allowed "a libvmi member introspects the manager" "$MEMBER" 'org.libvmi.helper1.Manager' \
    --object-path $MANAGER "${INTRO[@]}"
allowed "a libvmi member calls ObjectManager.GetManagedObjects" "$MEMBER" "$DOMAIN" \
    --object-path $MANAGER --method org.freedesktop.DBus.ObjectManager.GetManagedObjects
allowed "a libvmi member reads Domain properties" "$MEMBER" "'IntrospectableReason'" \
    --object-path $DOMAIN "${PROPS[0]}" "${PROPS[1]}.GetAll" org.libvmi.helper1.Domain
allowed "a libvmi member calls Domain.ReadPhysical (the helper answers)" "$MEMBER" \
    'org.libvmi.helper1.Error.NotIntrospectable' \
    --object-path $DOMAIN --method org.libvmi.helper1.Domain.ReadPhysical 4096 16
denied "a libvmi member may not call Manager.NotifyLifecycle" "$MEMBER" \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.NotifyLifecycle \
    member-test 00000000-0000-0000-0000-000000000000 started begin

# ------------------------------------------------------------- other user
denied "another user may not call Manager.ListDomains" "$OTHER" \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.ListDomains
denied "another user may not introspect" "$OTHER" --object-path $MANAGER "${INTRO[@]}"
denied "another user may not read properties" "$OTHER" \
    --object-path $MANAGER "${PROPS[0]}" "${PROPS[1]}.Get" org.libvmi.helper1.Manager Version
denied "another user may not call ObjectManager.GetManagedObjects" "$OTHER" \
    --object-path $MANAGER --method org.freedesktop.DBus.ObjectManager.GetManagedObjects
denied "another user may not call Domain.ReadPhysical" "$OTHER" \
    --object-path $DOMAIN --method org.libvmi.helper1.Domain.ReadPhysical 4096 16
denied "another user may not call Manager.NotifyLifecycle" "$OTHER" \
    --object-path $MANAGER --method org.libvmi.helper1.Manager.NotifyLifecycle \
    other-test 00000000-0000-0000-0000-000000000000 started begin
# Only the member's ReadPhysical may have reached the helper.
never_saw_refused() {
    ! grep -Eq 'member-test|other-test' "$FAKE_LOG" &&
        [ "$(grep -c '^ReadPhysical' "$FAKE_LOG")" -eq 1 ]
}
check "the helper never saw the refused calls" never_saw_refused

# -------------------------------------------------------------- ownership
# own_refused USER: the fake helper, run as USER, cannot take the name
# (the root-owned one still holds it; DO_NOT_QUEUE would say "exists", so
# the bus must refuse with AccessDenied before looking).
own_refused() {
    local user=$1 out=$work/own-$1.log rc=0
    runuser -u "$user" -- timeout 10 "$FAKE" --address "$BUS_ADDR" --xml-dir "$XML_DIR" \
        >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 3 ] && grep -q $'^OWN-FAILED\torg.freedesktop.DBus.Error.AccessDenied' "$out"; then
        ok "$user cannot own org.libvmi.helper1"
    else
        not_ok "$user cannot own org.libvmi.helper1: exit $rc, $(head -c 300 "$out")"
    fi
}
own_refused "$MEMBER"
own_refused "$OTHER"

# ---------------------------------------------------------------- signals
# Both users listen for the helper's signals; root makes it emit
# DomainAdded; the member must see it, the other user must not.
for u in "$MEMBER" "$OTHER"; do
    runuser -u "$u" -- timeout 4 gdbus monitor --address "$BUS_ADDR" \
        --dest org.libvmi.helper1 >"$work/monitor-$u.log" 2>&1 &
    BG_PIDS="$BG_PIDS $!"
done
sleep 1
call root "$work/out" --object-path $MANAGER \
    --method org.libvmi.helper1.Manager.NotifyLifecycle \
    signal-test 00000000-0000-0000-0000-000000000000 started begin
# shellcheck disable=SC2086 # a list of pids
wait $BG_PIDS 2>/dev/null
BG_PIDS=
check "a libvmi member receives the helper's signals" \
    grep -q 'DomainAdded.*signal-test' "$work/monitor-$MEMBER.log"
check "another user does not receive the helper's signals" \
    bash -c "! grep -q 'DomainAdded' '$work/monitor-$OTHER.log'"

finish
