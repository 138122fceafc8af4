#!/usr/bin/env python3
"""Console parsing for the libvmi test rig.

truth.py ps-before CONSOLE OFFSET   last complete VMI-PS block ending before OFFSET
truth.py ps-after CONSOLE OFFSET    first complete VMI-PS block starting at/after OFFSET
                                    (exit 3 when there is none yet)
truth.py extract CONSOLE OUTDIR     ksyms.txt banner.txt argv.txt uptime.txt kmsg.txt
                                    modules.txt from the first VMI-READY section
truth.py sysmap KALLSYMS TEXT_ADDR  System.map (slide removed) on stdout
truth.py kallsyms KALLSYMS          the guest's /proc/kallsyms without module/bpf
                                    lines (those with '['), checked: complete, real
                                    (non-zero) addresses; exit 1 when not
truth.py ksym-sample FILE N         >= N "ADDR TYPE NAME" lines of FILE (kallsyms or
                                    System.map format), spread over all symbol types
                                    present (T/t R/r D/d B/b first), names unique in
                                    FILE, kernel addresses only; deterministic

ps blocks are printed as `pid comm` lines sorted by pid, comm as in the
task_struct (kworker "+desc"/"-desc" suffixes removed, max 15 chars; the
"kworker/R-<workqueue>" rescuers of 6.9+ cut to 15 chars).
"""
import re
import sys

KERNEL_BASE_64 = 0xFFFFFFFF81000000


def lines_of(data):
    return data.decode("utf-8", "replace").replace("\r", "").split("\n")


def task_comm(c):
    # /proc/PID/stat of a workqueue worker shows task->comm plus "+desc" or
    # "-desc".  Rescuers (6.9+) are "kworker/R-<workqueue name>" in full
    # there, of which task->comm holds the first 15 characters.
    if c.startswith("kworker/R-"):
        return c[:15]
    if c.startswith("kworker/"):
        c = re.split(r"[+-]", c, maxsplit=1)[0]
    return c[:15]


def blocks(data, base=0):
    """Yield (start, end, entries) for complete VMI-PS blocks."""
    pos = 0
    start = None
    entries = []
    for raw in data.split(b"\n"):
        line = raw.decode("utf-8", "replace").rstrip("\r")
        lstart = pos
        pos += len(raw) + 1
        if line == "VMI-PS-BEGIN":
            start, entries = base + lstart, []
        elif line == "VMI-PS-END":
            if start is not None and pos <= len(data) + 1:
                yield start, base + pos, entries
            start = None
        elif start is not None:
            m = re.match(r"^VMI-PS (\d+) (.*)$", line)
            if m:
                entries.append((int(m.group(1)), task_comm(m.group(2))))
            else:
                start = None  # garbled block (interleaved kernel message?)


def fmt(entries):
    return "".join("%d %s\n" % e for e in sorted(entries))


def main():
    cmd = sys.argv[1]
    if cmd in ("ps-before", "ps-after"):
        data = open(sys.argv[2], "rb").read()
        off = int(sys.argv[3])
        if cmd == "ps-before":
            last = None
            for b in blocks(data[:off]):
                if b[1] <= off:
                    last = b
            if last is None:
                return 3
            sys.stdout.write(fmt(last[2]))
            return 0
        for b in blocks(data[off:], off):
            if b[0] >= off and data.find(b"VMI-PS-END", b[0]) >= 0:
                sys.stdout.write(fmt(b[2]))
                return 0
        return 3
    if cmd == "extract":
        ls = lines_of(open(sys.argv[2], "rb").read())
        out = sys.argv[3]
        ks, banner, argv, uptime = [], None, [], None
        kmsg, mods, mods_state = [], [], None
        for line in ls:
            if line == "VMI-READY":
                break
            p = line.split(" ", 3)
            if p[0] == "VMI-KSYM" and len(p) == 4:
                ks.append("%s %s\n" % (p[3], p[1]))
            elif p[0] == "VMI-BANNER":
                banner = line[len("VMI-BANNER "):]
            elif p[0] in ("VMI-ARGV", "VMI-ARGV1", "VMI-ENV") and len(p) == 4:
                kind = {"VMI-ARGV": "argv0", "VMI-ARGV1": "argv1", "VMI-ENV": "env"}[p[0]]
                argv.append("%s %s %s %s\n" % (p[1], kind, p[2], p[3]))
            elif p[0] == "VMI-UPTIME":
                uptime = p[1]
            elif p[0] == "VMI-KMSG":
                kmsg.append(line[len("VMI-KMSG "):] + "\n")
            elif line == "VMI-MOD-BEGIN":
                mods_state, mods = "open", []
            elif line == "VMI-MOD-END" and mods_state == "open":
                mods_state = "done"
            elif p[0] == "VMI-MOD" and mods_state == "open":
                mods.append(line[len("VMI-MOD "):] + "\n")
        else:
            sys.stderr.write("truth.py: no VMI-READY in console\n")
            return 1
        if not ks or banner is None or len(argv) != 9 or not kmsg or mods_state != "done":
            sys.stderr.write("truth.py: incomplete ground truth (ksyms=%d banner=%s argv=%d "
                             "kmsg=%d modules=%s)\n" % (len(ks), banner is not None, len(argv),
                                                       len(kmsg), mods_state == "done"))
            return 1
        open(out + "/ksyms.txt", "w").write("".join(sorted(ks)))
        open(out + "/banner.txt", "w").write(banner + "\n")
        open(out + "/argv.txt", "w").write("".join(argv))
        open(out + "/uptime.txt", "w").write((uptime or "") + "\n")
        open(out + "/kmsg.txt", "w").write("".join(kmsg))
        open(out + "/modules.txt", "w").write("".join(mods))
        return 0
    if cmd == "sysmap":
        text = int(sys.argv[3], 16)
        slide = text - KERNEL_BASE_64
        out = []
        for line in lines_of(open(sys.argv[2], "rb").read()):
            p = line.split()
            if len(p) != 3 or p[1] not in "TtDdBbRrA" or len(p[1]) != 1:
                continue  # also drops "[module]" lines (4 fields)
            a = int(p[0], 16)
            if a >= 0xFFFFFFFF80000000:
                a -= slide
            out.append("%016x %s %s\n" % (a, p[1], p[2]))
        if not any(l.endswith(" _text\n") for l in out):
            sys.stderr.write("truth.py: kallsyms dump incomplete\n")
            return 1
        sys.stdout.write("".join(sorted(set(out))))
        return 0
    if cmd == "kallsyms":
        return kallsyms(sys.argv[2])
    if cmd == "ksym-sample":
        return ksym_sample(sys.argv[2], int(sys.argv[3]))
    sys.stderr.write(__doc__)
    return 2


def kallsyms(path):
    out, zero, text = [], 0, None
    for line in lines_of(open(path, "rb").read()):
        if not line or "[" in line:
            continue
        p = line.split()
        if len(p) != 3 or len(p[1]) != 1 or not re.fullmatch(r"[0-9a-f]{8,16}", p[0]):
            sys.stderr.write("truth.py: unexpected kallsyms line %r\n" % line)
            return 1
        a = int(p[0], 16)
        zero += a == 0
        if p[2] == "_text":
            text = a
        out.append(line + "\n")
    # kptr_restrict would show every address as 0
    if len(out) < 1000 or not text or zero * 100 > len(out):
        sys.stderr.write("truth.py: kallsyms incomplete or hidden (%d lines, %d zero, _text %s)\n"
                         % (len(out), zero, "missing" if text is None else "0x%x" % text))
        return 1
    sys.stdout.write("".join(out))
    return 0


TYPE_ORDER = "TtRrDdBb"


def ksym_sample(path, n):
    syms = []
    names, addrs = {}, {}
    for line in lines_of(open(path, "rb").read()):
        p = line.split()
        if len(p) != 3 or len(p[1]) != 1 or not re.fullmatch(r"[0-9a-fA-F]{8,16}", p[0]):
            continue
        a = int(p[0], 16)
        syms.append((a, p[1], p[2], len(p[0])))
        names[p[2]] = names.get(p[2], 0) + 1
        addrs[a] = addrs.get(a, 0) + 1
    width = max((s[3] for s in syms), default=16)
    kbase = 0xFFFF800000000000 if width > 8 else 0xC0000000
    bytype = {}
    for s in syms:
        if names[s[2]] == 1 and s[0] >= kbase:
            bytype.setdefault(s[1], []).append(s)
    # per type: those with an address of their own first
    for t in bytype:
        own = [s for s in bytype[t] if addrs[s[0]] == 1]
        bytype[t] = own if own else bytype[t]
    types = [t for t in TYPE_ORDER if t in bytype] + sorted(t for t in bytype if t not in TYPE_ORDER)
    if not types:
        sys.stderr.write("truth.py: no symbols in %s\n" % path)
        return 1
    quota = dict((t, 0) for t in types)
    left = n
    while left > 0:
        grew = False
        for t in types:
            if left > 0 and quota[t] < len(bytype[t]):
                quota[t] += 1
                left -= 1
                grew = True
        if not grew:
            break
    if left > 0:
        sys.stderr.write("truth.py: only %d suitable symbols in %s\n" % (n - left, path))
        return 1
    out = []
    for t in types:
        c, q = bytype[t], max(quota[t], 1)
        for i in range(q):
            s = c[(2 * i + 1) * len(c) // (2 * q)]
            out.append("%0*x %s %s\n" % (width, s[0], s[1], s[2]))
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
