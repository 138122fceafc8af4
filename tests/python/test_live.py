"""The Python binding on a running rig guest (kvm driver), checked against
the guest's own serial console: its process list (VMI-PS), symbols
(VMI-KSYM, and the rig's kallsyms moved by the live _text), banner, the
argv address of a sentinel, VMI-TICK while paused, a written argv seen by
the guest's own print, and INT3 events at ksys_write.

Environment (tests/python/python-live.sh): LIVE_NAME (a $LIBVMI_CONF entry
with the guest's qmp/gdb sockets), LIVE_CONSOLE (its console.log),
RIG_KALLSYMS, LIBVMI_CONF, PYTHONPATH, LIBVMI_LIBRARY.  The guest runs with
LIBVMI_RIG_BUSY=1.
"""
import os
import time
import unittest

from libvmi import (INIT_DOMAINNAME, INIT_EVENTS, Libvmi, LibvmiError, PageMode, X86Reg)
from libvmi.event import EventResponse, IntEvent, SingleStepEvent
from guesttruth import Console, kallsyms
from pyvmi_walk import walk_tasks

NAME = os.environ.get("LIVE_NAME")
CONSOLE = Console(os.environ.get("LIVE_CONSOLE", "/nonexistent"))




def live_symbol(name):
    """@name's address in the live guest: the rig's kallsyms (another boot)
    moved by the _text the guest printed."""
    syms = kallsyms(os.environ["RIG_KALLSYMS"])
    return syms[name][0] - syms["_text"][0] + CONSOLE.ksym("_text")


@unittest.skipUnless(NAME, "no live guest (LIVE_NAME)")
class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vmi = Libvmi(NAME, INIT_DOMAINNAME | INIT_EVENTS)

    @classmethod
    def tearDownClass(cls):
        cls.vmi.destroy()

    def test_1_process_list(self):
        # the guest may start a kernel worker meanwhile: one of three prints
        got = walk_tasks(self.vmi)
        for _ in range(3):
            want = CONSOLE.last_ps()
            if got == want:
                break
            CONSOLE.tick_after(CONSOLE.last_tick(), 5)
            got = walk_tasks(self.vmi)
        self.assertGreater(len(want), 10)
        self.assertEqual(got, want)

    def test_2_symbols(self):
        v = self.vmi
        self.assertEqual(v.read_str_ksym("linux_banner").rstrip("\n"), CONSOLE.banner())
        for name in ("_text", "init_task", "jiffies", "linux_banner", "init_top_pgt"):
            self.assertEqual(v.translate_ksym2v(name), CONSOLE.ksym(name), name)
        self.assertEqual(v.translate_ksym2v("ksys_write"), live_symbol("ksys_write"))
        self.assertEqual(v.get_page_mode(0), PageMode.IA32E)

    def test_3_translations_and_registers(self):
        v = self.vmi
        pid, addr, s = CONSOLE.sentinel()
        self.assertEqual(v.read_str_va(addr, pid), s)
        self.assertEqual(v.read_pa(v.translate_uv2p(addr, pid), len(s))[0], s.encode())
        text = v.translate_ksym2v("_text")
        cr3 = v.get_vcpureg(X86Reg.CR3, 0)
        dtb = cr3 & ~0xfff & ((1 << 52) - 1)
        pa = None
        for d in (dtb, dtb & ~0x1000):    # a vCPU in user mode under PTI: the user copy
            try:
                pa = v.pagetable_lookup(d, text)
                break
            except LibvmiError:
                continue
        self.assertEqual(pa, v.translate_kv2p(text), "CR3 %#x maps _text like the kernel" % cr3)
        regs = v.get_vcpuregs(0)
        self.assertEqual(regs[X86Reg.CR3], cr3)
        self.assertGreater(v.get_num_vcpus(), 0)

    def test_4_pause_resume(self):
        v = self.vmi
        CONSOLE.tick_after(CONSOLE.last_tick(), 10)
        v.pause_vm()
        try:
            paused_at = CONSOLE.last_tick()
            time.sleep(4.5)
            self.assertEqual(CONSOLE.last_tick(), paused_at, "no tick while paused")
        finally:
            v.resume_vm()
        self.assertGreater(CONSOLE.tick_after(paused_at, 30), paused_at, "ticks after resume")

    def test_5_write_seen_by_the_guest(self):
        v = self.vmi
        pid, addr, orig = CONSOLE.sentinel()
        repl = ("written-by-python-" * 4)[:len(orig)]
        self.assertEqual(v.write_va(addr, pid, repl.encode()), len(repl))
        try:
            self.assertEqual(v.read_str_va(addr, pid), repl)
            self.assertTrue(CONSOLE.has("VMI-CMDLINE %d cat%s" % (pid, repl), 15),
                            "the guest prints the new argv[1]")
        finally:
            v.write_va(addr, pid, orig.encode())
        self.assertTrue(CONSOLE.has("VMI-CMDLINE %d cat%s" % (pid, orig), 15))

    def test_6_int3_event(self):
        v = self.vmi
        target = live_symbol("ksys_write")
        # never an INT3 written where the guest's truth and libvmi disagree
        self.assertEqual(v.translate_ksym2v("ksys_write"), target)
        orig = v.read_8_va(target, 0)
        state = {"hits": 0, "foreign": 0, "steps": 0, "disarm": False, "gla": 0, "rip": 0}

        def on_int3(vmi, event):
            if event.gla != target:
                state["foreign"] += 1
                event.reinject = 1
                return EventResponse.NONE
            state["hits"] += 1
            state["gla"] = event.gla
            state["rip"] += event.x86_regs.rip == target
            vmi.write_8_va(target, 0, orig)      # recoil: the byte back,
            event.reinject = 0                   # the INT3 swallowed,
            return EventResponse.TOGGLE_SINGLESTEP   # one step, then re-armed

        def on_step(vmi, event):
            state["steps"] += 1
            if not state["disarm"]:
                vmi.write_8_va(target, 0, 0xcc)
            return EventResponse.TOGGLE_SINGLESTEP

        bp = IntEvent(on_int3)
        ss = SingleStepEvent([0], on_step, enable=False)
        v.register_event(bp)
        v.register_event(ss)
        try:
            v.write_8_va(target, 0, 0xcc)
            end = time.monotonic() + 60
            while state["hits"] < 3 and time.monotonic() < end:
                v.listen(500)
        finally:
            state["disarm"] = True
            v.listen(0)
            v.write_8_va(target, 0, orig)
            v.clear_event(bp)
            v.clear_event(ss)
        self.assertGreaterEqual(state["hits"], 3, "INT3 events at ksys_write: %r" % state)
        self.assertEqual(state["gla"], target)
        self.assertEqual(state["rip"], state["hits"], "x86_regs.rip is the INT3's address")
        self.assertEqual(v.read_8_va(target, 0), orig)
        t = CONSOLE.last_tick()
        self.assertGreater(CONSOLE.tick_after(t, 30), t, "the guest runs on")
        self.assertNotIn("int3", CONSOLE.text())

    def test_7_callback_exception_is_raised_by_listen(self):
        v = self.vmi
        target = live_symbol("ksys_write")
        self.assertEqual(v.translate_ksym2v("ksys_write"), target)
        orig = v.read_8_va(target, 0)

        def boom(vmi, event):
            vmi.write_8_va(target, 0, orig)
            event.reinject = 0
            raise KeyError("from the callback")

        bp = IntEvent(boom)
        v.register_event(bp)
        try:
            v.write_8_va(target, 0, 0xcc)
            with self.assertRaises(KeyError):
                end = time.monotonic() + 60
                while time.monotonic() < end:
                    v.listen(500)
        finally:
            v.write_8_va(target, 0, orig)
            v.clear_event(bp)
        self.assertEqual(v.read_8_va(target, 0), orig)


if __name__ == "__main__":
    unittest.main()
