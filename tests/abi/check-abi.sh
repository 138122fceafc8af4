#!/bin/bash
# check-abi.sh - the exported ABI of libvmi.so against the baseline
# abi/libvmi.abi (abidw of the library, public headers only): any change to
# the exported symbols, their versions or the types they use fails, added
# symbols too.  A change made on purpose updates the baseline in the same
# commit:  make abi-update  (then commit abi/libvmi.abi).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
lib=$top_builddir/libvmi/.libs/libvmi.so
base=$top_srcdir/abi/libvmi.abi
command -v abidiff >/dev/null || { echo "SKIP: abidiff not installed (Debian: abigail-tools)"; exit 77; }
[ -f "$base" ] || { echo "FAIL: no baseline $base (make abi-update)"; exit 1; }
# the library's ABI as abi-update writes it (same options), then compared:
# comparing the XML with the .so directly would filter out type changes
fresh=$(mktemp /tmp/vmi-abi.XXXXXX)
trap 'rm -f "$fresh"' EXIT
abidw --headers-dir "$top_srcdir/libvmi" --no-corpus-path --no-show-locs --no-comp-dir-path \
    --type-id-style hash --out-file "$fresh" "$lib" || { echo "FAIL: abidw $lib"; exit 1; }
out=$(abidiff "$base" "$fresh" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    echo "$out"
    echo "not ok - the exported ABI differs from abi/libvmi.abi (abidiff exit $rc)"
    echo "# on purpose? run 'make abi-update' and commit abi/libvmi.abi with the change"
    exit 1
fi
echo "ok - the exported ABI is abi/libvmi.abi ($(grep -c '<elf-symbol' "$base") symbols)"
# the 2013 ABI in it: every LIBVMI_0.1 name of libvmi.map is exported with that version
syms=$(objdump -T "$lib")
missing=0
for n in $(sed -n '/^LIBVMI_0\.1 {/,/^};/p' "$top_srcdir/libvmi/libvmi.map" | grep -oE '\bvmi_[a-z0-9_]+'); do
    grep -qE "[ (]LIBVMI_0\.1\)? +$n\$" <<<"$syms" || { echo "not ok - $n@LIBVMI_0.1 is not exported"; missing=1; }
done
[ $missing -eq 0 ] && echo "ok - every LIBVMI_0.1 name is exported with its version"
exit $missing
