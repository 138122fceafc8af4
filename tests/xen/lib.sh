# shellcheck shell=bash
# Shared by the Xen rig tests (sourced): the paths, a work dir, the counting
# of tests/real/checks.sh, and run_rig (boot the rig with a payload).
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/_b}"
: "${CC:=cc}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
xen_rig=$top_srcdir/tests/xen/xen-rig.sh
. "$top_srcdir/tests/real/checks.sh"
work=$(mktemp -d /tmp/libvmi-xen-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

xen_libs="xencontrol xenforeignmemory xenstore"
have_xen_dev() { pkg-config --exists $xen_libs 2>/dev/null; }

# run_rig PAYLOAD OUT: the rig with PAYLOAD; exits 77 (SKIP, with the
# reason) when a download is missing; returns the rig's status otherwise
run_rig() {
    local rc=0
    "$xen_rig" run "$1" "$2" >"$work/rig.out" 2>&1 || rc=$?
    sed 's/^/# /' "$work/rig.out"
    if [ $rc -eq 77 ]; then
        echo "SKIP: the Xen rig is unavailable: $(grep -m1 SKIP "$work/rig.out" || echo 'a download failed')"
        exit 77
    fi
    [ -f "$2/times.txt" ] && sed 's/^/# time: /' "$2/times.txt"
    return $rc
}

# count_xen_tests FILE: the XEN-TEST lines of the payload as checks
count_xen_tests() {
    local l
    while IFS= read -r l; do
        case $l in
        "XEN-TEST ok - "*) ok "${l#XEN-TEST ok - }" ;;
        "XEN-TEST not ok - "*) nok "${l#XEN-TEST not ok - }" ;;
        "XEN-TEST skip - "*) skip_check "${l#XEN-TEST skip - }" "(see the line)" ;;
        "XEN-TEST "*) echo "# ${l#XEN-TEST }" ;;
        esac
    done <"$1"
}
