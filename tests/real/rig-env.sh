# Sourced by the real-guest tests with GUEST set: sets up $work (removed at
# exit), $rig, $bin, the guest's RIG_* variables (see tests/rig/rig.sh env)
# and the counting of checks (checks.sh).  Exits 77 (SKIP, with the reason)
# when the guest cannot be had here.
set -euo pipefail
# shellcheck source=tests/real/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
rig=$top_srcdir/tests/rig/rig.sh
bin=$top_builddir/examples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rig_rc=0
rig_env=$("$rig" env "$GUEST" 2>"$work/rig.err") || rig_rc=$?
if [ $rig_rc -eq 77 ]; then
    echo "SKIP: $GUEST guest not available: $(tail -1 "$work/rig.err")"
    exit 77
elif [ $rig_rc -ne 0 ]; then
    cat "$work/rig.err" >&2
    echo "FAIL: could not build the $GUEST guest (rig exit $rig_rc)"
    exit 1
fi
eval "$rig_env"
