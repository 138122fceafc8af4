# shellcheck shell=bash
# The whole host-helper stack on this machine, for the acceptance test
# (tests/helper/test-helper.sh), the bench (tests/helper/bench.sh) and the
# README's demo. Sourced by bash:
#
#   . tests/helper/env.sh
#   henv_setup            # SKIPs (exit 77, with the reason) when it cannot run
#   henv_start_domain     # virsh start, then waits for the guest's VMI-READY
#   ...                   # see the variables and functions below
#   (cleanup runs at exit: henv_cleanup, installed as the EXIT trap)
#
# henv_setup, in this order:
#   1. installs libvmi's qemu hook (libvirt-hooks/install-hook.sh) into
#      /etc/libvirt/hooks *before* libvirtd starts (libvirtd looks for hooks
#      only when it starts);
#   2. starts virtlogd and libvirtd when they do not run (as
#      tests/real/live-libvirt.sh does), and only then. A libvirtd that runs
#      already is not ours to restart: the hook counts as active only if ours
#      was installed before that libvirtd started (HENV_HOOK=0 and
#      HENV_HOOK_REASON otherwise), and HENV_LIBVIRTD_OURS=0 tells the
#      caller not to restart it;
#   3. starts a private dbus-daemon whose policy is the system bus's default
#      rules plus dbus/org.libvmi.helper1.conf (tests/dbus/lib.sh), and
#      writes its address to /run/libvmi/hook-bus: libvirt runs hooks with a
#      cleaned environment, and the hook reads the bus address from there;
#   4. defines the rig's amd64 guest (tests/rig) as a *persistent* libvirt
#      domain of type 'qemu' (TCG): kernel and initrd copied under
#      /var/lib/libvirt/images/, serial console to a file, 512 MiB, 1 vCPU;
#   5. starts vmi-helperd --address BUS --config FILE, whose libvmi_conf has
#      an entry for the domain (name and UUID) made of the rig's
#      ostype/sysmap/linux_* keys, with its log (stderr) in $HENV_LOG.
# Cleanup stops and removes only what henv_setup started or created.
#
# Input (optional):
#   top_srcdir, top_builddir  (make check sets them; default: this source
#                             tree, and vmi-helperd/virt-vmi from PATH)
#   VMI_HELPERD, VIRT_VMI     the programs to use
#   HENV_DOMAIN               domain name (default libvmi-helper-test)
#   HENV_HELPERD_CONF_EXTRA   lines appended to the helper's config file
# Output:
#   HENV_WORK HENV_URI HENV_DOMAIN HENV_UUID HENV_PATH HENV_CONSOLE HENV_LOG
#   HENV_HELPERD_CONF HENV_LIBVMI_CONF HENV_HOOK HENV_HOOK_REASON
#   HENV_LIBVIRTD_OURS HENV_ORIG_XML BUS_ADDR BUS_PID HELPERD_PID
#   HELPERD VIRT_VMI RIG_* (tests/rig/rig.sh env amd64)

HENV_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
top_srcdir=${top_srcdir:-$HENV_SRC}
srcdir=$top_srcdir
# shellcheck source=tests/dbus/lib.sh
. "$top_srcdir/tests/dbus/lib.sh"
# shellcheck source=tests/libvirtd.sh
. "$top_srcdir/tests/libvirtd.sh"

HENV_URI=qemu:///system
HENV_DOMAIN=${HENV_DOMAIN:-libvmi-helper-test}
HENV_IMAGES=/var/lib/libvirt/images/$HENV_DOMAIN   # libvirt-qemu must read the kernel
HENV_CONSOLE=$HENV_IMAGES/console.log
HENV_HOOKS_DIR=/etc/libvirt/hooks
HENV_HOOK_BUS_FILE=/run/libvmi/hook-bus
HENV_WORK=
HENV_HOOK=0
HENV_HOOK_REASON="the hook was not set up"
HENV_LIBVIRTD_OURS=0
HENV_LIBVIRTD_PID=
HENV_VIRTLOGD_PID=
HENV_HOOK_INSTALLED=0
HENV_HOOK_BUS_WRITTEN=0
HENV_DEFINED=0
HELPERD_PID=
BUS_PID=
HENV_BG_PIDS=    # a test's background processes, stopped at cleanup

henv_vsh() { virsh -q -c "$HENV_URI" "$@"; }
# henv_domain_up: the domain runs; "paused" counts too, since a gdbstub
# client (vmi-helperd opening the guest while it boots) stops it briefly
henv_domain_up() {
    case $(henv_vsh domstate "$HENV_DOMAIN" 2>/dev/null) in running | paused) return 0 ;; esac
    return 1
}
henv_now_ms() { date +%s%3N; }
# henv_virt_vmi ARGS...: virt-vmi on the private bus and our libvirt URI
henv_virt_vmi() { "$VIRT_VMI" -c "$HENV_URI" --address "$BUS_ADDR" "$@"; }
# henv_call PATH METHOD ARGS...: gdbus call to the helper as the caller
henv_call() {
    local path=$1 method=$2
    shift 2
    timeout 30 gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 \
        --object-path "$path" --method "$method" "$@"
}
# henv_prop PATH IFACE NAME: a property's value, as busctl prints it ("b true")
henv_prop() {
    timeout 10 busctl --address="$BUS_ADDR" get-property org.libvmi.helper1 "$1" "$2" "$3" 2>/dev/null
}
# henv_domains: the domain objects the helper publishes, one path a line
henv_domains() {
    timeout 10 busctl --address="$BUS_ADDR" --list tree org.libvmi.helper1 2>/dev/null |
        grep '^/org/libvmi/helper1/domain/' || true
}

# ------------------------------------------------------------------ libvirt
henv_libvirtd_up() { henv_vsh uri >/dev/null 2>&1; }

# henv_start_libvirtd: starts virtlogd (if needed) and libvirtd, waits for
# it; on failure returns 1 with the reason in HENV_ERR. (Not to be run in a
# subshell: it records the daemons' pids.)
henv_start_libvirtd() {
    HENV_ERR=
    lv_start "$HENV_URI" "$HENV_WORK" || { HENV_ERR=$LV_ERR; return 1; }
    HENV_LIBVIRTD_PID=$LV_LIBVIRTD_PID
    [ -z "$LV_VIRTLOGD_PID" ] || HENV_VIRTLOGD_PID=$LV_VIRTLOGD_PID
}

# henv_restart_libvirtd: SIGTERM to our libvirtd (its domains keep running),
# then a new one. Only for a libvirtd we started.
henv_restart_libvirtd() {
    [ "$HENV_LIBVIRTD_OURS" = 1 ] || { HENV_ERR="libvirtd is not ours to restart"; return 1; }
    lv_stop "$HENV_LIBVIRTD_PID" kill
    HENV_LIBVIRTD_PID=
    henv_start_libvirtd
}

# ------------------------------------------------------------------ the hook
# henv_hook_ours FILE: FILE is libvmi's hook, identical to this tree's
henv_hook_ours() { [ -f "$1" ] && cmp -s "$1" "$top_srcdir/libvirt-hooks/qemu"; }

henv_install_hook() {
    local f
    mkdir -p "$HENV_WORK/hook-backup"
    for f in "$HENV_HOOKS_DIR/qemu" "$HENV_HOOKS_DIR/qemu.d/libvmi"; do
        # an older copy of libvmi's hook: put back at cleanup
        if [ -f "$f" ] && grep -q '^# libvmi-hook:' "$f"; then
            cp -p "$f" "$HENV_WORK/hook-backup/$(basename "$(dirname "$f")")-$(basename "$f")"
        fi
    done
    "$top_srcdir/libvirt-hooks/install-hook.sh" --hooks-dir "$HENV_HOOKS_DIR" \
        --source "$top_srcdir/libvirt-hooks/qemu" >"$HENV_WORK/install-hook.log" 2>&1 ||
        { HENV_HOOK_REASON="install-hook.sh failed: $(tail -1 "$HENV_WORK/install-hook.log")"; return 1; }
    HENV_HOOK_INSTALLED=1
}

henv_uninstall_hook() {
    local b
    [ "$HENV_HOOK_INSTALLED" = 1 ] || return 0
    "$top_srcdir/libvirt-hooks/install-hook.sh" --hooks-dir "$HENV_HOOKS_DIR" --uninstall \
        >/dev/null 2>&1 || true
    for b in "$HENV_WORK"/hook-backup/*; do
        [ -f "$b" ] || continue
        case ${b##*/} in
            hooks-qemu) cp -p "$b" "$HENV_HOOKS_DIR/qemu" ;;
            qemu.d-libvmi) mkdir -p "$HENV_HOOKS_DIR/qemu.d" && cp -p "$b" "$HENV_HOOKS_DIR/qemu.d/libvmi" ;;
        esac
    done
    HENV_HOOK_INSTALLED=0
}

# henv_write_hook_bus: points the hook at the private bus
henv_write_hook_bus() {
    mkdir -p "${HENV_HOOK_BUS_FILE%/*}"
    chmod 0755 "${HENV_HOOK_BUS_FILE%/*}"
    if [ -e "$HENV_HOOK_BUS_FILE" ]; then
        cp -p "$HENV_HOOK_BUS_FILE" "$HENV_WORK/hook-bus.orig"
    fi
    (umask 022; printf '%s\n' "$BUS_ADDR" >"$HENV_HOOK_BUS_FILE.tmp") &&
        mv -f "$HENV_HOOK_BUS_FILE.tmp" "$HENV_HOOK_BUS_FILE" && HENV_HOOK_BUS_WRITTEN=1
}

henv_remove_hook_bus() {
    [ "$HENV_HOOK_BUS_WRITTEN" = 1 ] || return 0
    # only if it still names our bus
    if [ "$(sed -n 1p "$HENV_HOOK_BUS_FILE" 2>/dev/null)" = "$BUS_ADDR" ]; then
        if [ -f "$HENV_WORK/hook-bus.orig" ]; then
            cp -p "$HENV_WORK/hook-bus.orig" "$HENV_HOOK_BUS_FILE"
        else
            rm -f "$HENV_HOOK_BUS_FILE"
            rmdir "${HENV_HOOK_BUS_FILE%/*}" 2>/dev/null || true
        fi
    fi
    HENV_HOOK_BUS_WRITTEN=0
}

# ---------------------------------------------------------------- the guest
henv_domain_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$HENV_DOMAIN</name>
  <description>libvmi's helper test guest (tests/helper/env.sh); removed when the test ends</description>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$HENV_IMAGES/vmlinuz</kernel>
    <initrd>$HENV_IMAGES/$(basename "$RIG_INITRD")</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$HENV_CONSOLE'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

henv_undefine() {
    local i pid
    # A libvirtd that is not ours may be restarting (another test's): wait
    # a little for it rather than leave a running guest behind.
    for ((i = 0; i < 100; i++)); do henv_libvirtd_up && break; sleep 0.1; done
    henv_vsh destroy "$HENV_DOMAIN" >/dev/null 2>&1 || true
    henv_vsh undefine "$HENV_DOMAIN" >/dev/null 2>&1 || true
    # No libvirtd at all: our domain's QEMU (libvirt's pid file, checked
    # against the guest name on its command line) is ours to stop.
    pid=$(cat "/run/libvirt/qemu/$HENV_DOMAIN.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "guest=$HENV_DOMAIN,"; then
        echo "# libvirtd did not answer: stopping our QEMU (pid $pid) directly" >&2
        lv_stop "$pid" kill
    fi
}

henv_define_domain() {
    henv_undefine
    rm -rf "$HENV_IMAGES"
    mkdir -p "$HENV_IMAGES"
    cp "$RIG_KERNEL_DIR/vmlinuz" "$RIG_INITRD" "$HENV_IMAGES/"
    chmod 0755 "$HENV_IMAGES"
    chmod 0644 "$HENV_IMAGES"/*
    henv_domain_xml >"$HENV_WORK/domain.xml"
    henv_vsh define "$HENV_WORK/domain.xml" >"$HENV_WORK/define.log" 2>&1 ||
        { cat "$HENV_WORK/define.log"; return 1; }
    HENV_DEFINED=1
    HENV_UUID=$(henv_vsh domuuid "$HENV_DOMAIN")
    HENV_PATH=/org/libvmi/helper1/domain/_${HENV_UUID//-/_}
    HENV_ORIG_XML=$HENV_WORK/original.xml
    henv_vsh dumpxml --inactive "$HENV_DOMAIN" >"$HENV_ORIG_XML"
}

# henv_start_domain: virsh start; waits (120 s at most) for VMI-READY on the
# console. Sets HENV_T_START and HENV_T_READY (ms since the epoch, when this
# shell first saw the marker).
henv_start_domain() {
    local i
    rm -f "$HENV_CONSOLE"
    HENV_T_START=$(henv_now_ms)
    henv_vsh start "$HENV_DOMAIN" >"$HENV_WORK/start.log" 2>&1 ||
        { cat "$HENV_WORK/start.log"; return 1; }
    for ((i = 0; i < 2400; i++)); do
        grep -q '^VMI-READY' "$HENV_CONSOLE" 2>/dev/null && break
        henv_domain_up || break
        sleep 0.05
    done
    HENV_T_READY=$(henv_now_ms)
    grep -q '^VMI-READY' "$HENV_CONSOLE" 2>/dev/null || {
        tail -20 "$HENV_CONSOLE" 2>/dev/null
        echo "domain $HENV_DOMAIN did not boot to VMI-READY"
        return 1
    }
}

# henv_gdbstub_dir: makes the gdbstub socket directory (default of virt-vmi
# enable and vmi-helperd) when it is missing, writable by QEMU's user.
# virt-vmi enable and vmi-helperd make it too; it is removed at cleanup,
# when empty, if it was not there when the test began.
HENV_GDB_DIR=/var/lib/libvirt/qemu/libvmi
HENV_GDB_DIR_MADE=0     # set in henv_setup, once the libvirt lock is held
henv_gdbstub_dir() {
    [ -d "$HENV_GDB_DIR" ] && return 0
    mkdir -m 0700 "$HENV_GDB_DIR" && chown libvirt-qemu:libvirt-qemu "$HENV_GDB_DIR"
}

# ----------------------------------------------------------------- the helper
henv_write_configs() {
    HENV_LIBVMI_CONF=$HENV_WORK/libvmi.conf
    local n
    : >"$HENV_LIBVMI_CONF"
    # Entries with no way to the guest in them: the helper finds it through
    # libvirt (as tests/real/live-libvirt.sh's conf()).
    # HENV_ZERO_CONF=1: no entry at all (the kernel, its symbols and offsets
    # are found in the guest's memory)
    [ "${HENV_ZERO_CONF:-0}" = 1 ] || for n in "$HENV_DOMAIN" "$HENV_UUID"; do
        {
            echo "$n {"
            grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
            echo "}"
        } >>"$HENV_LIBVMI_CONF"
    done
    chmod 0644 "$HENV_LIBVMI_CONF"
    HENV_HELPERD_CONF=$HENV_WORK/helperd.conf
    cat >"$HENV_HELPERD_CONF" <<EOF
# vmi-helperd's configuration for tests/helper (writes stay off; Pause,
# Snapshot and the rest of the guest-changing methods are allowed on the
# test domain, by UUID)
[helper]
uris=$HENV_URI
libvmi_conf=$HENV_LIBVMI_CONF
${HENV_HELPERD_CONF_EXTRA:-}

[domain $HENV_UUID]
control=true
EOF
}

# henv_start_helperd: starts vmi-helperd on the private bus; waits (15 s at
# most) until it owns org.libvmi.helper1.
henv_start_helperd() {
    local i
    HENV_LOG=$HENV_WORK/helperd.log
    G_MESSAGES_DEBUG=all "$HELPERD" --address "$BUS_ADDR" --config "$HENV_HELPERD_CONF" \
        </dev/null >>"$HENV_LOG" 2>&1 {LV_LOCK_FD}>&- &
    HELPERD_PID=$!
    for ((i = 0; i < 150; i++)); do
        timeout 5 busctl --address="$BUS_ADDR" status org.libvmi.helper1 >/dev/null 2>&1 && return 0
        lv_alive "$HELPERD_PID" || break
        sleep 0.1
    done
    echo "vmi-helperd did not take org.libvmi.helper1 on the bus:"
    tail -20 "$HENV_LOG"
    return 1
}

# ------------------------------------------------------------------- setup
henv_skip() {
    echo "SKIP: $*"
    exit 77
}

# henv_find_program NAME VAR_VALUE BUILT: the program to run
henv_find_program() {
    if [ -n "$2" ]; then echo "$2"
    elif [ -n "${top_builddir:-}" ] && [ -x "$3" ]; then echo "$3"
    else command -v "$1" || true
    fi
}

henv_setup() {
    local tool rig_rc=0 rig_env libvirtd_start hook_mtime f
    [ "$(id -u)" = 0 ] || henv_skip "needs root (starts libvirtd, installs the libvirt hook, runs vmi-helperd)"
    for tool in libvirtd virtlogd virsh; do
        command -v $tool >/dev/null ||
            henv_skip "$tool is not installed (libvirt-daemon-system, libvirt-clients)"
    done
    for tool in dbus-daemon:dbus busctl:systemd gdbus:libglib2.0-bin xmllint:libxml2-utils \
                python3:python3 runuser:util-linux flock:util-linux timeout:coreutils; do
        command -v "${tool%%:*}" >/dev/null || henv_skip "${tool%%:*} is not installed (${tool#*:})"
    done
    HELPERD=$(henv_find_program vmi-helperd "${VMI_HELPERD:-}" "${top_builddir:-}/helper/vmi-helperd")
    VIRT_VMI=$(henv_find_program virt-vmi "${VIRT_VMI:-}" "${top_builddir:-}/helper/virt-vmi")
    [ -n "$HELPERD" ] && [ -x "$HELPERD" ] || henv_skip "vmi-helperd is not built (helper/vmi-helperd)"
    [ -n "$VIRT_VMI" ] && [ -x "$VIRT_VMI" ] || henv_skip "virt-vmi is not built (helper/virt-vmi)"

    # One user of this environment at a time (test and bench share the
    # domain's name and files), and one test that starts libvirtd at a time
    # (tests/real/live-libvirt.sh, tests/cli/test-virt-vmi-libvirt.sh).
    lv_lock 600 || henv_skip "another libvirt test or tests/helper/env.sh user holds $LV_LOCK"
    [ -d "$HENV_GDB_DIR" ] || HENV_GDB_DIR_MADE=1

    HENV_WORK=$(mktemp -d /tmp/libvmi-helper-test.XXXXXX)
    chmod 0755 "$HENV_WORK"   # test users connect to the bus socket in it
    work=$HENV_WORK           # tests/dbus/lib.sh puts the bus there
    trap henv_cleanup EXIT
    trap 'exit 130' INT TERM

    # the rig's guest (built once, cached)
    rig_env=$("$top_srcdir/tests/rig/rig.sh" env amd64 2>"$HENV_WORK/rig.err") || rig_rc=$?
    if [ $rig_rc -eq 77 ]; then
        henv_skip "the amd64 guest is not available: $(tail -1 "$HENV_WORK/rig.err")"
    elif [ $rig_rc -ne 0 ]; then
        cat "$HENV_WORK/rig.err" >&2
        henv_skip "the rig could not build the amd64 guest (rig.sh exit $rig_rc)"
    fi
    eval "$rig_env"

    # hook, then libvirtd
    if henv_libvirtd_up; then
        HENV_LIBVIRTD_OURS=0
        HENV_LIBVIRTD_PID=$(cat /run/libvirtd.pid 2>/dev/null || true)
        libvirtd_start=$(stat -c %Y "/proc/$(cat /run/libvirtd.pid 2>/dev/null || echo 0)" 2>/dev/null || echo 0)
        HENV_HOOK_REASON="libvirtd was running already (not started here, so not restarted here) and libvmi's hook (this tree's) was not installed in $HENV_HOOKS_DIR before it started"
        for f in "$HENV_HOOKS_DIR/qemu" "$HENV_HOOKS_DIR/qemu.d/libvmi"; do
            henv_hook_ours "$f" || continue
            hook_mtime=$(stat -c %Y "$f")
            [ "$libvirtd_start" -gt 0 ] && [ "$hook_mtime" -le "$libvirtd_start" ] &&
                { HENV_HOOK=1; HENV_HOOK_REASON=; }
        done
        echo "# libvirtd runs already (not ours): the hook is $([ "$HENV_HOOK" = 1 ] && echo active || echo inactive)"
    else
        if henv_install_hook; then HENV_HOOK=1; HENV_HOOK_REASON=; fi
        HENV_LIBVIRTD_OURS=1      # (what started, cleanup stops)
        henv_start_libvirtd || henv_skip "$HENV_ERR"
    fi
    henv_vsh capabilities 2>/dev/null | grep -q "domain type='qemu'" ||
        henv_skip "libvirt at $HENV_URI cannot run QEMU (TCG) guests"

    # the private bus
    start_bus || henv_skip "dbus-daemon does not start with our policy: $(tail -1 "$HENV_WORK/bus.err")"
    [ "$HENV_HOOK" = 1 ] && henv_write_hook_bus

    # the domain, then the helper
    henv_define_domain || { echo "FAIL: cannot define the domain"; exit 1; }
    henv_write_configs
    henv_start_helperd || { echo "FAIL: vmi-helperd does not start"; exit 1; }
}

henv_cleanup() {
    local rc=$? pid
    # what the test left running in the background (HENV_BG_PIDS)
    for pid in $HENV_BG_PIDS; do lv_stop "$pid" kill; done
    lv_stop "$HELPERD_PID" kill
    HELPERD_PID=
    if [ "$HENV_DEFINED" = 1 ]; then
        henv_undefine
        HENV_DEFINED=0
    fi
    # only the daemons started here
    if [ "$HENV_LIBVIRTD_OURS" = 1 ]; then
        lv_stop "$HENV_LIBVIRTD_PID" kill
        lv_stop "$HENV_VIRTLOGD_PID" kill
    elif [ -n "$HENV_LIBVIRTD_PID" ] && [ "$(cat /run/libvirtd.pid 2>/dev/null)" != "$HENV_LIBVIRTD_PID" ]; then
        echo "# note: the libvirtd that ran when this began (pid $HENV_LIBVIRTD_PID, not ours) was stopped or restarted by someone else meanwhile: checks after that may have failed for that reason"
    fi
    henv_remove_hook_bus
    henv_uninstall_hook
    lv_stop "$BUS_PID" kill
    BUS_PID=
    if [ -n "${HENV_KEEP:-}" ] && [ -n "$HENV_WORK" ]; then
        cp "$HENV_CONSOLE" "$HENV_WORK/console.log" 2>/dev/null
        cp "/var/log/libvirt/qemu/$HENV_DOMAIN.log" "$HENV_WORK/qemu.log" 2>/dev/null
        echo "# kept $HENV_WORK (HENV_KEEP)"
    fi
    rm -rf "$HENV_IMAGES" "/var/log/libvirt/qemu/$HENV_DOMAIN.log"
    [ "$HENV_GDB_DIR_MADE" = 0 ] || rmdir "$HENV_GDB_DIR" 2>/dev/null || true
    if [ -n "$HENV_WORK" ] && [ -z "${HENV_KEEP:-}" ]; then rm -rf "$HENV_WORK"; fi
    # (HENV_KEEP=1: the work directory, the console and QEMU's log stay)
    exit $rc
}
