#!/bin/bash
# The real vmi-helperd on a host without Xen (hermetic: a private
# dbus-daemon, libvirt's test:///default driver, no guest):
#   - xen=auto with the Xen libraries missing (LIBVMI_XEN_LIBDIR names an
#     empty directory): the daemon starts, says why Xen is not followed,
#     and serves the libvirt domain as always (its object, Hypervisor
#     "qemu", a property read);
#   - xen=on with the libraries missing: it does not start (exit 1), and
#     says so with the library's name;
#   - xen=on with libxenstore present (libxen-dev's) but no xenstored: it
#     does not start, and says xenstore cannot be reached (skipped when the
#     host has no libxenstore.so.4);
#   - xen=off: not a word of Xen beyond the configuration; a bad xen= value
#     and a bad --xen are refused with the accepted values.
# Exits 77 when a tool is missing or the daemon is not built.
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/../dbus/lib.sh"

need dbus-daemon gdbus timeout xmllint
[ "$(id -u)" -eq 0 ] || skip "needs root: the daemon serves root and the group libvmi only"
HELPERD=${VMI_HELPERD:-${top_builddir:-$srcdir/_b}/helper/vmi-helperd}
[ -x "$HELPERD" ] || skip "vmi-helperd is not built ($HELPERD)"

UUID=6695eb01-f6a4-8304-79aa-97f2502e193f       # test:///default's domain "test"
DOMAIN=/org/libvmi/helper1/domain/_${UUID//-/_}

make_workdir
start_bus || { echo "cannot start dbus-daemon" >&2; exit 99; }
mkdir -p "$work/noxen"
: >"$work/libvmi.conf"
HLOG=$work/helperd.log
HPID=

# write_conf XEN_LINE: the daemon's configuration
write_conf() {
    printf '[helper]\nuris=test:///default\nlibvmi_conf=%s/libvmi.conf\n%s\n' "$work" "$1" \
        >"$work/helperd.conf"
}
# run_helperd [ARGS]: starts the daemon (LIBDIR: LIBVMI_XEN_LIBDIR); 0 once
# it owns the name and published the test domain, 1 when it exited (its
# status in $HRC)
run_helperd() {
    local _
    HRC=
    env ${LIBDIR:+LIBVMI_XEN_LIBDIR=$LIBDIR} "$HELPERD" --address "$BUS_ADDR" \
        --config "$work/helperd.conf" "$@" >"$HLOG" 2>&1 &
    HPID=$!
    BG_PIDS="$BG_PIDS $HPID"
    for _ in $(seq 200); do
        grep -q 'owns org.libvmi.helper1' "$HLOG" && grep -q 'published at' "$HLOG" && return 0
        if ! kill -0 "$HPID" 2>/dev/null; then
            wait "$HPID"
            HRC=$?
            return 1
        fi
        sleep 0.05
    done
    return 1
}
stop_helperd() {
    stop_pid "$HPID"
    wait "$HPID" 2>/dev/null
    HPID=
}
call() {
    timeout 10 gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 "$@" >"$work/out" 2>&1
}

# 1. xen=auto, no Xen libraries: starts, serves libvirt's domain
write_conf "xen=auto"
LIBDIR=$work/noxen
if run_helperd; then
    ok "xen=auto without the Xen libraries: the daemon starts and publishes the libvirt domain"
    if grep -q "Xen: not followed (xen=auto): libxenstore cannot be loaded" "$HLOG"; then
        ok "xen=auto: the log says why Xen is not followed"
    else
        not_ok "xen=auto: no 'Xen: not followed' line: $(grep -i xen "$HLOG" | head -3)"
    fi
    call --object-path /org/libvmi/helper1 --method org.freedesktop.DBus.ObjectManager.GetManagedObjects
    if grep -q "$DOMAIN" "$work/out" && grep -q "'Hypervisor': <'qemu'>" "$work/out" &&
        ! grep -q "<'xen'>" "$work/out"; then
        ok "xen=auto: GetManagedObjects has the libvirt domain (Hypervisor qemu), no Xen one"
    else
        not_ok "xen=auto: GetManagedObjects: $(head -c 300 "$work/out")"
    fi
    call --object-path "$DOMAIN" --method org.freedesktop.DBus.Properties.Get \
        org.libvmi.helper1.Domain Name
    if grep -q "'test'" "$work/out"; then
        ok "xen=auto: the libvirt domain's Name reads 'test'"
    else
        not_ok "xen=auto: Name: $(head -c 300 "$work/out")"
    fi
else
    not_ok "xen=auto without the Xen libraries: the daemon did not start (status ${HRC:-none}): $(tail -n 3 "$HLOG")"
fi
stop_helperd

# 2. xen=on, no Xen libraries: refuses to start, says which library
write_conf "xen=on"
if run_helperd; then
    not_ok "xen=on without the Xen libraries: the daemon started anyway"
    stop_helperd
elif [ "${HRC:-}" = 1 ] && grep -q "error: Xen (xen=on): libxenstore cannot be loaded (.*libxenstore.so.4" "$HLOG"; then
    ok "xen=on without the Xen libraries: exit 1, the log names libxenstore.so.4"
else
    not_ok "xen=on without the Xen libraries: status ${HRC:-none}: $(tail -n 2 "$HLOG")"
fi

# 3. xen=on, libxenstore present, no xenstored
if ldconfig -p 2>/dev/null | grep -q 'libxenstore\.so\.4 '; then
    LIBDIR=
    # --xen overrides the file
    write_conf "xen=off"
    if run_helperd --xen=on; then
        not_ok "--xen=on, libxenstore but no xenstored: the daemon started anyway"
        stop_helperd
    elif [ "${HRC:-}" = 1 ] && grep -q "error: Xen (xen=on): xenstore cannot be reached" "$HLOG"; then
        ok "--xen=on with libxenstore but no xenstored: exit 1, 'xenstore cannot be reached'"
    else
        not_ok "--xen=on, no xenstored: status ${HRC:-none}: $(tail -n 2 "$HLOG")"
    fi
else
    skip_check "xen=on with libxenstore but no xenstored" "no libxenstore.so.4 on this host"
fi

# 4. xen=off: nothing of Xen
LIBDIR=$work/noxen
write_conf "xen=off"
if run_helperd && ! grep -q "Xen:" "$HLOG"; then
    ok "xen=off: the daemon starts, no Xen line in its log"
else
    not_ok "xen=off: $(grep -i xen "$HLOG" | head -3)"
fi
stop_helperd

# 5. bad values
write_conf "xen=maybe"
if ! run_helperd && [ "${HRC:-}" = 2 ] && grep -q "xen=maybe: use auto, on or off" "$HLOG"; then
    ok "xen=maybe in the file: refused (exit 2) with the accepted values"
else
    not_ok "xen=maybe: status ${HRC:-none}: $(tail -n 2 "$HLOG")"
    stop_helperd
fi
write_conf ""
if ! run_helperd --xen=yes && [ "${HRC:-}" = 2 ] && grep -q -- "--xen=yes: use auto, on or off" "$HLOG"; then
    ok "--xen=yes: refused (exit 2) with the accepted values"
else
    not_ok "--xen=yes: status ${HRC:-none}: $(tail -n 2 "$HLOG")"
    stop_helperd
fi

finish
