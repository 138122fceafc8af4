# Shared by the real-guest tests: boots (or reuses the cached snapshots of)
# a rig guest and compares what libvmi reads from its raw and ELF snapshots
# with what the guest itself printed.  Source it with GUEST set.
. "$(dirname "$0")/rig-env.sh"
export LIBVMI_CONF=$RIG_CONF
truth=$RIG_DIR/truth

for snap in "$RIG_RAW" "$RIG_ELF"; do
    kind=${snap##*.}
    echo "== $GUEST $kind snapshot: $snap"
    # 1-3: vmi-process-list prints exactly the guest's processes, plus pid 0
    if ! "$bin/vmi-process-list" --json --sort "$snap" >"$work/ps.json" 2>"$work/ps.err"; then
        cat "$work/ps.err"
        nok "vmi-process-list failed on the $kind snapshot"
        continue
    fi
    jq -r '.[] | "\(.pid) \(.name)"' "$work/ps.json" >"$work/got"
    if head -1 "$work/got" | grep -q '^0 swapper'; then
        ok "$kind: the first process is pid 0, swapper"
    else
        nok "$kind: the first process is not pid 0 swapper: $(head -1 "$work/got")"
    fi
    tail -n +2 "$work/got" >"$work/got-rest"
    sort -n "$truth/ps.txt" >"$work/want"
    if diff -u "$work/want" "$work/got-rest"; then
        ok "$kind: the $(wc -l <"$work/want") processes the guest printed, pid and name"
    else
        nok "$kind: process list differs from the guest's own (diff above: - guest, + libvmi)"
    fi
    # 4-6: banner, _text, user-space strings, CR3 (check-guest's own lines)
    rc=0
    "$top_builddir/tests/real/check-guest" "$snap" "$truth" >"$work/cg.out" 2>&1 || rc=$?
    cat "$work/cg.out"
    count_tap "$work/cg.out"
    [ $rc -eq 0 ] || grep -q '^not ok' "$work/cg.out" || nok "$kind: check-guest exited $rc"
done
checks_end "$GUEST"
