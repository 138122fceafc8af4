#!/bin/bash
# The helper's bench (issue 4): the environment of tests/helper/env.sh
# (libvirtd, hook, private bus, vmi-helperd, the rig's amd64 guest as a
# libvirt domain with introspection enabled in shm mode), then
# bench/vmi-bench-dbus against it: a 4 KiB ReadVirtual round trip vs a
# no-op (Peer.Ping) of the same helper, and OpenMemory bulk reads vs memcpy
# from an mmap of the same file; and how long after the guest's VMI-READY
# line its Domain object becomes Introspectable. Prints the figures;
# asserts nothing.
#
#   make bench-helper                       (from the build directory), or
#   top_srcdir=SRC top_builddir=BUILD tests/helper/bench.sh [BENCH ARGS...]
#
# Needs root. Exit 77 (with the reason) when the environment cannot be had.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/helper/env.sh
. "$HERE/env.sh"
BENCH=${VMI_BENCH_DBUS:-${top_builddir:-.}/bench/vmi-bench-dbus}
[ -x "$BENCH" ] || henv_skip "bench/vmi-bench-dbus is not built (top_builddir=${top_builddir:-unset})"

henv_setup
henv_virt_vmi enable "$HENV_DOMAIN" --mode shm >/dev/null || { echo "FAIL: virt-vmi enable"; exit 1; }
henv_start_domain || { echo "FAIL: the domain does not boot"; exit 1; }
t_intro=
for ((i = 0; i < 200; i++)); do
    if [ "$(henv_prop "$HENV_PATH" org.libvmi.helper1.Domain Introspectable)" = "b true" ]; then
        t_intro=$(henv_now_ms)
        break
    fi
    sleep 0.05
done
echo "# $(uname -r), $(nproc) CPUs; guest: TCG, 512 MiB, 1 vCPU; bus: private dbus-daemon"
if [ -n "$t_intro" ]; then
    echo "Introspectable after the guest's VMI-READY: $((t_intro - HENV_T_READY)) ms (polled every ~50 ms)"
else
    echo "Introspectable after the guest's VMI-READY: not within 10 s"
fi
"$BENCH" --address "$BUS_ADDR" "$@" "$HENV_DOMAIN"
