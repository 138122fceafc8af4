#!/bin/bash
# Live QEMU guest through the kvm driver: the rig's amd64 guest is booted
# (KASLR on) and read while it runs, through each memory path in turn; the
# guest's console is the ground truth (see check-live.c).
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"
check=$top_builddir/tests/real/check-live
[ -x "$check" ] || { echo "SKIP: libvmi was built without the kvm driver"; exit 77; }

run=$work/run
cleanup() { "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# conf NAME EXTRA...: a config entry for the running guest: the snapshot's
# sysmap and offsets, the sockets of $run, and EXTRA lines
conf() {
    local name=$1
    shift
    {
        echo "$name {"
        grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
        for l in "$@"; do echo "    $l;"; done
        echo "}"
    } >>"$work/libvmi.conf"
}
export LIBVMI_CONF=$work/libvmi.conf
# zconf NAME EXTRA...: the same with no System.map and no offsets (the
# kernel, its symbols and offsets found in the live guest's memory)
zconf() {
    local name=$1
    shift
    {
        echo "$name {"
        echo '    ostype = "Linux";'
        for l in "$@"; do echo "    $l;"; done
        echo "}"
    } >>"$work/libvmi.conf"
}

# t DESCRIPTION COMMAND...: one check group, its TAP output indented
t() {
    local what=$1 rc=0
    shift
    echo "== $what"
    if declare -F "$1" >/dev/null; then "$@" || rc=$?; else timeout 120 "$@" || rc=$?; fi
    if [ $rc -eq 0 ]; then ok "$what"; else nok "$what (exit $rc)"; fi
}

boot() {
    "$rig" stop "$run" >/dev/null 2>&1 || true
    rm -f "$work/libvmi.conf"
    "$rig" boot amd64 "$run" >/dev/null
}

# ---- 1 vCPU, RAM in a shared file; a second process wakes every second
# (address-space switches, so that the kernel writes CR3)
LIBVMI_RIG_BUSY=1 boot
conf shm "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "shm"'
conf process "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "process"'
conf gdbstub "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "gdbstub"'
conf auto "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\""
conf qmponly "qmp = \"$run/qmp.sock\""
zconf zshm "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "shm"'
zconf zprocess "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "process"'
zconf zgdbstub "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\"" 'kvm_access = "gdbstub"'
con=$run/console.log
export LIBVMI_PROFILE_CACHE=off
t "zero-config: process list through the shared RAM file, guest running" env EXPECT_PATH=shm "$check" running zshm "$con"
t "zero-config: process list through QEMU's process memory, guest running" env EXPECT_PATH=process "$check" running zprocess "$con"
t "zero-config: process list through the gdbstub" env EXPECT_PATH=gdbstub "$check" ps zgdbstub "$con"
unset LIBVMI_PROFILE_CACHE
t "process list through the shared RAM file, guest running" env EXPECT_PATH=shm "$check" running shm "$con"
t "process list through QEMU's process memory, guest running" env EXPECT_PATH=process "$check" running process "$con"
t "process list through the gdbstub" env EXPECT_PATH=gdbstub "$check" ps gdbstub "$con"
t "VMI_AUTO picks the shared RAM file" env EXPECT_PATH=shm "$check" ps auto "$con"
t "write a process's string (shm path), the guest prints it" "$check" write shm "$con"
t "write a process's string (process path)" "$check" write process "$con"
t "write a process's string (gdbstub path)" "$check" write gdbstub "$con"
t "CR3 and RIP through the gdbstub, 1 vCPU; set a register" env EXPECT_VCPUS=1 EXPECT_SET_REGS=1 "$check" regs auto "$con"
t "CR3 and RIP through QMP only, 1 vCPU" env EXPECT_VCPUS=1 "$check" regs qmponly "$con"
t "pause and resume" "$check" pause auto "$con"
t "shm-snapshot" "$check" snapshot auto "$con"
t "VMI_INIT_SHM_SNAPSHOT" "$check" initsnap auto "$con"
t "events: breakpoint, watchpoint, single-step, CR3 writes" "$check" events auto "$con"
t "modern events: INT3 recoil, page writes, CR3 writes, single-step, refusals" \
    "$top_builddir/tests/real/check-events" auto "$con" "$RIG_KALLSYMS"
# A binary built against the library before the modern event API: the
# headers of then, linked against a stand-in with only LIBVMI_0.1, run
# against today's library (the classic vmi_event_t layout).
abi2013() {
    local d=$work/abi2013 data=$top_srcdir/tests/data/abi-2013 text kw jf
    mkdir -p "$d"
    ${CC:-cc} -shared -fPIC -I"$data" -o "$d/libvmi.so.0" -Wl,-soname,libvmi.so.0 \
        -Wl,--version-script="$data/libvmi.map" "$top_srcdir/tests/abi/stub-2013.c" || return 1
    ln -sf libvmi.so.0 "$d/libvmi.so"
    ${CC:-cc} -Wall -Wextra -Werror -I"$data" -o "$d/old-events" "$top_srcdir/tests/abi/old-events.c" \
        -L"$d" -lvmi || return 1
    objdump -T "$d/old-events" | grep -q '(LIBVMI_0.1) *vmi_register_event$' ||
        { echo "# old-events does not reference vmi_register_event@LIBVMI_0.1"; return 1; }
    text=$(grep -a '^VMI-KSYM [0-9a-f]* . _text' "$con" | head -1 | cut -d' ' -f2)
    jf=$(grep -a '^VMI-KSYM [0-9a-f]* . jiffies' "$con" | head -1 | cut -d' ' -f2)
    local a b
    a=$(awk '$3 == "_text" { print $1; exit }' "$RIG_KALLSYMS")
    b=$(awk '$3 == "ksys_write" { print $1; exit }' "$RIG_KALLSYMS")
    [ -n "$text" ] && [ -n "$jf" ] && [ -n "$a" ] && [ -n "$b" ] || { echo "# no truth for the addresses"; return 1; }
    kw=$(printf '%x' $((0x$b - 0x$a + 0x$text)))
    LD_LIBRARY_PATH=$top_builddir/libvmi/.libs timeout 120 "$d/old-events" auto "$kw" "$jf"
}
t "a binary of the classic event ABI (LIBVMI_0.1) against today's library" abi2013
# A compromised QEMU could swap the RAM file it names (in a directory its
# user writes) for a symlink or another file: libvmi (often root) must not
# map that. QEMU keeps its own mapping of the original meanwhile.
swapped() {
    local f=$run/ram.file out rc=0
    mv "$f" "$f.orig" || return 1
    ln -s /etc/hostname "$f"
    out=$(timeout 60 "$bin/vmi-process-list" shm 2>&1) && rc=1
    echo "# symlink: ${out:0:200}"
    grep -q "symbolic link: refused" <<<"$out" || rc=1
    rm -f "$f"
    truncate -s "$(stat -c %s "$f.orig")" "$f"
    out=$(timeout 60 "$bin/vmi-process-list" shm 2>&1) && rc=1
    echo "# another file: ${out:0:200}"
    grep -q "is not the one QEMU (pid [0-9]*) has mapped" <<<"$out" || rc=1
    rm -f "$f"
    mkfifo "$f"
    out=$(timeout 60 "$bin/vmi-process-list" shm 2>&1) && rc=1
    echo "# a FIFO: ${out:0:200}"
    grep -q "not a regular file" <<<"$out" || rc=1
    rm -f "$f"
    mv "$f.orig" "$f"
    timeout 60 "$bin/vmi-process-list" shm >/dev/null || { echo "# the original file is not accepted again"; rc=1; }
    return $rc
}
t "RAM file swapped for a symlink, another file, a FIFO: refused; the original accepted" swapped

# QEMU killed in the middle of reads
( sleep 2; kill -9 "$(cat "$run/qemu.pid")" ) &
t "QEMU killed during reads: an error, no crash or hang" "$check" gone auto "$con"
wait

# ---- 2 vCPUs, RAM not in a shared file
LIBVMI_RIG_SMP=2 LIBVMI_RIG_SHM=0 boot
conf auto "qmp = \"$run/qmp.sock\"" "gdb = \"$run/gdb.sock\""
conf qmponly "qmp = \"$run/qmp.sock\""
t "2 vCPUs: CR3 and RIP of each through the gdbstub" env EXPECT_VCPUS=2 EXPECT_SET_REGS=1 "$check" regs auto "$con"
t "2 vCPUs: CR3 and RIP of each through QMP" env EXPECT_VCPUS=2 "$check" regs qmponly "$con"
t "no shared file: VMI_AUTO picks process memory" env EXPECT_PATH=process "$check" running auto "$con"

# ---- bad peers
conf nosock 'qmp = "/nonexistent/qmp.sock"'
nosock() {
    local out
    out=$(timeout 20 "$bin/vmi-process-list" nosock 2>&1) && return 1
    echo "$out"
    echo "$out" | grep -q "/nonexistent/qmp.sock"
}
t "a socket path that does not exist: clear error at init" nosock
python3 - "$work/garbage.sock" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
for reply in (b"+$garbage#00\xff\xfe garbage", b"+$qSupported:PacketSize=1000;qXfer:features:read+#"):
    c, _ = s.accept(); c.recv(4096); c.sendall(reply); c.close()
PY
sleep 0.5
conf garbage "gdb = \"$work/garbage.sock\""
t "a gdbstub that sends garbage: clear error, no hang" \
    sh -c "! timeout 20 '$bin/vmi-process-list' garbage"
t "a gdbstub that closes mid-packet: clear error, no hang" \
    sh -c "! timeout 20 '$bin/vmi-process-list' garbage"
wait

checks_end "live amd64"
