#!/bin/bash
# The helper's bench (issue 4): the environment of tests/helper/env.sh
# (libvirtd, hook, private bus, vmi-helperd, the rig's amd64 guest as a
# libvirt domain with introspection enabled in shm mode), then
# bench/vmi-bench-dbus against it: a 4 KiB ReadVirtual round trip vs a
# no-op (Peer.Ping) of the same helper, and OpenMemory bulk reads vs memcpy
# from an mmap of the same file; and how long after the guest's VMI-READY
# line its Domain object becomes Introspectable; then the cost of the
# helper's per-call cache flushes (defect 2: no translation or pid lookup
# outlives a call): reads and translations per second of the helper as it
# is, then of a helper started with the bench-only
# VMI_HELPERD_BENCH_KEEP_CACHES=1 (the library's caches kept between calls,
# never for production), and the ratio. Prints the figures; asserts
# nothing. BENCH_RATES_ONLY=1: the cache figures alone.
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
[ "${BENCH_RATES_ONLY:-0}" = 1 ] || "$BENCH" --address "$BUS_ADDR" "$@" "$HENV_DOMAIN"

# The per-call cache flushes: the same calls with the caches kept.
rates() { "$BENCH" --address "$BUS_ADDR" --rounds "${BENCH_RATE_ROUNDS:-3000}" --rates "$HENV_DOMAIN"; }
introspectable_within() {
    local i
    for ((i = 0; i < 600; i++)); do
        [ "$(henv_prop "$HENV_PATH" org.libvmi.helper1.Domain Introspectable)" = "b true" ] && return 0
        sleep 0.1
    done
    return 1
}
flushed=$(rates) || { echo "FAIL: vmi-bench-dbus --rates"; exit 1; }
kill "$HELPERD_PID"; wait "$HELPERD_PID" 2>/dev/null
VMI_HELPERD_BENCH_KEEP_CACHES=1 henv_start_helperd || { echo "FAIL: the helper does not restart"; exit 1; }
introspectable_within || { echo "FAIL: not introspectable after the restart"; exit 1; }
kept=$(rates) || { echo "FAIL: vmi-bench-dbus --rates (caches kept)"; exit 1; }
python3 - "$flushed" "$kept" <<'PY'
import re, sys
f, k = ([float(x) for x in re.findall(r"=([0-9.]+)/s", a)] for a in sys.argv[1:3])
print("per-call cache flushes (calls per second, one after the other, over the bus):")
print("  %-34s %10s %10s %8s" % ("", "flushed", "kept", "kept/flushed"))
for name, a, b in zip(("ReadVirtual 4 KiB (pid 0)", "TranslateKernel"), f, k):
    print("  %-34s %10.0f %10.0f %8.3f" % (name, a, b, b / a))
PY
