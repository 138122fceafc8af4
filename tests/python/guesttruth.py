"""What the rig's guests say about themselves (the ground truth of the
Python tests): the truth/ files of a snapshot and the serial console of a
running guest (VMI-PS, VMI-KSYM, VMI-BANNER, VMI-ARGV1, VMI-TICK ...)."""
import os
import re
import time


def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def ps_lines(text):
    """'pid comm' lines of one VMI-PS block (or ps.txt), as check-live does:
    kworker's /proc suffix dropped, names cut at 15 characters."""
    out = set()
    for line in text.splitlines():
        m = re.match(r"^(?:VMI-PS )?(\d+) (.+?)\r?$", line)
        if not m:
            continue
        name = m.group(2)
        if name.startswith("kworker/"):
            cut = re.search(r"[-+]", name[8:])
            if cut:
                name = name[:8 + cut.start()]
        out.add("%s %s" % (m.group(1), name[:15]))
    return out


def kallsyms(path):
    """{name: address} of the names that occur once in a kallsyms file."""
    seen, dup = {}, set()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            addr, kind, name = parts[:3]
            if name in seen:
                dup.add(name)
            seen[name] = (int(addr, 16), kind)
    return {n: v for n, v in seen.items() if n not in dup}


class Console:
    """The serial log of a running rig guest."""

    def __init__(self, path):
        self.path = path

    def text(self):
        return read(self.path) if os.path.exists(self.path) else ""

    def last_ps(self):
        text = self.text()
        end = text.rfind("VMI-PS-END")
        begin = text.rfind("VMI-PS-BEGIN", 0, end)
        if begin < 0 or end < 0:
            return set()
        return ps_lines(text[begin:end])

    def last_tick(self):
        ticks = re.findall(r"VMI-TICK ([0-9.]+)", self.text())
        return float(ticks[-1]) if ticks else -1.0

    def tick_after(self, after, secs):
        end = time.monotonic() + secs
        t = self.last_tick()
        while t <= after and time.monotonic() < end:
            time.sleep(0.1)
            t = self.last_tick()
        return t

    def has(self, needle, secs):
        end = time.monotonic() + secs
        while True:
            if needle in self.text():
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.2)

    def ksym(self, name):
        m = re.search(r"^VMI-KSYM ([0-9a-f]+) \S %s\r?$" % re.escape(name), self.text(), re.M)
        return int(m.group(1), 16) if m else None

    def banner(self):
        m = re.search(r"^VMI-BANNER (.*?)\r?$", self.text(), re.M)
        return m.group(1) if m else None

    def sentinel(self):
        """(pid, address, string) of the first sentinel's argv[1]."""
        m = re.search(r"^VMI-ARGV1 (\d+) ([0-9a-f]+) (\S+)\r?$", self.text(), re.M)
        return (int(m.group(1)), int(m.group(2), 16), m.group(3)) if m else None
