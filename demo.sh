#!/bin/bash
# The demo: build libvmi, boot the demo guest (Debian 12's kernel under QEMU,
# KASLR on), list its processes from a snapshot, then live from the running
# guest's shared RAM file while the guest keeps running.  As root on Debian 12.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
build=$src/build
"$src/tests/install-deps.sh"
cd "$src"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build" && cd "$build"
[ -f Makefile ] || "$src/configure" >/dev/null
echo "== building"
make -j"$(nproc)" >/dev/null
rig=$src/tests/rig/rig.sh

echo "== the demo guest (first run: downloads Debian's kernel, boots it, takes snapshots)"
eval "$("$rig" env amd64)"
export LIBVMI_CONF=$RIG_CONF
echo "== processes of the snapshot $RIG_ELF"
"$build/examples/vmi-process-list" --verbose "$RIG_ELF"
echo
echo "== the guest's banner, read by kernel symbol (KASLR slide found automatically)"
"$build/examples/vmi-map-symbol" --string --len 0 "$RIG_ELF" linux_banner

echo
echo "== live: booting the guest and reading it while it runs (QMP finds its shared RAM file)"
run=$(mktemp -d /tmp/libvmi-demo.XXXXXX)
trap '"$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
"$rig" boot amd64 "$run"
# the live guest's configuration: the snapshot's symbols and offsets, and its sockets
{
    echo "demo-live {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\";"
    echo "    gdb = \"$run/gdb.sock\";"
    echo "}"
} >"$run/libvmi.conf"
LIBVMI_CONF=$run/libvmi.conf "$build/examples/vmi-process-list" --verbose demo-live
echo
echo "(the guest kept running; its console: $run/console.log)"
