# Shared by the real-guest tests: boots (or reuses the cached snapshots of)
# a rig guest and compares what libvmi reads from its raw and ELF snapshots
# with what the guest itself printed.  Source it with GUEST set.
. "$(dirname "$0")/rig-env.sh"
export LIBVMI_CONF=$RIG_CONF
truth=$RIG_DIR/truth

fails=0
for snap in "$RIG_RAW" "$RIG_ELF"; do
    kind=${snap##*.}
    echo "== $GUEST $kind snapshot: $snap"
    # 1-3: vmi-process-list prints exactly the guest's processes, plus pid 0
    if ! "$bin/vmi-process-list" --json --sort "$snap" >"$work/ps.json" 2>"$work/ps.err"; then
        cat "$work/ps.err"
        echo "not ok - vmi-process-list failed on the $kind snapshot"
        fails=$((fails + 1))
        continue
    fi
    jq -r '.[] | "\(.pid) \(.name)"' "$work/ps.json" >"$work/got"
    head -1 "$work/got" | grep -q '^0 swapper' || {
        echo "not ok - first process is not pid 0 swapper: $(head -1 "$work/got")"
        fails=$((fails + 1))
    }
    tail -n +2 "$work/got" >"$work/got-rest"
    sort -n "$truth/ps.txt" >"$work/want"
    if diff -u "$work/want" "$work/got-rest"; then
        echo "ok - $kind: the $(wc -l <"$work/want") processes the guest printed, pid and name"
    else
        echo "not ok - $kind: process list differs from the guest's own (diff above: - guest, + libvmi)"
        fails=$((fails + 1))
    fi
    # 4-6: banner, _text, user-space strings, CR3
    if ! "$top_builddir/tests/real/check-guest" "$snap" "$truth"; then
        fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ] || { echo "FAIL: $fails check group(s) failed for $GUEST"; exit 1; }
echo "PASS: $GUEST"
