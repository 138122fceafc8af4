#!/bin/bash
# Bad input on the real amd64 guest's snapshot: each case must end with a
# clear error (exit 1 and a message naming the problem), never a crash
# (exit >= 128) or a hang (timeout).
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"

# expect_error DESCRIPTION PATTERN COMMAND...: exit 1 within 20 s, stderr matches PATTERN
expect_error() {
    local what=$1 pattern=$2
    shift 2
    local rc=0
    timeout 20 "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [ $rc -eq 1 ] && grep -Eq -- "$pattern" "$work/err"; then
        ok "$what: $(head -c 300 "$work/err" | tr '\n' ' ')"
    else
        nok "$what: exit $rc (124 = hang, >=128 = crash), stderr: $(head -c 500 "$work/err")"
    fi
}
# conf NAME BODY: writes a config with one entry
conf() {
    printf '%s {\n%s\n}\n' "$1" "$2" >"$work/libvmi.conf"
}
offsets=$(grep -E '^ *linux_' "$RIG_CONF")
sysmap=$(sed -n 's/.*sysmap *= *"\(.*\)".*/\1/p' "$RIG_CONF")

# an empty file
: >"$work/empty.raw"
expect_error "empty snapshot" "is empty" env LIBVMI_CONF="$RIG_CONF" "$bin/vmi-process-list" "$work/empty.raw"

# a truncated ELF core: the first 64 KiB of the real one
head -c 65536 "$RIG_ELF" >"$work/amd64.elf"
expect_error "truncated ELF" "truncated|beyond|ends at" env LIBVMI_CONF="$RIG_CONF" "$bin/vmi-process-list" "$work/amd64.elf"

# a config with a syntax error
printf 'amd64 {\n    ostype = "Linux"\n    sysmap = ;\n}\n' >"$work/libvmi.conf"
expect_error "config syntax error" "libvmi.conf:[0-9]+" env LIBVMI_CONF="$work/libvmi.conf" "$bin/vmi-process-list" "$RIG_RAW"

# a config naming a missing System.map
conf amd64 "ostype = \"Linux\"; sysmap = \"$work/no-such-System.map\"; $offsets"
expect_error "missing System.map" "cannot open System.map.*no-such-System.map" env LIBVMI_CONF="$work/libvmi.conf" "$bin/vmi-process-list" "$RIG_RAW"

# the System.map of another kernel (the i386 one, if built) or a shuffled one
python3 -c '
import sys
for n, line in enumerate(open(sys.argv[1])):
    a, t, name = line.split()[:3]
    print("%016x %s %s" % (int(a, 16) + 4096 * (n % 7), t, name))
' "$sysmap" >"$work/wrong.map"
conf amd64 "ostype = \"Linux\"; sysmap = \"$work/wrong.map\"; $offsets"
expect_error "System.map of another kernel" "not in this guest's memory|does not map|wrong System.map" env LIBVMI_CONF="$work/libvmi.conf" "$bin/vmi-process-list" "$RIG_RAW"

# offsets that point nowhere
bad_offsets=$(echo "$offsets" | sed -E 's/(linux_name *= *)0x[0-9a-fA-F]+/\10x10/')
conf amd64 "ostype = \"Linux\"; sysmap = \"$sysmap\"; $bad_offsets"
expect_error "offsets that point nowhere" "offsets do not fit" env LIBVMI_CONF="$work/libvmi.conf" "$bin/vmi-process-list" "$RIG_RAW"

# a task list that loops: make the 3rd task's tasks.next point back to the 2nd task's node
cp --sparse=always "$RIG_RAW" "$work/loop.raw"
conf loop "ostype = \"Linux\"; sysmap = \"$sysmap\"; $offsets"
export LIBVMI_CONF=$work/libvmi.conf
tasks_off=$(echo "$offsets" | sed -nE 's/.*linux_tasks *= *(0x[0-9a-fA-F]+|[0-9]+).*/\1/p')
"$bin/vmi-process-list" --json "$work/loop.raw" >"$work/ps.json"
t2=$(jq -r '.[1].task' "$work/ps.json")
t3=$(jq -r '.[2].task' "$work/ps.json")
node2=$(printf '0x%x' $((t2 + tasks_off)))
node3=$(printf '0x%x' $((t3 + tasks_off)))
pa3=$("$bin/vmi-map-addr" --json --len 8 "$work/loop.raw" "$node3" | jq -r .pa)
# little-endian 8 bytes of node2 written at pa3 (tasks.next is the first field)
le=$(printf '%016x' $((node2)) | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\\x\8\\x\7\\x\6\\x\5\\x\4\\x\3\\x\2\\x\1/')
printf "$le" | dd of="$work/loop.raw" bs=1 seek=$((pa3)) conv=notrunc status=none
expect_error "task list that loops" "loops at" "$bin/vmi-process-list" "$work/loop.raw"
# and the tools still work on the rest of that snapshot
if "$bin/vmi-map-symbol" --string --len 0 "$work/loop.raw" linux_banner | grep -q "Linux version"; then
    ok "symbols still readable from the looping snapshot"
else
    nok "symbols not readable from the looping snapshot"
fi

# vmi-dump-memory writes to a device and to a pipe (once "cannot size"),
# the pipe's bytes are the snapshot's, and its peak memory does not grow
# with the guest (it once held the whole 512 MiB mapping resident)
unset LIBVMI_CONF
rc=0
"$bin/vmi-dump-memory" -q "$RIG_RAW" /dev/null 2>"$work/err" || rc=$?
if [ $rc -eq 0 ]; then
    ok "vmi-dump-memory to /dev/null"
else
    nok "vmi-dump-memory to /dev/null: exit $rc: $(head -c 300 "$work/err")"
fi
if "$bin/vmi-dump-memory" -q "$RIG_RAW" - 2>"$work/err" | cmp -s - "$RIG_RAW"; then
    ok "vmi-dump-memory to a pipe gives the snapshot's bytes"
else
    nok "vmi-dump-memory to a pipe: $(head -c 300 "$work/err")"
fi
real_dump=$bin/.libs/vmi-dump-memory     # the binary, not libtool's wrapper script
if [ -x /usr/bin/time ] && [ -x "$real_dump" ]; then
    LD_LIBRARY_PATH=$top_builddir/libvmi/.libs /usr/bin/time -f '%M' -o "$work/rss" \
        "$real_dump" -q "$RIG_RAW" "$work/dump.raw" 2>"$work/err" || true
    rss=$(tail -1 "$work/rss")
    size_kib=$(( $(stat -c %s "$RIG_RAW") / 1024 ))
    if cmp -s "$work/dump.raw" "$RIG_RAW" && [ "$rss" -lt $((size_kib / 8)) ]; then
        ok "vmi-dump-memory to a file: same bytes, peak RSS $rss KiB for a $size_kib KiB guest"
    else
        nok "vmi-dump-memory to a file: peak RSS $rss KiB for a $size_kib KiB guest" \
            "(or the bytes differ): $(head -c 300 "$work/err")"
    fi
    rm -f "$work/dump.raw"
else
    skip_check "vmi-dump-memory to a file, its peak memory" "no /usr/bin/time or no $real_dump"
fi
checks_end "bad input"
