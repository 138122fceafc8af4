#!/bin/bash
# Issue 8's fault proof on real parts (tests/faults/lib.sh: a real libvirtd,
# a private dbus-daemon, vmi-helperd, two rig guests A and B as libvirt
# domains).  A cycle injects a fault into A, checks its outcome, and checks
# that the helper still serves B correctly (ReadPhysical of B's kernel text
# equals B's RAM file; ReadVirtual of linux_banner equals B's console):
#   truncate   A's RAM file cut by 1 MiB under the helper's mapping (A paused,
#              then the file put back): reads past the end fail with one
#              clear error kind, the helper lives (LIBVMI_FAULT_CYCLES, 100)
#   gdbstub    a proxy in place of A's gdbstub socket (QEMU's renamed aside,
#              the helper restarted to connect through it) sends garbage
#              after a request (random bytes, a damaged packet, an
#              unterminated 256 KiB packet, an error reply, a run-length
#              bomb) or holds QEMU's answers for 8 s: GetRegisters on A ends
#              within 100 s with real registers or a clear error, B is
#              served meanwhile, A gives registers again once the stub
#              behaves
#   libvirtd   libvirtd restarted with an execute watch armed on A: both
#              domains come back, the watch is re-armed with its id
#   bus        the bus restarted: the helper exits 1 (its unit's
#              Restart=on-failure restarts it), restarted so, it publishes
#              both domains again
#   qemu-kill  QEMU of A SIGKILLed during ReadPhysical/ReadVirtual/Translate:
#              replies are the truth or DomainGone, the object goes
#   destroy    virsh destroy A during ListProcesses/GetRegisters/ReadVirtual
# The costly ones (gdbstub, libvirtd, bus, qemu-kill, destroy: a restart or a
# `virsh restore` of A per cycle) run as many cycles as fit in
# LIBVMI_FAULT_BUDGET_S (150 s, at least 3, at most LIBVMI_FAULT_CYCLES)
# and print the number.  LIBVMI_FAULT_PHASES picks phases (default: all, in
# the order above).  Needs root; exits 77 when the stack cannot be built.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faults/lib.sh
. "$HERE/lib.sh"
faults_setup
# shellcheck disable=SC2086
faults_run ${LIBVMI_FAULT_PHASES:-truncate gdbstub libvirtd bus qemu-kill destroy}
if [ "$checks_failed" -gt 0 ]; then
    echo "# the helper's log, last lines:"
    tail -30 "$HENV_LOG" | sed 's/^/#   /'
fi
checks_end test-faults
