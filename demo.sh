#!/bin/bash
# The demo: build libvmi, boot the demo guest (Debian 12's kernel under QEMU,
# KASLR on), list its processes from a snapshot, then live from the running
# guest's shared RAM file while the guest keeps running, then the whole host
# path: the guest as a libvirt domain, vmi-helperd on D-Bus, virt-vmi on it.
# As root on Debian 12.
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

"$rig" stop "$run" >/dev/null 2>&1 || true

echo
echo "== the host helper: the demo guest as a libvirt domain, vmi-helperd on a private bus, virt-vmi"
if [ ! -x "$build/helper/vmi-helperd" ]; then
    echo "(not built: configure found no libvirt-glib / gio; see ./configure --help)"
    exit 0
fi
rc=0
(
    set -euo pipefail
    export top_srcdir=$src top_builddir=$build
    export HENV_DOMAIN=libvmi-demo
    # shellcheck source=tests/helper/env.sh
    . "$src/tests/helper/env.sh"
    henv_setup
    vv() { echo "\$ virt-vmi $*"; henv_virt_vmi "$@"; }
    vv enable "$HENV_DOMAIN" --mode shm
    echo "\$ virsh start $HENV_DOMAIN"
    henv_start_domain
    # the helper publishes the domain when it starts, and makes it
    # introspectable as soon as the guest's kernel is found
    for ((i = 0; i < 100; i++)); do
        [ "$(henv_virt_vmi --json info "$HENV_DOMAIN" 2>/dev/null | jq -r .Introspectable 2>/dev/null)" = true ] && break
        sleep 0.1
    done
    vv list
    vv info "$HENV_DOMAIN"
    vv ps "$HENV_DOMAIN"
    vv read "$HENV_DOMAIN" --symbol linux_banner --len 96
    echo "\$ busctl tree org.libvmi.helper1"
    busctl --address="$BUS_ADDR" tree org.libvmi.helper1
    echo "(vmi-helperd's log: what it did)"
    grep -E "published|introspectable|hook:" "$HENV_LOG" | sed 's/^/  /'
) || rc=$?
if [ $rc -eq 77 ]; then
    echo "(the helper part cannot run here; the reason is above)"
elif [ $rc -ne 0 ]; then
    exit $rc
fi
