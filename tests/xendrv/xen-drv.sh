#!/bin/bash
# The xen access driver against a real Xen: builds the check program, runs
# it with vmi-process-list inside the Xen rig's dom0 (tests/xen/xen-rig.sh)
# on the PV and the PVH domU, and compares what it printed with what each
# domU printed on its own console (VMI-PS, VMI-BANNER, VMI-PA, VMI-CMDLINE).
#
#   tests/xendrv/xen-drv.sh [OUTDIR]     (OUTDIR kept; default a temp dir)
#   XEN_DRV_RESULTS=DIR: compare the results of an earlier run, no rig
# SKIP (77) when the rig cannot be built here (no download, no libxen-dev).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$src/_b}"
. "$src/tests/real/checks.sh"

out=${1:-}
if [ -n "${XEN_DRV_RESULTS:-}" ]; then
    out=$XEN_DRV_RESULTS
else
    [ -n "$out" ] || { out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; }
    lib=$top_builddir/libvmi/.libs
    [ -f "$lib/libvmi.so" ] || { echo "SKIP: no $lib/libvmi.so (build first)"; exit 77; }
    pl=$out/payload
    rm -rf "$pl"
    mkdir -p "$pl"
    ${CC:-cc} -O2 -Wall -Wextra -I"$src" -I"$top_builddir" -o "$out/xen-check" \
        "$src/tests/xendrv/xen-check.c" -L"$lib" -lvmi -lxenforeignmemory \
        $(pkg-config --cflags --libs glib-2.0) || { echo "FAIL: cannot build xen-check"; exit 1; }
    # one file per call: the payload's library copy reads ldd per file
    for f in "$out/xen-check" "$top_builddir/examples/.libs/vmi-process-list"; do
        LD_LIBRARY_PATH=$lib "$src/tests/xen/xen-rig.sh" payload "$pl" "$f" || exit $?
    done
    cp "$src/tests/xendrv/payload-run.sh" "$pl/run.sh"
    "$src/tests/xen/xen-rig.sh" run "$pl" "$out"
    rc=$?
    [ $rc -eq 77 ] && { echo "SKIP: the Xen rig cannot be built here"; exit 77; }
    [ $rc -eq 0 ] || { echo "FAIL: the Xen rig did not run (rc $rc), see $out/serial.log"; exit 1; }
fi
res=$out/results.txt
[ -s "$res" ] || { echo "FAIL: no XEN-TEST lines in $res"; exit 1; }

val() { sed -n "s/^XEN-TEST $1 $2 //p" "$res" | head -n1; }
field() { sed -n "s/^\(.* \)\{0,1\}$1=\([^ ]*\).*/\2/p"; }

for d in domu-pv domu-pvh; do
    con=$out/console-$d.log
    kind=${d#domu-}
    if ! grep -q "^XEN-TEST $d begin" "$res"; then
        skip_check "$d" "the payload did not reach it" 10
        continue
    fi
    init=$(val "$d" init)
    case $init in
    "ok "*"mode=xen"*) ok "$d: opened by name with the xen driver ($init)" ;;
    *) nok "$d: open: $init"; continue ;;
    esac
    want_path=xen-hvm; [ "$kind" = pv ] && want_path=xen-pv
    [ "$(echo "$init" | field path)" = "$want_path" ] && ok "$d: access path $want_path" ||
        nok "$d: access path: $init"

    gb=$(sed -n 's/^VMI-BANNER //p' "$con" | head -n1)
    [ -n "$gb" ] && [ "$(val "$d" banner)" = "$gb" ] && ok "$d: linux_banner = the guest's" ||
        nok "$d: banner '$(val "$d" banner)' vs guest '$gb'"

    # the process list: every pid the guest listed (its first block) with its name
    ours=$(sed -n "s/^XEN-TEST $d ps  *\([0-9][0-9]*\)  *\([^ ]*\) .*/\1 \2/p" "$res" | sort -u)
    theirs=$(awk '/^VMI-PS-BEGIN/ { n++ } n == 1 && /^VMI-PS / { print $2, substr($3, 1, 15) }' "$con" | sort -u)
    miss=$(comm -13 <(echo "$ours") <(echo "$theirs") | grep -v 'kworker' || true)
    if [ -n "$ours" ] && [ -n "$theirs" ] && [ -z "$miss" ]; then
        ok "$d: vmi-process-list has every process the guest listed ($(echo "$theirs" | wc -l))"
    else
        nok "$d: processes the guest listed and we did not: $(echo "$miss" | tr '\n' ',')"
    fi
    byid=$(val "$d" byid)
    [ "${byid%% *}" -gt 10 ] 2>/dev/null && ok "$d: opened by domain ID too ($byid lines)" ||
        nok "$d: by ID: $byid"

    cr3=$(val "$d" cr3)
    [ "$(echo "$cr3" | field same)" = 1 ] && ok "$d: CR3 from the driver translates _text ($cr3)" ||
        nok "$d: CR3: $cr3"

    pa_line=$(grep '^VMI-PA ' "$con" | head -n1)
    gpa=$(echo "$pa_line" | cut -d' ' -f4)
    marker=$(echo "$pa_line" | cut -d' ' -f5)
    rp=$(val "$d" read_pa)
    if [ -n "$marker" ] && [ "$rp" = "0x$gpa 17 $marker" ]; then
        ok "$d: read_pa of the guest's pagemap address 0x$gpa = '$marker'"
    else
        nok "$d: read_pa '$rp', guest: $pa_line"
    fi

    p=$(val "$d" pause)
    j0=$(echo "$p" | field j0); pz=$(echo "$p" | field paused); jr=$(echo "$p" | field resumed)
    if [ -n "$pz" ] && [ "${pz%,*}" = "${pz#*,}" ] && [ "$jr" -gt "${pz#*,}" ] 2>/dev/null; then
        ok "$d: jiffies stood still while paused (2 s), moved on after resume ($p)"
    else
        nok "$d: pause/resume: $p"
    fi

    s=$(val "$d" snapshot)
    sn=$(echo "$s" | field snap); sa=$(echo "$s" | field after); dg=$(echo "$s" | field dgpma)
    if [ -n "$sn" ] && [ "${sn%,*}" = "${sn#*,}" ] && [ "$sa" -gt "${sn#*,}" ] 2>/dev/null &&
        [ "${dg#*:}" = "${sn#*,}" ]; then
        ok "$d: shm-snapshot: jiffies fixed while it existed, vmi_get_dgpma agrees ($s)"
    else
        nok "$d: shm-snapshot: $s"
    fi

    r=$(val "$d" setreg)
    r14=$(echo "$r" | field r14); set=$(echo "$r" | field set); back=$(echo "$r" | field restored)
    if [ "$(echo "$r" | field st)" = 1 ] && [ $((set)) -eq $((r14 ^ 0x5a5a)) ] && [ $((back)) -eq $((r14)) ]; then
        ok "$d: R14 set on a paused vCPU reads back, and is restored ($r)"
    else
        nok "$d: set register: $r"
    fi

    w=$(val "$d" write)
    wpid=$(echo "$w" | field pid)
    if [ -n "$wpid" ] && grep -q "^VMI-CMDLINE $wpid .*XENDRV-WROTE-IT" "$con"; then
        ok "$d: a write into process $wpid's argv shows on the guest's console"
    else
        nok "$d: write: $w (console: $(grep "^VMI-CMDLINE $wpid " "$con" | tail -n1))"
    fi

    if [ "$kind" = pv ]; then
        for k in ev-cr3 ev-int3 ev-mem ev-ss; do
            e=$(val "$d" $k)
            case $e in
            "REFUSED "*"PV guest"*"hardware-assisted paging"*) ok "$d: $k refused on PV, saying why" ;;
            *) nok "$d: $k on PV: $e" ;;
            esac
        done
    else
        # the driver logs the ring's indexes at each listen: a request Xen
        # never put on the ring is this hypervisor's, not ours
        rq=$(sed -n "s/^XEN-TEST $d stderr .*xen: ring of domain [0-9]*: req_prod \([0-9]*\) .*/\1/p" "$res" | sort -n | tail -n1)
        # CR3 writes: each kept one changes the value, its old value is the
        # one before's new value (one vCPU), it is on vCPU 0, and the new
        # value is a page table translating _text as the kernel does
        e=$(val "$d" ev-cr3)
        kept=$(echo "$e" | field kept)
        case $e in
        REFUSED*) skip_check "$d: ev-cr3" "this Xen refused it: ${e#REFUSED }" ;;
        *)
            if [ "${kept:-0}" -ge 2 ] 2>/dev/null &&
                [ "$(echo "$e" | field changed)" = "$kept" ] &&
                [ "$(echo "$e" | field chained)" = $((kept - 1)) ] &&
                [ "$(echo "$e" | field vcpu0)" = "$kept" ] &&
                [ "$(echo "$e" | field text)" = "$kept" ]; then
                ok "$d: ev-cr3: $kept CR3 writes delivered with new/old values, vCPU and page tables right: $e"
            else
                # the domU writes CR3 (vmi.busy=1: two processes take turns)
                nok "$d: ev-cr3 (ring req_prod ${rq:-?}): $e"
            fi ;;
        esac
        for k in ev-int3 ev-mem ev-ss; do
            e=$(val "$d" $k)
            case $e in
            "n=0"*|NOT-TRIED*)
                if [ "${rq:-x}" = 0 ]; then
                    skip_check "$d: $k" "Xen accepted the monitor but put no request on the ring (req_prod stayed 0: its monitor does not intercept here, e.g. AMD SVM nested under TCG): $e"
                else
                    nok "$d: $k: no event delivered (ring req_prod ${rq:-?}): $e"
                fi ;;
            "") nok "$d: $k: not reported" ;;
            REFUSED*) skip_check "$d: $k" "this Xen refused it: ${e#REFUSED }" ;;
            *) ok "$d: $k delivered: $e" ;;
            esac
        done
    fi
    st=$(val "$d" xl | awk '{ print $(NF-1) }')
    case $st in
    *p*|*c*|"") nok "$d: after the checks the domain is '$st' (paused or crashed)" ;;
    *) ok "$d: runs on after the checks ($st)" ;;
    esac
    cs=$(val "$d" after-crash | awk '{ print $(NF-1) }')
    if ! grep -q "^XEN-TEST $d crash paused" "$res"; then
        nok "$d: the crash check did not pause the domain: $(val "$d" crash-rc)"
    else
        case $cs in
        *p*|"") nok "$d: a program killed (SIGSEGV) while it had the domain paused left it '$cs'" ;;
        *) ok "$d: a program killed (SIGSEGV) while it had the domain paused left it running ($cs, $(val "$d" crash))" ;;
        esac
    fi
    echo "# $d bench: $(val "$d" bench) | bare: $(val "$d" bare-bench)"
done
checks_end xen-drv
