# shellcheck shell=bash
# Sourced by the Python tests: the interpreter and module path of the build
# tree (the sources' python/ and the build's libvmi.so.0), and a SKIP with
# the reason when Debian's python3 or its cffi is missing.
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
PY=${LIBVMI_TEST_PYTHON:-/usr/bin/python3}
if ! [ -x "$PY" ]; then
    echo "SKIP: $PY not found (Debian's python3 with python3-cffi)"
    exit 77
fi
if ! "$PY" -c 'import cffi' 2>/dev/null; then
    echo "SKIP: $PY has no cffi module (apt-get install python3-cffi)"
    exit 77
fi
export PYTHONPATH=$top_srcdir/python:$top_srcdir/tests/python${PYTHONPATH:+:$PYTHONPATH}
export LIBVMI_LIBRARY=$top_builddir/libvmi/.libs/libvmi.so.0
export PYTHONDONTWRITEBYTECODE=1
# ABI mode unless a script asks for the compiled module (API mode), which
# make builds when Python's headers are there: HAVE_API=1
export LIBVMI_PYTHON_MODE=abi
HAVE_API=0
if [ -e "$top_builddir/python/_libvmi_cffi.so" ]; then
    HAVE_API=1
    PYTHONPATH=$PYTHONPATH:$top_builddir/python
fi
[ -e "$LIBVMI_LIBRARY" ] || { echo "FAIL: $LIBVMI_LIBRARY not built"; exit 1; }
# A sanitizer build's libvmi.so needs the ASan runtime first in the process,
# which python3 is not built with: these tests run in the plain build.
if readelf -d "$LIBVMI_LIBRARY" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
    echo "SKIP: $LIBVMI_LIBRARY is an AddressSanitizer build, which python3 cannot load (the plain build runs these tests)"
    exit 77
fi
# py_checks LOG MODULE...: run unittest modules through run.py, its TAP
# lines counted (count_tap), its log kept in LOG
py_checks() {
    local log=$1
    shift
    local rc=0
    "$PY" "$top_srcdir/tests/python/run.py" "$@" >"$log" 2>&1 || rc=$?
    cat "$log"
    count_tap "$log"
    # a crash (or anything but a test's failure) counts as a failed check
    if [ $rc -ne 0 ] && ! grep -q '^not ok' "$log"; then
        nok "$* (run.py exited $rc)"
    fi
}
# py_checks_modes LOG MODULE...: py_checks in ABI mode, then in API mode
# (the compiled module) when it was built, else that half skipped
py_checks_modes() {
    local log=$1
    shift
    RUN_LABEL=abi LIBVMI_PYTHON_MODE=abi py_checks "$log.abi" "$@"
    if [ "$HAVE_API" = 1 ]; then
        RUN_LABEL=api LIBVMI_PYTHON_MODE=api py_checks "$log.api" "$@"
    else
        skip_check "API mode ($*)" "the compiled module _libvmi_cffi was not built (no Python.h?)"
    fi
}
