#!/bin/bash
# test-headers.sh - the public headers in each API generation mode (default,
# -DLIBVMI_API_MODERN, -DLIBVMI_API_2013), as C11 (gcc, clang, -Wpedantic)
# and C++ (g++, clang++), warnings as errors, with the pkg-config flags;
# headers.c checks LibVMI 0.14's values and layouts at compile time and
# calls of both generations; built with RUN it runs against a synthetic
# guest.
set -u
. "$top_srcdir/tests/abi/lib.sh"
tmp=$(mktemp -d /tmp/vmi-hdr.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
abi_prefix "$tmp/prefix" || exit 1
flags="$(abi_cflags_libs) $(pkg-config --cflags --libs glib-2.0)"
cflags="$(PKG_CONFIG_PATH=$ABI_PREFIX/lib/pkgconfig pkg-config --define-variable=prefix="$ABI_PREFIX" \
         --cflags libvmi) $(pkg-config --cflags glib-2.0)"
src=$top_srcdir/tests/abi/headers.c
warn="-Wall -Wextra -Werror -Wshadow"
for mode in "" -DLIBVMI_API_MODERN -DLIBVMI_API_2013; do
    # C++: ACCESS_CONTEXT's designated initializers leave fields to zero,
    # which -Wextra reports in C++ (as for LibVMI's own macro)
    for cc in "gcc -std=c11 -Wpedantic" "gcc -std=gnu11" "clang -std=c11 -Wpedantic" \
              "g++ -std=c++17 -x c++ -Wno-missing-field-initializers" \
              "clang++ -std=c++17 -x c++ -Wno-missing-field-initializers -Wno-c99-designator"; do
        command -v "${cc%% *}" >/dev/null || { echo "# ${cc%% *} not installed: skipped"; continue; }
        # shellcheck disable=SC2086
        check "headers compile: $cc ${mode:-(default)}" \
            $cc $warn $mode -c "$src" $cflags -o "$tmp/h.o"
    done
done
"$top_builddir/tests/abi/synth-guest" "$tmp" || exit 1
export LIBVMI_CONF=$tmp/libvmi.conf
for mode in "" -DLIBVMI_API_2013; do
    # shellcheck disable=SC2086
    $CC -std=gnu11 $warn $mode -DRUN "$src" $flags -o "$tmp/run" || { check "build RUN $mode" false; continue; }
    check "run ${mode:-(default)}" env LD_PRELOAD="$ABI_PRELOAD" LD_LIBRARY_PATH="$ABI_PREFIX/lib" \
        "$tmp/run" "$tmp/guest.raw"
done
exit $ABI_FAILED
