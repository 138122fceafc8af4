#!/bin/bash
# Volatility 3 with profiles made from the guest itself: for each amd64 rig
# kernel (Debian 11 5.10, 12 6.1, 13 6.12; KASLR on) vmi-isf writes an ISF
# from the raw snapshot (BTF and kallsyms in guest memory, nothing else),
# then the unmodified Volatility 3 2.11.0 runs on the same snapshot:
# linux.pslist = the guest's process list, linux.psaux = the argv its
# sentinels printed, linux.kmsg = its own kernel log (what dmesg printed in
# the guest), linux.lsmod = its /proc/modules.  The ISF's banner and symbol
# addresses are checked against the guest's /proc/version and
# /proc/kallsyms; libvmi takes the ISF back (isf = ..., plain and xz) and
# lists the same processes; a snapshot whose BTF is broken gets a clear
# error.  With a vmi:// layer for Volatility (LIBVMI_VOL_LAYER, the pybind
# branch), the same plugins also run on a live guest.
# Ground truth: tests/rig (truth/*.txt), parsed by vol-check.py on its own.
# SKIPs (with the reason) without Volatility 3, python3-pefile or the rig.
set -euo pipefail
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
. "$top_srcdir/tests/real/checks.sh"
rig=$top_srcdir/tests/rig/rig.sh
bin=$top_builddir/examples
vcheck=$top_srcdir/tests/real/vol-check.py
PY=/usr/bin/python3
GUESTS=${VOL_GUESTS:-"amd64 amd64-bullseye amd64-trixie"}
PLUGINS="pslist psaux kmsg lsmod"
work=$(mktemp -d)
run=
cleanup() {
    [ -z "$run" ] || "$rig" stop "$run" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Volatility 3: $LIBVMI_VOLATILITY3, else ../shared/third_party/volatility3
# beside the tree (or beside a worktree's parent)
vol=
for d in ${LIBVMI_VOLATILITY3:-} "$top_srcdir/../shared/third_party/volatility3" \
    "$top_srcdir/../../shared/third_party/volatility3"; do
    [ -f "$d/vol.py" ] && { vol=$(cd "$d" && pwd); break; }
done
# checks per guest (ISF, libvmi round trip, plugins) and of the live case
nchecks=$((30 * $(echo $GUESTS | wc -w) + 5))
if [ -z "$vol" ]; then
    skip_check "Volatility 3" "not found (set LIBVMI_VOLATILITY3 to its directory)" "$nchecks"
    checks_end volatility-isf
fi
if ! $PY -c 'import pefile' 2>/dev/null; then
    skip_check "Volatility 3" "needs Debian's python3-pefile (not installed)" "$nchecks"
    checks_end volatility-isf
fi
echo "# Volatility: $vol ($($PY "$vol/vol.py" --help 2>/dev/null | head -1 || true))"
[ -x "$bin/vmi-isf" ] || { echo "FAIL: $bin/vmi-isf not built"; exit 1; }

# vol SYMDIR CACHE IMAGE PLUGIN OUT: Volatility, JSON renderer, offline,
# its own caches (the symbol cache and the schema validations are shared by
# the plugins of one guest); prints the seconds it took
vol() {
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    timeout 900 $PY "$vol/vol.py" --offline --cache-path "$2" -q -s "$1" ${VOL_EXTRA[@]+"${VOL_EXTRA[@]}"} \
        -f "$3" -r json "linux.$4" >"$5" 2>"$5.err" || rc=$?
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
    return $rc
}

# pid and comm of a process list, kworker descriptions cut on both sides
# (as zero-config.sh does: libvmi prints task->comm, the guest /proc's name)
norm_ps() { awk '$1 != 0 { n = $2; if (n ~ /^kworker\//) sub(/[-+].*/, "", n); print $1, substr(n, 1, 15) }' | sort -n; }

# tap LABEL COMMAND...: vol-check.py's lines, prefixed, counted
tap() {
    local label=$1 rc=0
    shift
    "$@" >"$work/tap" 2>&1 || rc=$?
    sed "s/^\(not \)\{0,1\}ok - /&$label: /" "$work/tap"
    count_tap "$work/tap"
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$work/tap"; then
        nok "$label: vol-check.py exited $rc"
    fi
}

# run_plugins LABEL SYMDIR CACHE IMAGE TRUTH: the four plugins, compared
run_plugins() {
    local label=$1 sym=$2 cache=$3 image=$4 truth=$5 p s
    for p in $PLUGINS; do
        if s=$(vol "$sym" "$cache" "$image" "$p" "$work/$label-$p.json"); then
            echo "# time: $label: linux.$p $s s"
            tap "$label" $PY "$vcheck" "$p" "$work/$label-$p.json" "$truth"
        else
            sed 's/^/#   /' "$work/$label-$p.json.err" | tail -15
            nok "$label: linux.$p failed (after $s s)"
        fi
    done
}

for g in $GUESTS; do
    rc=0
    e=$("$rig" env "$g" 2>"$work/rig.err") || rc=$?
    if [ $rc -eq 77 ]; then
        skip_check "$g" "rig guest not available: $(tail -1 "$work/rig.err")" 14
        continue
    elif [ $rc -ne 0 ]; then
        cat "$work/rig.err" >&2
        nok "$g: rig env failed (exit $rc)"
        continue
    fi
    eval "$e"
    if [ ! -f "$RIG_TRUTH/kmsg.txt" ]; then
        nok "$g: the snapshot has no truth/kmsg.txt (made by an older rig.sh)"
        continue
    fi
    echo "== $g: $(cat "$RIG_TRUTH/kernel-version.txt")"
    sym=$work/sym-$g
    cache=$work/cache-$g
    mkdir -p "$sym/linux" "$cache"
    isf=$sym/linux/$g.json
    t0=$(date +%s.%N)
    if LIBVMI_CONF=$RIG_ZCONF LIBVMI_PROFILE_CACHE=off "$bin/vmi-isf" "$RIG_RAW" -o "$isf" \
        2>"$work/isf.err"; then
        t1=$(date +%s.%N)
        ok "$g: vmi-isf wrote an ISF from the snapshot ($(stat -c %s "$isf") bytes)"
        printf '# time: %s: vmi-isf %s s, %s bytes; %s\n' "$g" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
            "$(stat -c %s "$isf")" "$(grep 'user types' "$work/isf.err" | sed 's/^vmi-isf: //')"
    else
        sed 's/^/#   /' "$work/isf.err"
        nok "$g: vmi-isf failed"
        continue
    fi
    tap "$g" $PY "$vcheck" isf "$isf" "$RIG_TRUTH" "$vol/volatility3/schemas"

    # libvmi takes it back: symbols and offsets from the ISF, plain and xz
    if LIBVMI_CONF=$RIG_ZCONF LIBVMI_PROFILE_CACHE=off "$bin/vmi-isf" -q --compress "$RIG_RAW" \
        -o "$work/$g.json.xz" 2>"$work/isf.err" && xz -t "$work/$g.json.xz"; then
        ok "$g: vmi-isf --compress wrote an xz file ($(stat -c %s "$work/$g.json.xz") bytes)"
    else
        sed 's/^/#   /' "$work/isf.err"
        nok "$g: vmi-isf --compress"
    fi
    for f in "$isf" "$work/$g.json.xz"; do
        printf '%s { ostype = "Linux"; isf = "%s"; }\n' "$g" "$f" >"$work/isf.conf"
        what=$(basename "$f")
        if LIBVMI_CONF=$work/isf.conf "$bin/vmi-kernel-info" --json "$RIG_RAW" >"$work/ki.json" 2>"$work/ki.err" &&
            $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["symbols"]["source"]; o=d["offsets"]
sys.exit(0 if s.startswith("ISF") and all(v and v["source"] == "ISF" for v in o.values()) else 1)' "$work/ki.json"; then
            ok "$g: libvmi reads $what: symbols and the five offsets from the ISF"
        else
            sed 's/^/#   /' "$work/ki.err" "$work/ki.json" | head -20
            nok "$g: libvmi reads $what as its symbol and offset source"
        fi
        if LIBVMI_CONF=$work/isf.conf "$bin/vmi-process-list" "$RIG_RAW" 2>"$work/ps.err" |
            tail -n +2 | norm_ps >"$work/ps.txt" && [ -s "$work/ps.txt" ] &&
            diff "$work/ps.txt" <(norm_ps <"$RIG_TRUTH/ps.txt") >"$work/ps.diff"; then
            ok "$g: libvmi with $what lists the guest's $(wc -l <"$work/ps.txt") processes"
        else
            sed 's/^/#   /' "$work/ps.err" "$work/ps.diff" | head -20
            nok "$g: libvmi with $what lists the guest's processes"
        fi
    done

    run_plugins "$g" "$sym" "$cache" "$RIG_RAW" "$RIG_TRUTH"
done

# A snapshot whose BTF is broken: a clear error that says so, no file
eval "$("$rig" env amd64 2>/dev/null)" || true
if [ -n "${RIG_RAW:-}" ] && [ -f "$RIG_RAW" ]; then
    LIBVMI_CONF=$RIG_ZCONF "$bin/vmi-kernel-info" --json "$RIG_RAW" >"$work/ki.json" 2>/dev/null || true
    btfpa=$($PY -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["btf"]["physical"], 16))' "$work/ki.json" 2>/dev/null || true)
    if [ -n "$btfpa" ]; then
        cp "$RIG_RAW" "$work/nobtf.raw"
        printf '\0\0\0\0' | dd of="$work/nobtf.raw" bs=1 seek="$btfpa" conv=notrunc status=none
        printf 'nobtf { ostype = "Linux"; }\n' >"$work/nobtf.conf"
        rc=0
        LIBVMI_CONF=$work/nobtf.conf LIBVMI_PROFILE_CACHE=off timeout 120 "$bin/vmi-isf" \
            "$work/nobtf.raw" -o "$work/nobtf.json" 2>"$work/nobtf.err" || rc=$?
        if [ $rc -eq 1 ] && grep -q 'no BTF' "$work/nobtf.err" && [ ! -e "$work/nobtf.json" ]; then
            ok "broken BTF: vmi-isf exits 1 and says so: $(head -c 200 "$work/nobtf.err")"
        else
            sed 's/^/#   /' "$work/nobtf.err"
            nok "broken BTF: vmi-isf exit $rc (1 and a 'no BTF' message expected, no file)"
        fi
        rm -f "$work/nobtf.raw"
    else
        nok "broken BTF: vmi-kernel-info gave no BTF address for the amd64 snapshot"
    fi
fi

# ---- live: Volatility through libvmi's vmi:// layer (the pybind branch:
# python/volatility3/vmi_layer.py, loaded with --plugin-dirs; the libvmi
# module beside it, in python/, on the build's libvmi.so.0)
VOL_EXTRA=()
layer=${LIBVMI_VOL_LAYER:-}
if [ -z "$layer" ]; then
    [ -f "$top_srcdir/python/volatility3/vmi_layer.py" ] && layer=$top_srcdir/python/volatility3
fi
if [ -n "$layer" ] && ! ls "$layer"/*.py >/dev/null 2>&1; then
    nok "live: LIBVMI_VOL_LAYER=$layer holds no Python module"
    layer=
elif [ -n "$layer" ] && ! $PY -c 'import cffi' 2>/dev/null; then
    skip_check "live guest through vmi://" "the libvmi Python module needs Debian's python3-cffi" 5
    layer=
fi
if [ -z "$layer" ]; then
    skip_check "live guest through vmi://" "no Volatility layer for vmi:// in this tree (set LIBVMI_VOL_LAYER to the directory of its module)" 5
elif ! "$rig" build amd64 >/dev/null 2>&1; then
    skip_check "live guest through vmi://" "rig guest amd64 not available" 5
else
    run=$work/run
    "$rig" boot amd64 "$run" >/dev/null
    printf 'live { ostype = "Linux"; qmp = "%s"; gdb = "%s"; }\n' "$run/qmp.sock" "$run/gdb.sock" >"$work/live.conf"
    export LIBVMI_CONF=$work/live.conf
    mkdir -p "$work/sym-live/linux" "$work/cache-live" "$work/truth-live"
    if "$bin/vmi-isf" -q live -o "$work/sym-live/linux/live.json" 2>"$work/isf.err"; then
        ok "live: vmi-isf wrote an ISF from the running guest"
        # the truth of this boot: its console up to VMI-READY
        $PY "$top_srcdir/tests/rig/truth.py" extract "$run/console.log" "$work/truth-live"
        $PY "$top_srcdir/tests/rig/truth.py" ps-before "$run/console.log" \
            "$(stat -c %s "$run/console.log")" >"$work/truth-live/ps.txt"
        # the process list does not change after VMI-READY (no spawns)
        VOL_EXTRA=(--plugin-dirs "$layer")
        export PYTHONPATH=$(dirname "$layer")${PYTHONPATH:+:$PYTHONPATH}
        export LIBVMI_LIBRARY=$top_builddir/libvmi/.libs/libvmi.so.0 PYTHONDONTWRITEBYTECODE=1
        run_plugins live "$work/sym-live" "$work/cache-live" "vmi://live" "$work/truth-live"
        VOL_EXTRA=()
    else
        sed 's/^/#   /' "$work/isf.err"
        nok "live: vmi-isf on the running guest"
    fi
    unset LIBVMI_CONF
    "$rig" stop "$run" >/dev/null 2>&1 || true
    run=
fi

checks_end volatility-isf
