#!/bin/bash
# A fresh install of the Python module (make install DESTDIR=...; only the
# library and the Python parts, the targets make install runs for them):
# /usr/bin/python3 imports libvmi from the staged site directory with no
# LIBVMI_LIBRARY and loads the staged libvmi.so.0, not the build tree's.
set -euo pipefail
. "$(dirname "$0")/../real/checks.sh"
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
PY=${LIBVMI_TEST_PYTHON:-/usr/bin/python3}
"$PY" -c 'import cffi' 2>/dev/null || { echo "SKIP: $PY has no cffi module (python3-cffi)"; exit 77; }
# mkvar NAME: a variable of the build's Makefile, expanded
# (MAKEFLAGS of the make check that runs this would turn -w back on: its
# "Entering directory" lines would be read as the value)
mkvar() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory -f Makefile -f - print-var <<<"print-var: ; @echo \$($1)"
}
sitedir=$(mkvar python_sitedir)
libdir=$(mkvar libdir)
[ -n "$sitedir" ] || { echo "SKIP: built without the Python module (--disable-python)"; exit 77; }
if readelf -d "$top_builddir/libvmi/.libs/libvmi.so.0" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
    echo "SKIP: libvmi.so is an AddressSanitizer build, which python3 cannot load (the plain build runs this test)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" DESTDIR="$work/root" install-libLTLIBRARIES \
    install-dist_libvmipythonDATA install-nodist_libvmipythonDATA \
    install-dist_volatility3pluginDATA $(grep -q '^nodist_libvmipyext_DATA = python' "$top_builddir/Makefile" &&
    echo install-nodist_libvmipyextDATA) >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; echo "FAIL: make install"; exit 1; }
pkg=$work/root$sitedir/libvmi
if [ -f "$pkg/__init__.py" ] && [ -f "$pkg/_installed.py" ]; then
    ok "installed into $sitedir (DESTDIR)"
else
    nok "installed into $sitedir (DESTDIR): $(ls "$work/root$sitedir" 2>&1)"
fi
out=$(cd / && env -u LIBVMI_LIBRARY -u LD_LIBRARY_PATH PYTHONPATH="$work/root$sitedir" PYTHONDONTWRITEBYTECODE=1 \
    "$PY" -c 'import libvmi, libvmi.event, libvmi._ffi as f, os
print(libvmi.__file__)
print(os.path.realpath([l.split()[-1] for l in open("/proc/self/maps") if "libvmi.so" in l][0]))' 2>&1) || true
echo "$out" | sed 's/^/# /'
want=$(realpath -m "$work/root$libdir")
if echo "$out" | sed -n 2p | grep -q "^$want/libvmi.so"; then
    ok "import libvmi from the fresh install loads its own libvmi.so.0 ($libdir)"
else
    nok "import libvmi from the fresh install loads its own libvmi.so.0 ($want)"
fi
if [ -f "$work/root$(mkvar pkgdatadir)/volatility3/vmi_layer.py" ]; then
    ok "the Volatility 3 handler installed"
else
    nok "the Volatility 3 handler installed"
fi
if [ -e "$work/root$sitedir/_libvmi_cffi.so" ]; then
    mode=$(cd / && env -u LIBVMI_LIBRARY -u LD_LIBRARY_PATH LIBVMI_PYTHON_MODE=api \
        PYTHONPATH="$work/root$sitedir" PYTHONDONTWRITEBYTECODE=1 \
        "$PY" -c 'import libvmi, libvmi._ffi as f, os
print(f.MODE, os.path.realpath([l.split()[-1] for l in open("/proc/self/maps") if "libvmi.so" in l][0]))' 2>&1) || true
    if [ "$mode" = "api $want/libvmi.so.0.0.0" ]; then
        ok "the compiled module (API mode) installed, imports, calls the installed libvmi.so.0"
    else
        nok "the compiled module (API mode) installed and imports: $mode"
    fi
else
    skip_check "the compiled module (API mode)" "not built (no Python.h?)"
fi
checks_end "python module, fresh install"
