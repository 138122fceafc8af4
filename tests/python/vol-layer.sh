#!/bin/bash
# Volatility 3 through vmi:// on the rig's amd64 snapshot
# (tests/python/test_vol.py VolSnapshot): the layer's bytes are the dump's,
# linux.pslist equals the guest's own process list and the plugin on the
# file itself (and on the ELF core, through vmi:///X.elf), a bad location
# is a clear error.
GUEST=amd64
. "$(dirname "$0")/../real/rig-env.sh"
. "$(dirname "$0")/lib.sh"
: "${VOLATILITY3_DIR:=$top_srcdir/../shared/third_party/volatility3}"
[ -e "$VOLATILITY3_DIR/vol.py" ] || VOLATILITY3_DIR=/work/shared/third_party/volatility3
if ! [ -e "$VOLATILITY3_DIR/vol.py" ]; then
    echo "SKIP: Volatility 3 not found (VOLATILITY3_DIR=$VOLATILITY3_DIR)"
    exit 77
fi
if ! "$PY" -c 'import pefile' 2>/dev/null; then
    echo "SKIP: $PY has no pefile module, which Volatility 3 needs (apt-get install python3-pefile)"
    exit 77
fi
export VOLATILITY3_DIR PY RIG_RAW RIG_ELF RIG_TRUTH RIG_SYSMAP RIG_KERNEL_DIR RIG_ZCONF
export LIBVMI_CONF=$RIG_CONF
py_checks "$work/py.log" test_vol.VolSnapshot
checks_end "Volatility 3 through vmi:// on the amd64 snapshot"
