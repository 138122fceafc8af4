#!/bin/bash
# The Python binding (module libvmi) on the rig's amd64 snapshots, with the
# guest's own truth (truth/ps.txt, kallsyms, banner, argv addresses,
# registers) and the dump file's bytes as the reference; plus the binding's
# structure layouts against the C headers (test_layout).
GUEST=amd64
. "$(dirname "$0")/../real/rig-env.sh"
. "$(dirname "$0")/lib.sh"
export RIG_RAW RIG_ELF RIG_TRUTH RIG_CONF RIG_KALLSYMS RIG_SYSMAP
export LIBVMI_CONF=$RIG_CONF
py_checks_modes "$work/py.log" test_snapshot
checks_end "python on the amd64 snapshot"
