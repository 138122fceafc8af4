#!/bin/sh
# libvmi.so must load on a host without Xen: it links none of the Xen
# libraries (the xen driver loads them with dlopen when a Xen domain is
# opened) and leaves no Xen symbol for the dynamic linker to resolve.
: "${top_builddir:=.}"
lib="$top_builddir/libvmi/.libs/libvmi.so"
[ -f "$lib" ] || { echo "no $lib"; exit 77; }
command -v objdump >/dev/null || { echo "no objdump"; exit 77; }
bad=$(objdump -p "$lib" | awk '$1 == "NEEDED" && $2 ~ /^libxen/ { print $2 }')
if [ -n "$bad" ]; then
    echo "FAIL: libvmi.so needs $bad at load time"
    exit 1
fi
undef=$(objdump -T "$lib" | awk '$4 == "*UND*" || $3 == "*UND*"' | grep -E ' (xc_|xs_|xenforeignmemory_|xenevtchn_|xtl_)' || true)
if [ -n "$undef" ]; then
    echo "FAIL: libvmi.so leaves Xen symbols for the loader: $undef"
    exit 1
fi
echo "ok: libvmi.so links no Xen library"
