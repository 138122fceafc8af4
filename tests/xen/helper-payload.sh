# shellcheck shell=bash
# The helper's part of the Xen acceptance test (sourced by
# test-xen-accept.sh after lib.sh; issue 10, part 4): what goes into the
# payload for tests/xen/helper-run.sh (vmi-helperd, virt-vmi, dbus-daemon,
# gdbus, their libraries, a bus configuration, the daemon's configuration)
# and the host side of its checks (tests/xen/helper.py).
HELPER_CHECKS=13    # what helper-run.sh (11) and helper.py (2) count when all runs

# helper_missing: why the helper's part cannot run here (empty: it can)
helper_missing() {
    local f
    for f in "$top_builddir/helper/.libs/vmi-helperd" "$top_builddir/helper/.libs/virt-vmi"; do
        [ -x "$f" ] || { echo "$f is not built (configure found no helper dependencies?)"; return; }
    done
    for f in dbus-daemon gdbus; do
        command -v $f >/dev/null 2>&1 || { echo "no $f on the host"; return; }
    done
}

# helper_payload DIR: adds the helper's files to the payload in DIR
helper_payload() {
    local dir=$1
    LD_LIBRARY_PATH=$top_builddir/libvmi/.libs "$xen_rig" payload "$dir" \
        "$top_builddir/helper/.libs/vmi-helperd" "$top_builddir/helper/.libs/virt-vmi" \
        "$(command -v dbus-daemon)" "$(command -v gdbus)" || return 1
    install -m 0755 "$top_srcdir/tests/xen/helper-run.sh" "$dir/helper-run.sh"
    # the policy the system bus would have (dbus/org.libvmi.helper1.conf:
    # root owns the name, root and group libvmi may call), on a private bus
    install -m 0644 "$top_srcdir/dbus/org.libvmi.helper1.conf" "$dir/org.libvmi.helper1.conf"
    cat >"$dir/helper-bus.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/vmi-helper-bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>/payload/org.libvmi.helper1.conf</include>
</busconfig>
XML
    # no libvirt, Xen on, no libvmi.conf entry (zero-config)
    : >"$dir/helper-libvmi.conf"
    printf '[helper]\nuris=\nxen=on\nlibvmi_conf=/payload/helper-libvmi.conf\n' >"$dir/helperd.conf"
}

# helper_results OUT: the host side: helper.py against the domUs' consoles
helper_results() {
    local out=$1
    grep -q '^XEN-TEST .* - helper: ' "$out/results.txt" 2>/dev/null ||
        nok "helper: helper-run.sh printed nothing (did the payload reach it?)"
    grep '^XEN-HLOG ' "$out/serial.log" | tail -n 30 | sed 's/^/# /'
    /usr/bin/python3 "$top_srcdir/tests/xen/helper.py" "$out/serial.log" "$out" domu-pv domu-pvh \
        >"$work/helper.tap" || nok "helper.py ran"
    cat "$work/helper.tap"
    count_tap "$work/helper.tap"
}
