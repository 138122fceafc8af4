#!/bin/bash
# virt-vmi enable/disable/list against a real libvirtd, on a domain that is
# defined and never started: enable writes the memory backing, the gdbstub
# (qemu:commandline) and our <vmi:introspection> metadata into the
# persistent XML and keeps the rest (other metadata); enabling again changes
# nothing; disable gives back the original XML (compared after
# canonicalisation: whitespace-only text dropped, attributes sorted).
# A libvirtd that is not running is started here (as tests/real/live-libvirt.sh
# does) and stopped at the end; the test domain is undefined. Needs root.
set -u
srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$srcdir}
VIRT_VMI=${VIRT_VMI:-$top_builddir/helper/virt-vmi}
skip() { echo "SKIP: $*"; exit 77; }

[ -x "$VIRT_VMI" ] || skip "virt-vmi is not built ($VIRT_VMI)"
[ "$(id -u)" -eq 0 ] || skip "needs root (starts libvirtd, defines a domain)"
for tool in libvirtd virtlogd virsh python3 jq; do
    command -v $tool >/dev/null 2>&1 || skip "'$tool' is not installed"
done
emulator=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed"

uri=qemu:///system
name=virt-vmi-test-$$
work=$(mktemp -d /tmp/virt-vmi-libvirt.XXXXXX)
vsh() { timeout 60 virsh -q -c "$uri" "$@"; }
passed=0 fails=0 skipped=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
# a check that cannot run here: a skip in the closing count, never a pass
skip_check() { echo "# SKIP ${3:-1} check(s): $1: $2"; skipped=$((skipped + ${3:-1})); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
jqok() { jq -e "$@" >/dev/null; }

. "$srcdir/tests/libvirtd.sh"
lv_lock 900 || skip "another libvirt test holds $LV_LOCK"
defined=""
# virt-vmi enable (root) makes the default gdbstub socket directory: taken
# away again, when empty, if it was not there before
gdb_dir=/var/lib/libvirt/qemu/libvmi gdb_dir_was=0
[ ! -d "$gdb_dir" ] || gdb_dir_was=1
cleanup() {
    [ -z "$defined" ] || vsh undefine "$name" >/dev/null 2>&1 || true
    [ "$gdb_dir_was" = 1 ] || rmdir "$gdb_dir" 2>/dev/null || true
    # only the daemons this script started
    lv_stop "$LV_LIBVIRTD_PID"
    lv_stop "$LV_VIRTLOGD_PID"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! vsh uri >/dev/null 2>&1; then
    lv_start "$uri" "$work" || skip "$LV_ERR"
    echo "# libvirtd started by this test"
fi

cat >"$work/domain.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <metadata>
    <app1:note xmlns:app1="http://example.org/app1/">keep me</app1:note>
  </metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>$emulator</emulator></devices>
</domain>
EOF
vsh define "$work/domain.xml" >/dev/null 2>"$work/define.err" ||
    skip "libvirt cannot define a qemu domain here: $(tail -1 "$work/define.err")"
defined=1
uuid=$(vsh domuuid "$name")
dumpxml() { vsh dumpxml --inactive --security-info "$name"; }
dumpxml >"$work/orig.xml"

# same_xml A B: equal after canonicalisation
same_xml() {
    python3 - "$1" "$2" <<'EOF'
import sys
import xml.etree.ElementTree as ET
def canon(e):
    text = (e.text or "").strip()
    return (e.tag, sorted(e.attrib.items()), text, [canon(c) for c in e])
a, b = (canon(ET.parse(p).getroot()) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
EOF
}
# has_xpath FILE EXPR: ElementTree path with the namespaces below is found
has() {
    python3 - "$1" "$2" <<'EOF'
import sys
import xml.etree.ElementTree as ET
ns = {"qemu": "http://libvirt.org/schemas/domain/qemu/1.0",
      "vmi": "http://libvmi.org/xmlns/helper/1.0",
      "app1": "http://example.org/app1/"}
root = ET.parse(sys.argv[1]).getroot()
sys.exit(0 if root.findall(sys.argv[2], ns) else 1)
EOF
}
vv() {
    rc=0
    timeout 60 "$VIRT_VMI" -c "$uri" --no-direct "$@" >"$work/out" 2>"$work/err" || rc=$?
}
expect() {
    local what=$1 code=$2
    shift 2
    vv "$@"
    if [ "$rc" -eq "$code" ]; then ok "$what (exit $code)"; else not_ok "$what: exit $rc: $(cat "$work/err")"; fi
}

# ---------------------------------------------------------------- enable
expect "enable --mode both on a defined domain" 0 enable "$name" --mode both
check "enable: says it takes effect at next start" grep -q "takes effect the next time the domain starts" "$work/out"
dumpxml >"$work/enabled.xml"
check "enable: memoryBacking source file" has "$work/enabled.xml" "./memoryBacking/source[@type='file']"
check "enable: memoryBacking shared" has "$work/enabled.xml" "./memoryBacking/access[@mode='shared']"
check "enable: qemu:commandline" has "$work/enabled.xml" "./qemu:commandline/qemu:arg"
check "enable: vmi:introspection metadata" has "$work/enabled.xml" "./metadata/vmi:introspection"
check "enable: other metadata kept" has "$work/enabled.xml" "./metadata/app1:note"

expect "enable again" 0 enable "$name" --mode both
check "enable again: nothing changed (said)" grep -q "already enabled" "$work/out"
dumpxml >"$work/enabled2.xml"
check "enable again: XML unchanged" cmp -s "$work/enabled.xml" "$work/enabled2.xml"

expect "list --json" 0 --json list
check "list: the domain, shut off, shm+gdbstub in its XML" \
    jqok --arg n "$name" '.[] | select(.name == $n) | .state == "shutoff" and .xml_introspection == "shm+gdbstub" and .persistent == true and .path == null' "$work/out"

# --------------------------------------------------------------- disable
expect "disable" 0 disable "$name"
dumpxml >"$work/disabled.xml"
check "disable: the original XML, semantically" same_xml "$work/orig.xml" "$work/disabled.xml"
expect "disable again" 0 --json disable "$name"
check "disable again: nothing changed" jqok '.changed == false' "$work/out"

# a --socket-dir that does not exist is made (by root: for QEMU's user)
sock_dir=$work/gdb/sockets
expect "enable --mode gdbstub --socket-dir DIR (missing)" 0 enable "$name" --mode gdbstub --socket-dir "$sock_dir"
if [ "$(id -u)" = 0 ] && id libvirt-qemu >/dev/null 2>&1; then
    check "enable: made the socket directory, 0700, owned by libvirt-qemu" \
        test "$(stat -c '%a %U' "$sock_dir" 2>&1)" = "700 libvirt-qemu"
    check "enable: says it made the directory" grep -q "Made the gdbstub socket directory $sock_dir" "$work/out"
else
    skip_check "enable: made the socket directory, owned by libvirt-qemu" "not root, or no user libvirt-qemu" 2
fi
dumpxml >"$work/gdb.xml"
check "enable: the gdbstub socket in DIR" grep -q "unix:$sock_dir/" "$work/gdb.xml"
expect "disable (gdbstub)" 0 disable "$name"

# a --socket-dir others can reach is refused, and the XML is not changed
mkdir "$work/open" && chmod 0777 "$work/open"
dumpxml >"$work/before-open.xml"
expect "enable --mode gdbstub --socket-dir DIR (mode 0777): refused" 1 enable "$name" --mode gdbstub --socket-dir "$work/open"
check "refused: the directory and the reason named" grep -q "directory '$work/open' is not safe: it gives every user access (mode 0777)" "$work/err"
dumpxml >"$work/after-open.xml"
check "refused: the XML is unchanged" cmp -s "$work/before-open.xml" "$work/after-open.xml"

# by UUID, another mode, JSON
expect "enable by UUID --mode shm --json" 0 --json enable "$uuid" --mode shm
check "enable --json" jqok --arg n "$name" '.domain == $n and .introspection == "shm" and .changed == true and .active == false' "$work/out"
dumpxml >"$work/shm.xml"
check "enable shm: no qemu:commandline" bash -c "! python3 - '$work/shm.xml' <<'EOF'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
sys.exit(0 if r.findall('./{http://libvirt.org/schemas/domain/qemu/1.0}commandline') else 1)
EOF"
expect "disable by UUID" 0 disable "$uuid"
dumpxml >"$work/disabled2.xml"
check "disable by UUID: the original XML" same_xml "$work/orig.xml" "$work/disabled2.xml"

expect "enable an undefined domain" 3 enable "no-such-domain-$$"
check "undefined domain: named" grep -q "domain 'no-such-domain-$$' is not defined" "$work/err"

echo "$passed passed, $fails failed, $skipped skipped"
echo "checks: $((passed + fails)) ran, $skipped skipped"
[ "$fails" -eq 0 ]
