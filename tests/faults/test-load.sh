#!/bin/bash
# Issue 8's load proof: LIBVMI_LOAD_CLIENTS (32) concurrent clients, each
# its own bus connection, LIBVMI_LOAD_CALLS (600) calls per round, two
# rounds, mixed over ReadPhysical, ReadVirtual, TranslateKernel,
# LookupSymbol, ListProcesses and Watch/Unwatch, on both rig guests at once
# (tests/faults/lib.sh).  Every reply is checked against the guest it was
# asked about: its RAM file's bytes, its console's VMI-KSYM addresses,
# banner and sentinel processes; none lost, none mixed up; the helper's RSS
# after each round (no growth in the second beyond 16 MiB); latency
# percentiles printed (figures, not checks).  Needs root; 77 when the stack
# cannot be built.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faults/lib.sh
. "$HERE/lib.sh"
faults_setup
faults_run load
checks_end test-load
