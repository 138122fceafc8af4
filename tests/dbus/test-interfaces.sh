#!/bin/bash
# The files in dbus/, checked without a helper:
#   - the interface XML is valid introspection XML, every interface,
#     method, argument, property and signal carries a doc string, and
#     gdbus-codegen turns it into C that compiles;
#   - every error name is documented in both interface files and the man page;
#   - the activation file is accepted by dbus-daemon (the name becomes
#     activatable) and the systemd unit by systemd-analyze (when present).
# Exits 77 when a tool is missing. Root is not needed.
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/lib.sh"

need xmllint gdbus-codegen dbus-daemon gdbus sed timeout
make_workdir
D=$srcdir/dbus
XMLS=("$D/org.libvmi.helper1.Manager.xml" "$D/org.libvmi.helper1.Domain.xml")

# ---------------------------------------------------------------- XML
cat >"$work/catalog.xml" <<EOF
<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <public publicId="-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
          uri="file://$srcdir/tests/dbus/introspect.dtd"/>
</catalog>
EOF
for x in "${XMLS[@]}"; do
    n=$(basename "$x")
    check "$n is valid introspection XML" \
        env XML_CATALOG_FILES="$work/catalog.xml" xmllint --noout --nonet --valid "$x"
    undocumented=$(xmllint --xpath '//*[self::interface or self::method or self::signal or
            self::property or self::arg][not(annotation[@name="org.gtk.GDBus.DocString"])]/@name' \
            "$x" 2>/dev/null)
    if [ -z "$undocumented" ]; then
        ok "$n: every member has a doc string"
    else
        not_ok "$n: no doc string on:$undocumented"
    fi
    unnamed=$(xmllint --xpath 'count(//arg[not(@name)])' "$x")
    check "$n: every argument has a name" test "$unnamed" = 0
done
check "the interfaces are on the fixed object paths" \
    grep -q '<node name="/org/libvmi/helper1">' "$D/org.libvmi.helper1.Manager.xml"

if gdbus-codegen --interface-prefix org.libvmi.helper1. --c-namespace Vmi \
        --generate-c-code "$work/gen" --generate-docbook "$work/doc" "${XMLS[@]}" \
        >"$work/codegen.log" 2>&1; then
    ok "gdbus-codegen accepts the interface XML"
    if command -v gcc >/dev/null 2>&1 && pkg-config --exists gio-unix-2.0 2>/dev/null; then
        # shellcheck disable=SC2046
        check "the generated C compiles without warnings" \
            gcc -c -Wall -Wextra -Werror -o "$work/gen.o" "$work/gen.c" \
                $(pkg-config --cflags gio-unix-2.0)
    else
        skip_check "the generated C compiles without warnings" "gcc or gio-unix-2.0 is missing"
    fi
else
    not_ok "gdbus-codegen accepts the interface XML: $(head -c 400 "$work/codegen.log")"
fi

# ------------------------------------------------------------- errors
errors="NotIntrospectable WritesDisabled DomainGone InvalidArgument TooLarge AccessDenied Failed"
for e in $errors; do
    check "org.libvmi.helper1.Error.$e is documented in both interfaces and the man page" \
        bash -c "grep -q 'org.libvmi.helper1.Error.$e ' '${XMLS[0]}' &&
                 grep -q 'org.libvmi.helper1.Error.$e ' '${XMLS[1]}' &&
                 grep -q 'org.libvmi.helper1.Error.$e' '$srcdir/doc/vmi-helperd-dbus.7'"
done
if command -v man >/dev/null 2>&1; then
    check "the man page renders without warnings" \
        bash -c "! MANWIDTH=80 man --warnings -l '$srcdir/doc/vmi-helperd-dbus.7' 2>&1 >/dev/null | grep -q ."
fi

# ------------------------------------------------------ activation file
mkdir -p "$work/services"
sed 's|@sbindir@|/usr/sbin|g' "$D/org.libvmi.helper1.service.in" \
    >"$work/services/org.libvmi.helper1.service"
cat >"$work/bus.conf" <<EOF
<busconfig>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$work/services</servicedir>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
if out=$(dbus-daemon --config-file="$work/bus.conf" --fork --print-address=1 --print-pid=1 2>&1); then
    BUS_ADDR=$(printf '%s\n' "$out" | sed -n 1p)
    BUS_PID=$(printf '%s\n' "$out" | sed -n 2p)
    check "dbus-daemon reads the activation file: org.libvmi.helper1 is activatable" \
        bash -c "timeout 10 gdbus call --address '$BUS_ADDR' --dest org.freedesktop.DBus \
                 --object-path /org/freedesktop/DBus \
                 --method org.freedesktop.DBus.ListActivatableNames | grep -q \"'org.libvmi.helper1'\""
else
    not_ok "dbus-daemon starts with the activation file: $out"
fi
check "the activation file names the systemd unit" \
    grep -qx 'SystemdService=vmi-helperd.service' "$D/org.libvmi.helper1.service.in"

# --------------------------------------------------------- systemd unit
check "the unit waits for the bus name" \
    bash -c "grep -qx 'Type=dbus' '$D/vmi-helperd.service.in' &&
             grep -qx 'BusName=org.libvmi.helper1' '$D/vmi-helperd.service.in'"
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$work/unit"
    sed 's|@sbindir@/vmi-helperd|/bin/true|g' "$D/vmi-helperd.service.in" \
        >"$work/unit/vmi-helperd.service"
    check "systemd-analyze verify accepts the unit" \
        bash -c "cd '$work/unit' && systemd-analyze verify --man=no vmi-helperd.service"
else
    skip_check "systemd-analyze verify accepts the unit" "systemd is not installed"
fi

finish
