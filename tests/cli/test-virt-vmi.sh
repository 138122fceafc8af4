#!/bin/bash
# virt-vmi against the fake helper (tests/dbus/fake-helper --answer) on a
# private dbus-daemon with the project's bus policy: usage errors, help,
# output formats (ps, read, symbol, regs, info, list, watch, dump), JSON
# (parsed with jq), and the exit codes: 2 usage, 3 no such domain, 1 the
# helper said no, 4 denied by the bus policy or the helper, 5 no helper.
# No libvirtd and no guest: 'list' uses libvirt's test driver (test:///default).
#
# Environment: VIRT_VMI (default $top_builddir/helper/virt-vmi), FAKE_HELPER
# (default $top_builddir/tests/dbus/fake-helper, else built by lib.sh).
# The denied-caller checks need root and the test users of
# tests/dbus/test-policy.sh (created here when missing, as there).
set -u
# shellcheck source=tests/dbus/lib.sh
. "$(dirname "$0")/../dbus/lib.sh"

need dbus-daemon jq xmllint timeout base64 xxd
top_builddir=${top_builddir:-$srcdir}
VIRT_VMI=${VIRT_VMI:-$top_builddir/helper/virt-vmi}
[ -x "$VIRT_VMI" ] || skip "virt-vmi is not built ($VIRT_VMI)"
if [ -z "${FAKE_HELPER:-}" ] && [ -x "$top_builddir/tests/dbus/fake-helper" ]; then
    FAKE_HELPER=$top_builddir/tests/dbus/fake-helper
fi

DOM=fake-domain
UUID=c7a5fdbd-cdaf-9455-926a-d65c16db1809
DPATH=/org/libvmi/helper1/domain/_c7a5fdbd_cdaf_9455_926a_d65c16db1809

make_workdir
copy_xml
build_fake
start_bus || { echo "cannot start dbus-daemon" >&2; exit 99; }

# vv ARGS...: runs virt-vmi on the private bus; stdout in $out, stderr in
# $err, exit status in $rc.
out=$work/out
err=$work/err
rc=0
vv() {
    rc=0
    timeout 20 "$VIRT_VMI" --address "$BUS_ADDR" "$@" >"$out" 2>"$err" || rc=$?
}
# expect_rc DESCRIPTION CODE ARGS...
expect_rc() {
    local what=$1 code=$2
    shift 2
    vv "$@"
    if [ "$rc" -eq "$code" ]; then
        ok "$what (exit $code)"
    else
        not_ok "$what: exit $rc, expected $code; stderr: $(head -c 300 "$err")"
    fi
}
# stderr_has REGEX / stdout_is TEXT: about the last vv
stderr_has() { grep -Eq -- "$1" "$err"; }
one_line_stderr() { [ "$(wc -l <"$err")" -eq 1 ]; }
stdout_is() { [ "$(cat "$out")" = "$1" ]; }
jq_true() { jq -e "$1" "$out" >/dev/null 2>&1; }

# ------------------------------------------------------------ usage (no helper)
expect_rc "no command" 2
check "no command: says so" stderr_has "no command given"
expect_rc "unknown command" 2 frobnicate
check "unknown command: named" stderr_has "unknown command 'frobnicate'"
expect_rc "unknown global option" 2 --bogus list
expect_rc "unknown command option" 2 ps $DOM --bogus
expect_rc "ps without DOMAIN" 2 ps
expect_rc "ps with two domains" 2 ps a b
expect_rc "read without --len" 2 read $DOM --pa 0x1000
expect_rc "read with --pa and --va" 2 read $DOM --pa 0 --va 0 --len 1
expect_rc "read with a bad address" 2 read $DOM --pa 0x12zz --len 1
expect_rc "read with --len 0" 2 read $DOM --pa 0 --len 0
expect_rc "read with --pid but no --va" 2 read $DOM --pa 0 --pid 1 --len 1
expect_rc "read --raw --json" 2 read $DOM --pa 0 --len 1 --raw --json
expect_rc "regs with a bad vCPU" 2 regs $DOM --vcpu one
expect_rc "watch with a bad access" 2 watch $DOM 0x1000 --access q
expect_rc "enable with a bad mode" 2 enable $DOM --mode everything
expect_rc "two buses" 2 --system --session ps $DOM
expect_rc "option value missing" 2 ps $DOM --address
expect_rc "help for an unknown command" 2 help frobnicate

# ------------------------------------------------------------------- help
expect_rc "--help" 0 --help
commands="disable dump enable info list pause ps read regs resume symbol watch"
all_listed() {
    local c
    for c in $commands; do grep -Eq "^  $c " "$out" || return 1; done
    grep -q "Exit status" "$out" && grep -q "5  vmi-helperd not reachable" "$out"
}
check "--help lists every command and the exit status" all_listed
for c in $commands; do
    vv help "$c"
    cp "$out" "$work/help-$c"
    vv "$c" --help
    if [ "$rc" -eq 0 ] && cmp -s "$out" "$work/help-$c" && grep -q "^Usage: virt-vmi \[OPTIONS\] $c" "$out"; then
        ok "'help $c' = '$c --help'"
    else
        not_ok "'help $c' and '$c --help' differ or fail (exit $rc)"
    fi
done
expect_rc "--version" 0 --version
check "--version prints the version" grep -Eq '^virt-vmi [0-9]+\.[0-9]+' "$out"

# ------------------------------------------------------- helper not there
expect_rc "helper absent: ps" 5 --no-direct ps $DOM
check "helper absent: clear error" stderr_has "vmi-helperd is not running on the bus at .*org\.libvmi\.helper1"
check "helper absent: one line" one_line_stderr
expect_rc "helper absent: ps, libvmi fallback fails too" 5 ps $DOM
check "fallback: says the helper was not reached" stderr_has "opening domain '$DOM' with libvmi directly"
expect_rc "helper absent: pause (no fallback)" 5 pause $DOM
rc=0
timeout 20 "$VIRT_VMI" --address "unix:path=$work/no-such-bus" --no-direct ps $DOM >"$out" 2>"$err" || rc=$?
if [ "$rc" -eq 5 ] && stderr_has "cannot connect"; then ok "no bus at all (exit 5)"; else not_ok "no bus at all: exit $rc"; fi

# The libvmi fallback on a memory snapshot of the rig's guest, when one is
# cached already (this test never boots a guest): ps equals the guest's own.
snap=$(ls -d "${LIBVMI_RIG_CACHE:-/var/cache/libvmi-rig}"/guests/amd64-*/ 2>/dev/null | head -1)
if [ -n "$snap" ] && [ -r "$snap/amd64.elf" ] && [ -r "$snap/libvmi.conf" ] && [ -r "$snap/truth/ps.txt" ]; then
    rc=0
    LIBVMI_CONF=$snap/libvmi.conf timeout 60 "$VIRT_VMI" --address "$BUS_ADDR" --json ps "$snap/amd64.elf" \
        >"$out" 2>"$err" || rc=$?
    if [ "$rc" -eq 0 ] && stderr_has "not running on the bus.*opening domain .* with libvmi directly" &&
        [ "$(jq -r '.[] | select(.pid != 0) | "\(.pid) \(.name)"' "$out")" = "$(cat "$snap/truth/ps.txt")" ]; then
        ok "fallback to libvmi: ps of a snapshot equals the guest's list"
    else
        not_ok "fallback to libvmi: exit $rc, $(head -c 300 "$err")"
    fi
    # Guest process names are the guest's choice: a hostile copy of the
    # snapshot (tests/real/make-hostile.py comm-unterminated: names with
    # terminal escapes, control characters, invalid UTF-8, no NUL) is
    # listed with every byte outside printable ASCII as \xNN, never raw;
    # the names the copy holds (its .json, the generator's own record) are
    # what each line shows, escaped.
    hraw=$work/comm.raw
    if [ -r "$snap/amd64.raw" ] && nice python3 "$srcdir/tests/real/make-hostile.py" make "$snap" \
            comm-unterminated "$hraw" >"$work/gen.out" 2>&1; then
        { echo "comm {"; grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$snap/libvmi.conf"; echo "}"; } \
            >"$work/hostile.conf"
        rc=0
        LIBVMI_CONF=$work/hostile.conf LIBVMI_PROFILE_CACHE=off timeout 60 "$VIRT_VMI" \
            --address "$BUS_ADDR" ps "$hraw" >"$out" 2>"$err" || rc=$?
        check "ps of a guest with hostile process names exits 0 (exit $rc)" test "$rc" = 0
        check "... prints no control byte and nothing outside printable ASCII" \
            python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(0 if d and all(0x20 <= b < 0x7f or b == 10 for b in d) else 1)' "$out"
        check "... each hostile name as the guest holds it, escaped as \\xNN (a terminal escape shows as \\x1b)" \
            python3 - "$out" "$hraw.json" <<'PY'
import json, sys
out = open(sys.argv[1], encoding="ascii").read().splitlines()[1:]
names = json.load(open(sys.argv[2]))["names"]
def esc(b):
    # the helper hands names out as valid UTF-8 (bytes that are not: U+FFFD)
    b = b.decode("utf-8", "replace").encode("utf-8")
    return "".join("\\\\" if c == 0x5c else chr(c) if 0x20 <= c < 0x7f else "\\x%02x" % c for c in b)
got = {l.split()[0]: l.split()[1] for l in out if len(l.split()) == 3}
bad = [(p, got.get(p), esc(bytes.fromhex(h))) for p, h in names.items() if got.get(p) != esc(bytes.fromhex(h))]
print("# %d hostile names, %d differ%s" % (len(names), len(bad), ": %r" % bad[:2] if bad else ""))
sys.exit(0 if names and not bad and any("\\x1b[31m" in v for v in got.values()) else 1)
PY
        rm -f "$hraw" "$hraw.json"
    else
        skip_check "hostile process names" "no raw snapshot or make-hostile.py failed: $(tail -1 "$work/gen.out" 2>/dev/null)" 3
    fi

    # regs in direct mode: the helper's register table (tr, ldtr, gdtr,
    # idtr were missing from the direct mode's own), each value as QEMU's
    # "info registers" showed it when the snapshot was taken
    rc=0
    LIBVMI_CONF=$snap/libvmi.conf timeout 60 "$VIRT_VMI" --address "$BUS_ADDR" --json regs "$snap/amd64.elf" \
        >"$out" 2>"$err" || rc=$?
    if [ "$rc" -eq 0 ] && python3 - "$out" "$snap/truth/regs.txt" <<'PY'
import json, re, sys
regs = {k: int(v, 16) for k, v in json.load(open(sys.argv[1]))["registers"].items()}
t = open(sys.argv[2]).read()
def f(pat):
    return int(re.search(pat, t, re.M).group(1), 16)
want = {"rip": f(r"RIP=([0-9a-f]+)"), "rsp": f(r"RSP=([0-9a-f]+)"), "cr3": f(r"CR3=([0-9a-f]+)"),
        "cr4": f(r"CR4=([0-9a-f]+)"),
        "tr": f(r"^TR =([0-9a-f]+)"), "tr_base": f(r"^TR =[0-9a-f]+ ([0-9a-f]+)"),
        "gs_base": f(r"^GS =[0-9a-f]+ ([0-9a-f]+)"),
        "gdtr_base": f(r"^GDT= +([0-9a-f]+)"), "idtr_limit": f(r"^IDT= +[0-9a-f]+ ([0-9a-f]+)")}
bad = {k: (hex(regs[k]) if k in regs else None, hex(v)) for k, v in want.items() if regs.get(k) != v}
print(bad or "")
sys.exit(1 if bad else 0)
PY
    then
        ok "fallback to libvmi: regs of a snapshot (the helper's names) equal QEMU's info registers"
    else
        not_ok "fallback to libvmi: regs: exit $rc, $(head -c 300 "$err")"
    fi
    # A file in the working directory named like the domain is not opened
    # in its place: a name without a slash is a domain, never a file.
    mkdir -p "$work/cwd"
    ln -sf "$snap/amd64.elf" "$work/cwd/$DOM"
    { echo "$DOM {"; grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$snap/libvmi.conf"; echo "}"; } \
        >"$work/cwd.conf"
    rc=0
    (cd "$work/cwd" && LIBVMI_CONF=$work/cwd.conf timeout 60 "$VIRT_VMI" --address "$BUS_ADDR" \
        ps "$DOM" >"$out" 2>"$err") || rc=$?
    if [ "$rc" -ne 0 ] && ! grep -qwF "$(awk 'NR==1 {print $2}' "$snap/truth/ps.txt")" "$out"; then
        ok "fallback to libvmi: a file in the cwd named like the domain is not opened (exit $rc)"
    else
        not_ok "fallback to libvmi: the file ./$DOM was opened as the domain (exit $rc)"
    fi
else
    skip_check "fallback to libvmi" "no cached rig snapshot (tests/rig/rig.sh snapshot amd64)" 2
fi

# ------------------------------------------------------------ fake helper
FAKE_LOG=$work/fake.log
"$FAKE" --answer --address "$BUS_ADDR" --xml-dir "$XML_DIR" >"$FAKE_LOG" 2>&1 &
FAKE_PID=$!
wait_for_log '^READY' 50 || { cat "$FAKE_LOG" >&2; echo "fake helper did not start" >&2; exit 99; }

# ps
expect_rc "ps" 0 ps $DOM
check "ps: table" stdout_is "$(printf '%6s %-16s %s\n' PID NAME DTB
                              printf '%6d %-16s 0x%016x\n' 0 swapper/0 0x1a0c000 1 init 0x2345000 \
                                  42 sleeper-a 0x3456000 43 'we"ird\\name' 0x4567000)"
expect_rc "ps --json" 0 ps $DOM --json
check "ps --json: 4 processes" jq_true 'length == 4'
check "ps --json: pid, name (escaped), dtb" \
    jq_true '.[3] == {"pid":43,"name":"we\"ird\\name","dtb":"0x0000000004567000"}'
expect_rc "ps by UUID" 0 ps $UUID
expect_rc "ps by upper-case UUID" 0 ps "${UUID^^}"
expect_rc "ps by object path" 0 --json ps $DPATH
check "ps by object path: JSON" jq_true '.[0].name == "swapper/0"'

# read
expect_rc "read --pa" 0 read $DOM --pa 0x1000 --len 20
check "read: hexdump -C layout with addresses" stdout_is \
"0000000000001000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|
0000000000001010  10 11 12 13                                       |....|"
expect_rc "read --symbol" 0 read $DOM --symbol linux_banner --len 32
check "read --symbol: at the symbol's address" stdout_is \
"ffffffff82000100  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 36 2e  |Linux version 6.|
ffffffff82000110  31 2e 30 2d 66 61 6b 65  20 28 66 61 6b 65 40 6c  |1.0-fake (fake@l|"
expect_rc "read --va --pid --json" 0 read $DOM --va 0x400000 --pid 42 --len 4 --json
check "read --json: fields" \
    jq_true '.space == "virtual" and .address == "0x0000000000400000" and .pid == 42 and .length == 4 and .hex == "00010203"'
check "read --json: base64 = hex" \
    bash -c "[ \"\$(jq -r .base64 '$out' | base64 -d | xxd -p)\" = 00010203 ]"
expect_rc "read --raw" 0 read $DOM --pa 0x41 --len 4 --raw
check "read --raw: the bytes" stdout_is "ABCD"
expect_rc "read: unknown pid" 1 read $DOM --va 0x400000 --pid 99 --len 4
check "read: D-Bus error name and domain in one line" \
    bash -c "grep -Eq \"^virt-vmi: domain '$DOM': .*\\(org\\.libvmi\\.helper1\\.Error\\.InvalidArgument\\)\$\" '$err' && [ \$(wc -l <'$err') -eq 1 ]"
expect_rc "read: too large" 1 read $DOM --pa 0 --len 0x1000001
check "read: TooLarge named" stderr_has "org\.libvmi\.helper1\.Error\.TooLarge"
expect_rc "read: domain gone during the call" 3 read $DOM --pa 0xdead000 --len 1
check "read: DomainGone named" stderr_has "org\.libvmi\.helper1\.Error\.DomainGone"

# symbol
expect_rc "symbol" 0 symbol $DOM linux_banner
check "symbol: NAME VA PA" stdout_is "linux_banner 0xffffffff82000100 0x0000000002000100"
expect_rc "symbol --json" 0 symbol $DOM init_task --json
check "symbol --json" jq_true '. == {"name":"init_task","va":"0xffffffff82a14940","pa":"0x0000000002a14940"}'
expect_rc "symbol: unknown" 1 symbol $DOM no_such_symbol

# regs
expect_rc "regs" 0 regs $DOM
check "regs: x86 order, one per line" stdout_is \
"rax      0x0000000000000000
rsp      0xffffffff82c03e80
rip      0xffffffff81e0a2b0
rflags   0x0000000000000246
cs       0x0000000000000010
gs_base  0xffff88801f400000
cr3      0x0000000001a0c000
efer     0x0000000000000d01"
expect_rc "regs --vcpu 1 --json" 0 regs $DOM --vcpu 0x1 --json
check "regs --json" jq_true '.vcpu == 1 and .registers.rax == "0x0000000000000001" and .registers.cr3 == "0x0000000001a0c000"'
expect_rc "regs: vCPU past the last" 1 regs $DOM --vcpu 2

# info
expect_rc "info" 0 info $DOM
check "info: properties" bash -c "grep -q '^Name: *fake-domain\$' '$out' && grep -q '^Introspectable: *yes\$' '$out' && grep -q '^MemorySize: *536870912 (512 MiB)\$' '$out' && grep -q '^Path: *$DPATH\$' '$out'"
expect_rc "info --json" 0 info $DOM --json
check "info --json" jq_true '.Name == "fake-domain" and .UUID == "'$UUID'" and .Introspectable == true and .MemorySize == 536870912 and .WritesEnabled == false'

# errors that name the domain
expect_rc "unknown domain" 3 ps no-such-domain
check "unknown domain: named, one line" \
    bash -c "grep -q \"domain 'no-such-domain' is not running\" '$err' && [ \$(wc -l <'$err') -eq 1 ]"
expect_rc "not introspectable" 1 ps sleepy-domain
check "not introspectable: D-Bus error name" stderr_has "domain 'sleepy-domain': .*NotIntrospectable"

# pause, resume
expect_rc "pause" 0 pause $DOM
check "pause: message" stdout_is "Domain 'fake-domain' paused."
check "pause: reached the helper" wait_for_log $'^Pause\t'
expect_rc "resume --json" 0 resume $DOM --json
check "resume --json" jq_true '.domain == "fake-domain" and .state == "resumed"'

# dump: a relative FILE is made absolute for the helper
rc=0
(cd "$work" && timeout 20 "$VIRT_VMI" --address "$BUS_ADDR" dump $DOM mem.elf >"$out" 2>"$err") || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$work/mem.elf" ] && grep -q "^Snapshot	('$work/mem.elf',)" "$FAKE_LOG"; then
    ok "dump: relative FILE sent as an absolute path"
else
    not_ok "dump: exit $rc, $(cat "$err") $(grep Snapshot "$FAKE_LOG")"
fi
check "dump: message names the file" grep -q "memory dumped to $work/mem.elf" "$out"
expect_rc "dump: file exists" 1 dump $DOM "$work/mem.elf"
expect_rc "dump: helper's AccessDenied" 4 dump $DOM /denied/mem.elf
check "dump: AccessDenied named" stderr_has "org\.libvmi\.helper1\.Error\.AccessDenied"

# watch
expect_rc "watch --count" 0 watch $DOM 0xffffffff82000100 --count 3
watch_lines() {
    [ "$(wc -l <"$out")" -eq 3 ] &&
        grep -Eq '^[0-9-]{10}T[0-9:.]{15}Z watch=7 vcpu=1 access=w gla=0xffffffff82000100 gpa=0x0000000002000100$' "$out" &&
        tail -1 "$out" | grep -q 'gpa=-$'
}
check "watch: one line per event" watch_lines
check "watch: Unwatch on the way out" grep -q $'^Unwatch\t(7,)' "$FAKE_LOG"
expect_rc "watch --timeout --json" 0 watch $DOM 0xffffffff82000100 --access rw --timeout 1 --json
check "watch --json: JSON lines" \
    bash -c "[ \$(jq -c . '$out' | wc -l) -eq 3 ] && jq -e -s '.[0].id == 7 and .[0].access == \"w\" and .[2].gpa == null' '$out' >/dev/null"
check "watch: access sent" grep -q $'^Watch\t(18446744071595622656, \'rw\')' "$FAKE_LOG"
before=$(grep -c '^Unwatch' "$FAKE_LOG")
"$VIRT_VMI" --address "$BUS_ADDR" watch $DOM 0xffffffff82000100 >"$work/watch-int" 2>&1 &
wpid=$!
sleep 1
kill -INT $wpid
rc=0
wait $wpid || rc=$?
after=$(grep -c '^Unwatch' "$FAKE_LOG")
if [ "$rc" -eq 0 ] && [ "$after" -eq $((before + 1)) ]; then
    ok "watch: Ctrl-C unwatches and exits 0"
else
    not_ok "watch: Ctrl-C: exit $rc, Unwatch $before -> $after"
fi
expect_rc "watch: unaligned" 1 watch $DOM 0xffffffff82000101

# list: the helper's running domains joined with libvirt's (test driver)
expect_rc "list" 0 -c test:///default list
list_plain() {
    head -1 "$out" | grep -Eq '^NAME +STATE +INTROSPECTABLE +ACCESS +OS +PAGING +XML$' &&
        grep -Eq '^fake-domain +running +yes +shm +linux +ia32e +-$' "$out" &&
        grep -Eq '^sleepy-domain +paused +no +- ' "$out" &&
        grep -Eq '^test +running +- +- +- +- +no$' "$out"
}
check "list: columns" list_plain
expect_rc "list --json" 0 -c test:///default --json list
check "list --json: 3 domains, joined" \
    jq_true 'length == 3 and (.[0].name == "fake-domain" and .[0].introspectable == true and .[0].path == "'$DPATH'") and (.[2].name == "test" and .[2].persistent == true and .[2].xml_introspection == null and .[2].path == null)'
expect_rc "list: libvirt unreachable, helper answers" 0 -c test:///no/such/file.xml list
check "list: warns about libvirt" stderr_has "warning: .*listing vmi-helperd's domains only"

# ---------------------------------------------------------- denied caller
if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null && command -v useradd >/dev/null; then
    getent group libvmi >/dev/null || groupadd --system libvmi || exit 99
    for u in vmitest-member vmitest-other; do
        getent passwd "$u" >/dev/null ||
            useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$u" || exit 99
    done
    id -nG vmitest-member | tr ' ' '\n' | grep -qx libvmi || usermod -a -G libvmi vmitest-member || exit 99
    if id -nG vmitest-other | tr ' ' '\n' | grep -qx libvmi; then gpasswd -d vmitest-other libvmi >/dev/null; fi
    VIRT_VMI_USER=$(user_copy "$VIRT_VMI") || exit 99
    as() {
        local user=$1
        shift
        rc=0
        (cd / && runuser -u "$user" -- timeout 20 "$VIRT_VMI_USER" --address "$BUS_ADDR" "$@") \
            >"$out" 2>"$err" || rc=$?
    }
    as vmitest-other ps $DOM
    if [ "$rc" -eq 4 ] && stderr_has "denied by the bus policy.*org\.freedesktop\.DBus\.Error\.AccessDenied"; then
        ok "a user outside group libvmi is denied (exit 4)"
    else
        not_ok "denied user: exit $rc, $(head -c 300 "$err")"
    fi
    as vmitest-other --no-direct -c test:///default list
    if [ "$rc" -eq 0 ] && stderr_has "warning: .*denied"; then
        ok "denied user: list shows libvirt's domains with a warning"
    else
        not_ok "denied user: list: exit $rc, $(head -c 300 "$err")"
    fi
    as vmitest-member ps $DOM --json
    if [ "$rc" -eq 0 ] && jq_true 'length == 4'; then
        ok "a member of group libvmi may (exit 0)"
    else
        not_ok "member: exit $rc, $(head -c 300 "$err")"
    fi
else
    skip_check "the denied-caller checks" "needs root, runuser and useradd" 3
fi

finish
