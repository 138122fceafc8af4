#!/bin/bash
# vmifs on a live guest: the rig's amd64 guest (KASLR on) through the kvm
# driver (shared RAM file), mounted with vmifs.  Ground truth is outside
# our code: the guest's RAM file (RUNDIR/ram.file, QEMU's own memory) and
# the guest's console (VMI-PS, VMI-ARGV, VMI-CMDLINE lines).
#
# QEMU serves one client per QMP socket, and vmifs holds the rig's: the
# guest is started with a second monitor (qmp2.sock, through a QEMU
# wrapper) for the test's own stop/cont.
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"
vmifs=$top_builddir/vmifs/vmifs
[ -x "$vmifs" ] || { echo "SKIP: vmifs was not built (--enable-vmifs, libfuse3-dev)"; exit 77; }
[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse here (fuse module not loaded?)"; exit 77; }
command -v fusermount3 >/dev/null || { echo "SKIP: fusermount3 is missing (Debian package fuse3)"; exit 77; }
PY=/usr/bin/python3
QEMU_BIN=${LIBVMI_RIG_QEMU:-qemu-system-x86_64}

run=$work/run
mnt=$work/mnt
mkdir -p "$run" "$mnt"
fgpid=
cleanup() {
    fusermount3 -u -z "$mnt" 2>/dev/null || true
    [ -n "$fgpid" ] && kill "$fgpid" 2>/dev/null
    "$rig" stop "$run" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/qemu" <<W
#!/bin/sh
exec "$QEMU_BIN" "\$@" -qmp unix:$run/qmp2.sock,server=on,wait=off
W
chmod +x "$work/qemu"
LIBVMI_RIG_QEMU=$work/qemu "$rig" boot amd64 "$run" >/dev/null
con=$run/console.log
ram=$run/ram.file
{
    echo "live {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\";"
    echo '    kvm_access = "shm";'
    echo "}"
} >"$work/libvmi.conf"
export LIBVMI_CONF=$work/libvmi.conf
qmp2() { timeout 60 "$PY" "$top_srcdir/tests/rig/qmp.py" "$run/qmp2.sock" "$@"; }
mounted() { grep -q " $mnt fuse" /proc/mounts; }

# t DESCRIPTION FUNCTION...: one check
t() {
    local what=$1 rc=0
    shift
    echo "== $what"
    "$@" || rc=$?
    if [ $rc -eq 0 ]; then ok "$what"; else nok "$what (exit $rc)"; fi
}

# the last complete VMI-PS block of the console: "pid comm" lines
ps_truth() {
    awk '/^VMI-PS-BEGIN/ { n = 0; delete b; inb = 1; next }
         /^VMI-PS-END/ { if (inb) { out = ""; for (i = 0; i < n; i++) out = out b[i] "\n"; last = out }; inb = 0; next }
         inb && /^VMI-PS / { sub(/^VMI-PS /, ""); b[n++] = $0 }
         END { printf "%s", last }' <(tr -d '\r' <"$con" | grep -a '^VMI-PS')
}
# bytes LEN OFFSET FILE: LEN bytes at OFFSET as hex
bytes() { dd if="$3" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$1" status=none | od -An -tx1 -v | tr -d ' \n'; }
argv_of() { tr -d '\r' <"$con" | grep -a "^$1 " | head -1; }   # VMI-ARGV pid addr string

# ------------------------------------------------------------ read-only
mount_ro() {
    local out rc=0
    out=$(timeout 120 "$vmifs" live "$mnt" 2>&1) || rc=$?
    echo "# vmifs: ${out:-no output}, exit $rc"
    [ $rc -eq 0 ] && mounted
}
t "vmifs mounts the live guest (daemon, read-only), exit 0" mount_ro
# the daemon (libtool runs the binary from .libs/)
vpid=$(pgrep -f -- "vmifs live $mnt\$" | head -1 || true)
echo "# vmifs daemon: pid ${vpid:-not found}"

mem_size() {
    local a b
    a=$(stat -c %s "$mnt/mem") b=$(stat -c %s "$ram")
    echo "# mem $a bytes, RAM file $b bytes (the guest has $((b >> 20)) MiB)"
    [ "$a" = "$b" ] && [ "$a" -gt 0 ] &&
        [ "$(timeout 120 dd if="$mnt/mem" bs=1M status=none | wc -c)" = "$b" ]
}
t "mem is as large as the guest's memory, and reads to its end" mem_size

# offsets in guest RAM: the start, the BIOS area, 1 MiB, the middle, a
# page-unaligned one, the last page
size=$(stat -c %s "$ram")
offsets="0 $((0x9f000)) $((0x100000)) $((size / 2 + 12345)) $((size / 3 * 2 + 4095)) $((size - 4096))"
same_at() {
    local off n=${LEN:-65536} a b bad=0
    for off in $offsets; do
        [ $((off + n)) -le "$size" ] || n=$((size - off))
        a=$(bytes $n $off "$mnt/mem") b=$(bytes $n $off "$ram")
        if [ -z "$a" ] || [ "$a" != "$b" ]; then
            echo "# differs at $off (${#a} vs ${#b} hex digits)"
            bad=1
        fi
    done
    return $bad
}
# the guest runs: a page can change between the two reads; a real
# difference stays, a race does not survive three tries
same_running() {
    local i
    for i in 1 2 3; do same_at && return 0; echo "# try $i differed"; done
    return 1
}
t "dd from mem at 6 offsets equals the RAM file there (guest running)" same_running

ps_equal() {
    local i want got
    for i in 1 2 3 4 5; do
        want=$(ps_truth | awk '{ print $1 }' | sort -n)
        got=$(timeout 30 ls "$mnt/proc" | sort -n)
        [ -n "$want" ] && [ "$want" = "$got" ] && { echo "# $(echo "$got" | wc -l) processes"; return 0; }
        echo "# try $i: guest $(echo "$want" | wc -l) pids, proc/ $(echo "$got" | wc -l): $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
        sleep 2
    done
    return 1
}
t "proc/ lists the pids of the guest's VMI-PS list" ps_equal

# the name the guest printed (from /proc/PID/stat) as task_struct.comm
# holds it: at most 15 characters, a kworker's "-desc"/"+desc" removed
comm_of_truth() {
    local c=$1
    [[ "$c" == kworker/* ]] && c=${c%%[-+]*}
    printf '%s' "${c:0:15}"
}
comm_equal() {
    local pid comm got want bad=0 n=0
    while read -r pid comm; do
        want=$(comm_of_truth "$comm")
        got=$(cat "$mnt/proc/$pid/comm" 2>/dev/null) || { echo "# proc/$pid/comm: unreadable"; bad=1; continue; }
        [ "$got" = "$want" ] || { echo "# proc/$pid/comm: '$got', guest: '$comm'"; bad=1; }
        n=$((n + 1))
    done < <(ps_truth)
    echo "# $n comm files compared"
    [ $n -gt 0 ] && return $bad
}
t "proc/PID/comm of every process equals the guest's name for it" comm_equal

# the sentinels: argv at the addresses the guest printed
sentinels() {
    local s l pid addr str got bad=0
    for s in a b c; do
        l=$(tr -d '\r' <"$con" | grep -a "^VMI-PS [0-9]* vmi-sentinel-$s\$" | tail -1)
        pid=${l#VMI-PS }; pid=${pid%% *}
        l=$(tr -d '\r' <"$con" | grep -a "^VMI-ARGV1 $pid " | head -1)
        read -r _ _ addr str <<<"$l"
        l=$(tr -d '\r' <"$con" | grep -a "^VMI-ARGV $pid " | head -1)
        read -r _ _ addr0 str0 <<<"$l"
        [ -n "$pid" ] && [ -n "$addr" ] && [ -n "$addr0" ] || { echo "# no truth for vmi-sentinel-$s"; return 1; }
        got=$(dd if="$mnt/proc/$pid/mem" bs=64 iflag=skip_bytes,count_bytes skip=$((0x$addr0)) \
              count=$((${#str0} + 1 + ${#str} + 1)) status=none | tr '\0' '|')
        [ "$got" = "$str0|$str|" ] || { echo "# proc/$pid/mem at 0x$addr0: '$got', guest: '$str0|$str|'"; bad=1; }
        got=$(tr '\0' '|' <"$mnt/proc/$pid/cmdline")
        [ "$got" = "$str0|$str|" ] || { echo "# proc/$pid/cmdline: '$got', guest: '$str0|$str|'"; bad=1; }
        # the argv lies on the stack: an area of maps holds it, named so
        got=$(while read -r range rest; do
                  [ $((0x${range%-*})) -le $((0x$addr0)) ] && [ $((0x$addr0)) -lt $((0x${range#*-})) ] &&
                      echo "$range $rest"
              done <"$mnt/proc/$pid/maps")
        [[ "$got" == *"[stack]" ]] || { echo "# proc/$pid/maps: no [stack] area holds 0x$addr0 ('$got')"; bad=1; }
        echo "# vmi-sentinel-$s (pid $pid): argv '$str0 $str' at 0x$addr0"
    done
    return $bad
}
t "proc/PID/mem at the sentinels' argv address holds their argv; cmdline equals it; maps has it in [stack]" sentinels

unmapped() {
    local pid e
    pid=$(tr -d '\r' <"$con" | grep -a '^VMI-ARGV ' | head -1 | cut -d' ' -f2)
    # the page at 4096 is never mapped in a process (mmap_min_addr)
    e=$(dd if="$mnt/proc/$pid/mem" bs=4096 skip=1 count=1 status=none 2>&1 >/dev/null)
    echo "# read at 4096: $e"
    [[ "$e" == *"Input/output error"* ]] || return 1
    # a pid that is not there
    e=$(stat "$mnt/proc/999999" 2>&1) && return 1
    echo "# proc/999999: $e"
    [[ "$e" == *"No such file"* ]]
}
t "an unmapped page of proc/PID/mem: EIO; a pid that is not running: ENOENT" unmapped

refused() {
    local f e rc=0 pid
    pid=$(tr -d '\r' <"$con" | grep -a '^VMI-ARGV ' | head -1 | cut -d' ' -f2)
    for f in "$mnt/mem" "$mnt/proc/$pid/mem"; do
        e=$("$PY" -c 'import os, sys, errno
try:
    os.open(sys.argv[1], os.O_WRONLY)
except OSError as x:
    print(errno.errorcode[x.errno]); sys.exit(0)
print("opened"); sys.exit(1)' "$f") || rc=1
        echo "# open($f, O_WRONLY): $e"
        [ "$e" = EROFS ] || [ "$e" = EACCES ] || rc=1
    done
    return $rc
}
t "writes refused without --writable (EROFS/EACCES)" refused

# ------------------------------------------------------------ pause
paused() {
    local st rc=0
    qmp2 stop >/dev/null || return 1
    st=$(qmp2 query-status)
    echo "# QMP: $st"
    [[ "$st" == *'"paused"'* ]] || rc=1
    # reads while the guest is stopped: the right bytes, within a bound
    # (memory does not change now: one try)
    timeout 60 bash -c "$(declare -f same_at bytes); offsets='$offsets' size=$size mnt='$mnt' ram='$ram' same_at" || { echo "# reads during the pause failed"; rc=1; }
    timeout 300 "$PY" - "$mnt/mem" "$ram" <<'PY' || rc=1
# the whole of mem: its data ranges (SEEK_DATA/SEEK_HOLE) equal the RAM
# file; its holes read as zeros and lie where a PC has no RAM (the VGA and
# ROM area below 1 MiB)
import os, sys
mem = os.open(sys.argv[1], os.O_RDONLY)
ram = os.open(sys.argv[2], os.O_RDONLY)
size, at, bad, data = os.fstat(mem).st_size, 0, 0, 0
def same(a, b, n, zeros=False):
    while n > 0:
        k = min(n, 1 << 20)
        x = os.pread(mem, k, a)
        y = bytes(k) if zeros else os.pread(ram, k, a)
        if x != y:
            print("# differs in [0x%x, 0x%x)" % (a, a + k)); return False
        a += k; n -= k
    return True
while at < size:
    try:
        d = os.lseek(mem, at, os.SEEK_DATA)
    except OSError:
        d = size
    if d > at:
        print("# hole [0x%x, 0x%x)" % (at, d))
        if not (0xa0000 <= at and d <= 0x100000) or not same(at, None, d - at, zeros=True):
            bad = 1
    if d >= size:
        break
    h = os.lseek(mem, d, os.SEEK_HOLE)
    data += h - d
    if h <= d or not same(d, d, h - d):
        bad = 1
        break
    at = h
print("# %d bytes of data, all equal to the RAM file" % data if not bad else "# mem differs")
sys.exit(bad or data < size - (1 << 20))
PY
    timeout 30 ls "$mnt/proc" >/dev/null || rc=1
    qmp2 cont >/dev/null || rc=1
    st=$(qmp2 query-status)
    [[ "$st" == *'"running"'* ]] || rc=1
    # the guest goes on (a new tick), and so do reads
    local ticks
    ticks=$(grep -ac '^VMI-TICK' "$con")
    for _ in $(seq 60); do [ "$(grep -ac '^VMI-TICK' "$con")" -gt "$ticks" ] && break; sleep 1; done
    [ "$(grep -ac '^VMI-TICK' "$con")" -gt "$ticks" ] || { echo "# no tick after cont"; rc=1; }
    same_running || rc=1
    return $rc
}
t "guest paused (QMP stop): mem equals the RAM file, all of it (holes: zeros, below 1 MiB); after cont reads go on" paused

unmount_ro() {
    fusermount3 -u "$mnt" || return 1
    local i
    for i in $(seq 100); do
        [ -n "$vpid" ] && kill -0 "$vpid" 2>/dev/null || break
        sleep 0.2
    done
    ! mounted && ! { [ -n "$vpid" ] && kill -0 "$vpid" 2>/dev/null; }
}
t "fusermount3 -u: unmounted, the daemon ends" unmount_ro

# ------------------------------------------------------------ writable
"$vmifs" live "$mnt" -f --writable 2>"$work/vmifs-rw.err" &
fgpid=$!
for _ in $(seq 120); do mounted && break; sleep 0.5; done
rw_mounted() { mounted; }
t "vmifs --writable -f mounts" rw_mounted

# the guest prints its sentinels' command lines (VMI-CMDLINE) every 2 s,
# from their memory: a write there shows up on its console
wait_console() {
    local i
    for i in $(seq 60); do tr -d '\r' <"$con" | grep -aq "$1" && return 0; sleep 1; done
    echo "# not on the console: $1"
    return 1
}
write_virt() {
    local pid addr str l
    pid=$(tr -d '\r' <"$con" | grep -a '^VMI-PS [0-9]* vmi-sentinel-a$' | tail -1 | cut -d' ' -f2)
    l=$(tr -d '\r' <"$con" | grep -a "^VMI-ARGV1 $pid " | head -1)
    read -r _ _ addr str <<<"$l"
    [ "$str" = alpha-marker-4711 ] || { echo "# no truth for sentinel a"; return 1; }
    printf ALPHA | dd of="$mnt/proc/$pid/mem" bs=5 seek=$((0x$addr)) oflag=seek_bytes conv=notrunc status=none || return 1
    wait_console "^VMI-CMDLINE $pid catALPHA-marker-4711"
}
t "write to proc/PID/mem (a sentinel's argv): the guest shows it" write_virt

write_phys() {
    local pid addr str l pa got
    pid=$(tr -d '\r' <"$con" | grep -a '^VMI-PS [0-9]* vmi-sentinel-c$' | tail -1 | cut -d' ' -f2)
    l=$(tr -d '\r' <"$con" | grep -a "^VMI-ARGV1 $pid " | head -1)
    read -r _ _ addr str <<<"$l"
    [ "$str" = gamma-marker-4713 ] || { echo "# no truth for sentinel c"; return 1; }
    # where that string is in guest RAM: the one copy at its page offset
    pa=$("$PY" - "$ram" $((0x$addr & 4095)) <<'PY'
import mmap, sys
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    want, hits, at = b"cat\0gamma-marker-4713\0", [], 0
    while True:
        at = m.find(want, at)
        if at < 0: break
        if (at + 4) % 4096 == int(sys.argv[2]): hits.append(at + 4)
        at += 1
    print(hits[0] if len(hits) == 1 else "")
PY
)
    [ -n "$pa" ] || { echo "# the string is not in guest RAM exactly once"; return 1; }
    echo "# gamma-marker-4713 at guest-physical 0x$(printf %x "$pa")"
    printf GAMMA | dd of="$mnt/mem" bs=5 seek="$pa" oflag=seek_bytes conv=notrunc status=none || return 1
    got=$(dd if="$ram" bs=64 iflag=skip_bytes,count_bytes skip="$pa" count=17 status=none)
    echo "# RAM file there: $got"
    [ "$got" = GAMMA-marker-4713 ] && wait_console "^VMI-CMDLINE $pid catGAMMA-marker-4713"
}
t "write to mem (a physical page): the RAM file and the guest show it" write_phys

# ------------------------------------------------------------ guest gone
gone() {
    local rc=0 t0 code
    kill -9 "$(cat "$run/qemu.pid")"
    t0=$(date +%s)
    # bounded: vmifs must notice and end by itself
    for _ in $(seq 120); do kill -0 "$fgpid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$fgpid" 2>/dev/null; then
        echo "# vmifs still runs 60 s after QEMU was killed"
        return 1
    fi
    wait "$fgpid" || code=$?
    fgpid=
    echo "# vmifs ended after $(( $(date +%s) - t0 )) s, exit ${code:-0}: $(tail -1 "$work/vmifs-rw.err")"
    [ "${code:-0}" -eq 3 ] || rc=1
    mounted && { echo "# still mounted"; rc=1; }
    return $rc
}
t "QEMU killed: vmifs unmounts itself and exits 3" gone

checks_end "vmifs live amd64"
