# shellcheck shell=bash
# Shared by tests/dbus/test-*.sh (sourced, bash). Starts a private
# dbus-daemon whose rules are those of the system bus plus our policy file,
# builds and runs the fake helper, and cleans up what it started.
#
# Environment:
#   LIBVMI_DBUS_POLICY  policy file to test (default: dbus/org.libvmi.helper1.conf)
#   FAKE_HELPER         a prebuilt tests/dbus/fake-helper (default: built here with gcc)
# A test may set EXTRA_POLICY to a busconfig file included after ours.

srcdir=${srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
srcdir=$(cd "$srcdir" && pwd)
POLICY=${LIBVMI_DBUS_POLICY:-$srcdir/dbus/org.libvmi.helper1.conf}
case $POLICY in /*) ;; *) POLICY=$PWD/$POLICY ;; esac
EXTRA_POLICY=

passed=0
fails=0
skipped=0
work=
BUS_PID=
FAKE_PID=
BG_PIDS=

skip() {
    echo "SKIP: $*"
    exit 77
}

need() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || skip "'$cmd' is not installed"
    done
}

ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
# skip_check WHAT REASON [N]: N checks (default 1) could not run here: a
# skip in the closing count, never a pass
skip_check() {
    echo "# SKIP ${3:-1} check(s): $1: $2"
    skipped=$((skipped + ${3:-1}))
}

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

stop_pid() {
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in $BG_PIDS $FAKE_PID $BUS_PID; do
        stop_pid "$pid"
    done
    [ -n "$work" ] && rm -rf "$work"
}

# Sets $work: a directory other users can enter (they connect to the bus
# socket inside it).
make_workdir() {
    work=$(mktemp -d /tmp/libvmi-dbus-test.XXXXXX)
    chmod 0755 "$work"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# user_copy PROGRAM: prints the path of a copy of the built PROGRAM that
# other users can run. The build tree may sit in a directory only root can
# enter (a checkout under mktemp -d): libtool's real binary and the
# libvmi.so it needs are copied to $work/ubin, behind a small script that
# points the loader there.
user_copy() {
    local prog=$1 name real dir=$work/ubin lib
    name=${prog##*/}
    real=${prog%/*}/.libs/$name
    [ -x "$real" ] || real=$prog        # installed, or not a libtool wrapper
    mkdir -p "$dir" && chmod 0755 "$dir" || return 1
    cp "$real" "$dir/.$name.bin" && chmod 0755 "$dir/.$name.bin" || return 1
    for lib in "${top_builddir:-.}"/libvmi/.libs/libvmi.so*; do
        [ -e "$lib" ] && cp -P "$lib" "$dir/"
    done
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %s "$@"\n' \
        "$dir" "$dir/.$name.bin" >"$dir/$name" && chmod 0755 "$dir/$name" || return 1
    echo "$dir/$name"
}

# write_bus_conf FILE: a bus that listens on $work/bus, with the default
# policy of the system bus (taken from the installed system.conf when there
# is one, else a copy of dbus 1.14's) followed by our policy file, in the
# order the system bus reads them.
write_bus_conf() {
    local out=$1 default=
    if [ -r /usr/share/dbus-1/system.conf ] && command -v xmllint >/dev/null 2>&1; then
        default=$(xmllint --xpath '/busconfig/policy[@context="default"]' \
                  /usr/share/dbus-1/system.conf 2>/dev/null) || default=
    fi
    if [ -z "$default" ]; then
        default='<policy context="default">
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
  </policy>'
    fi
    cat >"$out" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  $default
  <include>$POLICY</include>
  ${EXTRA_POLICY:+<include>$EXTRA_POLICY</include>}
</busconfig>
EOF
}

# start_bus: sets BUS_ADDR and BUS_PID.
start_bus() {
    local conf=$work/bus.conf out
    write_bus_conf "$conf"
    # umask 0: the socket must be writable by the test users to connect.
    out=$( umask 0; dbus-daemon --config-file="$conf" --fork --print-address=1 --print-pid=1 \
           2>"$work/bus.err" ) || { cat "$work/bus.err" >&2; return 1; }
    BUS_ADDR=$(printf '%s\n' "$out" | sed -n 1p)
    BUS_PID=$(printf '%s\n' "$out" | sed -n 2p)
    [ -n "$BUS_ADDR" ] && [ -n "$BUS_PID" ]
}

# build_fake: sets FAKE to the fake helper binary.
build_fake() {
    if [ -n "${FAKE_HELPER:-}" ] && [ -x "$FAKE_HELPER" ]; then
        FAKE=$FAKE_HELPER
        return 0
    fi
    command -v gcc >/dev/null 2>&1 || skip "'gcc' is not installed (or set FAKE_HELPER)"
    pkg-config --exists gio-unix-2.0 2>/dev/null || skip "gio-unix-2.0 (libglib2.0-dev) is not installed"
    FAKE=$work/fake-helper
    # shellcheck disable=SC2046
    gcc -Wall -Wextra -O2 -o "$FAKE" "$srcdir/tests/dbus/fake-helper.c" \
        $(pkg-config --cflags --libs gio-unix-2.0) || { echo "cannot build fake-helper" >&2; exit 99; }
    chmod 0755 "$FAKE"
}

# copy_xml: the interface XML, where the test users can read it too.
copy_xml() {
    XML_DIR=$work/xml
    mkdir -p "$XML_DIR"
    cp "$srcdir"/dbus/org.libvmi.helper1.*.xml "$XML_DIR"/
    chmod -R a+rX "$XML_DIR"
}

# start_fake: runs the fake helper as root; sets FAKE_PID and FAKE_LOG and
# waits until it owns the name.
start_fake() {
    local _
    FAKE_LOG=$work/fake.log
    "$FAKE" --address "$BUS_ADDR" --xml-dir "$XML_DIR" >"$FAKE_LOG" 2>&1 &
    FAKE_PID=$!
    for _ in $(seq 100); do
        grep -q '^READY' "$FAKE_LOG" && return 0
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "fake helper did not start:" >&2
    cat "$FAKE_LOG" >&2
    return 1
}

# wait_for_log PATTERN [TENTHS]: waits until the fake helper logged a line
# matching the extended regex PATTERN.
wait_for_log() {
    local pattern=$1 n=${2:-30} _
    for _ in $(seq "$n"); do
        grep -Eq -- "$pattern" "$FAKE_LOG" && return 0
        sleep 0.1
    done
    return 1
}

# finish: the closing lines (the second one is what tests/run-all.sh sums),
# and the exit status: 1 when a check failed, 77 when none ran.
finish() {
    echo "$passed passed, $fails failed, $skipped skipped"
    echo "checks: $((passed + fails)) ran, $skipped skipped"
    [ "$fails" -eq 0 ] || return 1
    [ $((passed + fails)) -gt 0 ] || { echo "SKIP: no check could run here"; return 77; }
    return 0
}
