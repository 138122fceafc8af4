"""Volatility 3 (unmodified, ../shared/third_party/volatility3) reading guest
memory through libvmi's vmi:// handler (python/volatility3/vmi_layer.py).

Snapshot (RIG_RAW set): the layer Volatility builds for vmi:///RIG_RAW reads
the dump file's bytes; linux.pslist through vmi:// lists the guest's own
processes (truth/ps.txt) and equals the plugin on the file itself; a bad
location is a clear error.  Live (VOL_LIVE_NAME set): linux.pslist through
vmi://NAME equals the running guest's VMI-PS print.

The ISF: $VMI_TEST_ISF_DIR (a Volatility symbol directory), else one made
here by the build's vmi-isf from the snapshot (the guest's BTF and
kallsyms), else (no vmi-isf) from the kernel's System.map and pahole by
tests/unit/make-isf.py (two fix-ups Volatility needs and that script lacks:
unsigned pointers, init_task's type).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

from guesttruth import Console, ps_lines, read

ENV = os.environ
VOL_DIR = ENV.get("VOLATILITY3_DIR", "")
PLUGIN_DIR = os.path.join(ENV.get("top_srcdir", "."), "python", "volatility3")
RAW = ENV.get("RIG_RAW", "")
LIVE = ENV.get("VOL_LIVE_NAME", "")
PY = ENV.get("PY", sys.executable)
TIMEOUT = 900


def make_isf(work):
    if ENV.get("VMI_TEST_ISF_DIR"):
        return ENV["VMI_TEST_ISF_DIR"]
    out = os.path.join(work, "symbols", "linux")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "rig.json")
    if os.path.exists(path):
        return os.path.join(work, "symbols")
    isf_tool = os.path.join(ENV.get("top_builddir", "/nonexistent"), "examples", "vmi-isf")
    if os.access(isf_tool, os.X_OK) and ENV.get("RIG_ZCONF") and ENV.get("RIG_RAW"):
        # the project's own: types from the guest's BTF, symbols from its kallsyms
        env = dict(ENV, LIBVMI_CONF=ENV["RIG_ZCONF"], LIBVMI_PROFILE_CACHE="off")
        subprocess.run([isf_tool, "-q", ENV["RIG_RAW"], "-o", path], check=True, env=env,
                       timeout=600)
        return os.path.join(work, "symbols")
    kdir = ENV["RIG_KERNEL_DIR"]
    cmd = [PY, os.path.join(ENV["top_srcdir"], "tests", "unit", "make-isf.py"),
           "--system-map", ENV["RIG_SYSMAP"], "--vmlinux", os.path.join(kdir, "vmlinux"),
           "-o", path]
    subprocess.run(cmd, check=True, timeout=600)
    with open(path) as f:
        isf = json.load(f)
    isf["base_types"]["pointer"]["signed"] = False
    isf["symbols"]["init_task"]["type"] = {"kind": "struct", "name": "task_struct"}
    with open(path, "w") as f:
        json.dump(isf, f)
    return os.path.join(work, "symbols")


def vol(work, symbols, location, plugin, *args):
    """(exit code, stdout, stderr) of vol.py -r json on @location."""
    os.makedirs(os.path.join(work, "cache"), exist_ok=True)
    cmd = [PY, os.path.join(VOL_DIR, "vol.py"), "-q", "-r", "json", "--cache-path",
           os.path.join(work, "cache"), "--plugin-dirs", PLUGIN_DIR]
    if symbols:
        cmd += ["-s", symbols]
    cmd += ["-f", location, plugin] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=work)
    return p.returncode, p.stdout, p.stderr


def pslist_lines(out):
    return {"%d %s" % (r["PID"], r["COMM"]) for r in json.loads(out)}


@unittest.skipUnless(VOL_DIR and os.path.exists(os.path.join(VOL_DIR, "vol.py")),
                     "no Volatility 3 (VOLATILITY3_DIR)")
class VolSnapshot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not RAW:
            raise unittest.SkipTest("no rig snapshot (RIG_RAW)")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.work = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_layer_reads_the_file(self):
        sys.path.insert(0, VOL_DIR)
        sys.path.insert(0, PLUGIN_DIR)
        try:
            import vmi_layer  # noqa: F401  (defines the vmi handler)
            from volatility3.framework import constants, contexts
            from volatility3.framework.layers import physical
        finally:
            sys.path[:2] = []
        constants.CACHE_PATH = os.path.join(self.work, "cache")
        ctx = contexts.Context()
        ctx.config["vmi.location"] = vmi_layer.location(RAW)
        layer = physical.FileLayer(ctx, "vmi", "vmi")
        size = os.path.getsize(RAW)
        self.assertEqual(layer.maximum_address, size - 1)
        rnd = random.Random(7)
        with open(RAW, "rb") as f:
            for _ in range(300):
                off = rnd.randrange(0, size - 300000)
                n = rnd.choice([1, 8, 4096, 0x40000 + 3])
                f.seek(off)
                self.assertEqual(layer.read(off, n), f.read(n))
        with self.assertRaises(Exception):
            layer.read(size - 2, 4)

    def test_pslist_equals_the_guest(self):
        symbols = make_isf(self.work)
        rc, out, err = vol(self.work, symbols, "vmi://" + RAW, "linux.pslist")
        self.assertEqual(rc, 0, err[-2000:])
        got = pslist_lines(out)
        self.assertEqual(got, ps_lines(read(os.path.join(ENV["RIG_TRUTH"], "ps.txt"))))
        rc, out_file, err = vol(self.work, symbols, RAW, "linux.pslist")
        self.assertEqual(rc, 0, err[-2000:])
        self.assertEqual(json.loads(out), json.loads(out_file), "vmi:// and the file agree")

    def test_pslist_on_the_elf_core(self):
        """vmi:///X.elf: libvmi's file driver turns the ELF core into guest
        physical memory, so Volatility sees what it sees in the raw dump."""
        elf = ENV.get("RIG_ELF", "")
        if not elf or not os.path.exists(elf):
            self.skipTest("no ELF snapshot (RIG_ELF)")
        rc, out, err = vol(self.work, make_isf(self.work), "vmi://" + elf, "linux.pslist")
        self.assertEqual(rc, 0, err[-2000:])
        self.assertEqual(pslist_lines(out),
                         ps_lines(read(os.path.join(ENV["RIG_TRUTH"], "ps.txt"))))

    def test_bad_location(self):
        rc, out, err = vol(self.work, None, "vmi:///nonexistent/dump.raw", "banners.Banners")
        self.assertNotEqual(rc, 0)
        self.assertIn("/nonexistent/dump.raw", err)
        rc, out, err = vol(self.work, None, "vmi://", "banners.Banners")
        self.assertNotEqual(rc, 0)


@unittest.skipUnless(VOL_DIR and os.path.exists(os.path.join(VOL_DIR, "vol.py")),
                     "no Volatility 3 (VOLATILITY3_DIR)")
class VolLive(unittest.TestCase):
    def test_pslist_live(self):
        if not LIVE:
            self.skipTest("no live guest (VOL_LIVE_NAME)")
        console = Console(ENV["LIVE_CONSOLE"])
        with tempfile.TemporaryDirectory() as work:
            symbols = make_isf(work)
            rc, out, err = vol(work, symbols, "vmi://" + LIVE, "linux.pslist")
            self.assertEqual(rc, 0, err[-2000:])
            got = pslist_lines(out)
            # the guest prints every 2 s: one of the prints around the run
            want = console.last_ps()
            for _ in range(3):
                if got == want:
                    break
                console.tick_after(console.last_tick(), 5)
                want = console.last_ps()
            self.assertGreater(len(want), 10)
            self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
