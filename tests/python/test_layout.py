"""The binding's cffi declarations against the real headers: every size and
every member offset of the structures the library reads or writes, as the C
compiler lays them out.  Hermetic (no guest); needs a C compiler ($CC)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from libvmi._ffi import ffi
from libvmi import libvmi as L
from libvmi import event as E


def constants():
    """(C expression, the binding's value) of every enum value it hardcodes."""
    out = [("VMI_INIT_DOMAINNAME", L.INIT_DOMAINNAME), ("VMI_INIT_DOMAINID", L.INIT_DOMAINID),
           ("VMI_INIT_EVENTS", L.INIT_EVENTS), ("VMI_INIT_DOMAINUUID", L.INIT_DOMAINUUID),
           ("VMI_INIT_V2SYM", L.INIT_V2SYM), ("VMI_AUTO", L.VMI_AUTO),
           ("ACCESS_CONTEXT_VERSION", L.ACCESS_CONTEXT_VERSION),
           ("VMI_EVENTS_VERSION", E.EVENTS_VERSION)]
    for r in L.X86Reg:
        out.append((r.name, r.value))
    for m in L.MSR:
        out.append(("MSR_" + m.name, m.value))
    for prefix, enum in (("VMI_", L.VMIMode), ("VMI_OS_", L.VMIOS), ("VMI_PM_", L.PageMode),
                         ("VMI_INIT_ERROR_", L.LibvmiInitError), ("VMI_TM_", L.TranslateMechanism),
                         ("VMI_INIT_DATA_", L.VMIInitData), ("VMI_ERR_", L.VMIErrorCode),
                         ("VMI_", L.VMIWinVer), ("VMI_EVENT_", E.EventType),
                         ("VMI_EVENT_RESPONSE_", E.EventResponse), ("VMI_MEMACCESS_", E.MemAccess),
                         ("VMI_REGACCESS_", E.RegAccess)):
        for name, member in enum.__members__.items():
            out.append((prefix + name, member.value))
    for name, member in L.VMIConfig.__members__.items():
        out.append(("VMI_CONFIG_" + ("GHASHTABLE" if name == "DICT" else name), member.value))
    out += [("INT_INVALID", E.InterruptType.INVALID.value), ("INT3", E.InterruptType.INT3.value),
            ("INT_NEXT", E.InterruptType.NEXT.value), ("VMI_SUCCESS", L.VMIStatus.SUCCESS.value),
            ("VMI_FAILURE", L.VMIStatus.FAILURE.value)]
    out += [(a.name, a.value) for a in L.VMIArch]
    return out

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
        for expr, value in constants():
            lines.append('printf("const %s %%llu\\n", (unsigned long long)(%s));' % (expr, expr))
            expect["const %s" % expr] = value
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
        self.assertGreater(len(expect), 300)


if __name__ == "__main__":
    unittest.main()
