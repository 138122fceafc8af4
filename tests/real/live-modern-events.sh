#!/bin/bash
# The event examples written against the modern API (examples/modern/) on
# a live rig guest, checked against the guest's own truth: its kallsyms
# (the rig's, moved by the live _text it prints), its process list.
# Exits 77 (SKIP) where this tree has no modern init API yet.
GUEST=amd64
. "$(dirname "$0")/rig-env.sh"
[ -x "$top_builddir/tests/real/check-live" ] || { echo "SKIP: libvmi was built without the kvm driver"; exit 77; }
if ! grep -q VMI_INIT_DOMAINNAME "$top_srcdir/libvmi/libvmi.h"; then
    echo "SKIP: this tree's libvmi.h has no modern vmi_init_complete (VMI_INIT_DOMAINNAME)"
    exit 77
fi
fails=0
run=$work/run
cleanup() { "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# the examples, as a program outside the tree builds them
ex=$work/examples
mkdir -p "$ex"
for p in breakpoint single-step mem-event cr3-event; do
    ${CC:-cc} -Wall -Wextra -Werror -I"$top_srcdir" -o "$ex/$p" "$top_srcdir/examples/modern/$p.c" \
        -L"$top_builddir/libvmi/.libs" -lvmi || { echo "FAIL: examples/modern/$p.c does not compile"; exit 1; }
done
export LD_LIBRARY_PATH=$top_builddir/libvmi/.libs

LIBVMI_RIG_BUSY=1 "$rig" boot amd64 "$run" >/dev/null
con=$run/console.log
{
    echo "live {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\";"
    echo "    gdb = \"$run/gdb.sock\";"
    echo "}"
} >"$work/libvmi.conf"
export LIBVMI_CONF=$work/libvmi.conf

ksym() { tr -d '\r' <"$con" | awk -v n="$1" '$1 == "VMI-KSYM" && $4 == n { print $2; exit }'; }
kall() {    # the rig's kallsyms address of $1 moved to the live kernel
    local a b
    a=$(awk '$3 == "_text" { print $1; exit }' "$RIG_KALLSYMS")
    b=$(awk -v n="$1" '$3 == n { print $1; exit }' "$RIG_KALLSYMS")
    printf '%x' $((0x$b - 0x$a + 0x$(ksym _text)))
}
t() {
    local what=$1 rc=0
    shift
    echo "== $what"
    "$@" || rc=$?
    if [ $rc -eq 0 ]; then echo "ok - $what"; else echo "not ok - $what (exit $rc)"; fails=$((fails + 1)); fi
}

breakpoint() {
    local want out n
    want=$(kall ksys_write)
    out=$(timeout 120 "$ex/breakpoint" live ksys_write 3) || { echo "$out"; return 1; }
    echo "$out" | head -5
    n=$(grep -c "^hit 0x$want vcpu 0 rip 0x$want$" <<<"$out")
    echo "# $n hits at ksys_write 0x$want (the guest's kallsyms), RIP there"
    [ "$n" -eq 3 ] && [ "$(grep -c '^hit' <<<"$out")" -eq 3 ]
}
single_step() {
    local out lo hi bad
    lo=$(ksym _stext)
    hi=$(kall _etext)
    out=$(timeout 120 "$ex/single-step" live 30) || { echo "$out"; return 1; }
    [ "$(grep -c '^step' <<<"$out")" -eq 30 ] || { echo "$out"; return 1; }
    bad=0
    while read -r _ rip _ gfn; do
        python3 -c "import sys; r=int('$rip',16); lo=int('$lo',16); hi=int('$hi',16); sys.exit(0 if lo <= r < hi or r < 1<<47 else 1)" ||
            { echo "# step at $rip outside the kernel's text $lo..$hi"; bad=$((bad + 1)); }
        [ "$gfn" != 0x0 ] || { echo "# step at $rip without a frame"; bad=$((bad + 1)); }
    done < <(grep '^step' <<<"$out")
    echo "# 30 steps, $bad outside the kernel's text $lo..$hi"
    [ $bad -eq 0 ]
}
mem_event() {
    local j out gfns at bad
    j=$(ksym jiffies)
    out=$(timeout 120 "$ex/mem-event" live jiffies 300) || { echo "$out" | tail -3; return 1; }
    gfns=$(grep '^write' <<<"$out" | awk '{ print $4 }' | sort -u | wc -l)
    at=$(grep -c "^write 0x$j " <<<"$out")
    bad=$(grep '^write 0x' <<<"$out" | awk '{ a = substr($2, length($2) - 2); o = $6; sub(/^0x/, "", o); if (("000" o) !~ a "$") print }' | wc -l)
    echo "# $(grep -c '^write' <<<"$out") writes on $gfns gfn(s), $at at jiffies 0x$j, $bad with a wrong offset"
    [ "$gfns" -eq 1 ] && [ "$at" -ge 1 ] && [ "$bad" -eq 0 ]
}
cr3_event() {
    local out bad=0 prev=
    out=$(timeout 120 "$ex/cr3-event" live 8) || { echo "$out"; return 1; }
    echo "$out" | head -4
    while read -r _ value _ previous _ pid; do
        grep -aq "^VMI-PS $pid " "$con" || { echo "# CR3 $value: pid $pid is not in the guest's list"; bad=$((bad + 1)); }
        [ -z "$prev" ] || [ "$previous" = "$prev" ] || { echo "# CR3 $value: previous $previous, not $prev"; bad=$((bad + 1)); }
        prev=$value
    done < <(grep '^cr3' <<<"$out")
    [ "$(grep -c '^cr3' <<<"$out")" -eq 8 ] && [ $bad -eq 0 ]
}
t "breakpoint: 3 recoiled hits at ksys_write" breakpoint
t "single-step: 30 steps in the kernel's text" single_step
t "memory event: writes to the page of jiffies" mem_event
t "register event: CR3 writes, page directories of the guest's processes" cr3_event
[ $fails -eq 0 ] || { echo "FAIL: $fails modern event example check(s)"; exit 1; }
echo "PASS: modern event examples"
