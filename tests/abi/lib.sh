# tests/abi/lib.sh - shared by the API/ABI tests: an installed-looking tree
# of the library (headers, libvmi.so, libvmi.pc) under a temporary prefix,
# so that programs are built with the pkg-config flags a user gets.
#   abi_prefix DIR    lays out DIR/include/libvmi, DIR/lib, DIR/lib/pkgconfig
#   abi_cflags_libs   prints `pkg-config --cflags --libs libvmi` for it
: "${top_srcdir:?}" "${top_builddir:?}"
CC=${CC:-cc}
ABI_LIB=$top_builddir/libvmi/.libs/libvmi.so
# A library built with the sanitizers (--enable-sanitizers) needs their
# runtime first in programs that were not: preload it for those.
ABI_PRELOAD=$(ldd "$ABI_LIB" 2>/dev/null | awk '/libasan|libubsan/ { printf "%s:", $3 }')

abi_prefix() {
    local dir=$1 h
    mkdir -p "$dir/include/libvmi" "$dir/lib/pkgconfig" || return 1
    # the installed headers: the libvmiinclude_HEADERS list of Makefile.am
    for h in $(sed -n '/^libvmiinclude_HEADERS/,/[^\\]$/p' "$top_srcdir/Makefile.am" |
               sed 's/^libvmiinclude_HEADERS *= *//; s/\\$//'); do
        cp "$top_srcdir/$h" "$dir/include/libvmi/" || return 1
    done
    cp -P "$top_builddir"/libvmi/.libs/libvmi.so* "$dir/lib/" || return 1
    cp "$top_builddir/libvmi/libvmi.pc" "$dir/lib/pkgconfig/" || return 1
    ABI_PREFIX=$dir
}

abi_cflags_libs() {
    PKG_CONFIG_PATH=$ABI_PREFIX/lib/pkgconfig pkg-config --define-variable=prefix="$ABI_PREFIX" \
        --cflags --libs libvmi
}

ABI_FAILED=0
# check NAME COMMAND...: runs COMMAND, reports ok/not ok
check() {
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"
    else
        echo "not ok - $name"
        ABI_FAILED=1
    fi
}

# value KEY FILE: the value of "KEY value" in FILE
value() {
    sed -n "s/^$1 //p" "$2" | head -1
}
