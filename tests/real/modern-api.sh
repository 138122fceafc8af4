#!/bin/bash
# The modern LibVMI API (0.14 and later) and the 2013 one, against the
# guest's own truth.  The example programs of examples/modern/ (written for
# the modern API) and tests/abi/classic-ps.c (written for the 2013 API) are
# built unchanged with the pkg-config flags of an installed-looking tree,
# classic-ps also as an old binary (LIBVMI_0.1 header and symbols); they run
# on the rig's amd64 snapshots (raw and ELF, System.map config and zero
# config) and on a live amd64 guest (kvm driver), and what they print is
# compared with what the guest printed (tests/rig/truth.py), the kernel's own
# pahole offsets, and QEMU's pmemsave of guest RAM.
# MODERN_API_NO_LIVE=1 leaves out the live guest (a quicker run by hand).
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"
. "$top_srcdir/tests/abi/lib.sh"
truth=$RIG_DIR/truth
fails=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fails=$((fails + 1)); }
expect() {      # expect DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}

# ---- build: modern examples and the classic program, with pkg-config flags
abi_prefix "$work/prefix" || exit 1
flags=$(abi_cflags_libs) || exit 1
glib=$(pkg-config --cflags --libs glib-2.0)
ex=$work/bin
mkdir -p "$ex"
for src in "$top_srcdir"/examples/modern/*.c; do
    name=modern-$(basename "$src" .c)
    # shellcheck disable=SC2086
    $CC -std=gnu11 -Wall -Wextra -Werror "$src" $flags $glib -o "$ex/$name" ||
        { bad "build $name with the pkg-config flags"; exit 1; }
done
# shellcheck disable=SC2086
$CC -std=gnu11 -Wall -Wextra -Werror "$top_srcdir/tests/abi/classic-ps.c" $flags -o "$ex/classic-ps" ||
    { bad "build classic-ps (2013 API) with the pkg-config flags"; exit 1; }
# the same source as a binary built before the modern API: LIBVMI_0.1 header,
# linked against a library exporting only LIBVMI_0.1
soname=$(objdump -p "$ABI_LIB" | awk '/SONAME/ { print $2 }')
mkdir -p "$work/old"
sed -n '/^LIBVMI_0\.1 {/,/^};/p' "$top_srcdir/libvmi/libvmi.map" | grep -oE '\bvmi_[a-z0-9_]+' |
    sed 's/.*/void &(void) {}/' >"$work/old/stub.c"
printf 'LIBVMI_0.1 { global: vmi_*; local: *; };\n' >"$work/old/old.map"
$CC -shared -fPIC -o "$work/old/$soname" -Wl,-soname,"$soname" \
    -Wl,--version-script="$work/old/old.map" "$work/old/stub.c" || exit 1
ln -s "$soname" "$work/old/libvmi.so"
$CC -std=gnu11 -Wall -Werror -I"$top_srcdir/tests/abi/libvmi-0.1" "$top_srcdir/tests/abi/classic-ps.c" \
    -L"$work/old" -lvmi -o "$ex/classic-ps-old" || exit 1
ok "built examples/modern/*.c and classic-ps (today's header and the LIBVMI_0.1 one)"
export LD_LIBRARY_PATH=$ABI_PREFIX/lib

ksym() { awk -v s="$1" '$1 == s { print $2 }' "$truth/ksyms.txt"; }
sorted_ps() { sort -n "$truth/ps.txt"; }
banner=$(cat "$truth/banner.txt")
# a process of the guest and one of its strings: "pid argv1 addr string"
read -r upid _ uaddr ustr < <(awk '$2 == "argv1" { print; exit }' "$truth/argv.txt")

on_snapshot() {     # on_snapshot SNAPSHOT CONF
    local snap=$1 conf=$2 kind
    kind=$(basename "$snap")
    export LIBVMI_CONF=$conf
    echo "== $kind ($(basename "$conf"))"
    # process list: pid 0 first, then exactly the guest's processes
    if timeout 120 "$ex/modern-process-list" "$snap" >"$work/ps" 2>"$work/err"; then
        expect "$kind: modern process list starts with pid 0" grep -q '^0 swapper' <(head -1 "$work/ps")
        expect "$kind: modern process list = the guest's" diff <(sorted_ps) <(tail -n +2 "$work/ps" | sort -n)
    else
        cat "$work/err"; bad "$kind: modern-process-list"
    fi
    for c in classic-ps classic-ps-old; do
        if timeout 120 "$ex/$c" "$snap" >"$work/cps" 2>"$work/err"; then
            expect "$kind: $c (2013 API) = the guest's" \
                diff <(sorted_ps) <(grep -v '^mode\|^paging\|^0 ' "$work/cps" | sort -n)
            expect "$kind: $c sees VMI_FILE and VMI_PM_IA32E" \
                diff <(printf 'mode file\npaging 64\n') <(grep '^mode\|^paging' "$work/cps")
        else
            cat "$work/err"; bad "$kind: $c"
        fi
    done
    # symbols: the guest's addresses; the banner's bytes through a context
    for s in _text init_task linux_banner; do
        out=$(timeout 60 "$ex/modern-map-symbol" "$snap" "$s" 64 2>&1) || { echo "$out"; bad "$kind: map-symbol $s"; continue; }
        expect "$kind: $s at the guest's address" test "$(awk 'NR==1 { print $2 }' <<<"$out")" = "0x$(ksym "$s")"
    done
    out=$(timeout 60 "$ex/modern-map-symbol" "$snap" linux_banner 64 2>&1)
    want=$(printf '%s' "${banner:0:64}" | od -An -tx1 | tr -d ' \n')
    expect "$kind: the bytes at linux_banner are the guest's banner" test "$(sed -n 2p <<<"$out")" = "$want"
    # address translation, both ways to the banner
    out=$(timeout 60 "$ex/modern-map-addr" "$snap" 0 "0x$(ksym linux_banner)" 2>&1) || echo "$out"
    expect "$kind: map-addr: the banner through the page table" test "$(sed -n 's/^string //p' <<<"$out")" = "$banner"
    expect "$kind: map-addr: the banner at the physical address" test "$(sed -n 's/^pa_string //p' <<<"$out")" = "$banner"
    out=$(timeout 60 "$ex/modern-map-addr" "$snap" "$upid" "0x$uaddr" 2>&1) || echo "$out"
    expect "$kind: map-addr: pid $upid's argv1 ($ustr)" test "$(sed -n 's/^string //p' <<<"$out")" = "$ustr"
    # pages of the process: the one with argv1 is there and holds it
    out=$(timeout 120 "$ex/modern-va-pages" "$snap" "$upid" "0x$uaddr" 2>&1) || echo "$out"
    expect "$kind: va-pages: pid $upid's page with argv1 holds '$ustr'" \
        test "$(sed -n 's/^string //p' <<<"$out")" = "$ustr"
    n=$(sed -n 's/^pages //p' <<<"$out")
    expect "$kind: va-pages: pid $upid maps pages ($n)" test "${n:-0}" -gt 2
    # kernel log: its first record is the banner (without its newline)
    out=$(timeout 60 "$ex/modern-dmesg" "$snap" 2>"$work/err") || cat "$work/err"
    expect "$kind: dmesg: the first record is the guest's banner" \
        test "$(head -1 <<<"$out" | sed 's/^\[[ 0-9.]*\] //')" = "$banner"
    expect "$kind: dmesg: more records ($(wc -l <<<"$out"))" test "$(wc -l <<<"$out")" -gt 100
    # modules: this guest loads none (its kallsyms has no [module] line)
    out=$(timeout 60 "$ex/modern-module-list" "$snap" 2>&1) || echo "$out"
    if grep -q '\[' "$RIG_KALLSYMS"; then want=$(grep -o '\[[^]]*\]' "$RIG_KALLSYMS" | sort -u | wc -l); else want=0; fi
    expect "$kind: module list: $want modules, as the guest's kallsyms" test "$(tail -1 <<<"$out")" = "modules $want"
    # offsets: the kernel's own (pahole of its BTF)
    out=$(timeout 60 "$ex/modern-linux-offsets" "$snap" task_struct.pid task_struct.comm \
          task_struct.tasks mm_struct.pgd 2>&1) || echo "$out"
    for k in task_struct.pid task_struct.comm task_struct.tasks mm_struct.pgd; do
        want=$(awk -v k="$k" '$1 == k { print $2 }' "$truth/offsets.txt")
        expect "$kind: offset $k = $want (pahole)" test "$(awk -v k="$k" '$1 == k { print $2 }' <<<"$out")" = "$want"
    done
    expect "$kind: linux_tasks = task_struct.tasks" \
        test "$(printf '%d' "$(awk '$1 == "linux_tasks" { print $2 }' <<<"$out")")" = \
             "$(awk '$1 == "task_struct.tasks" { print $2 }' "$truth/offsets.txt")"
}

on_snapshot "$RIG_RAW" "$RIG_CONF"
on_snapshot "$RIG_ELF" "$RIG_CONF"
on_snapshot "$RIG_RAW" "$RIG_ZCONF"

# vCPU 0's registers from the ELF core = QEMU's "info registers" then
# shellcheck disable=SC2086
if $CC -std=gnu11 -Wall -Wextra -Werror "$top_srcdir/tests/abi/regs.c" $flags -o "$ex/regs" &&
        out=$(LIBVMI_CONF=$RIG_CONF timeout 60 "$ex/regs" "$RIG_ELF" 2>&1); then
    for r in RIP RSP CR3 CR0; do
        want=$(grep -o "$r=[0-9a-f]*" "$truth/regs.txt" | head -1 | cut -d= -f2)
        got=$(grep -o "$r=[0-9a-f]*" <<<"$out" | cut -d= -f2)
        expect "ELF core: vmi_get_vcpuregs $r = QEMU's ($want)" test "$((16#$got))" = "$((16#$want))"
    done
else
    echo "$out"; bad "regs (vmi_get_vcpuregs) on the ELF core"
fi

# a JSON profile (VMI_CONFIG_JSON_PATH): a Volatility 3 ISF made from the
# kernel's pahole output and the guest's own symbols; no config entry at all
if python3 "$top_srcdir/tests/unit/make-isf.py" --system-map "$RIG_KERNEL_DIR/System.map" \
        --vmlinux "$RIG_KERNEL_DIR/vmlinux" --types task_struct,mm_struct,list_head \
        --pahole "$RIG_KERNEL_DIR/pahole.txt" -o "$work/kernel.json" 2>"$work/isf.err"; then
    : >"$work/empty.conf"
    if LIBVMI_CONF=$work/empty.conf timeout 120 "$ex/modern-process-list" "$RIG_RAW" "$work/kernel.json" \
            >"$work/ps" 2>"$work/err"; then
        expect "JSON profile: modern process list = the guest's" diff <(sorted_ps) <(tail -n +2 "$work/ps" | sort -n)
    else
        cat "$work/err"; bad "JSON profile: modern-process-list"
    fi
else
    cat "$work/isf.err"; bad "make-isf.py"
fi

# memory dump of the ELF core = QEMU's pmemsave of the same moment
export LIBVMI_CONF=$RIG_CONF
if timeout 300 "$ex/modern-dump-memory" "$RIG_ELF" "$work/dump" >"$work/dump.out" 2>&1; then
    size=$(stat -c %s "$RIG_RAW")
    expect "dump-memory of the ELF core = the raw pmemsave ($size bytes)" cmp -n "$size" "$work/dump" "$RIG_RAW"
else
    cat "$work/dump.out"; bad "dump-memory"
fi
rm -f "$work/dump"

# ---- a live guest through the kvm driver
if [ -z "${MODERN_API_NO_LIVE:-}" ] && [ -x "$top_builddir/tests/real/check-live" ]; then
    run=$work/run
    trap '"$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    "$rig" boot amd64 "$run" >/dev/null || { bad "boot a live amd64 guest"; exit 1; }
    {
        echo "live {"
        grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
        echo "    qmp = \"$run/qmp.sock\"; gdb = \"$run/gdb.sock\"; kvm_access = \"shm\";"
        echo "}"
    } >"$work/live.conf"
    export LIBVMI_CONF=$work/live.conf
    con=$run/console.log
    echo "== live guest"
    same=no
    for try in 1 2 3; do
        timeout 120 "$ex/modern-process-list" live >"$work/ps" 2>"$work/err" || { cat "$work/err"; break; }
        python3 "$top_srcdir/tests/rig/truth.py" ps-before "$con" "$(stat -c %s "$con")" |
            sort -n >"$work/want" || true
        if diff -q "$work/want" <(tail -n +2 "$work/ps" | sort -n) >/dev/null; then same=yes; break; fi
        sleep 3
    done
    [ $same = yes ] || diff "$work/want" <(tail -n +2 "$work/ps" | sort -n) | head -20
    expect "live: modern process list = the guest's last printed list" test $same = yes
    if timeout 60 "$ex/classic-ps-old" live >"$work/cps" 2>"$work/err"; then
        expect "live: the old 2013 binary sees a live guest" grep -qx 'mode live' "$work/cps"
    else
        cat "$work/err"; bad "live: classic-ps-old"
    fi
    out=$(timeout 60 "$ex/modern-map-symbol" live linux_banner 64 2>&1) || echo "$out"
    want=$(printf '%s' "${banner:0:64}" | od -An -tx1 | tr -d ' \n')
    expect "live: the bytes at linux_banner are the guest's banner" test "$(sed -n 2p <<<"$out")" = "$want"
    out=$(timeout 60 "$ex/modern-dmesg" live 2>"$work/err") || cat "$work/err"
    expect "live: dmesg: the first record is the banner" \
        test "$(head -1 <<<"$out" | sed 's/^\[[ 0-9.]*\] //')" = "$banner"
    # a process of the live guest and its argv1, from its console
    read -r _ lpid laddr lstr < <(grep -a -m1 '^VMI-ARGV1 ' "$con" | tr -d '\r')
    out=$(timeout 120 "$ex/modern-va-pages" live "$lpid" "0x$laddr" 2>&1) || echo "$out"
    expect "live: va-pages: pid $lpid's argv1 page holds '$lstr'" \
        test "$(sed -n 's/^string //p' <<<"$out")" = "$lstr"
fi

[ $fails -eq 0 ] || { echo "FAIL: $fails check(s)"; exit 1; }
echo "PASS: modern and 2013 API programs agree with the guest"
