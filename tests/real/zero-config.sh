#!/bin/bash
# Zero configuration on real guests: for each amd64 rig guest (Debian 11's
# 5.10, 12's 6.1, 13's 6.12; 4-level and 5-level paging; KASLR on), raw and
# ELF snapshots, with an empty configuration entry and with none at all:
# the process list equals the guest's own, >= 500 symbols sampled from the
# guest's /proc/kallsyms resolve and reverse-resolve (check-zero), the
# offsets equal pahole's.  Then the profile cache (cold, warm, corrupt,
# stale, foreign, unwritable: never a different answer), corrupt kallsyms
# and BTF in copies of a snapshot (an error or the right answer, never a
# wrong one), and the i386 guests (a clear error naming what to supply).
# Ground truth: the guest's console (tests/rig), pahole on its vmlinux.
set -euo pipefail
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
rig=$top_srcdir/tests/rig/rig.sh
bin=$top_builddir/examples
check=$top_builddir/tests/real/check-zero
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
GUESTS=${ZERO_GUESTS:-"amd64 amd64-la57 amd64-bullseye amd64-bullseye-la57 amd64-trixie amd64-trixie-la57"}

fails=0 checks=0 skips=0
ok() { echo "ok - $*"; checks=$((checks + 1)); }
nok() { echo "not ok - $*"; checks=$((checks + 1)); fails=$((fails + 1)); }

# pid and name, kworker descriptions cut as truth.py does
norm_ps() { awk '$1 != 0 { n = $2; if (n ~ /^kworker\//) sub(/[-+].*/, "", n); print $1, substr(n, 1, 15) }' | sort -n; }

ps_matches() { # SNAPSHOT TRUTHDIR LABEL: vmi-process-list equals the guest's list
    local out
    if ! out=$("$bin/vmi-process-list" "$1" 2>"$work/err"); then
        nok "$3: vmi-process-list failed: $(head -c 400 "$work/err")"
        return
    fi
    if diff <(echo "$out" | tail -n +2 | awk '{ print $1, $2 }' | norm_ps) <(norm_ps <"$2/ps.txt") >"$work/diff"; then
        ok "$3: the $(wc -l <"$2/ps.txt") processes the guest printed"
    else
        head -20 "$work/diff"
        nok "$3: process list differs from the guest's own (< libvmi, > guest)"
    fi
}

run_check() { # LABEL ARGS...: check-zero's own ok/not ok lines are counted
    local label=$1 rc=0
    shift
    "$check" "$@" >"$work/check.out" 2>&1 || rc=$?
    sed "s/^\(not \)\{0,1\}ok - /&$label: /" "$work/check.out"
    checks=$((checks + $(grep -c '^ok - \|^not ok - ' "$work/check.out" || true)))
    fails=$((fails + $(grep -c '^not ok - ' "$work/check.out" || true)))
    [ $rc -eq 0 ] || [ "$(grep -c '^not ok - ' "$work/check.out" || true)" -gt 0 ] ||
        nok "$label: check-zero exited $rc"
}

guest_env() { # GUEST -> RIG_* or return 77
    local rc=0 e
    e=$("$rig" env "$1" 2>"$work/rig.err") || rc=$?
    if [ $rc -eq 77 ]; then
        echo "# SKIP $1: $(tail -1 "$work/rig.err")"
        skips=$((skips + 1))
        return 77
    elif [ $rc -ne 0 ]; then
        cat "$work/rig.err" >&2
        nok "$1: the rig could not make the guest (exit $rc)"
        return 1
    fi
    eval "$e"
}

: >"$work/none.conf"
for g in $GUESTS; do
    guest_env "$g" || continue
    [ -s "$RIG_TRUTH/kallsyms.txt" ] || { nok "$g: the rig has no kallsyms truth"; continue; }
    python3 "$top_srcdir/tests/rig/truth.py" ksym-sample "$RIG_TRUTH/kallsyms.txt" 600 >"$work/sample"
    for snap in "$RIG_RAW" "$RIG_ELF"; do
        kind=${snap##*.}
        echo "== $g $kind (empty entry, then no entry)"
        export LIBVMI_PROFILE_CACHE=off
        LIBVMI_CONF=$RIG_ZCONF run_check "$g $kind empty-entry" "$snap" "$RIG_TRUTH" "$work/sample"
        LIBVMI_CONF=$RIG_ZCONF ps_matches "$snap" "$RIG_TRUTH" "$g $kind empty-entry"
        LIBVMI_CONF=$work/none.conf run_check "$g $kind no-entry" "$snap" "$RIG_TRUTH" "$work/sample"
        LIBVMI_CONF=$work/none.conf ps_matches "$snap" "$RIG_TRUTH" "$g $kind no-entry"
    done
done

# ---- the profile cache, on the first guest available
for g in $GUESTS; do
    guest_env "$g" || continue
    python3 "$top_srcdir/tests/rig/truth.py" ksym-sample "$RIG_TRUTH/kallsyms.txt" 600 >"$work/sample"
    export LIBVMI_CONF=$work/none.conf
    c=$work/cache
    rm -rf "$c"
    echo "== profile cache ($g raw)"
    LIBVMI_PROFILE_CACHE=$c run_check "cold cache" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
    prof=$(ls "$c"/linux-*.profile 2>/dev/null | head -1 || true)
    [ -n "$prof" ] && ok "a profile was stored ($(basename "$prof"))" || nok "no profile stored in $c"
    LIBVMI_PROFILE_CACHE=$c run_check "warm cache" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "profile cache"
    LIBVMI_PROFILE_CACHE=$c ps_matches "$RIG_RAW" "$RIG_TRUTH" "warm cache"
    if [ -n "$prof" ]; then
        cp "$prof" "$work/good.profile"
        # corrupt: garbage, truncated, a field changed (tables moved), fingerprint changed
        head -c 100 /dev/urandom >"$prof"
        LIBVMI_PROFILE_CACHE=$c run_check "garbage profile" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        head -c 200 "$work/good.profile" >"$prof"
        LIBVMI_PROFILE_CACHE=$c run_check "truncated profile" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        # foreign: the same banner, the tables said to be elsewhere (what a
        # hostile guest imitating this kernel could leave behind)
        python3 -c 'import sys
for l in open(sys.argv[1]):
    k, _, v = l.rstrip("\n").partition(" ")
    print("%s %x" % (k, int(v, 16) + 0x1000) if k == "token_table" else l.rstrip("\n"))' "$work/good.profile" >"$prof"
        LIBVMI_PROFILE_CACHE=$c run_check "foreign profile" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        awk '$1 == "fingerprint" { print "fingerprint 1234"; next } { print }' "$work/good.profile" >"$prof"
        LIBVMI_PROFILE_CACHE=$c run_check "other fingerprint" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        # stale: another kernel's profile only
        for o in $GUESTS; do
            [ "$o" != "$g" ] || continue
            eo=$("$rig" env "$o" 2>/dev/null) || continue
            rm -rf "$c.other"
            (eval "$eo"; LIBVMI_PROFILE_CACHE=$c.other "$bin/vmi-process-list" "$RIG_RAW" >/dev/null 2>&1) || true
            if ls "$c.other"/linux-*.profile >/dev/null 2>&1 &&
                ! cmp -s "$c.other"/linux-*.profile "$work/good.profile"; then
                rm -f "$c"/linux-*.profile
                cp "$c.other"/linux-*.profile "$c/"
                LIBVMI_PROFILE_CACHE=$c run_check "stale profile ($o)" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
                # and the same file under this kernel's name
                cp "$c.other"/linux-*.profile "$prof"
                LIBVMI_PROFILE_CACHE=$c run_check "stale profile renamed" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
                break
            fi
        done
        # unwritable / not ours: never used, never an error
        rm -rf "$c"
        mkdir -p "$c"
        cp "$work/good.profile" "$c/"
        chown nobody "$c" "$c/good.profile" 2>/dev/null || true
        LIBVMI_PROFILE_CACHE=$c run_check "cache dir of another user" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        chown root "$c"
        chmod 0777 "$c"
        LIBVMI_PROFILE_CACHE=$c run_check "world-writable cache dir" "$RIG_RAW" "$RIG_TRUTH" "$work/sample" "kallsyms search"
        chmod 0755 "$c"
        LIBVMI_PROFILE_CACHE=$c/missing/deeper run_check "cache dir that cannot be made" "$RIG_RAW" "$RIG_TRUTH" "$work/sample"
        LIBVMI_PROFILE_CACHE=/proc/version run_check "cache path that is a file" "$RIG_RAW" "$RIG_TRUTH" "$work/sample"
    fi
    unset LIBVMI_CONF

    # ---- vmi-kernel-info: the System.map it writes is the guest's own
    # kallsyms with the slide taken off (the rig made one the same way from
    # the guest's /proc/kallsyms); the entry it writes works as configured
    echo "== vmi-kernel-info ($g raw)"
    export LIBVMI_CONF=$work/none.conf LIBVMI_PROFILE_CACHE=off
    if "$bin/vmi-kernel-info" --write-sysmap "$work/System.map" --write-config "$work/written.conf" \
        "$RIG_RAW" >"$work/info.txt" 2>&1; then
        awk '$2 !~ /^[wWvV]$/ { print $1, $2, $3 }' "$work/System.map" | sort -u >"$work/ours.map"
        awk '$2 !~ /^[wWvV]$/ { print $1, $2, $3 }' "$RIG_SYSMAP" | sort -u >"$work/rig.map"
        if cmp -s "$work/ours.map" "$work/rig.map"; then
            ok "--write-sysmap: the $(wc -l <"$work/ours.map") symbols equal the guest's (System.map from its /proc/kallsyms)"
        else
            diff "$work/rig.map" "$work/ours.map" | head -5 || true
            nok "--write-sysmap differs from the guest's symbols"
        fi
        sed -i "1s/^[^ ]*/$(basename "$RIG_RAW" .raw)/" "$work/written.conf"
        if grep -q 'sysmap = ' "$work/written.conf" && grep -q 'linux_pgd = ' "$work/written.conf"; then
            LIBVMI_CONF=$work/written.conf ps_matches "$RIG_RAW" "$RIG_TRUTH" "--write-config entry (System.map + offsets)"
            LIBVMI_CONF=$work/written.conf "$bin/vmi-kernel-info" "$RIG_RAW" >"$work/info2.txt" 2>&1 || true
            grep -q "symbols: *System.map" "$work/info2.txt" && grep -q "from config" "$work/info2.txt" &&
                ok "the written entry is used: symbols from System.map, offsets from config" ||
                nok "the written entry was not used as such: $(cat "$work/info2.txt")"
        else
            nok "--write-config wrote no usable entry: $(cat "$work/written.conf")"
        fi
        "$bin/vmi-kernel-info" --json "$RIG_RAW" | jq -e '.offsets.linux_tasks.source == "BTF" and .symbols.count > 50000' >/dev/null &&
            ok "--json parses and names the sources" || nok "--json output wrong"
    else
        nok "vmi-kernel-info failed: $(cat "$work/info.txt")"
    fi
    # ---- an ISF file (made from pahole and the guest's symbols, the truth)
    # as the symbol and offsets source
    if python3 "$top_srcdir/tests/unit/make-isf.py" --system-map "$RIG_KERNEL_DIR/System.map" \
        --vmlinux "$RIG_KERNEL_DIR/vmlinux" --types task_struct,mm_struct,list_head \
        --pahole "$RIG_KERNEL_DIR/pahole.txt" -o "$work/kernel.json" 2>"$work/isf.err"; then
        printf '%s { isf = "%s"; }\n' "$(basename "$RIG_RAW" .raw)" "$work/kernel.json" >"$work/isf.conf"
        LIBVMI_CONF=$work/isf.conf ps_matches "$RIG_RAW" "$RIG_TRUTH" "ISF entry"
        LIBVMI_CONF=$work/isf.conf "$bin/vmi-kernel-info" "$RIG_RAW" >"$work/isf.txt" 2>&1 || true
        grep -q "symbols: *ISF" "$work/isf.txt" && [ "$(grep -c 'from ISF' "$work/isf.txt")" -eq 5 ] &&
            ok "ISF entry: symbols and the five offsets from the ISF" ||
            nok "ISF entry not used as such: $(cat "$work/isf.txt")"
    else
        nok "make-isf.py failed: $(tail -3 "$work/isf.err")"
    fi
    unset LIBVMI_CONF LIBVMI_PROFILE_CACHE

    # ---- corrupt kallsyms and BTF in a copy of the snapshot: an error or the
    # right list, never a wrong list
    echo "== corrupt copies ($g raw)"
    export LIBVMI_CONF=$work/none.conf LIBVMI_PROFILE_CACHE=off
    "$bin/vmi-kernel-info" --json "$RIG_RAW" >"$work/info.json"
    jq -r '"\(.symbols.token_table_physical) \(.btf.physical)"' "$work/info.json" |
        while read -r a b; do printf '%d %d\n' "$a" "$b"; done >"$work/spots"
    read -r tok btf <"$work/spots"
    [ "$tok" -gt 0 ] && [ "$btf" -gt 0 ] || nok "vmi-kernel-info gave no physical token table or BTF address"
    wrong=0 errors=0 right=0
    for round in $(seq 1 12); do
        cp --reflink=auto "$RIG_RAW" "$work/copy.raw" 2>/dev/null || cp "$RIG_RAW" "$work/copy.raw"
        python3 - "$work/copy.raw" "$tok" "$btf" "$round" <<'EOF'
import mmap, sys, random
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 0)
tok, btf, r = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(r)
assert m[btf:btf + 2] == b"\x9f\xeb", "no BTF magic at the address vmi-kernel-info gave"
if r <= 4:      # token table / index bytes
    for _ in range(8):
        p = tok + rnd.randrange(1500); m[p] = m[p] ^ (1 << rnd.randrange(8))
elif r <= 6:    # wipe the region before the token table (markers, names' end)
    p = tok - rnd.randrange(1, 64) * 4096; m[p:p + 4096] = bytes(4096)
elif r <= 10:   # BTF: header and type records
    for _ in range(16):
        p = btf + (rnd.randrange(24) if r == 7 else rnd.randrange(2 << 20)); m[p] = m[p] ^ (1 << rnd.randrange(8))
else:           # BTF truncated: the rest zeroed
    p = btf + rnd.randrange(4 << 20); m[p:p + (1 << 20)] = bytes(1 << 20)
m.flush()
EOF
        rc=0
        timeout 60 "$bin/vmi-process-list" "$work/copy.raw" >"$work/out" 2>"$work/err" || rc=$?
        if [ $rc -ge 124 ]; then
            wrong=$((wrong + 1))
            echo "# round $round: exit $rc (crash or hang): $(head -c 300 "$work/err")"
        elif [ $rc -ne 0 ]; then
            errors=$((errors + 1))
            echo "# round $round: error: $(head -c 200 "$work/err")"
        elif diff <(tail -n +2 "$work/out" | awk '{ print $1, $2 }' | norm_ps) <(norm_ps <"$RIG_TRUTH/ps.txt") >/dev/null; then
            right=$((right + 1))
        else
            wrong=$((wrong + 1))
            echo "# round $round: a WRONG list was printed as right"
        fi
    done
    rm -f "$work/copy.raw"
    [ $wrong -eq 0 ] && ok "12 corrupt copies: $errors clear errors, $right right lists, no wrong answer, no crash, no hang" ||
        nok "corrupt copies: $wrong wrong answers, crashes or hangs"
    unset LIBVMI_CONF LIBVMI_PROFILE_CACHE
    break
done

# ---- 32-bit kernels: no BTF, a clear error; configured, they still work
for g in i386-pae i386; do
    guest_env "$g" || continue
    rc=0
    LIBVMI_CONF=$RIG_ZCONF LIBVMI_PROFILE_CACHE=off "$bin/vmi-process-list" "$RIG_RAW" >/dev/null 2>"$work/err" || rc=$?
    if [ $rc -ne 0 ] && grep -q "sysmap" "$work/err" && grep -q "linux_tasks" "$work/err"; then
        ok "$g zero-config: a clear error: $(head -c 300 "$work/err")"
    else
        nok "$g zero-config: exit $rc, no clear error naming sysmap and the offsets: $(head -c 300 "$work/err")"
    fi
    LIBVMI_CONF=$RIG_CONF ps_matches "$RIG_RAW" "$RIG_TRUTH" "$g configured"
done

echo "# zero-config: $checks checks, $fails failed, $skips guests skipped"
# for run-all.sh: a skipped guest is its whole group of checks, counted as one
echo "checks: $checks ran, $skips skipped"
[ $checks -gt 0 ] || { echo "SKIP: no guest could be had"; exit 77; }
[ $fails -eq 0 ] || exit 1
[ $skips -eq 0 ] || { echo "SKIP: $skips guest(s) missing (the checks that ran passed)"; exit 77; }
echo "PASS: zero-config"
