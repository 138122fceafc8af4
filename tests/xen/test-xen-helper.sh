#!/bin/bash
# The helper's part of the Xen acceptance test alone (tests/xen/helper-run.sh as
# the payload): a quicker run than test-xen-accept.sh, not in TESTS.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/_b}"
. "$top_srcdir"/tests/xen/lib.sh
. "$top_srcdir"/tests/xen/helper-payload.sh

m=$(helper_missing); [ -z "$m" ] || { echo "SKIP: $m"; exit 77; }
have_xen_dev || { echo "SKIP: libxen-dev not installed"; exit 77; }
mkdir -p $work/payload
helper_payload $work/payload || exit 1
printf '#!/bin/sh\nexec /payload/helper-run.sh\n' > $work/payload/run.sh; chmod +x $work/payload/run.sh

out=$work/out
run_rig "$work/payload" "$out" || nok "rig: Xen, dom0 and both domUs up, payload finished"
count_xen_tests "$out/results.txt"
helper_results $out
checks_end test-xen-helper
