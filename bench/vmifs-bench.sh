#!/bin/bash
# vmifs benchmark (reports, asserts nothing): sequential reads of a live
# guest's mem through vmifs in 1 MiB blocks, against dd of the guest's
# shared RAM file (the same bytes, read straight from the page cache) in
# the same run, rounds interleaved.  The first read through vmifs is
# reported apart: it faults libvmi's mapping of the RAM file in.
#   bench/vmifs-bench.sh [BUILDDIR]     (make bench-vmifs)
# Boots the rig's amd64 guest; needs root, /dev/fuse and fusermount3.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/_b}" && pwd)
vmifs=$build/vmifs/vmifs
rig=$src/tests/rig/rig.sh
ROUNDS=${ROUNDS:-5}
[ -x "$vmifs" ] || { echo "vmifs-bench: $vmifs is not built"; exit 1; }
[ -c /dev/fuse ] && command -v fusermount3 >/dev/null || { echo "vmifs-bench: needs /dev/fuse and fusermount3"; exit 1; }
eval "$("$rig" env amd64)"
work=$(mktemp -d /tmp/vmifs-bench.XXXXXX)
run=$work/run mnt=$work/mnt
mkdir -p "$mnt"
cleanup() { fusermount3 -u -z "$mnt" 2>/dev/null || true; "$rig" stop "$run" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"$rig" boot amd64 "$run" >/dev/null
{
    echo "live {"
    grep -E '^ *(ostype|sysmap|linux_[a-z]+) *=' "$RIG_CONF"
    echo "    qmp = \"$run/qmp.sock\";"
    echo '    kvm_access = "shm";'
    echo "}"
} >"$work/libvmi.conf"
LIBVMI_CONF=$work/libvmi.conf "$vmifs" live "$mnt"

# rate FILE [dd args]: MB/s of one sequential read of FILE in 1 MiB blocks
rate() {
    local f=$1 t0 t1 bytes
    shift
    t0=$(date +%s%N)
    bytes=$(dd if="$f" bs=1M "$@" status=none | wc -c)
    t1=$(date +%s%N)
    echo $((bytes * 1000 / ((t1 - t0) / 1000 + 1)))   # bytes per ms = kB/s... as MB/s below
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
size=$(stat -c %s "$run/ram.file")
dd if="$run/ram.file" bs=1M status=none >/dev/null   # the RAM file's pages in the cache
first=$(rate "$mnt/mem")
m=() r=()
for i in $(seq "$ROUNDS"); do
    m+=("$(rate "$mnt/mem")")
    r+=("$(rate "$run/ram.file")")
done
mm=$(printf '%s\n' "${m[@]}" | median)
rr=$(printf '%s\n' "${r[@]}" | median)
echo "vmifs-bench: guest RAM $((size >> 20)) MiB, $ROUNDS rounds, median of each (MB/s = 10^6 bytes/s)"
printf '  %-44s %8d MB/s   (all: %s)\n' "mem through vmifs, dd bs=1M" $((mm / 1000)) "$(printf '%s ' "${m[@]/%/}" | awk '{ for (i = 1; i <= NF; i++) printf "%d ", $i / 1000 }')"
printf '  %-44s %8d MB/s   (all: %s)\n' "RAM file, dd bs=1M" $((rr / 1000)) "$(printf '%s ' "${r[@]}" | awk '{ for (i = 1; i <= NF; i++) printf "%d ", $i / 1000 }')"
printf '  %-44s %8d MB/s\n' "mem through vmifs, first read (mapping cold)" $((first / 1000))
echo "  ratio vmifs / RAM file: $(awk -v a="$mm" -v b="$rr" 'BEGIN { printf "%.2f", a / b }') (target >= 0.3)"
