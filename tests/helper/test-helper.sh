#!/bin/bash
# Acceptance test of the host helper (issue 4), on real parts: a real
# libvirtd (started here when it does not run), a private dbus-daemon with
# the system bus's rules plus dbus/org.libvmi.helper1.conf, vmi-helperd,
# virt-vmi, libvmi's libvirt hook, and the rig's amd64 guest booted once as
# a persistent libvirt domain of type 'qemu' (TCG). The guest's own console
# (tests/rig/init.sh) is the ground truth. Checks, in order:
#   - virt-vmi enable on the shut-off domain rewrites its persistent XML
#     (shared memory backing, gdbstub, our metadata), idempotently;
#   - virsh start: the Domain object appears; the times of the object, of
#     the guest's VMI-READY line and of Introspectable=true are printed (the
#     delay is a figure, not a check: tests/helper/bench.sh measures it);
#     the properties match the guest;
#   - virt-vmi ps (and ListProcesses as a libvmi member) equals the guest's
#     own process list plus pid 0; virt-vmi read --symbol linux_banner shows
#     the guest's banner; virt-vmi symbol gives the guest's kallsyms address;
#     regs; OpenMemory's descriptor holds the bytes ReadPhysical returns;
#   - WriteVirtual/WritePhysical are refused with WritesDisabled;
#   - a user neither root nor in group libvmi is denied every method tried
#     (org.freedesktop.DBus.Error.AccessDenied; virt-vmi exits 4), a member
#     of libvmi is allowed;
#   - busctl introspect and gdbus introspect show exactly the documented
#     members (and doc strings); busctl tree shows one object per running
#     domain;
#   - Pause/Resume: the guest's jiffies and console ticks stop, then go on;
#   - Watch (virt-vmi watch): a write watch on jiffies fires at its address;
#   - the hook ran on start (and later reconnect and stop): the helper's log;
#     (the hook reaches the private bus through /run/libvmi/hook-bus, see
#     libvirt-hooks/qemu);
#   - libvirtd killed and started again: the helper connects to the new one
#     and serves the running domain again.
# A libvirtd that runs already is used but not restarted, and our hook is
# active only if it was installed before that libvirtd started: those
# checks are reported as "# SKIP 1 check(s): ... : reason" and counted as skips.
#   - virsh destroy: the object goes, a call on its path gets a clear error;
#   - virt-vmi disable restores the original persistent XML (canonical XML
#     equal).
# Exit 0 all passed, 1 a check failed, 77 SKIP (with the reason: not root,
# libvirtd/dbus-daemon missing, the rig cannot build the guest, the helper
# not built). Takes about 35 s on 2 CPUs (TCG boot ~10 s, pause and watch
# ~10 s). HENV_KEEP=1 keeps the work directory, console and QEMU log.
set -u
# shellcheck disable=SC2317 # functions run through expect/wait_for
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/helper/env.sh
. "$HERE/env.sh"
CHECK=(python3 "$HERE/check.py")
BENCH=${top_builddir:-/nonexistent}/bench/vmi-bench-dbus

T0=$(henv_now_ms)
elapsed() { local ms=$(($(henv_now_ms) - T0)); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }
# skip_check (tests/dbus/lib.sh): a check that cannot run here is a skip
# expect DESCRIPTION CMD...: like check, and shows the command's output
# (indented; its first lines when it passes, more when it fails)
expect() {
    local what=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if [ $rc -eq 0 ]; then
        ok "$what"
        [ -z "$out" ] || sed 's/^/#   /' <<<"$out" | head -5
    else
        not_ok "$what (exit $rc)"
        sed 's/^/#   /' <<<"$out" | head -30
    fi
}

# the helper's auto_enable (checked at the end with two more defined domains)
AUTO_PREFIX=libvmi-auto-test
HENV_HELPERD_CONF_EXTRA="auto_enable=$AUTO_PREFIX-*
auto_enable_mode=shm"
export HENV_HELPERD_CONF_EXTRA
henv_setup
echo "# environment up ($(elapsed)): bus $BUS_ADDR, helper pid $HELPERD_PID, domain $HENV_DOMAIN ($HENV_UUID)"
echo "# libvirtd ours: $HENV_LIBVIRTD_OURS, hook active: $HENV_HOOK ${HENV_HOOK_REASON:+($HENV_HOOK_REASON)}"
PATH_DOM=$HENV_PATH
MANAGER=/org/libvmi/helper1
DIFACE=org.libvmi.helper1.Domain
MIFACE=org.libvmi.helper1.Manager
GROUP=libvmi MEMBER=vmitest-member OTHER=vmitest-other
W=$HENV_WORK
# virt-vmi as the test users run it (the build tree may be root's alone)
VIRT_VMI_USER=$(user_copy "$VIRT_VMI") || { echo "FAIL: cannot copy virt-vmi for the test users"; exit 1; }

# running_paths: the object paths the running libvirt domains should have
running_paths() {
    local u
    for u in $(henv_vsh list --uuid 2>/dev/null); do echo "/org/libvmi/helper1/domain/_${u//-/_}"; done | sort
}
tree_matches_running() {
    local want got
    want=$(running_paths)
    got=$(henv_domains | sort)
    [ "$want" = "$got" ] || { echo "running: [${want//$'\n'/ }] published: [${got//$'\n'/ }]"; return 1; }
    echo "$(grep -c . <<<"$got") object(s) for $(grep -c . <<<"$want") running domain(s)"
}
# wait_for SECONDS CMD...: polls CMD every 0.1 s
wait_for() {
    local n=$(($1 * 10)) i
    shift
    for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    "$@"
}
listed() { henv_call $MANAGER $MIFACE.ListDomains | grep -q "'$PATH_DOM'"; }
not_listed() { ! listed && ! henv_domains | grep -qx "$PATH_DOM"; }
introspectable() { [ "$(henv_prop "$PATH_DOM" $DIFACE Introspectable)" = "b true" ]; }
# log_has REGEX: the helper's log (stderr) has a line matching REGEX
log_has() { grep -Eiq -- "$1" "$HENV_LOG"; }
# hook_logged OPERATION: the helper logged the hook's NotifyLifecycle for
# our domain and OPERATION
hook_logged() {
    grep -Ei 'NotifyLifecycle|hook' "$HENV_LOG" | grep -F "$HENV_DOMAIN" | grep -Eqi -- "$1"
}

# ----------------------------------------------------------- the manager
expect "vmi-helperd owns org.libvmi.helper1 and answers Manager.Version" \
    busctl --address="$BUS_ADDR" get-property org.libvmi.helper1 $MANAGER $MIFACE Version
expect "no object for the shut-off domain; busctl tree matches the running domains" wait_for 5 \
    tree_matches_running

# ------------------------------------------------------------ enable
rc=0
henv_virt_vmi enable "$HENV_DOMAIN" --mode both >"$W/enable.out" 2>&1 || rc=$?
henv_vsh dumpxml --inactive "$HENV_DOMAIN" >"$W/enabled.xml"
enabled_ok() {
    grep -q "<access mode='shared'/>" "$W/enabled.xml" &&
        grep -q "<source type='file'/>" "$W/enabled.xml" &&
        grep -q 'http://libvmi.org/xmlns/helper/1.0' "$W/enabled.xml" &&
        grep -q "<qemu:arg value='-gdb'/>" "$W/enabled.xml"
}
if [ $rc -eq 0 ] && enabled_ok; then
    ok "virt-vmi enable --mode both: shared memory backing, gdbstub and metadata in the persistent XML"
else
    not_ok "virt-vmi enable --mode both (exit $rc): $(head -c 300 "$W/enable.out")"
    sed 's/^/#   /' "$W/enabled.xml"
fi
rc=0
henv_virt_vmi enable "$HENV_DOMAIN" --mode both >"$W/enable2.out" 2>&1 || rc=$?
henv_vsh dumpxml --inactive "$HENV_DOMAIN" >"$W/enabled2.xml"
if [ $rc -eq 0 ] && cmp -s "$W/enabled.xml" "$W/enabled2.xml"; then
    ok "virt-vmi enable again changes nothing"
else
    not_ok "virt-vmi enable again (exit $rc): $(head -c 300 "$W/enable2.out")"
    diff -u "$W/enabled.xml" "$W/enabled2.xml" | sed 's/^/#   /' | head -20
fi

# virt-vmi enable says that vmi-helperd creates the gdbstub directory when
# it is missing; QEMU cannot start without it. Checked, then made here if
# missing so that the rest can run.
if [ -d "$HENV_GDB_DIR" ]; then
    ok "the gdbstub socket directory $HENV_GDB_DIR exists"
else
    not_ok "the gdbstub socket directory $HENV_GDB_DIR exists after virt-vmi enable --mode both; made by the test"
    henv_gdbstub_dir
fi
# vmi-helperd makes it too, for a domain defined with our gdbstub (an
# edited XML, a directory removed since): removed here when empty, the
# domain is defined again, and the helper puts the directory back
gdb_dir_back() {
    [ -d "$HENV_GDB_DIR" ] && [ "$(stat -c '%U %a' "$HENV_GDB_DIR")" = "libvirt-qemu 700" ]
}
gdb_dir_what="vmi-helperd makes the gdbstub socket directory (libvirt-qemu, 0700) when a domain with the gdbstub is defined (5 s)"
if rmdir "$HENV_GDB_DIR" 2>/dev/null; then
    henv_vsh define "$W/enabled.xml" >/dev/null
    expect "$gdb_dir_what" wait_for 5 gdb_dir_back
    henv_gdbstub_dir
else
    skip_check "$gdb_dir_what" "$HENV_GDB_DIR is not empty: not the test's to remove"
fi

# ------------------------------------------------------------ start
# The helper's signals, as a client sees them, from here to the end
# (checked after the destroy).
# (without the libvirt tests' lock: a monitor that outlived us would hold it)
gdbus monitor --address "$BUS_ADDR" --dest org.libvmi.helper1 >"$W/monitor.log" 2>&1 {LV_LOCK_FD}>&- &
MONITOR_PID=$!
HENV_BG_PIDS="$HENV_BG_PIDS $MONITOR_PID"
sleep 0.3
# One loop watches the console and the bus: when VMI-READY shows, when the
# object is listed, when it is Introspectable.
t_start=$(henv_now_ms)
if ! henv_vsh start "$HENV_DOMAIN" >"$W/start.out" 2>&1; then
    not_ok "virsh start $HENV_DOMAIN: $(cat "$W/start.out")"
    sed 's/^/#   /' "/var/log/libvirt/qemu/$HENV_DOMAIN.log" 2>/dev/null | tail -20
    echo "FAIL: the domain does not start; nothing else can be checked"
    exit 1
fi
t_ready='' t_obj='' t_intro=''
for ((i = 0; i < 2400; i++)); do
    now=$(henv_now_ms)
    [ -n "$t_ready" ] || ! grep -q '^VMI-READY' "$HENV_CONSOLE" 2>/dev/null || t_ready=$now
    [ -n "$t_obj" ] || ! henv_domains | grep -qx "$PATH_DOM" || t_obj=$(henv_now_ms)
    [ -z "$t_obj" ] || [ -n "$t_intro" ] || ! introspectable || t_intro=$(henv_now_ms)
    [ -n "$t_ready" ] && [ -n "$t_intro" ] && break
    # give up 10 s after the guest is up, or when it stopped
    [ -z "$t_ready" ] || [ $((now - t_ready)) -lt 10000 ] || break
    if ((i % 20 == 19)) && ! henv_domain_up; then break; fi
    sleep 0.05
done
rel() { if [ -n "$1" ]; then echo "+$(($1 - t_start)) ms"; else echo never; fi; }
echo "# after virsh start: object listed $(rel "$t_obj"), guest VMI-READY $(rel "$t_ready"), Introspectable $(rel "$t_intro") ($(elapsed))"
if [ -z "$t_ready" ]; then
    not_ok "the guest boots to VMI-READY"
    echo "#   domain state: $(henv_vsh domstate "$HENV_DOMAIN" 2>&1); console: $(ls -l "$HENV_CONSOLE" 2>&1)"
    tail -20 "$HENV_CONSOLE" 2>/dev/null | sed 's/^/#   console: /'
    tail -5 "/var/log/libvirt/qemu/$HENV_DOMAIN.log" 2>/dev/null | sed 's/^/#   qemu log: /'
    echo "FAIL: the guest did not boot; nothing else can be checked"
    exit 1
fi
if [ -n "$t_obj" ]; then ok "the Domain object appears ($PATH_DOM)"; else not_ok "the Domain object appears ($PATH_DOM)"; fi
if [ -n "$t_intro" ]; then
    # no timing assert: how soon is a figure (tests/helper/bench.sh)
    ok "the Domain object becomes Introspectable ($((t_intro - t_ready)) ms after the guest's VMI-READY)"
else
    not_ok "the Domain object becomes Introspectable (10 s after VMI-READY): $(henv_prop "$PATH_DOM" $DIFACE IntrospectableReason)"
    tail -20 "$HENV_LOG" | sed 's/^/#   /'
fi

if [ "$HENV_HOOK" = 1 ]; then
    expect "the hook told the helper about 'started' (helper's log)" wait_for 5 hook_logged started
else
    skip_check "the hook told the helper about 'started'" "$HENV_HOOK_REASON"
fi

# ------------------------------------------------------------ properties
props() {
    local want_banner state
    want_banner=$("${CHECK[@]}" banner-text "$HENV_CONSOLE")
    busctl --address="$BUS_ADDR" --json=short get-property org.libvmi.helper1 "$PATH_DOM" $DIFACE \
        Name UUID Hypervisor State Introspectable IntrospectableReason AccessPath OSType PageMode \
        MemorySize KernelVersion WritesEnabled >"$W/props.json" || return 1
    python3 - "$W/props.json" "$HENV_DOMAIN" "$HENV_UUID" "$want_banner" <<'EOF'
import json, sys
vals = [json.loads(l)["data"] for l in open(sys.argv[1]) if l.strip()]
names = "Name UUID Hypervisor State Introspectable IntrospectableReason AccessPath OSType PageMode MemorySize KernelVersion WritesEnabled".split()
got = dict(zip(names, vals))
want = {"Name": sys.argv[2], "UUID": sys.argv[3], "Hypervisor": "qemu", "State": "running",
        "Introspectable": True, "IntrospectableReason": "", "AccessPath": "shm", "OSType": "linux",
        "PageMode": "ia32e", "WritesEnabled": False}
bad = [f"{k}={got.get(k)!r} (want {v!r})" for k, v in want.items() if got.get(k) != v]
# libvmi's memsize is RAM without the holes QEMU's e820 map leaves: a little
# under the domain's 512 MiB
if not (511 << 20) <= (got.get("MemorySize") or 0) <= (512 << 20):
    bad.append(f"MemorySize={got.get('MemorySize')!r} (want 511-512 MiB)")
kv = (got.get("KernelVersion") or "").rstrip("\n")
if not kv or not sys.argv[4].startswith(kv[:256].rstrip("\n")):
    bad.append(f"KernelVersion={kv!r} (guest: {sys.argv[4]!r})")
print("; ".join(bad) if bad else ", ".join(f"{k}={got[k]!r}" for k in ("AccessPath", "PageMode", "MemorySize")))
sys.exit(1 if bad else 0)
EOF
}
expect "Domain properties match the guest (Name, UUID, State, AccessPath shm, OSType, PageMode ia32e, MemorySize, KernelVersion, WritesEnabled false)" props

# ------------------------------------------------------------ reads
# console_size: the console's length now; next_block OFFSET: waits (5 s at
# most) until the guest printed a whole VMI-PS block after OFFSET, so that
# a list taken at OFFSET is compared with the blocks just before and after
console_size() { stat -c %s "$HENV_CONSOLE"; }
next_block() {
    local i
    for ((i = 0; i < 50; i++)); do
        tail -c +"$(($1 + 1))" "$HENV_CONSOLE" | grep -q '^VMI-PS-END' && return 0
        sleep 0.1
    done
    return 0
}
ps_cli() {
    local off
    off=$(console_size)
    henv_virt_vmi --json ps "$HENV_DOMAIN" >"$W/ps.json" || return 1
    next_block "$off"
    "${CHECK[@]}" ps "$HENV_CONSOLE" "$off" "$W/ps.json"
}
expect "virt-vmi ps equals the guest's own process list (pid, comm; pid 0 first)" ps_cli

# Snapshot: an ELF core that libvmi's file driver opens, owned by the caller,
# mode 0600; its process list is the guest's
PROCLIST=$(henv_find_program vmi-process-list "" "${top_builddir:-}/examples/vmi-process-list")
dump_cli() {
    local off d=$W/dump f
    f=$d/guest.elf
    mkdir -p "$d"
    off=$(console_size)
    henv_virt_vmi dump "$HENV_DOMAIN" "$f" >"$W/dump.out" 2>&1 || { cat "$W/dump.out"; return 1; }
    echo "$(stat -c '%s bytes, owner %U, mode %a' "$f")"
    [ "$(stat -c '%U %a' "$f")" = "root 600" ] || { echo "not owned by the caller with mode 0600"; return 1; }
    head -c 4 "$f" | grep -q 'ELF' || { echo "not an ELF file"; return 1; }
    [ -n "$PROCLIST" ] || { echo "vmi-process-list not built"; return 1; }
    { echo "guest {"; grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"; echo "}"; } >"$d/libvmi.conf"
    LIBVMI_CONF=$d/libvmi.conf "$PROCLIST" --json "$f" >"$d/ps.json" || return 1
    next_block "$off"
    "${CHECK[@]}" ps "$HENV_CONSOLE" "$off" "$d/ps.json" || return 1
    rm -f "$f"
}
expect "virt-vmi dump: an ELF core (caller's, 0600) whose process list is the guest's" dump_cli

banner_cli() {
    henv_virt_vmi --json read "$HENV_DOMAIN" --symbol linux_banner --len 256 >"$W/banner.json" || return 1
    "${CHECK[@]}" banner "$HENV_CONSOLE" "$W/banner.json"
}
expect "virt-vmi read --symbol linux_banner shows the guest's banner" banner_cli

banner_text() {
    # the plain (hex dump) output shows the text too
    henv_virt_vmi read "$HENV_DOMAIN" --symbol linux_banner --len 64 >"$W/banner.txt" || return 1
    head -3 "$W/banner.txt"
    tr -d '\n' <"$W/banner.txt" | grep -q 'Linux version'
}
expect "virt-vmi read (hex dump) shows 'Linux version'" banner_text

symbol_cli() {
    local want got
    want=$("${CHECK[@]}" ksym "$HENV_CONSOLE" linux_banner) || { echo "no VMI-KSYM linux_banner on the console"; return 1; }
    henv_virt_vmi --json symbol "$HENV_DOMAIN" linux_banner >"$W/sym.json" || return 1
    got=$(python3 -c 'import json,sys; print(hex(int(json.load(open(sys.argv[1]))["va"], 0)))' "$W/sym.json")
    echo "guest $want, helper $got"
    [ "$((want))" = "$((got))" ]
}
expect "virt-vmi symbol linux_banner is the guest's own (KASLR) address" symbol_cli

regs_cli() {
    henv_virt_vmi --json regs "$HENV_DOMAIN" --vcpu 0 >"$W/regs.json" || return 1
    python3 - "$W/regs.json" <<'EOF'
import json, sys
r = {k: int(v, 0) for k, v in json.load(open(sys.argv[1]))["registers"].items()}
bad = [k for k in ("rip", "cr3", "rsp") if not r.get(k)]
print(f"rip={r.get('rip', 0):#x} cr3={r.get('cr3', 0):#x} ({len(r)} registers)")
if r.get("cr0", 0) & 0x80000000 == 0: bad.append("cr0.PG")
sys.exit(1 if bad else 0)
EOF
}
expect "virt-vmi regs: rip, rsp, cr3 set, paging on" regs_cli

if [ -x "$BENCH" ]; then
    expect "OpenMemory: a read-only fd whose bytes at linux_banner's pa equal ReadPhysical's" \
        "$BENCH" --address "$BUS_ADDR" --check-memory "$HENV_DOMAIN"
else
    skip_check "OpenMemory" "bench/vmi-bench-dbus is not built"
fi

# ------------------------------------------------------------ writes off
# (printf %u: gdbus wants the unsigned decimal; $((...)) would be negative)
banner_va=$(printf '%u' "$("${CHECK[@]}" ksym "$HENV_CONSOLE" linux_banner || echo 0)")
writes_refused() {
    local out rc=0
    out=$(henv_call "$PATH_DOM" "$DIFACE.$1" "${@:2}" 2>&1) || rc=$?
    echo "$out" | head -c 300
    [ $rc -ne 0 ] && grep -q 'org.libvmi.helper1.Error.WritesDisabled' <<<"$out"
}
expect "WriteVirtual is refused with WritesDisabled (writes off)" \
    writes_refused WriteVirtual "$banner_va" 0 "[byte 0x41]"
pa=$(henv_call "$PATH_DOM" $DIFACE.TranslateKernel "$banner_va" 2>/dev/null | grep -Eo '[0-9]+' | tail -1)
expect "WritePhysical is refused with WritesDisabled (writes off)" \
    writes_refused WritePhysical "${pa:-4096}" "[byte 0x41]"
expect "the banner is unchanged after the refused writes" banner_cli

# ------------------------------------------------------------ policy
users_ok=1
getent group "$GROUP" >/dev/null || groupadd --system "$GROUP" || users_ok=0
for u in "$MEMBER" "$OTHER"; do
    getent passwd "$u" >/dev/null ||
        useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$u" || users_ok=0
done
id -nG "$MEMBER" 2>/dev/null | tr ' ' '\n' | grep -qx "$GROUP" || usermod -a -G "$GROUP" "$MEMBER" || users_ok=0
if id -nG "$OTHER" 2>/dev/null | tr ' ' '\n' | grep -qx "$GROUP"; then gpasswd -d "$OTHER" "$GROUP" >/dev/null || users_ok=0; fi
# as USER ARGS...: a gdbus call to the helper as USER
as() {
    local user=$1
    shift
    runuser -u "$user" -- timeout 30 gdbus call --address "$BUS_ADDR" --dest org.libvmi.helper1 "$@"
}
denied_all() {
    local m out bad=0 n=0
    while IFS='|' read -r path method args; do
        n=$((n + 1))
        # shellcheck disable=SC2086 # args are words
        if out=$(as "$OTHER" --object-path "$path" --method "$method" $args 2>&1) ||
                ! grep -q 'org.freedesktop.DBus.Error.AccessDenied' <<<"$out"; then
            echo "not denied: $method: $(head -c 200 <<<"$out")"
            bad=1
        fi
    done <<EOF
$MANAGER|$MIFACE.ListDomains|
$MANAGER|org.freedesktop.DBus.Introspectable.Introspect|
$MANAGER|org.freedesktop.DBus.Properties.Get|$MIFACE Version
$MANAGER|org.freedesktop.DBus.ObjectManager.GetManagedObjects|
$PATH_DOM|org.freedesktop.DBus.Properties.GetAll|$DIFACE
$PATH_DOM|$DIFACE.ReadPhysical|4096 16
$PATH_DOM|$DIFACE.ReadVirtual|$banner_va 0 16
$PATH_DOM|$DIFACE.ReadSymbol|linux_banner 16
$PATH_DOM|$DIFACE.LookupSymbol|linux_banner
$PATH_DOM|$DIFACE.ListProcesses|
$PATH_DOM|$DIFACE.GetRegisters|0
$PATH_DOM|$DIFACE.TranslateKernel|$banner_va
$PATH_DOM|$DIFACE.OpenMemory|
$PATH_DOM|$DIFACE.Pause|
$PATH_DOM|$DIFACE.Resume|
$PATH_DOM|$DIFACE.Disable|
$PATH_DOM|$DIFACE.WriteVirtual|$banner_va 0 b'A'
$PATH_DOM|org.freedesktop.DBus.Peer.Ping|
EOF
    echo "$n methods tried"
    [ $bad = 0 ]
}
member_allowed() {
    as "$MEMBER" --object-path "$MANAGER" --method $MIFACE.ListDomains | grep -q "'$PATH_DOM'" ||
        { echo "ListDomains failed"; return 1; }
    local off
    off=$(console_size)
    as "$MEMBER" --object-path "$PATH_DOM" --method $DIFACE.ListProcesses >"$W/ps-member.txt" 2>&1 ||
        { head -c 300 "$W/ps-member.txt"; return 1; }
    next_block "$off"
    "${CHECK[@]}" ps-dbus "$HENV_CONSOLE" "$off" "$W/ps-member.txt"
}
virt_vmi_as() {
    local user=$1 want=$2 rc=0
    runuser -u "$user" -- "$VIRT_VMI_USER" --address "$BUS_ADDR" --no-direct ps "$HENV_DOMAIN" \
        >"$W/vv-$user.out" 2>&1 || rc=$?
    echo "exit $rc: $(head -c 200 "$W/vv-$user.out")"
    [ $rc -eq "$want" ]
}
member_dump() {
    local d=$W/member-dump rc=0 denied=/root/libvmi-member-dump.$$.elf
    mkdir -p "$d" && chown "$MEMBER" "$d" && chmod 0700 "$d" || return 1
    runuser -u "$MEMBER" -- "$VIRT_VMI_USER" --address "$BUS_ADDR" --no-direct dump "$HENV_DOMAIN" \
        "$denied" >"$W/md1.out" 2>&1 || rc=$?
    echo "into /root: exit $rc: $(head -c 200 "$W/md1.out")"
    [ $rc -eq 4 ] && [ ! -e "$denied" ] || { rm -f "$denied"; return 1; }
    rc=0
    runuser -u "$MEMBER" -- "$VIRT_VMI_USER" --address "$BUS_ADDR" --no-direct dump "$HENV_DOMAIN" \
        "$d/guest.elf" >"$W/md2.out" 2>&1 || rc=$?
    echo "into its own directory: exit $rc, $(stat -c '%U %a %s' "$d/guest.elf" 2>&1)"
    [ $rc -eq 0 ] && [ "$(stat -c '%U %a' "$d/guest.elf")" = "$MEMBER 600" ] || return 1
    rm -rf "$d"
}
if [ $users_ok = 1 ]; then
    expect "a user neither root nor in group libvmi is denied every method (AccessDenied)" denied_all
    expect "... and virt-vmi ps as that user exits 4 (access denied)" virt_vmi_as "$OTHER" 4
    expect "a member of group libvmi may call ListProcesses (= the guest's list)" member_allowed
    expect "... and virt-vmi ps as that member exits 0" virt_vmi_as "$MEMBER" 0
    expect "Snapshot as a member: refused (exit 4) into a directory the member cannot write, nothing created; created as the member's, mode 0600, in its own" member_dump
else
    skip_check "policy checks" "cannot create the test users or group (useradd/groupadd failed)"
fi

# ------------------------------------------------------------ introspection
# same_members WHAT IFACE WANT_FILE GOT_FILE
same_members() {
    if diff -u "$3" "$4" >"$W/members.diff"; then
        echo "$(grep -c . "$3") members"
    else
        sed -n '3,$p' "$W/members.diff"
        return 1
    fi
}
introspect_busctl() {
    local path=$1 iface=$2 xml=$3
    "${CHECK[@]}" members "$xml" "$iface" >"$W/want-$iface"
    busctl --address="$BUS_ADDR" introspect org.libvmi.helper1 "$path" >"$W/busctl-$iface.txt" || return 1
    "${CHECK[@]}" busctl-members "$iface" <"$W/busctl-$iface.txt" >"$W/got-$iface"
    same_members busctl "$iface" "$W/want-$iface" "$W/got-$iface"
}
introspect_gdbus() {
    local path=$1 iface=$2 xml=$3
    { "${CHECK[@]}" members "$xml" "$iface"; "${CHECK[@]}" doc-members "$xml" "$iface"; } |
        sort >"$W/want-g-$iface"
    gdbus introspect --address "$BUS_ADDR" --dest org.libvmi.helper1 --object-path "$path" \
        --xml >"$W/gdbus-$iface.xml" || return 1
    "${CHECK[@]}" gdbus-members "$iface" <"$W/gdbus-$iface.xml" | sort >"$W/got-g-$iface"
    same_members gdbus "$iface" "$W/want-g-$iface" "$W/got-g-$iface"
}
MXML=$top_srcdir/dbus/org.libvmi.helper1.Manager.xml
DXML=$top_srcdir/dbus/org.libvmi.helper1.Domain.xml
expect "busctl introspect: the manager has the documented Manager members" \
    introspect_busctl $MANAGER $MIFACE "$MXML"
expect "busctl introspect: the domain has the documented Domain members" \
    introspect_busctl "$PATH_DOM" $DIFACE "$DXML"
expect "gdbus introspect: the documented Manager members, with their doc strings" \
    introspect_gdbus $MANAGER $MIFACE "$MXML"
expect "gdbus introspect: the documented Domain members, with their doc strings" \
    introspect_gdbus "$PATH_DOM" $DIFACE "$DXML"
expect "the manager also implements org.freedesktop.DBus.ObjectManager" \
    grep -q '^org.freedesktop.DBus.ObjectManager ' "$W/busctl-$MIFACE.txt"
expect "busctl tree: one object per running domain" wait_for 5 tree_matches_running

# ------------------------------------------------------------ pause/resume
jiffies() {
    henv_virt_vmi --json read "$HENV_DOMAIN" --symbol jiffies --len 8 >"$W/jiffies.json" 2>"$W/jiffies.err" ||
        { cat "$W/jiffies.err" >&2; return 1; }
    "${CHECK[@]}" le64 "$W/jiffies.json"
}
ticks() { "${CHECK[@]}" tick-count "$HENV_CONSOLE"; }
pause_resume() {
    local j0 j1 j2 t0 t1 t2 st hp
    # the helper resumes a domain whose pausing caller left the bus: the
    # pause is held by a virt-vmi that stays connected (--hold, until its
    # stdin ends)
    rm -f "$W/hold"
    mkfifo "$W/hold"
    henv_virt_vmi pause --hold "$HENV_DOMAIN" <"$W/hold" >"$W/pause.out" 2>&1 &
    hp=$!
    exec 7>"$W/hold"
    wait_for 10 grep -q paused "$W/pause.out" || { cat "$W/pause.out"; exec 7>&-; return 1; }
    st=$(henv_vsh domstate "$HENV_DOMAIN")
    [ "$st" = paused ] || { echo "libvirt says '$st' after pause"; return 1; }
    wait_for 3 test "$(henv_prop "$PATH_DOM" $DIFACE State)" = 's "paused"' ||
        echo "State property: $(henv_prop "$PATH_DOM" $DIFACE State) (want \"paused\")"
    j0=$(jiffies) && t0=$(ticks) || return 1
    sleep 2.5
    j1=$(jiffies) && t1=$(ticks) || return 1
    henv_virt_vmi resume "$HENV_DOMAIN" || { exec 7>&-; return 1; }
    exec 7>&-
    wait "$hp" || { echo "virt-vmi pause --hold exited $?: $(cat "$W/pause.out")"; return 1; }
    sleep 2.5
    j2=$(jiffies) && t2=$(ticks) || return 1
    echo "paused: jiffies $j0 -> $j1, console ticks $t0 -> $t1; resumed: jiffies $j2, ticks $t2"
    [ "$j0" = "$j1" ] && [ "$t0" = "$t1" ] && [ "$j2" -gt "$j1" ] && [ "$t2" -gt "$t1" ] &&
        [ "$(henv_vsh domstate "$HENV_DOMAIN")" = running ] &&
        [ "$(henv_prop "$PATH_DOM" $DIFACE State)" = 's "running"' ]
}
expect "pause: the guest's jiffies and console ticks stop; resume: they go on" pause_resume

# ------------------------------------------------------------ watch
# jiffies is written at every tick the guest takes: a write watch on the
# guest's own kallsyms address must fire (through the gdbstub of --mode both)
watch_jiffies() {
    local va pa
    va=$("${CHECK[@]}" ksym "$HENV_CONSOLE" jiffies) || { echo "no VMI-KSYM jiffies on the console"; return 1; }
    pa=$(henv_call "$PATH_DOM" $DIFACE.TranslateKernel "$(printf '%u' "$va")" | grep -Eo '[0-9]+' | tail -1)
    timeout 60 "$VIRT_VMI" --address "$BUS_ADDR" --json watch "$HENV_DOMAIN" "$va" --access w \
        --count 2 --timeout 20 >"$W/watch.json" 2>"$W/watch.err" || { cat "$W/watch.err"; return 1; }
    head -2 "$W/watch.json"
    python3 - "$W/watch.json" "$va" "${pa:-0}" <<'EOF2'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
va, pa = int(sys.argv[2], 16), int(sys.argv[3])
bad = [e for e in ev if int(str(e["gla"]), 0) != va or e["access"] not in ("w", "rw")
       or (e.get("gpa") not in (None, "-") and int(str(e["gpa"]), 0) != pa)]
print(f"{len(ev)} events at jiffies {va:#x} (pa {pa:#x}); wrong: {bad}")
sys.exit(0 if len(ev) == 2 and not bad else 1)
EOF2
}
expect "virt-vmi watch: a write watch on the guest's jiffies fires (gla, gpa, access w)" watch_jiffies
ticks_go_on() {
    local t0
    t0=$(ticks)
    sleep 2.5
    [ "$(ticks)" -gt "$t0" ] && [ "$(henv_vsh domstate "$HENV_DOMAIN")" = running ]
}
expect "... and the guest runs on after the watch is removed" ticks_go_on

# ------------------------------------------------------------ libvirtd restart
if [ "$HENV_LIBVIRTD_OURS" = 1 ]; then
    # The helper may keep its objects while libvirtd is away: what counts is
    # that it connects to the new libvirtd and serves the domain from there.
    again="connected to $HENV_URI again"
    n_again=$(grep -c -- "$again" "$HENV_LOG")
    reconnected() { [ "$(grep -c -- "$again" "$HENV_LOG")" -gt "$n_again" ]; }
    t_r=$(henv_now_ms)
    if henv_restart_libvirtd; then
        echo "# libvirtd restarted (pid $HENV_LIBVIRTD_PID) in $(($(henv_now_ms) - t_r)) ms; domain: $(henv_vsh domstate "$HENV_DOMAIN")"
        expect "the helper connects to the restarted libvirtd (its log: '$again', 30 s)" \
            wait_for 30 reconnected
        republished() { listed && introspectable && henv_call "$PATH_DOM" "$DIFACE.LookupSymbol" linux_banner; }
        expect "after libvirtd restarts, the helper publishes the running domain, introspectable (10 s)" \
            wait_for 10 republished
        echo "# reconnected and republished $(($(henv_now_ms) - t_r)) ms after the restart began"
        expect "... and virt-vmi ps still equals the guest's list" ps_cli
        if [ "$HENV_HOOK" = 1 ]; then
            expect "the hook told the helper about 'reconnect' (libvirtd restarted with the domain running)" \
                wait_for 5 hook_logged reconnect
        fi
    else
        not_ok "restart libvirtd: $HENV_ERR"
    fi
else
    skip_check "libvirtd restart" "libvirtd was running before this test: not ours to restart"
fi

# ------------------------------------------------------------ destroy
# ... in the middle of a call: a dump of the whole guest (seconds) is
# running when the domain is destroyed
mid_file=$W/mid-call.elf
( rc=0; henv_virt_vmi dump "$HENV_DOMAIN" "$mid_file" >"$W/mid.out" 2>&1 || rc=$?
  echo $rc >"$W/mid.rc" ) {LV_LOCK_FD}>&- &
mid_pid=$!
HENV_BG_PIDS="$HENV_BG_PIDS $mid_pid"
sleep 0.3
henv_vsh destroy "$HENV_DOMAIN" >/dev/null
mid_call() {
    local i
    for ((i = 0; i < 300; i++)); do [ -s "$W/mid.rc" ] && break; sleep 0.1; done
    [ -s "$W/mid.rc" ] || { echo "the dump call has not returned 30 s after the destroy"; return 1; }
    local rc
    rc=$(cat "$W/mid.rc")
    echo "virt-vmi dump exit $rc: $(head -c 300 "$W/mid.out")"
    # exit 3 = the domain went away (DomainGone), and no partial file is
    # left: a snapshot given up with its domain is removed by its own
    # thread when that ends (within a bound, not at once)
    [ "$rc" = 3 ] && grep -q 'DomainGone\|UnknownObject\|not running' "$W/mid.out" || return 1
    for ((i = 0; i < 300; i++)); do [ -e "$mid_file" ] || return 0; sleep 0.1; done
    echo "$mid_file is still there 30 s after the call ended"
    return 1
}
mid_what="destroyed during a call (a dump): the call ends with a clear error, no partial file"
for ((i = 0; i < 300; i++)); do [ -s "$W/mid.rc" ] && break; sleep 0.1; done
if [ "$(cat "$W/mid.rc" 2>/dev/null)" = 0 ]; then
    skip_check "$mid_what" "the dump finished before the destroy: nothing to check"
else
    expect "$mid_what" mid_call
fi
wait "$mid_pid" 2>/dev/null || true
expect "virsh destroy removes the Domain object (5 s)" wait_for 5 not_listed
gone_error() {
    local out rc=0
    out=$(henv_call "$PATH_DOM" $DIFACE.ReadPhysical 4096 16 2>&1) || rc=$?
    echo "$out" | head -c 300
    [ $rc -ne 0 ] &&
        grep -Eq 'org\.freedesktop\.DBus\.Error\.UnknownObject|org\.libvmi\.helper1\.Error\.DomainGone' <<<"$out"
}
expect "a call on the removed object gets UnknownObject or DomainGone" gone_error
expect "busctl tree: one object per running domain, ours gone" wait_for 5 tree_matches_running
if [ "$HENV_HOOK" = 1 ]; then
    expect "the hook told the helper about 'stopped' (helper's log)" wait_for 5 hook_logged 'stopped|release'
else
    skip_check "the hook told the helper about 'stopped'" "$HENV_HOOK_REASON"
fi

# ------------------------------------------------------------ signals
sleep 0.3
kill "$MONITOR_PID" 2>/dev/null; wait "$MONITOR_PID" 2>/dev/null
# signal_seen TEXT...: one signal line of the monitor holds every TEXT
signal_seen() {
    local line t hit
    while IFS= read -r line; do
        hit=1
        for t in "$@"; do [[ $line == *"$t"* ]] || { hit=0; break; }; done
        [ $hit = 1 ] && { echo "${line:0:200}"; return 0; }
    done <"$W/monitor.log"
    echo "no signal with: $*"
    return 1
}
expect "signal Manager.DomainAdded for the domain on start" \
    signal_seen "$MIFACE.DomainAdded (" "'$PATH_DOM'" "'$HENV_DOMAIN'"
expect "signal ObjectManager.InterfacesAdded for the domain object" \
    signal_seen "org.freedesktop.DBus.ObjectManager.InterfacesAdded (" "'$PATH_DOM'" "$DIFACE"
expect "PropertiesChanged: Introspectable becomes true" \
    signal_seen "$PATH_DOM: org.freedesktop.DBus.Properties.PropertiesChanged (" "'Introspectable': <true>"
expect "PropertiesChanged: State 'paused' on Pause" \
    signal_seen "$PATH_DOM: org.freedesktop.DBus.Properties.PropertiesChanged (" "'State': <'paused'>"
expect "signal Manager.DomainRemoved for the domain on destroy" \
    signal_seen "$MIFACE.DomainRemoved (" "'$PATH_DOM'"
expect "signal ObjectManager.InterfacesRemoved for the domain object" \
    signal_seen "org.freedesktop.DBus.ObjectManager.InterfacesRemoved (" "'$PATH_DOM'"

# ------------------------------------------------------------ auto_enable
# Two more domains are defined (never started): the one whose name matches
# auto_enable gets introspection (shm) in its persistent XML from the
# helper; the other is left alone.
auto_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
EOF
}
auto_yes=$AUTO_PREFIX-$$ auto_no=libvmi-noauto-test-$$
auto_cleanup() { local d; for d in $auto_yes $auto_no; do henv_vsh undefine "$d" >/dev/null 2>&1 || true; done; }
auto_xml "$auto_yes" >"$W/auto-yes.xml"
auto_xml "$auto_no" >"$W/auto-no.xml"
auto_t0=$(date +%s%N)
echo "# $(date +%T.%N): defining $auto_no and $auto_yes"
if henv_vsh define "$W/auto-no.xml" >/dev/null && henv_vsh define "$W/auto-yes.xml" >/dev/null; then
    echo "# $(date +%T.%N): defined in $((($(date +%s%N) - auto_t0) / 1000000)) ms"
    henv_vsh dumpxml --inactive "$auto_no" >"$W/auto-no.defined.xml"
    auto_enabled() {
        henv_vsh dumpxml --inactive "$1" >"$W/auto-yes.now.xml" 2>/dev/null &&
            grep -q "http://libvmi.org/xmlns/helper/1.0" "$W/auto-yes.now.xml" &&
            grep -q "<access mode=.shared./>" "$W/auto-yes.now.xml"
    }
    expect "auto_enable: a newly defined domain matching '$AUTO_PREFIX-*' gets shm introspection (5 s)" \
        wait_for 5 auto_enabled "$auto_yes"
    sleep 0.5
    henv_vsh dumpxml --inactive "$auto_no" >"$W/auto-no.now.xml"
    expect "auto_enable: a domain that does not match is left as defined" \
        "${CHECK[@]}" xml-equal "$W/auto-no.defined.xml" "$W/auto-no.now.xml"
else
    not_ok "auto_enable: cannot define the test domains"
fi
auto_cleanup

# ------------------------------------------------------------ disable
rc=0
henv_virt_vmi disable "$HENV_DOMAIN" >"$W/disable.out" 2>&1 || rc=$?
henv_vsh dumpxml --inactive "$HENV_DOMAIN" >"$W/disabled.xml"
expect "virt-vmi disable succeeds" test $rc -eq 0
expect "virt-vmi disable restores the original persistent XML (canonical XML equal)" \
    "${CHECK[@]}" xml-equal "$HENV_ORIG_XML" "$W/disabled.xml"

if ! lv_alive "$HELPERD_PID"; then
    not_ok "vmi-helperd still runs at the end"
    tail -20 "$HENV_LOG" | sed 's/^/#   /'
fi
if grep -Eq 'CRITICAL|assertion|AddressSanitizer' "$HENV_LOG"; then
    not_ok "the helper's log has no criticals"
    grep -E 'CRITICAL|assertion|AddressSanitizer' "$HENV_LOG" | head -5 | sed 's/^/#   /'
fi
echo "# helper's log: $(wc -l <"$HENV_LOG") lines; done in $(elapsed)"
[ $fails -eq 0 ] || { echo "# last lines of the helper's log:"; tail -15 "$HENV_LOG" | sed 's/^/#   /'; }
echo "$passed passed, $fails failed, $skipped skipped"
echo "checks: $((passed + fails)) ran, $skipped skipped"
[ $fails -eq 0 ] || exit 1
exit 0
