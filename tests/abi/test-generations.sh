#!/bin/bash
# test-generations.sh - both API generations of one name in one library.
# vmi_read_va has a 2013 signature and a modern one: the library exports
# vmi_read_va@LIBVMI_0.1 (2013, what old binaries reference),
# vmi_read_va@@LIBVMI_0.14 (modern, the default) and vmi_read_va__5 (the 2013
# function that programs compiled against today's header call).  Checked:
#  - the symbols and their versions (objdump -T);
#  - an old binary: gen-2013.c built against the LIBVMI_0.1 header and a
#    library exporting only LIBVMI_0.1 (what binaries built before had),
#    run against this library;
#  - gen-2013.c and gen-modern.c built unchanged with the pkg-config flags;
#  - all three read a synthetic guest's banner and a process's memory
#    (two pages mapped, then a hole) and must print what the generator put
#    there: the 2013 call returns the short count, the modern one fails
#    with *bytes_read = the bytes it got.
set -u
. "$top_srcdir/tests/abi/lib.sh"
tmp=$(mktemp -d /tmp/vmi-gen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
abi=$top_srcdir/tests/abi

syms=$(objdump -T "$ABI_LIB") || exit 1
has_sym() { grep -qE "$1" <<<"$syms"; }
check "vmi_read_va@LIBVMI_0.1 exported (2013)" has_sym ' \(LIBVMI_0\.1\) +vmi_read_va$'
check "vmi_read_va@@LIBVMI_0.14 exported (modern, default)" has_sym ' LIBVMI_0\.14 +vmi_read_va$'
check "vmi_read_va__5@@LIBVMI_0.14 exported" has_sym ' LIBVMI_0\.14 +vmi_read_va__5$'
check "a name with one signature keeps LIBVMI_0.1" has_sym ' LIBVMI_0\.1 +vmi_read_8_va$'

"$top_builddir/tests/abi/synth-guest" "$tmp" || exit 1
guest=$tmp/guest.raw
banner_va=$(value banner_va "$tmp/truth")
pid=$(value user_pid "$tmp/truth")
user_va=$(value user_text_va "$tmp/truth")
export LIBVMI_CONF=$tmp/libvmi.conf

# ---- an old binary: LIBVMI_0.1 header, linked against a LIBVMI_0.1-only library
soname=$(objdump -p "$ABI_LIB" | awk '/SONAME/ { print $2 }')
mkdir -p "$tmp/old"
sed -n '/^LIBVMI_0\.1 {/,/^};/p' "$top_srcdir/libvmi/libvmi.map" | grep -oE '\bvmi_[a-z0-9_]+' |
    sed 's/.*/void &(void) {}/' >"$tmp/old/stub.c"
printf 'LIBVMI_0.1 { global: vmi_*; local: *; };\n' >"$tmp/old/old.map"
$CC -shared -fPIC -o "$tmp/old/$soname" -Wl,-soname,"$soname" \
    -Wl,--version-script="$tmp/old/old.map" "$tmp/old/stub.c" || exit 1
ln -s "$soname" "$tmp/old/libvmi.so"
$CC -std=gnu11 -Wall -Werror -I"$abi/libvmi-0.1" "$abi/gen-2013.c" -L"$tmp/old" -lvmi \
    -o "$tmp/gen-old" || exit 1
check "the old binary references vmi_read_va@LIBVMI_0.1" \
    grep -qE '\(LIBVMI_0\.1\) +vmi_read_va$' <(objdump -T "$tmp/gen-old")

# ---- today's header, the flags a user gets
abi_prefix "$tmp/prefix" || exit 1
flags=$(abi_cflags_libs) || exit 1
for g in 2013 modern; do
    # shellcheck disable=SC2086
    $CC -std=gnu11 -Wall -Wextra -Werror "$abi/gen-$g.c" $flags -o "$tmp/gen-$g" || exit 1
done
check "gen-2013 built against today's header calls vmi_read_va__5" \
    grep -qE '\(LIBVMI_0\.14\) +vmi_read_va__5$' <(objdump -T "$tmp/gen-2013")
check "gen-modern calls vmi_read_va@@LIBVMI_0.14" \
    grep -qE '\(LIBVMI_0\.14\) +vmi_read_va$' <(objdump -T "$tmp/gen-modern")

banner=$(value banner "$tmp/truth")
text=$(value user_text "$tmp/truth")
mapped=$(value user_mapped "$tmp/truth")
for b in old 2013 modern; do
    out=$tmp/out-$b
    LD_PRELOAD=$ABI_PRELOAD LD_LIBRARY_PATH=$ABI_PREFIX/lib \
        "$tmp/gen-$b" "$guest" "$banner_va" "$pid" "$user_va" >"$out" 2>"$out.err"
    check "gen-$b runs against this library" test $? -eq 0
    check "gen-$b: the banner the generator wrote" test "$(value banner "$out")" = "$banner"
    check "gen-$b: the process's text" test "$(value user_text "$out")" = "$text"
    [ "$b" = modern ] || check "gen-$b: the 2013 short read returns the mapped bytes" \
        test "$(value user_read "$out")" = "$mapped"
    [ "$b" = modern ] && {
        check "gen-modern: the short read fails with *bytes_read = mapped bytes" \
            test "$(value user_status "$out")" = "failure $mapped"
        check "gen-modern: a whole read succeeds" \
            test "$(value banner_status "$out")" = "success 127"
        check "gen-modern: &vmi_read_va is the modern function" \
            test "$(value pointer_status "$out")" = success
    }
    [ -s "$out.err" ] && sed "s/^/gen-$b stderr: /" "$out.err"
done
exit $ABI_FAILED
