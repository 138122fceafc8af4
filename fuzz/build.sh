#!/bin/bash
# Builds the libFuzzer targets listed in fuzz/targets.txt.
#
#   fuzz/build.sh [OUTDIR]         (default OUTDIR: fuzz/out, untracked)
#
# Each line of targets.txt is "<name> <libvmi sources it needs>" (paths
# relative to the repository root); the target's own file is
# fuzz/fuzz-<name>.c.  A line whose fuzz-<name>.c or one of whose sources
# does not exist (yet) is skipped with a note; a listed target that fails
# to compile or link fails the whole build (exit 1), loudly.
#
# The sources need build-config.h and the generated config scanner and
# parser (libvmi/config_lexer.c, config_parser.c): a source named in
# targets.txt that is not in the source tree is taken from the build dir.
# The build dir is $BUILDDIR when set (a tree configured with ./configure,
# e.g. _b or build-check); otherwise this script configures one itself in
# OUTDIR/conf (once; removed with OUTDIR) and makes the generated files.
#
# Every source is compiled once per run with
#   clang -g -O1 -fsanitize=fuzzer,address,undefined
# (objects shared by the targets that use them), then each target is linked
# with glib-2.0, json-glib-1.0 and libxml-2.0 from pkg-config.
# Result: OUTDIR/fuzz-<name> for every built target, and OUTDIR/targets,
# the names built (one a line), which fuzz/run.sh reads.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/fuzz/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-clang}
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

die() { echo "fuzz/build.sh: $*" >&2; exit 1; }
command -v "$CC" >/dev/null || die "$CC not found (Debian: apt-get install clang libclang-rt-14-dev)"

# --- the configured build dir
if [ -n "${BUILDDIR:-}" ]; then
    bdir=$(cd "$BUILDDIR" && pwd) || die "BUILDDIR=$BUILDDIR does not exist"
    [ -f "$bdir/build-config.h" ] || die "$bdir/build-config.h missing: not a configured build dir"
else
    bdir=$out/conf
    if [ ! -f "$bdir/build-config.h" ]; then
        [ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null 2>&1) \
            || die "cannot run autogen.sh"
        mkdir -p "$bdir"
        (cd "$bdir" && "$src/configure" --disable-real-tests --disable-bench >config.out 2>&1) \
            || { tail -20 "$bdir/config.out" >&2; rm -f "$bdir/build-config.h"; die "configure failed"; }
    fi
fi
make -s -C "$bdir" libvmi/config_parser.h libvmi/config_parser.c libvmi/config_lexer.h \
    libvmi/config_lexer.c >/dev/null || die "cannot make the generated config parser in $bdir"

pkgs="glib-2.0 json-glib-1.0 libxml-2.0"
for p in $pkgs; do pkg-config --exists "$p" || die "pkg-config: $p missing"; done
# libvirt is only included (kvm_libvirt.c loads it with dlopen)
extra=""
pkg-config --exists libvirt && extra=$(pkg-config --cflags libvirt)
CPPFLAGS="-DLIBVMI_API_MODERN -include $bdir/build-config.h -I$src -I$src/libvmi -I$bdir/libvmi -I$src/libvmi/driver/kvm -I$src/libvmi/driver/file
 -I$src/xml -I$src/fuzz -I$src/tests/common -DG_LOG_DOMAIN=\"libvmi\" $(pkg-config --cflags $pkgs) $extra"
CFLAGS="-std=gnu11 -g -O1 $SAN -fno-omit-frame-pointer -Wall -Wno-unused-function -Werror=implicit-function-declaration"
LIBS="$(pkg-config --libs $pkgs) $(pkg-config --libs liblzma 2>/dev/null) -ldl -lpthread"

# --- which targets: lines whose files all exist
declare -A want=()      # source path -> object
names=() ; lines=()
while read -r name files; do
    name=${name%%#*}
    [ -n "$name" ] || continue
    files=${files%%#*}
    [ -f "$src/fuzz/fuzz-$name.c" ] || { echo "fuzz/build.sh: $name: fuzz/fuzz-$name.c not there yet: skipped"; continue; }
    objs=""
    missing=""
    for f in $files; do
        if [ -f "$src/$f" ]; then p=$src/$f
        elif [ -f "$bdir/$f" ]; then p=$bdir/$f
        else missing="$missing $f"; continue
        fi
        o=$out/obj/$(echo "$f" | tr '/' '_').o
        want[$p]=$o
        objs="$objs $o"
    done
    [ -z "$missing" ] || { echo "fuzz/build.sh: $name: missing$missing: skipped"; continue; }
    names+=("$name"); lines+=("$objs")
done < "$src/fuzz/targets.txt"

# --- compile every needed source once (in parallel), then link
rm -rf "$out/obj" && mkdir -p "$out/obj"
jobs=$(nproc 2>/dev/null || echo 2)
export CC CPPFLAGS CFLAGS
for p in "${!want[@]}"; do printf '%s\n%s\n' "$p" "${want[$p]}"; done |
    xargs -d '\n' -n 2 -P "$jobs" sh -c \
    '$CC $CFLAGS $CPPFLAGS -c "$0" -o "$1" 2>"$1.err" || { echo "fuzz/build.sh: cannot compile $0:" >&2; cat "$1.err" >&2; exit 255; }' \
    || die "compilation failed"

rc=0
: >"$out/targets.new"
for i in "${!names[@]}"; do
    n=${names[$i]}
    # shellcheck disable=SC2086
    if $CC $CFLAGS $CPPFLAGS "$src/fuzz/fuzz-$n.c" ${lines[$i]} $LIBS -o "$out/fuzz-$n" 2>"$out/fuzz-$n.err"; then
        echo "fuzz/build.sh: built $out/fuzz-$n"
        echo "$n" >>"$out/targets.new"
    else
        echo "fuzz/build.sh: FAILED to build fuzz-$n:" >&2
        cat "$out/fuzz-$n.err" >&2
        rm -f "$out/fuzz-$n"
        echo "$n FAILED" >>"$out/targets.new"
        rc=1
    fi
done
mv "$out/targets.new" "$out/targets"
[ $rc -eq 0 ] || die "some targets failed to build"
