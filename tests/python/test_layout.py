"""The binding's cffi declarations against the real headers: every size and
every member offset of the structures the library reads or writes, as the C
compiler lays them out.  Hermetic (no guest); needs a C compiler ($CC)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from libvmi._ffi import ffi

STRUCTS = [
    "access_context_t", "x86_registers_t", "arm_registers_t", "registers_t", "page_info_t",
    "unicode_string_t", "vmi_process_t", "reg_event_t", "mem_access_event_t",
    "interrupt_event_t", "single_step_event_t", "debug_event_t", "cpuid_event_t",
    "vmi_event_t", "vmi_init_data_entry_t",
]


def cffi_fields(name):
    """(member, offset) of @name, anonymous unions and structs flattened."""
    out = []

    def walk(ctype, base, prefix):
        for fname, field in ctype.fields:
            if field.type.kind == "struct" and not fname:
                walk(field.type, base + field.offset, prefix)
            elif field.type.kind in ("struct", "union") and not fname:
                walk(field.type, base + field.offset, prefix)
            else:
                out.append((prefix + fname, base + field.offset))
    walk(ffi.typeof(name), 0, "")
    return [(m, o) for m, o in out if not m.startswith("_")]


class Layout(unittest.TestCase):
    def test_offsets_and_sizes(self):
        srcdir = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
        cc = os.environ.get("CC", "cc").split()
        if not shutil.which(cc[0]):
            self.skipTest("no C compiler (%s)" % cc[0])
        lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <libvmi/libvmi.h>",
                 "#include <libvmi/events.h>", "int main(void) {"]
        expect = {}
        for s in STRUCTS:
            lines.append('printf("%s sizeof %%zu\\n", sizeof(%s));' % (s, s))
            expect["%s sizeof" % s] = ffi.sizeof(s)
            for member, off in cffi_fields(s):
                lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));' % (s, member, s, member))
                expect["%s %s" % (s, member)] = off
        lines.append("return 0; }")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "layout.c")
            with open(src, "w") as f:
                f.write("\n".join(lines) + "\n")
            exe = os.path.join(d, "layout")
            inc = os.path.join(d, "inc")
            os.makedirs(inc)
            os.symlink(os.path.abspath(os.path.join(srcdir, "libvmi")), os.path.join(inc, "libvmi"))
            subprocess.run(cc + ["-DLIBVMI_API_MODERN", "-I" + inc,
                                 "-I" + os.path.join(srcdir, "libvmi"), "-o", exe, src],
                           check=True)
            got = {}
            for line in subprocess.run([exe], check=True, capture_output=True,
                                       text=True).stdout.splitlines():
                key, _, value = line.rpartition(" ")
                got[key] = int(value)
        bad = ["%s: C %d, binding %d" % (k, got.get(k, -1), v) for k, v in sorted(expect.items())
               if got.get(k) != v]
        self.assertEqual(bad, [], "layouts differ")
        self.assertGreater(len(expect), 150)


if __name__ == "__main__":
    unittest.main()
