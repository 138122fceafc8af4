#!/bin/bash
# Issue 8's scale proof: the helper follows the two rig guests
# (tests/faults/lib.sh) and LIBVMI_SCALE_DOMAINS (200) more running domains
# of libvirt's test driver (test:///FILE, in the helper's process), each
# opened by libvmi as the rig's raw snapshot, so each is an introspectable
# domain nobody calls.  Printed: RSS per idle domain (all and anonymous),
# threads per domain, the helper's wake-ups per second when idle (context
# switches of all its threads over LIBVMI_SCALE_IDLE_S, 10 s), without and
# with the 200.  Checked: the guests are still served right; an idle domain
# costs no polling (wake-ups/s with the 200 at most twice those without
# + 20: a generous margin, no timing).  Needs root; 77 when the stack
# cannot be built.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/faults/lib.sh
. "$HERE/lib.sh"
faults_setup
faults_run scale
checks_end test-scale
