#!/bin/bash
# The gdbstub socket directory through the real vmi-helperd's gdbstub_dir
# and virt-vmi's --socket-dir, hermetically: a private dbus-daemon and
# libvirt's test:///default driver (its domain "test"; no QEMU, no libvirtd,
# nothing on the host changed but directories under a private /tmp dir).
# Whoever reaches the gdbstub has all guest memory and registers, so a
# directory that users other than root and QEMU's user can reach is
# refused, with the path and the reason, before the domain's XML names it:
#   - mode 0777, a symbolic link, a parent everyone can write: refused by
#     the daemon's Enable and by virt-vmi enable, and left as it was;
#   - a missing one is made 0700 for QEMU's user (libvirt-qemu) by the
#     daemon;
#   - a good one (0700) passes: what fails then is the test driver's domain
#     type, which only shows that the directory was accepted.
# Needs root (the daemon gives the directory it makes to libvirt-qemu).
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/lib.sh"

need dbus-daemon gdbus timeout xmllint stat
[ "$(id -u)" -eq 0 ] || skip "needs root: the daemon makes directories for QEMU's user"
HELPERD=${VMI_HELPERD:-${top_builddir:-$srcdir/_b}/helper/vmi-helperd}
VIRT_VMI=${VIRT_VMI:-${top_builddir:-$srcdir/_b}/helper/virt-vmi}
[ -x "$HELPERD" ] || skip "vmi-helperd is not built ($HELPERD)"
[ -x "$VIRT_VMI" ] || skip "virt-vmi is not built ($VIRT_VMI)"

UUID=6695eb01-f6a4-8304-79aa-97f2502e193f       # test:///default's domain "test"
DOMAIN=/org/libvmi/helper1/domain/_${UUID//-/_}
D=org.libvmi.helper1.Domain
UNSAFE='is not safe'
TYPE_REFUSED="only 'kvm' and 'qemu' domains"    # the directory was accepted

make_workdir
start_bus || { echo "cannot start dbus-daemon" >&2; exit 99; }

# the directories: good, open to all, a link to the good one, under a parent
# everyone can write, missing
mkdir -m 0700 "$work/good"
mkdir "$work/open" && chmod 0777 "$work/open"
ln -s "$work/good" "$work/link"
mkdir "$work/loose" && chmod 0777 "$work/loose" && mkdir -m 0700 "$work/loose/d"
MISSING=$work/made/sockets

HLOG=$work/helperd.log
HPID=
: >"$work/libvmi.conf"
write_conf() {
    printf '[helper]\nuris=test:///default\nlibvmi_conf=%s/libvmi.conf\ngdbstub_dir=%s\n[domain %s]\ncontrol=true\n' \
        "$work" "$1" "$UUID" >"$work/helperd.conf"
}
start_helperd() {
    local _
    "$HELPERD" --address "$BUS_ADDR" --config "$work/helperd.conf" -v >"$HLOG" 2>&1 &
    HPID=$!
    BG_PIDS="$BG_PIDS $HPID"
    for _ in $(seq 100); do
        grep -q 'owns org.libvmi.helper1' "$HLOG" && grep -q 'published at' "$HLOG" && return 0
        kill -0 "$HPID" 2>/dev/null || break
        sleep 0.05
    done
    echo "vmi-helperd did not start:" >&2
    cat "$HLOG" >&2
    return 1
}
# use_dir DIR: the daemon's gdbstub_dir becomes DIR (SIGHUP, and the log
# says it is reloaded)
use_dir() {
    local n _
    n=$(grep -c 'configuration reloaded' "$HLOG")
    write_conf "$1"
    kill -HUP "$HPID"
    for _ in $(seq 100); do
        [ "$(grep -c 'configuration reloaded' "$HLOG")" -gt "$n" ] && return 0
        sleep 0.05
    done
    return 1
}
# enable DESCRIPTION REGEX: the daemon's Enable("gdbstub") answers REGEX
enable() {
    timeout 10 gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 \
        --object-path "$DOMAIN" --method $D.Enable gdbstub >"$work/out" 2>&1
    if grep -Eq -- "$2" "$work/out"; then ok "$1"; else not_ok "$1: $(head -c 400 "$work/out")"; fi
}
# vv DESCRIPTION CODE REGEX DIR: virt-vmi enable --socket-dir DIR exits CODE,
# its stderr matching REGEX
vv() {
    local rc=0
    timeout 30 "$VIRT_VMI" -c test:///default enable test --mode gdbstub --socket-dir "$4" \
        >"$work/vout" 2>"$work/verr" || rc=$?
    if [ "$rc" -eq "$2" ] && grep -Eq -- "$3" "$work/verr"; then
        ok "$1"
    else
        not_ok "$1: exit $rc: $(head -c 400 "$work/verr")"
    fi
}
mode_of() { stat -c '%a' "$1"; }

write_conf "$work/open"
start_helperd || exit 99

# ------------------------------------------------------- vmi-helperd Enable
enable "gdbstub_dir mode 0777: Enable refused, the directory named with the reason" \
    "gdbstub socket directory '$work/open' $UNSAFE: it gives every user access \(mode 0777\)"
check "gdbstub_dir mode 0777: left as it was (not repaired)" test "$(mode_of "$work/open")" = 777
use_dir "$work/link" || not_ok "the daemon reloads its configuration"
enable "gdbstub_dir a symbolic link: Enable refused" "$UNSAFE: it is a symbolic link"
use_dir "$work/loose/d"
enable "gdbstub_dir under a parent everyone can write: Enable refused" \
    "$UNSAFE: '$work/loose' \(on its path\) is writable by every user"
use_dir "$MISSING"
enable "gdbstub_dir missing: made, then the domain's type is what fails" "$TYPE_REFUSED"
owner=root
id libvirt-qemu >/dev/null 2>&1 && owner=libvirt-qemu
check "gdbstub_dir missing: made mode 0700, owned by $owner (QEMU's user)" \
    test "$(stat -c '%a %U' "$MISSING" 2>&1)" = "700 $owner"
check "gdbstub_dir missing: the directory above it made 0755, root's" \
    test "$(stat -c '%a %U' "$work/made" 2>&1)" = "755 root"
use_dir "$work/good"
enable "gdbstub_dir mode 0700: accepted (the domain's type is what fails)" "$TYPE_REFUSED"

# ------------------------------------------------- virt-vmi --socket-dir
vv "virt-vmi --socket-dir mode 0777: refused, before the XML is changed" 1 \
    "gdbstub socket directory '$work/open' $UNSAFE: it gives every user access \(mode 0777\)" \
    "$work/open"
vv "virt-vmi --socket-dir a symbolic link: refused" 1 "$UNSAFE: it is a symbolic link" "$work/link"
vv "virt-vmi --socket-dir under a parent everyone can write: refused" 1 \
    "'$work/loose' \(on its path\) is writable by every user" "$work/loose/d"
vv "virt-vmi --socket-dir mode 0700: accepted (the domain's type is what fails)" 1 \
    "$TYPE_REFUSED" "$work/good"
check "virt-vmi: the open directory left as it was" test "$(mode_of "$work/open")" = 777
# a caller that cannot look into the directory is told so and goes on (the
# daemon checks it as root)
if id nobody >/dev/null 2>&1 && UVV=$(user_copy "$VIRT_VMI") && command -v runuser >/dev/null; then
    rc=0
    runuser -u nobody -- timeout 30 "$UVV" -c test:///default enable test --mode gdbstub \
        --socket-dir "$work/good/sub" >"$work/vout" 2>"$work/verr" || rc=$?
    if [ "$rc" -eq 1 ] && grep -q "note: cannot check the gdbstub socket directory '$work/good/sub'" "$work/verr" &&
        grep -q "$TYPE_REFUSED" "$work/verr"; then
        ok "virt-vmi as another user: a directory it cannot search is a note, not a refusal"
    else
        not_ok "virt-vmi as another user: exit $rc: $(head -c 400 "$work/verr")"
    fi
else
    echo "# SKIP: no user nobody or runuser: the unprivileged virt-vmi check did not run"
    skipped=1
fi

echo "$passed passed, $fails failed, ${skipped:-0} skipped"
[ "$fails" -eq 0 ] || exit 1
[ "${skipped:-0}" -eq 0 ] || exit 77
