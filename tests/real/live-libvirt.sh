#!/bin/bash
# Live libvirt domains through the kvm driver, found by domain name, UUID
# and ID with nothing but ostype/sysmap/offsets in their config entries:
# QMP through libvirt, QEMU's pid, the RAM file from QOM and the gdbstub
# from the domain XML.  The rig's amd64 guest runs as two transient
# domains of type 'qemu' (TCG): one with its RAM in a shared file, one
# without.  A libvirtd that is not running is started here, and stopped
# again at the end; domains are destroyed.  Needs root.
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"
check=$top_builddir/tests/real/check-live
[ -x "$check" ] || { echo "SKIP: libvmi was built without the kvm driver"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (starts libvirtd, reads QEMU's memory)"; exit 77; }
for tool in libvirtd virtlogd virsh; do
    command -v $tool >/dev/null ||
        { echo "SKIP: $tool not installed (libvirt-daemon-system, libvirt-clients)"; exit 77; }
done

uri=qemu:///system
images=/var/lib/libvirt/images/libvmi-test     # libvirt-qemu must read the kernel
gdbsock=/var/lib/libvirt/qemu/libvmi-test-gdb.sock  # and write the gdbstub's socket
doms="libvmi-test-shm libvmi-test-noshm"
vsh() { virsh -q -c "$uri" "$@"; }
t_start=$(date +%s%3N)
elapsed() { local ms=$(($(date +%s%3N) - t_start)); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

. "$top_srcdir/tests/libvirtd.sh"
lv_lock 900 || { echo "SKIP: another libvirt test holds $LV_LOCK"; exit 77; }
cleanup() {
    local d
    for d in $doms; do
        vsh destroy "$d" >/dev/null 2>&1 || true
        vsh undefine "$d" >/dev/null 2>&1 || true
    done
    # only the daemons this script started
    lv_stop "$LV_LIBVIRTD_PID"
    lv_stop "$LV_VIRTLOGD_PID"
    rm -rf "$images" "$gdbsock" "$work"
    for d in $doms; do rm -f "/var/log/libvirt/qemu/$d.log"; done
}
trap cleanup EXIT

# ---- libvirtd (monolithic in Debian 12, started by hand when not running)
if ! vsh uri >/dev/null 2>&1; then
    lv_start "$uri" "$work" || { echo "SKIP: $LV_ERR"; exit 77; }
    echo "# libvirtd started ($(elapsed))"
fi
caps=$(vsh capabilities 2>/dev/null || true)
grep -q "domain type='qemu'" <<<"$caps" ||
    { echo "SKIP: libvirt at $uri cannot run QEMU (TCG) guests"; exit 77; }

# ---- the domains
for d in $doms; do vsh destroy "$d" >/dev/null 2>&1 || true; done
rm -rf "$images" "$gdbsock"
mkdir -p "$images"
cp "$RIG_KERNEL_DIR/vmlinuz" "$RIG_INITRD" "$images/"
chmod 0755 "$images"
chmod 0644 "$images"/*

# domain_xml NAME SHARED(0|1) GDB(0|1)
domain_xml() {
    cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
$([ "$2" = 1 ] && echo "  <memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>")
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$images/vmlinuz</kernel>
    <initrd>$images/$(basename "$RIG_INITRD")</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet vmi.busy=1</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$images/$1.console'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
$([ "$3" = 1 ] && cat <<GDB
  <qemu:commandline>
    <qemu:arg value='-gdb'/>
    <qemu:arg value='unix:$gdbsock,server=on,wait=off'/>
  </qemu:commandline>
GDB
)
</domain>
EOF
}
domain_xml libvmi-test-shm 1 1 >"$work/shm.xml"
domain_xml libvmi-test-noshm 0 0 >"$work/noshm.xml"
# both boot at once: TCG on two cores
vsh create "$work/shm.xml" >/dev/null
vsh create "$work/noshm.xml" >/dev/null
for d in $doms; do
    for ((i = 0; i < 1200; i++)); do
        grep -q '^VMI-READY' "$images/$d.console" 2>/dev/null && break
        [ "$(vsh domstate "$d" 2>/dev/null)" = running ] || break
        sleep 0.1
    done
    grep -q '^VMI-READY' "$images/$d.console" 2>/dev/null || {
        tail -20 "$images/$d.console" 2>/dev/null
        echo "FAIL: libvirt domain $d did not boot"
        exit 1
    }
done
echo "# both domains up ($(elapsed))"
name=libvmi-test-shm
uuid=$(vsh domuuid $name)
id=$(vsh domid $name)
con=$images/$name.console
con2=$images/libvmi-test-noshm.console

# Entries with no way to the guest in them: libvirt gives it.
conf() {
    {
        echo "$1 {"
        grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
        echo "}"
    } >>"$work/libvmi.conf"
}
for n in $name "$uuid" "$id" libvmi-test-noshm nosuch; do conf "$n"; done
export LIBVMI_CONF=$work/libvmi.conf

t() {
    local what=$1 rc=0
    shift
    echo "== $what"
    if declare -F "$1" >/dev/null; then "$@" || rc=$?; else timeout 120 "$@" || rc=$?; fi
    if [ $rc -eq 0 ]; then ok "$what"; else nok "$what (exit $rc)"; fi
}

t "by name: process list through the shared RAM file, guest running" \
    env EXPECT_PATH=shm "$check" running $name "$con"
t "by UUID ($uuid)" env EXPECT_PATH=shm "$check" ps "$uuid" "$con"
t "by ID ($id)" env EXPECT_PATH=shm "$check" ps "$id" "$con"
found() {
    # what the driver found, from its debug log
    local out
    out=$(G_MESSAGES_DEBUG=libvmi timeout 60 "$bin/vmi-process-list" $name 2>&1) || { echo "$out"; return 1; }
    grep -E "libvirt domain|RAM file|opened with" <<<"$out" | sed 's/^/# /'
    grep -q "is libvirt domain '$name' ($uuid) at $uri, QEMU pid [1-9][0-9]*, gdbstub $gdbsock" <<<"$out" &&
        grep -q "RAM file /var/lib/libvirt/qemu/ram/$id-$name/" <<<"$out" &&
        grep -q "^ *1 .*init" <<<"$out"
}
t "vmi-process-list by name (VMI_AUTO): pid, RAM file and gdbstub found" found
t "registers through the domain XML's gdbstub, set and read back" \
    env EXPECT_VCPUS=1 EXPECT_SET_REGS=1 "$check" regs $name "$con"
t "write a process's string, the guest prints it" "$check" write $name "$con"
t "pause and resume through libvirt's QMP" "$check" pause $name "$con"
t "events on the domain XML's gdbstub" "$check" events $name "$con"
t "no shared file: process memory" env EXPECT_PATH=process "$check" running libvmi-test-noshm "$con2"
t "no gdbstub: registers through libvirt's QMP" env EXPECT_VCPUS=1 "$check" regs libvmi-test-noshm "$con2"
( sleep 2; vsh destroy $name >/dev/null ) &
t "domain destroyed during reads: an error, no crash or hang" "$check" gone $name "$con"
wait
expect_error() {
    # expect_error NAME TEXT: vmi_init fails, saying TEXT
    local out
    out=$(timeout 30 "$check" ps "$1" /dev/null 2>&1) && return 1
    sed 's/^/# /' <<<"$out"
    grep -qF "$2" <<<"$out"
}
t "a name libvirt does not know: clear error" \
    expect_error nosuch "no running libvirt domain named 'nosuch' at $uri"

if [ -n "$LV_LIBVIRTD_PID" ]; then
    # ours to stop: then the error for a daemon that is not there
    for d in $doms; do vsh destroy "$d" >/dev/null 2>&1 || true; done
    lv_stop "$LV_LIBVIRTD_PID"
    t "libvirtd not running: clear error" expect_error $name "libvirtd is not running"
else
    skip_check "libvirtd not running: clear error" "libvirtd was running before this test: not ours to stop"
fi
echo "# done in $(elapsed)"

checks_end "live libvirt"
