#!/bin/sh
# <libvmi/events.h> takes programs of both event generations: a classic one
# and a modern one compile without a warning under -Wall -Wextra -Werror
# (gcc and, where installed, clang; the modern one also as C++ and with
# -Wpedantic), the classic one with -Wpedantic given -DLIBVMI_API_2013;
# both link against the library.
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
inc="-I$top_srcdir -I$top_srcdir/libvmi"
src=$top_srcdir/tests/unit
n=0 fails=0
try() {
    local what=$1
    shift
    n=$((n + 1))
    if "$@" >"$d/out" 2>&1; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        sed 's/^/# /' "$d/out" | head -20
        fails=$((fails + 1))
    fi
}
CC=${CC:-cc}
W="-Wall -Wextra -Werror"
for std in gnu11 c11 gnu99; do
    try "classic program, $CC -std=$std" $CC -std=$std $W $inc -c -o "$d/c.o" "$src/events-classic.c"
    try "modern program, $CC -std=$std" $CC -std=$std $W $inc -c -o "$d/m.o" "$src/events-modern.c"
done
try "classic program, -Wpedantic -DLIBVMI_API_2013" $CC -std=c11 $W -Wpedantic -DLIBVMI_API_2013 $inc -c -o "$d/c2.o" "$src/events-classic.c"
try "modern program, -Wpedantic -DLIBVMI_API_MODERN" $CC -std=c11 $W -Wpedantic -DLIBVMI_API_MODERN $inc -c -o "$d/m2.o" "$src/events-modern.c"
if command -v clang >/dev/null; then
    try "classic program, clang" clang $W $inc -c -o "$d/cc.o" "$src/events-classic.c"
    try "modern program, clang" clang $W $inc -c -o "$d/mc.o" "$src/events-modern.c"
fi
if command -v g++ >/dev/null; then
    # ({ 0 } initializers draw -Wmissing-field-initializers in C++, whatever the header)
    try "modern program as C++ (g++)" g++ -x c++ $W -Wno-missing-field-initializers $inc -c -o "$d/mx.o" "$src/events-modern.c"
    try "classic program as C++ with -DLIBVMI_API_2013" g++ -x c++ -std=c++20 $W -Wno-missing-field-initializers -DLIBVMI_API_2013 $inc -fsyntax-only "$src/events-classic.c"
fi
printf 'int classic_events(void *); int modern_events(void *);\nint main(int c, char **v) { (void)v; return c > 99 ? classic_events(0) + modern_events(0) : 0; }\n' >"$d/main.c"
try "both link against the library" $CC -o "$d/both" "$d/main.c" "$d/c.o" "$d/m.o" \
    -L"$top_builddir/libvmi/.libs" -lvmi
echo "1..$n"
[ $fails -eq 0 ]
