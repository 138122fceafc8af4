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
[ -e "$LIBVMI_LIBRARY" ] || { echo "FAIL: $LIBVMI_LIBRARY not built"; exit 1; }
# py_checks LOG MODULE...: run unittest modules through run.py, its TAP
# lines counted (count_tap), its log kept in LOG
py_checks() {
    local log=$1 rc=0
    shift
    "$PY" "$top_srcdir/tests/python/run.py" "$@" 2>&1 | tee "$log" || true
    count_tap "$log"
}
