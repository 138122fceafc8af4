#!/bin/sh
# The library's copy of the classic vmi_event_t layout (libvmi/events_2013.h,
# what vmi_register_event@LIBVMI_0.1 reads) against the headers binaries of
# that time were built with (tests/data/abi-2013): each compiled with only
# its own headers on the include path.
set -e
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
${CC:-cc} -Wall -Wextra -Werror -c -I"$top_srcdir/tests/data/abi-2013" \
    -o "$d/old.o" "$top_srcdir/tests/unit/events-2013-layout.c"
${CC:-cc} -Wall -Wextra -Werror -c -I"$top_srcdir/libvmi" -I"$top_srcdir" \
    -o "$d/new.o" "$top_srcdir/tests/unit/test-events.c"
${CC:-cc} -o "$d/test-events" "$d/old.o" "$d/new.o"
"$d/test-events"
