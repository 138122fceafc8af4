# shellcheck shell=bash
# Shared by tests/faults/test-*.sh (sourced by bash): the helper stack of
# tests/helper/env.sh (a real libvirtd, a private dbus-daemon, vmi-helperd)
# with *two* rig guests as libvirt domains, A (the one faults are done to)
# and B (the other one, which must go on being served), both enabled with
# virt-vmi enable --mode both (shared RAM file + gdbstub) and booted to
# VMI-READY.  Then faults.py PHASE runs the cycles and prints TAP lines,
# counted here as tests/real/checks.sh does.
#
#   faults_setup          SKIPs (77) when the stack cannot be built
#   faults_run PHASE...   runs faults.py, counts its checks
#   faults_end NAME       the closing count line and the exit status
#
# faults.py starts its own daemons when a phase restarts them (libvirtd, the
# bus, the helper): it writes their pids to $HENV_WORK/pids, read back here,
# so that the cleanup stops what runs at the end, not what ran at the start.

FAULTS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HENV_DOMAIN=libvmi-fault-a
# shellcheck source=tests/helper/env.sh
. "$FAULTS_HERE/../helper/env.sh"
# shellcheck source=tests/real/checks.sh
. "$FAULTS_HERE/../real/checks.sh"
PY=/usr/bin/python3
FAULTS_B_DOMAIN=libvmi-fault-b
FAULTS_B_DEFINED=0

faults_cleanup() {
    local rc=$?
    faults_read_pids
    if [ "$FAULTS_B_DEFINED" = 1 ]; then
        virsh -q -c "$HENV_URI" destroy "$FAULTS_B_DOMAIN" >/dev/null 2>&1 || true
        virsh -q -c "$HENV_URI" undefine "$FAULTS_B_DOMAIN" >/dev/null 2>&1 || true
        rm -rf "/var/lib/libvirt/images/$FAULTS_B_DOMAIN" "/var/log/libvirt/qemu/$FAULTS_B_DOMAIN.log"
    fi
    rm -f "${HENV_WORK:-/nonexistent}"/*.save
    (exit $rc)
    henv_cleanup
}

# The daemons faults.py left running (it restarts libvirtd, the bus, the helper).
faults_read_pids() {
    local f=${HENV_WORK:-/nonexistent}/pids k v
    [ -f "$f" ] || return 0
    while IFS='=' read -r k v; do
        case $k in
            helperd) HELPERD_PID=$v ;;
            bus) BUS_PID=$v ;;
            libvirtd) HENV_LIBVIRTD_PID=$v ;;
        esac
    done <"$f"
}

# faults_define_b: the second guest, as henv_define_domain makes the first
faults_define_b() {
    local a_dom=$HENV_DOMAIN a_images=$HENV_IMAGES a_console=$HENV_CONSOLE a_uuid=$HENV_UUID
    local a_path=$HENV_PATH a_orig=$HENV_ORIG_XML
    HENV_DOMAIN=$FAULTS_B_DOMAIN
    HENV_IMAGES=/var/lib/libvirt/images/$FAULTS_B_DOMAIN
    HENV_CONSOLE=$HENV_IMAGES/console.log
    henv_define_domain >"$HENV_WORK/define-b.log" 2>&1 || { cat "$HENV_WORK/define-b.log"; return 1; }
    FAULTS_B_DEFINED=1
    B_UUID=$HENV_UUID B_PATH=$HENV_PATH B_CONSOLE=$HENV_CONSOLE
    HENV_DOMAIN=$a_dom HENV_IMAGES=$a_images HENV_CONSOLE=$a_console HENV_UUID=$a_uuid
    HENV_PATH=$a_path HENV_ORIG_XML=$a_orig
    # henv_define_domain's own flag stays A's (its cleanup undefines A)
    HENV_DEFINED=1
    # B's entries in the helper's libvmi.conf (read at each open)
    local n
    for n in "$FAULTS_B_DOMAIN" "$B_UUID"; do
        {
            echo "$n {"
            grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
            echo "}"
        } >>"$HENV_LIBVMI_CONF"
    done
}

faults_start_b() {
    local i
    rm -f "$B_CONSOLE"
    virsh -q -c "$HENV_URI" start "$FAULTS_B_DOMAIN" >"$HENV_WORK/start-b.log" 2>&1 ||
        { cat "$HENV_WORK/start-b.log"; return 1; }
    for ((i = 0; i < 3600; i++)); do
        grep -q '^VMI-READY' "$B_CONSOLE" 2>/dev/null && return 0
        sleep 0.05
    done
    tail -5 "$B_CONSOLE" 2>/dev/null
    return 1
}

faults_setup() {
    henv_setup
    trap faults_cleanup EXIT
    faults_define_b || { echo "FAIL: cannot define the second domain"; exit 1; }
    local d
    for d in "$HENV_DOMAIN" "$FAULTS_B_DOMAIN"; do
        henv_virt_vmi enable "$d" --mode both >"$HENV_WORK/enable-$d.out" 2>&1 ||
            { cat "$HENV_WORK/enable-$d.out"; echo "FAIL: virt-vmi enable $d"; exit 1; }
    done
    # both boot at once (TCG: about 10 s each on an idle machine)
    henv_start_domain >"$HENV_WORK/boot-a.log" 2>&1 &
    local boot_a=$!
    faults_start_b || { echo "FAIL: $FAULTS_B_DOMAIN did not boot to VMI-READY"; exit 1; }
    wait $boot_a || { cat "$HENV_WORK/boot-a.log"; echo "FAIL: $HENV_DOMAIN did not boot"; exit 1; }
    export FAULTS_WORK=$HENV_WORK BUS_ADDR HENV_URI HENV_LOG HELPERD VIRT_VMI
    export FAULTS_A_NAME=$HENV_DOMAIN FAULTS_A_UUID=$HENV_UUID FAULTS_A_PATH=$HENV_PATH
    export FAULTS_A_CONSOLE=$HENV_CONSOLE
    export FAULTS_B_NAME=$FAULTS_B_DOMAIN FAULTS_B_UUID=$B_UUID FAULTS_B_PATH=$B_PATH
    export FAULTS_B_CONSOLE=$B_CONSOLE
    export FAULTS_HELPERD_CONF=$HENV_HELPERD_CONF FAULTS_BUS_PID=$BUS_PID
    export FAULTS_HELPERD_PID=$HELPERD_PID FAULTS_LIBVIRTD_OURS=$HENV_LIBVIRTD_OURS
    export FAULTS_LIBVIRTD_PID=$HENV_LIBVIRTD_PID
    export FAULTS_BUS_CONF=$HENV_WORK/bus.conf
    export FAULTS_SRC=$top_srcdir FAULTS_LIBVMI_CONF=$HENV_LIBVMI_CONF RIG_RAW RIG_CONF
    echo "# two guests up: $HENV_DOMAIN ($HENV_UUID) and $FAULTS_B_DOMAIN ($B_UUID); bus $BUS_ADDR, helper pid $HELPERD_PID"
}

# faults_run PHASE...: faults.py's TAP lines on stdout, counted
faults_run() {
    local out=$HENV_WORK/faults-$1.tap rc=0
    # (the lock's descriptor stays with this shell: the daemons faults.py
    # starts must not hold it)
    # (FAULTS_PY: another copy, e.g. one broken on purpose to see a check fail)
    "$PY" "${FAULTS_PY:-$FAULTS_HERE/faults.py}" "$@" {LV_LOCK_FD}>&- 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    faults_read_pids
    count_tap "$out"
    if ! grep -qE '^(not )?ok ' "$out" && ! grep -q '^# SKIP' "$out"; then
        nok "faults.py $* printed no check (exit $rc)"
    fi
}
