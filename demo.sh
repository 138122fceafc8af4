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
"$build/examples/vmi-process-list" "$RIG_ELF"
echo
echo "== the guest's banner, read by kernel symbol (KASLR slide found automatically)"
"$build/examples/vmi-map-symbol" --string --len 0 "$RIG_ELF" linux_banner

echo
echo "== live: booting the guest and reading its shared RAM file while it runs"
run=$(mktemp -d /tmp/libvmi-demo.XXXXXX)
trap '"$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
"$rig" boot amd64 "$run"
ram=$(ls "$run"/*.file 2>/dev/null | head -1 || true)
[ -n "$ram" ] || ram=$run/ram.file
# the live guest's configuration: the snapshot's entry, under the RAM file's name
sed "1s/^[^ {]*/$(basename "${ram%.*}")/" "$RIG_CONF" >"$run/libvmi.conf"
LIBVMI_CONF=$run/libvmi.conf "$build/examples/vmi-process-list" "$ram"
echo
echo "(read from $ram while the guest ran; its console: $run/console.log)"
