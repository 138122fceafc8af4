#!/bin/bash
# Hostile guests: copies of the rig's real snapshots made hostile on purpose
# (tests/real/make-hostile.py: cyclic and self-looping task lists, list
# pointers into nowhere, a list past any walk's bound, names without NUL,
# page tables pointing at themselves or outside memory, huge kallsyms and BTF
# counts, a self-containing type, far and wrapping ELF segments, huge notes,
# files that are mostly holes).  On each copy, configured (System.map and
# offsets) and with no configuration at all:
#   - every tool (vmi-process-list, vmi-kernel-info, vmi-map-symbol,
#     vmi-map-addr, vmi-dump-memory) answers within $HOSTILE_BOUND seconds
#     (20), never by a signal: exit 0 with printable output, or exit 1 with a
#     clear error (one line, named after the tool, printable);
#   - vmi-process-list's answer, when there is one, is the right one: the
#     guest's own list (its console, truth/ps.txt), or for the copies that
#     changed the list, the list the copy holds (make-hostile.py's .json);
#   - every read-only method of the real vmi-helperd (on a private bus,
#     libvirt's test:///default domain opened as the copy) answers in time
#     with a reply or an org.libvmi.helper1.Error, and the daemon lives on.
# The copies are sparse and made one at a time (about 80 MiB each).
# HOSTILE_CASES: the case names to run (default: all); HOSTILE_GUESTS: the
# rig guests (default amd64, then amd64-la57 for three page-table cases and
# a cyclic task list).  Ends with "checks: N ran, M skipped" (tests/real/
# checks.sh).  About 3 minutes of CPU.
set -uo pipefail
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
srcdir=$top_srcdir
# shellcheck source=tests/dbus/lib.sh
. "$top_srcdir/tests/dbus/lib.sh"
rig=$top_srcdir/tests/rig/rig.sh
bin=$top_builddir/examples
gen=$top_srcdir/tests/real/make-hostile.py
BOUND=${HOSTILE_BOUND:-20}
GUESTS=${HOSTILE_GUESTS:-"amd64 amd64-la57"}
work=$(mktemp -d)
HPID=
cleanup_all() {
    stop_pid "$HPID"
    stop_pid "$BUS_PID"
    rm -rf "$work"
}
trap cleanup_all EXIT

# shellcheck source=tests/real/checks.sh
. "$top_srcdir/tests/real/checks.sh"

# ---------------------------------------------------------------- rules
# generic TOOL RC OUT ERR: the rules every run obeys; prints why not
generic() {
    local tool=$1 rc=$2 out=$3 err=$4 lines
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "no answer within $BOUND s"; return 1
    elif [ "$rc" -ge 128 ]; then
        echo "killed by signal $((rc - 128)): $(head -c 300 "$err")"; return 1
    elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        echo "exit $rc: $(head -c 300 "$err")"; return 1
    fi
    if [ "$rc" -eq 1 ]; then
        lines=$(wc -l <"$err")
        if [ "$lines" -ne 1 ] || [ "$(wc -c <"$err")" -gt 4096 ]; then
            echo "an error of $lines lines, $(wc -c <"$err") bytes: $(head -c 400 "$err" | tr '\n' '|')"; return 1
        fi
        if ! grep -q "^$tool: .\{8,\}" "$err" || grep -q '(null)' "$err"; then
            echo "not a clear error: $(head -c 400 "$err")"; return 1
        fi
        if LC_ALL=C tr -d '\n' <"$err" | LC_ALL=C grep -q '[^[:print:]]'; then
            echo "control or non-ASCII bytes in the error: $(head -c 300 "$err" | od -c | head -3)"; return 1
        fi
    elif LC_ALL=C tr -d '\n\t' <"$out" | LC_ALL=C grep -q '[^[:print:]]'; then
        echo "control or non-ASCII bytes in the output: $(LC_ALL=C grep -n '[^[:print:][:space:]]' "$out" | head -2 | od -c | head -4)"
        return 1
    fi
    return 0
}

# ps_expect META MODE RC OUT: vmi-process-list --json's answer is right
ps_expect() {
    python3 - "$1" "$2" "$3" "$4" "$RIG_TRUTH/ps.txt" <<'EOF'
import json, sys
meta, mode, rc, out, ps = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
want = meta["ps"][mode]
if rc != 0:
    sys.exit(0 if want in ("error", "truth-or-error") else
             print("an error where the copy holds a list (%s)" % want) or 1)
if want == "error":
    sys.exit(print("a list where there is none to give (the copy's list is broken)") or 1)
try:
    got = json.load(open(out))
except ValueError as e:
    sys.exit(print("the JSON does not parse: %s" % e) or 1)
def norm(n):  # kworker names cut as truth.py does
    if n.startswith("kworker/"):
        for c in "-+":
            n = n.split(c)[0]
    return n[:15]
truth = sorted((int(l.split(None, 1)[0]), norm(l.split(None, 1)[1].strip()))
               for l in open(ps) if l.strip())
if not got or got[0]["pid"] != 0:
    sys.exit(print("the first task is not pid 0") or 1)
n = len(truth)
real = sorted((p["pid"], norm(p["name"])) for p in got[1:n + 1])
if want == "names":
    names = meta["names"]
    bad = [(p["pid"], p["name"]) for p in got[1:]
           if bytes(ord(c) for c in p["name"]).hex() != names.get(str(p["pid"]))]
    if len(got) != n + 1 or sorted(p["pid"] for p in got[1:]) != [p for p, _ in truth] or bad:
        sys.exit(print("names not the 15 bytes the guest holds: %r" % bad[:3]) or 1)
elif want == "extra":
    if len(got) != n + 1 + meta["extra"] or real != truth:
        sys.exit(print("%d tasks, want the guest's %d then %d more" % (len(got) - 1, n, meta["extra"])) or 1)
elif real != truth or len(got) != n + 1:
    sys.exit(print("the list differs from the guest's own (%d tasks, the guest %d)" % (len(got) - 1, n)) or 1)
EOF
}

# run LABEL TOOL ARGS...: runs TOOL under the bound; the generic rules
run() {
    local label=$1 tool=$2 rc=0 why
    shift 2
    timeout -k 5 "$BOUND" "$bin/$tool" "$@" >"$work/out" 2>"$work/err" </dev/null || rc=$?
    RC=$rc
    # the command as a label: the copy's path left out
    local args=" $*"
    args=${args// $work\// }
    if why=$(generic "$tool" "$rc" "$work/out" "$work/err"); then
        ok "$label: $tool$args: $(describe "$rc")"
    else
        nok "$label: $tool$args: $why"
    fi
}
describe() { [ "$1" -eq 0 ] && echo "answered" || echo "error: $(head -c 160 "$work/err")"; }

# ---------------------------------------------------------------- helper
HELPERD=${HOSTILE_HELPERD:-$top_builddir/helper/vmi-helperd}
UUID=6695eb01-f6a4-8304-79aa-97f2502e193f       # test:///default's domain "test"
DOMAIN=/org/libvmi/helper1/domain/_${UUID//-/_}
D=org.libvmi.helper1.Domain
HELPER_METHODS=14       # the calls below, and the daemon still serving
helper_ready=0 helper_why=
helper_setup() {
    [ -x "$HELPERD" ] || { helper_why="vmi-helperd is not built"; return 1; }
    for c in dbus-daemon gdbus virsh; do
        command -v "$c" >/dev/null || { helper_why="no $c"; return 1; }
    done
    [ "$(id -u)" -eq 0 ] || { helper_why="not root"; return 1; }
    start_bus || { helper_why="dbus-daemon does not start"; return 1; }
    helper_ready=1
}
hcall() { # OUT ARGS...: a call to the helper as root, under the bound
    local out=$1
    shift
    timeout -k 5 "$BOUND" gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 \
        --timeout "$BOUND" "$@" >"$out" 2>&1
}
# hexpect LABEL ARGS...: a reply, or one line of org.libvmi.helper1.Error
hexpect() {
    local label=$1 rc=0
    shift
    hcall "$work/h" --object-path "$DOMAIN" --method "$@" || rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        nok "$label: no answer within $BOUND s"
    elif [ $rc -eq 0 ] && grep -q '^(' "$work/h"; then
        ok "$label: replied"
    elif [ "$(wc -l <"$work/h")" -eq 1 ] &&
        grep -Eq '^Error: GDBus.Error:org\.libvmi\.helper1\.Error\.[A-Za-z]+: .{8,}' "$work/h"; then
        ok "$label: $(sed 's/^Error: GDBus.Error://' "$work/h" | head -c 160)"
    else
        nok "$label: not a reply nor a clear error (exit $rc): $(head -c 400 "$work/h")"
    fi
}
# helper_case LABEL FILE MODE WANT: the daemon on the copy, each read-only
# method; WANT: what the process list should be (ps_expect)
helper_case() {
    local label=$1 file=$2 mode=$3 want=$4 _ itva
    {
        echo "$UUID {"
        echo "    path = \"$file\";"
        if [ "$mode" = conf ]; then
            grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
        else
            echo '    ostype = "Linux";'
        fi
        echo "}"
    } >"$work/helper-libvmi.conf"
    printf '[helper]\nuris=test:///default\nlibvmi_conf=%s\nread_limit=64K\n' \
        "$work/helper-libvmi.conf" >"$work/helperd.conf"
    "$HELPERD" --address "$BUS_ADDR" --config "$work/helperd.conf" >"$work/helperd.log" 2>&1 &
    HPID=$!
    for _ in $(seq 100); do
        grep -q 'published at' "$work/helperd.log" && break
        kill -0 "$HPID" 2>/dev/null || break
        sleep 0.05
    done
    # the worker opens the copy: introspectable, or a reason why not
    for _ in $(seq 100); do
        hcall "$work/h" --object-path "$DOMAIN" --method org.freedesktop.DBus.Properties.Get $D Introspectable
        grep -q true "$work/h" && break
        hcall "$work/h" --object-path "$DOMAIN" --method org.freedesktop.DBus.Properties.Get $D IntrospectableReason
        grep -q "'[^']\{8,\}'" "$work/h" && break
        sleep 0.1
    done
    itva=$(awk '$1 == "init_task" { print $2 }' "$RIG_TRUTH/ksyms.txt")
    hexpect "$label: GetAll" org.freedesktop.DBus.Properties.GetAll $D
    hexpect "$label: ListProcesses" $D.ListProcesses
    if grep -q '^(' "$work/h" && [ "$want" = truth ]; then
        python3 - "$work/h" "$RIG_TRUTH/ps.txt" <<'EOF' || nok "$label: ListProcesses: not the guest's pids"
import re, sys
got = sorted(int(p) for p in re.findall(r"\((-?\d+), '", open(sys.argv[1]).read()))
want = sorted([0] + [int(l.split()[0]) for l in open(sys.argv[2]) if l.strip()])
sys.exit(got != want)
EOF
    fi
    hexpect "$label: LookupSymbol" $D.LookupSymbol init_task
    hexpect "$label: ReadSymbol" $D.ReadSymbol linux_banner 64
    hexpect "$label: TranslateKernel" $D.TranslateKernel "$(printf %u "0x$itva")"
    hexpect "$label: ReadVirtual kernel" $D.ReadVirtual "$(printf %u "0x$itva")" 0 64
    hexpect "$label: TranslateUser pid 1" $D.TranslateUser 4194304 1
    hexpect "$label: ReadVirtual pid 1" $D.ReadVirtual 4194304 1 16
    hexpect "$label: TranslateUser no such pid" $D.TranslateUser 4194304 424242
    hexpect "$label: ReadPhysical 0" $D.ReadPhysical 0 16
    hexpect "$label: ReadPhysical beyond memory" $D.ReadPhysical 18446744073709547520 16
    hexpect "$label: GetRegisters" $D.GetRegisters 0
    hexpect "$label: OpenMemory" $D.OpenMemory
    if kill -0 "$HPID" 2>/dev/null && hcall "$work/h" --object-path /org/libvmi/helper1 \
        --method org.libvmi.helper1.Manager.ListDomains && grep -q "$DOMAIN" "$work/h"; then
        ok "$label: vmi-helperd still serves"
    else
        nok "$label: vmi-helperd died or stopped serving: $(tail -5 "$work/helperd.log" | tr '\n' '|')"
    fi
    stop_pid "$HPID"
    HPID=
}

# ---------------------------------------------------------------- cases
: >"$work/none.conf"
helper_setup || true
python3 "$gen" list >"$work/cases" || { echo "make-hostile.py list failed"; exit 99; }
CASES=${HOSTILE_CASES:-$(awk '{ print $1 }' "$work/cases")}
ncases=$(echo "$CASES" | wc -w)
first=1
for g in $GUESTS; do
    rc=0
    e=$("$rig" env "$g" 2>"$work/rig.err") || rc=$?
    if [ $rc -ne 0 ]; then
        [ $rc -eq 77 ] || { cat "$work/rig.err" >&2; nok "$g: the rig could not make the guest (exit $rc)"; }
        skip_check "$g: the hostile copies" "guest not available: $(tail -1 "$work/rig.err")" "$ncases"
        continue
    fi
    eval "$e"
    cases=$CASES
    # the second guest (5-level paging): a few page-table and task-list cases
    [ $first -eq 1 ] || cases=$(echo "$CASES" | tr ' ' '\n' | grep -xE 'pt-(top-self|text-outside|all-self)|tasks-cycle' || true)
    first=0
    # the token table's address, for the kallsyms cases (checked by the generator)
    tt=$(LIBVMI_CONF=$work/none.conf LIBVMI_PROFILE_CACHE=off "$bin/vmi-kernel-info" --json "$RIG_RAW" 2>/dev/null |
         python3 -c 'import json,sys; print(json.load(sys.stdin)["symbols"]["token_table_physical"])' 2>/dev/null) || tt=
    [ -n "$tt" ] || nok "$g: vmi-kernel-info gives no token table on the unchanged snapshot"
    itva=$(awk '$1 == "init_task" { print $2 }' "$RIG_TRUTH/ksyms.txt")
    for c in $cases; do
        base=$(awk -v c="$c" '$1 == c { print $2 }' "$work/cases")
        [ -n "$base" ] || { nok "$g $c: no such case (make-hostile.py list)"; continue; }
        f=$work/$c.$base
        if ! nice python3 "$gen" make "$RIG_DIR" "$c" "$f" ${tt:+--token-table "$tt"} >"$work/gen.out" 2>&1; then
            nok "$g $c: make-hostile.py: $(tail -1 "$work/gen.out")"
            continue
        fi
        # the copy's sidecar: what it holds, what a right answer is
        what='' ps_conf='' ps_zero='' dump=0 dump_file=0 text=0
        eval "$(python3 -c 'import json, shlex, sys
m = json.load(open(sys.argv[1]))
print("what=%s ps_conf=%s ps_zero=%s dump=%d dump_file=%d text=%d" % (shlex.quote(m["what"]),
      m["ps"]["conf"], m["ps"]["zero"], m["dump"], m["dump_file"], m["text"]))' "$f.json")"
        echo "== $g $c: $what"
        name=$(basename "$f" ".$base")
        { echo "$name {"; grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"; echo "}"; } >"$work/conf.conf"
        for mode in conf zero; do
            if [ $mode = conf ]; then conf=$work/conf.conf; else conf=$work/none.conf; fi
            export LIBVMI_CONF=$conf LIBVMI_PROFILE_CACHE=off
            L="$g $c $mode"
            run "$L" vmi-process-list --json "$f"
            want=$([ $mode = conf ] && echo "$ps_conf" || echo "$ps_zero")
            if why=$(ps_expect "$f.json" "$mode" "$RC" "$work/out"); then
                ok "$L: the process list is right (want: $want)"
            else
                nok "$L: vmi-process-list: $why"
            fi
            [ "$text" -eq 0 ] || run "$L" vmi-process-list "$f"
            run "$L" vmi-kernel-info "$f"
            run "$L" vmi-map-symbol --string --len 64 "$f" linux_banner
            run "$L" vmi-map-addr "$f" "0x$itva"
            run "$L" vmi-map-addr --pid 1 "$f" 0x400000
            run "$L" vmi-map-addr --pid 424242 "$f" 0x400000
            run "$L" vmi-map-addr --physical --len 16 "$f" 0xfffffffffffff000
            [ "$RC" -eq 1 ] || nok "$L: vmi-map-addr read 16 bytes beyond 2^64 - 4096"
            unset LIBVMI_CONF LIBVMI_PROFILE_CACHE
            if [ $helper_ready -eq 1 ]; then
                helper_case "$L helper" "$f" "$mode" "$want"
            else
                skip_check "$L: the helper's methods" "$helper_why" "$HELPER_METHODS"
            fi
        done
        [ "$dump" -eq 0 ] || run "$g $c" vmi-dump-memory -q "$f" /dev/null
        if [ "$dump_file" -eq 1 ]; then
            run "$g $c" vmi-dump-memory -q "$f" "$work/dump.out"
            rm -f "$work/dump.out"
        fi
        rm -f "$f" "$f.json"
    done
done

checks_end "hostile guests"
