"""The Python binding on the rig's snapshot of its amd64 guest, written as a
PyVMI script would be, each answer compared with what the guest said about
itself (truth/: its ps, kallsyms, banner, argv addresses, registers) or
with the bytes of the raw dump file.

Environment (tests/python/python-snapshot.sh): RIG_RAW RIG_ELF RIG_TRUTH
RIG_CONF RIG_KALLSYMS RIG_SYSMAP (eval "$(tests/rig/rig.sh env amd64)"),
LIBVMI_CONF=$RIG_CONF, PYTHONPATH, LIBVMI_LIBRARY.
"""
import os
import random
import re
import unittest

from libvmi import (VMIOS, AccessContext, Libvmi, LibvmiError, PageMode, PhysicalMemoryFile,
                    TranslateMechanism, VMIConfig, VMIErrorCode, VMIMode, X86Reg, INIT_DOMAINNAME)
from guesttruth import kallsyms, ps_lines, read
from pyvmi_walk import walk_tasks

ENV = os.environ
RAW, ELF, TRUTH = ENV.get("RIG_RAW", ""), ENV.get("RIG_ELF", ""), ENV.get("RIG_TRUTH", "")


def truth(name):
    return read(os.path.join(TRUTH, name))


def offsets():
    out = {}
    for line in truth("offsets.txt").splitlines():
        k, _, v = line.partition(" ")
        out.setdefault(k, int(v))
    return out


def argv():
    """[(pid, what, address, string)] of the sentinels (truth/argv.txt)."""
    out = []
    for line in truth("argv.txt").splitlines():
        pid, what, addr, s = line.split(" ", 3)
        out.append((int(pid), what, int(addr, 16), s))
    return out




@unittest.skipUnless(RAW and os.path.exists(RAW), "no rig snapshot (RIG_RAW)")
class Snapshot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vmi = Libvmi(RAW)
        with open(RAW, "rb") as f:
            cls.raw = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.vmi.destroy()

    def raw_at(self, pa, n):
        return self.raw[pa:pa + n]

    def test_instance(self):
        v = self.vmi
        self.assertEqual(v.get_ostype(), VMIOS.LINUX)
        self.assertEqual(v.get_page_mode(0), PageMode.IA32E)
        self.assertEqual(v.get_memsize(), len(self.raw))
        self.assertEqual(v.get_name(), RAW)
        self.assertEqual(v.get_address_width(), 8)

    def test_process_list(self):
        want = ps_lines(truth("ps.txt"))
        self.assertGreater(len(want), 10)
        self.assertEqual(walk_tasks(self.vmi), want)

    def test_process_list_ours(self):
        got = {"%d %s" % (p[0], p[1]) for p in self.vmi.get_processes() if p[0] != 0}
        self.assertEqual(got, ps_lines(truth("ps.txt")))

    def test_banner(self):
        banner = truth("banner.txt").strip()
        data, n = self.vmi.read_ksym("linux_banner", len(banner) + 1)
        self.assertEqual(n, len(banner) + 1)
        self.assertEqual(data, banner.encode() + b"\n")
        self.assertEqual(self.vmi.read_str_ksym("linux_banner").rstrip("\n"), banner)
        ctx = AccessContext(TranslateMechanism.KERNEL_SYMBOL, ksym="linux_banner")
        self.assertEqual(self.vmi.read(ctx, len(banner))[0], banner.encode())
        self.assertEqual(self.vmi.read_str(ctx).rstrip("\n"), banner)

    def test_symbols_equal_the_guests_kallsyms(self):
        syms = kallsyms(ENV["RIG_KALLSYMS"])
        rnd = random.Random(4711)
        names = sorted(n for n, (_, k) in syms.items() if k in "TtDdBbRr" and not n.startswith("__"))
        sample = rnd.sample(names, 60) + ["_text", "init_task", "jiffies", "linux_banner"]
        bad = []
        for n in sample:
            try:
                got = self.vmi.translate_ksym2v(n)
            except LibvmiError as e:
                bad.append("%s: %s" % (n, e))
                continue
            if got != syms[n][0]:
                bad.append("%s: %#x, guest %#x" % (n, got, syms[n][0]))
        self.assertEqual(bad, [])

    def test_kernel_translation_against_the_file(self):
        banner = truth("banner.txt").strip().encode()
        va = self.vmi.translate_ksym2v("linux_banner")
        pa = self.vmi.translate_kv2p(va)
        self.assertEqual(self.raw_at(pa, len(banner)), banner)
        self.assertEqual(self.vmi.read_pa(pa, len(banner))[0], banner)
        ctx = AccessContext(TranslateMechanism.NONE, addr=pa)
        self.assertEqual(self.vmi.read(ctx, 16)[0], banner[:16])
        self.assertEqual(self.vmi.read_8_pa(pa), banner[0])
        self.assertEqual(self.vmi.read_32_pa(pa), int.from_bytes(banner[:4], "little"))
        self.assertEqual(self.vmi.read_64_va(va, 0), int.from_bytes(banner[:8], "little"))
        self.assertEqual(self.vmi.read_16_ksym("linux_banner"), int.from_bytes(banner[:2], "little"))

    def test_user_strings_and_translations(self):
        for pid, what, addr, s in argv():
            with self.subTest(pid=pid, what=what):
                self.assertEqual(self.vmi.read_str_va(addr, pid), s)
                pa = self.vmi.translate_uv2p(addr, pid)
                self.assertEqual(self.raw_at(pa, len(s)), s.encode())
                dtb = self.vmi.pid_to_dtb(pid)
                self.assertEqual(self.vmi.pagetable_lookup(dtb, addr), pa)
                self.assertEqual(self.vmi.dtb_to_pid(dtb), pid)
                ctx = AccessContext(TranslateMechanism.PROCESS_PID, addr=addr, pid=pid)
                self.assertEqual(self.vmi.read(ctx, len(s))[0], s.encode())
                ctx = AccessContext(TranslateMechanism.PROCESS_DTB, addr=addr, dtb=dtb)
                self.assertEqual(self.vmi.read(ctx, len(s))[0], s.encode())
                self.assertEqual(self.vmi.read_va(addr, pid, len(s))[0], s.encode())

    def test_offsets_equal_pahole(self):
        off = offsets()
        self.assertEqual(self.vmi.get_offset("linux_tasks"), off["task_struct.tasks"])
        self.assertEqual(self.vmi.get_offset("linux_pid"), off["task_struct.pid"])
        self.assertEqual(self.vmi.get_offset("linux_name"), off["task_struct.comm"])
        self.assertEqual(self.vmi.get_kernel_struct_offset("task_struct", "comm"),
                         off["task_struct.comm"])
        self.assertEqual(self.vmi.get_kernel_struct_offset("mm_struct", "pgd"), off["mm_struct.pgd"])

    def test_errors_carry_the_reason(self):
        with self.assertRaises(LibvmiError) as cm:
            self.vmi.read_va(0x1000, 0, 16)
        self.assertEqual(cm.exception.code, VMIErrorCode.NOT_FOUND)
        self.assertIn("0x1000", str(cm.exception))
        data, n = self.vmi.read_va(0x1000, 0, 16, padding=True)
        self.assertEqual((data, n), (bytes(16), 0))
        with self.assertRaises(LibvmiError) as cm:
            self.vmi.translate_ksym2v("no_such_symbol_4711")
        self.assertIn("no_such_symbol_4711", str(cm.exception))
        with self.assertRaises(LibvmiError) as cm:
            self.vmi.get_vcpureg(X86Reg.CR3, 0)
        self.assertIn("no vCPU registers", cm.exception.reason)
        with self.assertRaises(LibvmiError) as cm:
            Libvmi("/nonexistent/dump.raw")
        self.assertIsNotNone(cm.exception.init_error)
        self.assertIn("/nonexistent/dump.raw", str(cm.exception))
        # a read that runs off the end of memory: what was read, then zeros
        end = self.vmi.get_memsize()
        data, n = self.vmi.read_pa(end - 8, 16, padding=True)
        self.assertEqual((data[:8], data[8:], n), (self.raw[-8:], bytes(8), 8))
        # a read past the top of a process's stack (the sentinel's strings
        # lie in its last page): the strings, then zeros
        pid, _, addr, s = [a for a in argv() if a[1] == "argv1"][0]
        top = (addr | 0xfff) + 1
        with self.assertRaises(LibvmiError):
            self.vmi.translate_uv2p(top, pid)
        data, n = self.vmi.read_va(addr, pid, top - addr + 64, padding=True)
        self.assertEqual(n, top - addr)
        self.assertTrue(data.startswith(s.encode() + b"\0"), data[:40])
        self.assertEqual(data[n:], bytes(64))
        with self.assertRaises(LibvmiError):
            self.vmi.read_va(addr, pid, top - addr + 64)

    def test_config_modes(self):
        entry = {}
        for line in read(ENV["RIG_CONF"]).splitlines():
            m = re.match(r'\s*(\w+)\s*=\s*"?([^";]*)"?;', line)
            if m:
                k, v = m.groups()
                entry[k] = int(v, 0) if k.startswith("linux_") else v
        with Libvmi(RAW, INIT_DOMAINNAME, config_mode=VMIConfig.DICT, config=entry) as v:
            self.assertEqual(walk_tasks(v), ps_lines(truth("ps.txt")))
        text = " ".join('%s = %s;' % (k, hex(x) if isinstance(x, int) else '"%s"' % x)
                        for k, x in entry.items())
        with Libvmi(RAW, config_mode=VMIConfig.STRING, config=text) as v:
            self.assertEqual(v.translate_ksym2v("init_task"), kallsyms(ENV["RIG_KALLSYMS"])["init_task"][0])
        # partial: physical memory only, in the access mode asked for
        with Libvmi(RAW, partial=True, mode=VMIMode.FILE) as v:
            self.assertEqual(v.read_pa(0x100000, 64)[0], self.raw_at(0x100000, 64))
        with self.assertRaises(LibvmiError):
            Libvmi(RAW, config_mode=VMIConfig.STRING, config='ostype = "Linux"; linux_tasks = ;')

    def test_physical_memory_file(self):
        f = PhysicalMemoryFile(RAW)
        self.assertEqual(f.seek(0, 2), len(self.raw))
        rnd = random.Random(815)
        for _ in range(200):
            off = rnd.randrange(0, len(self.raw) - 70000)
            n = rnd.choice([1, 8, 4096, 65536 + 17])
            f.seek(off)
            self.assertEqual(f.read(n), self.raw_at(off, n))
        f.seek(len(self.raw) - 4)
        self.assertEqual(f.read(100), self.raw[-4:])
        self.assertEqual(f.read(100), b"")
        f.close()


@unittest.skipUnless(ELF and os.path.exists(ELF), "no rig ELF snapshot (RIG_ELF)")
class ElfSnapshot(unittest.TestCase):
    def test_registers(self):
        regs = dict(re.findall(r"\b(RIP|CR3|RSP|CR0|CR4)=([0-9a-f]+)", truth("regs.txt")))
        with Libvmi(ELF) as v:
            self.assertEqual(v.get_vcpureg(X86Reg.CR3, 0), int(regs["CR3"], 16))
            self.assertEqual(v.get_vcpureg(X86Reg.CR3.value, 0), int(regs["CR3"], 16))
            r = v.get_vcpuregs(0)
            self.assertEqual(r[X86Reg.RIP], int(regs["RIP"], 16))
            self.assertEqual(r[X86Reg.RSP], int(regs["RSP"], 16))
            self.assertEqual(r[X86Reg.CR4], int(regs["CR4"], 16))
            # CR3 translates a kernel address like the kernel's own tables
            text = v.translate_ksym2v("_text")
            dtb = r[X86Reg.CR3] & ~0xfff & ((1 << 52) - 1)
            self.assertEqual(v.pagetable_lookup(dtb, text), v.translate_kv2p(text))
            self.assertNotEqual(v.pagetable_lookup(dtb, r[X86Reg.RIP]), 0)
            self.assertIn("rip = %#x" % int(regs["RIP"], 16), str(r))

    def test_elf_physical_memory_is_the_raw_dump(self):
        with open(RAW, "rb") as raw, PhysicalMemoryFile(ELF) as f:
            rnd = random.Random(42)
            for _ in range(100):
                off = rnd.randrange(0, 512 << 20, 4096)
                raw.seek(off)
                f.seek(off)
                self.assertEqual(f.read(8192), raw.read(8192))
            # the file ends with RAM, as the raw dump does ...
            self.assertEqual(f.seek(0, 2), os.path.getsize(RAW))
        # ... unless the firmware is asked for: then the hole between RAM
        # and the BIOS ROM reads as zeros, and the ROM (its reset vector
        # jumps: 0xea or 0xe9) is at its end
        with PhysicalMemoryFile(ELF, firmware=True) as f:
            self.assertEqual(f.seek(0, 2), 1 << 32)
            f.seek(600 << 20)
            self.assertEqual(f.read(4096), bytes(4096))
            f.seek((1 << 32) - 16)
            self.assertIn(f.read(1), (b"\xea", b"\xe9"))


if __name__ == "__main__":
    unittest.main()
