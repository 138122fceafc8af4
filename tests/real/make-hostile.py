#!/usr/bin/env python3
"""make-hostile.py - hostile copies of a rig guest's memory snapshot.

  make-hostile.py list                                 the cases, one a line
  make-hostile.py make GUESTDIR CASE OUT [--token-table PA]
  make-hostile.py all GUESTDIR OUTDIR [--token-table PA]

GUESTDIR is a rig result directory (tests/rig/rig.sh env: RIG_DIR): the
guest's raw and ELF snapshots, its System.map and truth/.  Each case copies
one snapshot (sparse: only the blocks that are not zero take disk space) and
patches what a hostile guest, or a hostile file, could hold: cyclic and
self-looping task lists, list pointers into nowhere, a task list longer than
any walk should follow, names without their NUL, page tables that point at
themselves or outside memory, huge kallsyms and BTF counts, a type that
contains itself, ELF program headers far away or wrapping, huge note sizes,
files that are mostly holes.

The patch sites come from the guest's own facts, not from libvmi: System.map
plus the KASLR slide the guest printed (truth/kaslr.txt), its CR3
(truth/regs.txt, walked here with a page walker of our own), the pahole
offsets (truth/offsets.txt), the BTF at __start_BTF, and the task list the
guest printed (truth/ps.txt), against which the walk here is checked before
anything is patched.  Only kallsyms_token_table has no symbol in 6.1's
/proc/kallsyms: --token-table gives its physical address (from
vmi-kernel-info --json, as tests/real/zero-config.sh does) and the table's
own structure there is verified before it is used.

For OUT a sidecar OUT.json tells the test what a correct answer is:
  {"case", "base": "raw"|"elf", "what": sentence,
   "ps": {"conf": E, "zero": E}  E = "truth" (exit 0, the guest's list),
        "error" (a clear error), "truth-or-error", "extra" (the guest's
        tasks in order, then "extra" more), "names" (the guest's pids with
        the names in "names", hex of the bytes),
   "dump": whether vmi-dump-memory to /dev/null is tried (false: the
        image is a legitimately huge guest, all of it to be written),
   "dump_file": whether vmi-dump-memory to a regular file is tried too
        (its holes cost nothing there),
   "text": whether the names are worth vmi-process-list's text output too
        (they are not the guest's own)}
Exit status: 0 done, 1 the guest's facts do not fit (nothing written), 2 usage.
"""
import json
import mmap
import os
import struct
import subprocess
import sys

PFN = 0x000FFFFFFFFFF000
SHIFT = {5: 48, 4: 39, 3: 30, 2: 21, 1: 12}
START_KERNEL_MAP = 0xFFFFFFFF80000000
VMI_MAX_TASKS = 1 << 20          # libvmi/private.h
LIST_POISON1 = 0xDEAD000000000100
BEYOND = 0x000FFFFFFFFFF000      # the highest page frame x86-64 can name
U64 = (1 << 64) - 1


class Unfit(Exception):
    """The guest's facts do not fit what was found in its memory."""


# ---------------------------------------------------------------- memory
class Image:
    """Guest-physical memory of a raw image (offset = address) or an ELF
    core (PT_LOAD segments), read and written through a shared mapping."""

    def __init__(self, path, write=False):
        self.f = open(path, "r+b" if write else "rb")
        self.size = os.fstat(self.f.fileno()).st_size
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_WRITE if write else mmap.ACCESS_READ)
        self.elf = self.m[:4] == b"\x7fELF"
        if self.elf:
            if self.m[4] != 2:
                raise Unfit("%s: only ELF64 cores are handled" % path)
            self.phoff, = struct.unpack_from("<Q", self.m, 0x20)
            self.phnum, = struct.unpack_from("<H", self.m, 0x38)
            self.ranges = []
            for i in range(self.phnum):
                t, _, off, _, pa, fsz, msz = struct.unpack_from("<IIQQQQQ", self.m, self.phoff + 56 * i)
                if t == 1:
                    self.ranges.append((pa, off, fsz))
        else:
            self.ranges = [(0, 0, self.size)]
        self.memsize = max(pa + n for pa, _, n in self.ranges)

    def off(self, pa, n):
        for base, off, size in self.ranges:
            if base <= pa and pa + n <= base + size:
                return off + pa - base
        raise Unfit("physical 0x%x (+%d) is not in the snapshot" % (pa, n))

    def read(self, pa, n):
        o = self.off(pa, n)
        return self.m[o:o + n]

    def write(self, pa, data):
        o = self.off(pa, len(data))
        self.m[o:o + len(data)] = data

    def u64(self, pa):
        return struct.unpack("<Q", self.read(pa, 8))[0]

    def put64(self, pa, v):
        self.write(pa, struct.pack("<Q", v & U64))

    def close(self):
        self.m.flush()
        self.m.close()
        self.f.close()


class Guest:
    """A rig guest: its snapshots and truth, and a page walker over them."""

    def __init__(self, gdir):
        self.dir = gdir
        self.name = open(os.path.join(gdir, "guest")).read().strip()
        self.raw = os.path.join(gdir, self.name + ".raw")
        self.elf = os.path.join(gdir, self.name + ".elf")
        t = os.path.join(gdir, "truth")
        self.sym = {}
        for line in open(os.path.join(gdir, "System.map")):
            p = line.split()
            if len(p) >= 3 and p[2] not in self.sym:
                self.sym[p[2]] = int(p[0], 16)
        kaslr = dict(l.split() for l in open(os.path.join(t, "kaslr.txt")) if l.strip())
        self.slide = int(kaslr["slide"], 16)
        paging = dict(l.split() for l in open(os.path.join(t, "paging.txt")) if l.strip())
        self.levels = int(paging["levels"])
        if self.levels not in (4, 5):
            raise Unfit("%s: %d-level paging: only 64-bit guests are handled" % (self.name, self.levels))
        self.cr3 = None
        for line in open(os.path.join(t, "regs.txt")):
            for f in line.split():
                if f.startswith("CR3="):
                    self.cr3 = int(f[4:], 16) & PFN
                    break
            if self.cr3 is not None:
                break
        if self.cr3 is None:
            raise Unfit("%s: no CR3 in truth/regs.txt" % self.name)
        off = {}
        for line in open(os.path.join(t, "offsets.txt")):
            k, v = line.split()
            off[k] = int(v)
        self.o_tasks = off["task_struct.tasks"]
        self.o_pid = off["task_struct.pid"]
        self.o_comm = off["task_struct.comm"]
        self.o_mm = off["task_struct.mm"]
        self.o_pgd = off["mm_struct.pgd"]
        self.ps = []
        for line in open(os.path.join(t, "ps.txt")):
            p = line.split(None, 1)
            if p:
                self.ps.append((int(p[0]), p[1].strip() if len(p) > 1 else ""))
        self.nsyms = sum(1 for _ in open(os.path.join(t, "kallsyms.txt"))) \
            if os.path.exists(os.path.join(t, "kallsyms.txt")) else 0

    def ksym(self, name):
        if name not in self.sym:
            raise Unfit("%s: no %s in System.map" % (self.name, name))
        a = self.sym[name]
        return a + self.slide if a >= START_KERNEL_MAP else a

    # page walk: (pa, [(level, entry pa, entry)], page size)
    def walk(self, img, va, top=None):
        table = (self.cr3 if top is None else top) & PFN
        entries = []
        for level in range(self.levels, 0, -1):
            epa = table + ((va >> SHIFT[level]) & 511) * 8
            e = img.u64(epa)
            entries.append((level, epa, e))
            if not e & 1:
                raise Unfit("0x%x is not mapped (level %d entry 0x%x)" % (va, level, e))
            if level == 1 or (level in (2, 3) and e & 0x80):
                size = 1 << SHIFT[level]
                return (e & PFN & ~(size - 1)) | (va & (size - 1)), entries, size
            table = e & PFN
        raise Unfit("unreachable")

    def v2p(self, img, va):
        return self.walk(img, va)[0]

    def kread(self, img, va, n):
        out = b""
        while n:
            pa, _, size = self.walk(img, va)
            k = min(n, size - (va & (size - 1)))
            out += img.read(pa, k)
            va += k
            n -= k
        return out

    def k64(self, img, va):
        return struct.unpack("<Q", self.kread(img, va, 8))[0]

    def tasks(self, img):
        """init_task's list, checked against the list the guest printed:
        [(task va, pid, comm bytes)], init_task first."""
        init = self.ksym("init_task")
        head = init + self.o_tasks
        out = [(init, 0, b"")]
        node = self.k64(img, head)
        while node != head:
            if len(out) > 100000:
                raise Unfit("the task list does not end")
            task = node - self.o_tasks
            pid = struct.unpack("<i", self.kread(img, task + self.o_pid, 4))[0]
            comm = self.kread(img, task + self.o_comm, 16).split(b"\0")[0]
            out.append((task, pid, comm))
            node = self.k64(img, node)
        got = sorted(p for _, p, _ in out[1:])
        want = sorted(p for p, _ in self.ps)
        if got != want:
            raise Unfit("the task list walked here (%d tasks) is not the guest's own (%d)" %
                        (len(got), len(want)))
        return out

    def top_dir(self, img):
        """Physical address of the kernel's own top-level directory."""
        for name in ("init_top_pgt", "init_level4_pgt", "swapper_pg_dir"):
            if name in self.sym:
                return self.v2p(img, self.ksym(name))
        raise Unfit("no kernel page directory symbol")


# ---------------------------------------------------------------- cases
CASES = []


def case(name, base, what, conf, zero, dump=True):
    def reg(fn):
        CASES.append(dict(name=name, base=base, what=what, conf=conf, zero=zero, dump=dump, fn=fn))
        return fn
    return reg


def node(g, task):
    return task + g.o_tasks


def direct_map_run(g, img, length):
    """A run of zero bytes in RAM, 2 MiB aligned, mapped by the kernel's
    direct map: (physical, virtual)."""
    pob = g.k64(img, g.ksym("page_offset_base"))
    zero = bytes(1 << 20)
    start = 64 << 20
    while start + length < min(img.memsize, 1 << 32):
        ok = True
        for p in range(start, start + length + (1 << 20), 1 << 20):
            try:
                if img.read(p, 1 << 20) != zero:
                    ok = False
                    break
            except Unfit:
                ok = False
                break
        if ok and g.v2p(img, pob + start) == start and \
                g.v2p(img, pob + start + length) == start + length:
            return start, pob + start
        start += 2 << 20
    raise Unfit("no %d MiB of free RAM in the direct map" % (length >> 20))


def chain(g, img, count, last_next):
    """count list nodes, 8 bytes apart, in free RAM; the first one's address."""
    pa, va = direct_map_run(g, img, count * 8 + (1 << 20))
    buf = bytearray(count * 8)
    for i in range(count - 1):
        struct.pack_into("<Q", buf, 8 * i, va + 8 * (i + 1))
    struct.pack_into("<Q", buf, 8 * (count - 1), last_next)
    # written in pieces: a raw image's range is contiguous, an ELF core's too
    for o in range(0, len(buf), 1 << 20):
        img.write(pa + o, bytes(buf[o:o + (1 << 20)]))
    return va


@case("tasks-self-loop", "raw", "the 4th task's tasks.next points to its own node", "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    img.put64(g.v2p(img, node(g, t[4][0])), node(g, t[4][0]))


@case("tasks-cycle", "elf", "the last task's tasks.next points back to the 2nd task, not to init_task",
      "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    img.put64(g.v2p(img, node(g, t[-1][0])), node(g, t[2][0]))


@case("tasks-poison", "raw", "the 3rd task's tasks.next is LIST_POISON1 (0xdead000000000100)",
      "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    img.put64(g.v2p(img, node(g, t[3][0])), LIST_POISON1)


@case("tasks-unmapped", "raw", "the 3rd task's tasks.next is a kernel address no page table maps",
      "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    top = g.top_dir(img)
    for idx in range(256, 511):
        if not img.u64(top + idx * 8) & 1:
            break
    else:
        raise Unfit("every kernel top-level entry is present")
    shift = SHIFT[g.levels]
    va = ((U64 << (shift + 9)) | (idx << shift) | 0x1000) & U64
    img.put64(g.v2p(img, node(g, t[3][0])), va)
    meta["what"] += " (0x%x)" % va


@case("tasks-user-pointer", "raw", "the 3rd task's tasks.next is a user-space address", "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    img.put64(g.v2p(img, node(g, t[3][0])), 0x00007FFF00001000)


@case("tasks-1m", "raw", "after the last task, a list of %d nodes (8 bytes apart) that never comes back"
      % (VMI_MAX_TASKS + 64), "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    first = chain(g, img, VMI_MAX_TASKS + 64, 0)
    # the last node points to the first: a loop only after the bound
    img.put64(g.v2p(img, first + 8 * (VMI_MAX_TASKS + 63)), first)
    img.put64(g.v2p(img, node(g, t[-1][0])), first)


@case("tasks-300k", "raw", "after the last task, 300000 more nodes (8 bytes apart) that end at init_task",
      "extra", "extra")
def _(g, img, meta):
    t = g.tasks(img)
    head = node(g, t[0][0])
    first = chain(g, img, 300000, head)
    img.put64(g.v2p(img, node(g, t[-1][0])), first)
    meta["extra"] = 300000
    meta["text"] = True         # the chain's names are pointer bytes


@case("tasks-mm-bad", "raw", "every task's mm points to an unmapped address or to a page-table page",
      "truth", "truth")
def _(g, img, meta):
    t = g.tasks(img)
    top_va = g.ksym("init_top_pgt") if "init_top_pgt" in g.sym else g.ksym("swapper_pg_dir")
    for i, (task, _, _) in enumerate(t[1:]):
        mm_pa = g.v2p(img, task + g.o_mm)
        img.put64(mm_pa, 0xFFFFFFFFDEAD0000 if i % 2 else top_va - g.o_pgd)


NAMES = [b"\x1b[31mRED\x1b[0m!!!!", b"\xff\xfe\xc3\x28AAAAAAAAAAAA", b"B" * 16,
         b"\nX\rY\tZ\x07\x08%s%n\\\"'\x7f"]


@case("comm-unterminated", "raw", "every task's name fills all 16 bytes of comm, no NUL: escapes, "
      "invalid UTF-8, control characters", "names", "names")
def _(g, img, meta):
    t = g.tasks(img)
    names = {}
    for i, (task, pid, _) in enumerate(t[1:]):
        n = NAMES[i % len(NAMES)]
        assert len(n) == 16 and b"\0" not in n
        img.write(g.v2p(img, task + g.o_comm), n)
        names[str(pid)] = n[:15].hex()
    meta["names"] = names
    meta["text"] = True


@case("banner-unterminated", "raw", "linux_banner and the 80 KiB after it hold no NUL (in 6.1 the kallsyms "
      "tables follow)", "truth", "truth-or-error")
def _(g, img, meta):
    va = g.ksym("linux_banner")
    text = g.kread(img, va, 14)
    if text != b"Linux version ":
        raise Unfit("linux_banner reads %r" % text)
    data = b"Linux version " + b"A" * (80 << 10)
    # page by page: the banner's pages are contiguous virtually only
    o = 0
    while o < len(data):
        n = min(len(data) - o, 4096 - ((va + o) & 4095))
        img.write(g.v2p(img, va + o), data[o:o + n])
        o += n


@case("pt-top-self", "elf", "the top-level entry that maps the kernel points back to the table itself "
      "(in the kernel's directory and in the one CR3 holds)", "error", "error")
def _(g, img, meta):
    text = g.ksym("_text")
    for top in {g.top_dir(img), g.cr3}:
        _, e, _ = g.walk(img, text, top)
        img.put64(e[0][1], top | 0x63)


@case("pt-text-self", "raw", "the PDPT entry that maps the kernel image points to the PDPT itself",
      "error", "error")
def _(g, img, meta):
    _, e, _ = g.walk(img, g.ksym("_text"))
    lvl3 = [x for x in e if x[0] == 3][0]
    img.put64(lvl3[1], (lvl3[1] & PFN) | 0x63)


@case("pt-text-outside", "elf", "the PDPT entry that maps the kernel image points to a table beyond memory",
      "error", "error")
def _(g, img, meta):
    _, e, _ = g.walk(img, g.ksym("_text"))
    lvl3 = [x for x in e if x[0] == 3][0]
    img.put64(lvl3[1], BEYOND | 0x63)


@case("pt-direct-outside", "raw", "the direct map's PDPT entry is a 1 GiB page beyond memory: no task "
      "structure can be read", "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    _, e, _ = g.walk(img, node(g, t[1][0]))
    lvl3 = [x for x in e if x[0] == 3][0]
    img.put64(lvl3[1], (BEYOND & ~((1 << 30) - 1)) | 0xE3)


@case("pt-direct-self", "raw", "the direct map's PDPT entry points to the PDPT itself", "error", "error")
def _(g, img, meta):
    t = g.tasks(img)
    _, e, _ = g.walk(img, node(g, t[1][0]))
    lvl3 = [x for x in e if x[0] == 3][0]
    img.put64(lvl3[1], (lvl3[1] & PFN) | 0x63)


@case("pt-all-self", "raw", "every top-level directory in memory (the kernel's, the trampoline's, "
      "each process's) has all 512 entries pointing to itself", "error", "error")
def _(g, img, meta):
    _, e, _ = g.walk(img, g.ksym("_text"))
    want = e[0][2]          # the kernel's top-level entry: shared by every directory
    slot = e[0][1] & 0xFFF
    n = 0
    for base, off, size in img.ranges:
        for p in range(base, base + size - 4095, 4096):
            if img.u64(p + slot) == want:
                img.write(p, struct.pack("<Q", p | 0x63) * 512)
                n += 1
    meta["what"] += " (%d directories)" % n


def kallsyms_tables(g, img, token_table):
    """(token table pa, token index pa, the 256 tokens), checked."""
    if token_table is None:
        raise Unfit("--token-table is needed for the kallsyms cases")
    data = img.read(token_table, 4096)
    toks, pos = [], 0
    for _ in range(256):
        end = data.index(b"\0", pos)
        toks.append((pos, data[pos:end]))
        pos = end + 1
    if not all(tok for _, tok in toks):
        raise Unfit("no kallsyms token table at 0x%x" % token_table)
    # the index follows, aligned: 256 u16 giving each token's offset
    for idx in range(token_table + pos, token_table + pos + 16, 2):
        vals = struct.unpack("<256H", img.read(idx, 512))
        if list(vals) == [p for p, _ in toks]:
            return token_table, idx, toks
    raise Unfit("no kallsyms_token_index after the token table at 0x%x" % token_table)


@case("kallsyms-num-huge", "raw", "kallsyms_num_syms is 0xffffffff", "truth", "truth-or-error")
def _(g, img, meta):
    tt, _, _ = kallsyms_tables(g, img, meta["token_table"])
    if not g.nsyms:
        raise Unfit("no kallsyms truth")
    pat = struct.pack("<I", g.nsyms)
    # the count comes before the names, which come before the token table
    lo = max(tt - (16 << 20), 0)
    window = img.read(lo, tt - lo)
    i = window.rfind(pat)
    while i >= 0 and (lo + i) % 4:
        i = window.rfind(pat, 0, i)
    if i < 0:
        raise Unfit("no kallsyms_num_syms (%d) before the token table" % g.nsyms)
    img.write(lo + i, b"\xff\xff\xff\xff")


@case("kallsyms-token-index-huge", "elf", "every kallsyms_token_index entry but the first is 0xffff",
      "truth", "truth-or-error")
def _(g, img, meta):
    _, idx, _ = kallsyms_tables(g, img, meta["token_table"])
    img.write(idx + 2, b"\xff\xff" * 255)


@case("kallsyms-tokens-unterminated", "raw", "the kallsyms token table has no NUL: one run of 'A's",
      "truth", "truth-or-error")
def _(g, img, meta):
    tt, _, toks = kallsyms_tables(g, img, meta["token_table"])
    end = toks[-1][0] + len(toks[-1][1]) + 1
    img.write(tt, b"A" * end)


class Btf:
    """The BTF in guest memory at __start_BTF: header and type records."""

    def __init__(self, g, img):
        self.va = g.ksym("__start_BTF")
        hdr = g.kread(img, self.va, 24)
        magic, ver, flags, self.hdr_len, self.type_off, self.type_len, self.str_off, self.str_len = \
            struct.unpack("<HBBIIIII", hdr)
        if magic != 0xEB9F:
            raise Unfit("no BTF magic at __start_BTF")
        self.g, self.img = g, img
        self.types_va = self.va + self.hdr_len + self.type_off
        self.strs = g.kread(img, self.va + self.hdr_len + self.str_off, self.str_len)
        types = g.kread(img, self.types_va, self.type_len)
        extra = {1: (4, 0), 2: (0, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 7: (0, 0),
                 8: (0, 0), 9: (0, 0), 10: (0, 0), 11: (0, 0), 12: (0, 0), 13: (0, 8), 14: (4, 0),
                 15: (0, 12), 16: (0, 0), 17: (4, 0), 18: (0, 0), 19: (0, 12)}
        self.recs = [None]      # id -> (offset in the type section, kind, name, vlen, size/type)
        pos = 0
        while pos < len(types):
            name_off, info, st = struct.unpack_from("<III", types, pos)
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            if kind not in extra:
                raise Unfit("unknown BTF kind %d" % kind)
            self.recs.append((pos, kind, self.name(name_off), vlen, st))
            fixed, per = extra[kind]
            pos += 12 + fixed + per * vlen
        self.types = types

    def name(self, off):
        return self.strs[off:self.strs.index(b"\0", off)].decode("ascii", "replace")

    def find(self, kind, name):
        for tid, r in enumerate(self.recs):
            if r and r[1] == kind and r[2] == name:
                return tid
        raise Unfit("no BTF type %s" % name)

    def member(self, tid, name):
        """(index, va of the member record) of a struct's member."""
        pos, _, _, vlen, _ = self.recs[tid]
        for i in range(vlen):
            n_off, typ, off = struct.unpack_from("<III", self.types, pos + 12 + 12 * i)
            if self.name(n_off) == name:
                return i, self.types_va + pos + 12 + 12 * i, typ
        raise Unfit("no member %s" % name)

    def put(self, va, data):
        o = 0
        while o < len(data):
            n = min(len(data) - o, 4096 - ((va + o) & 4095))
            self.img.write(self.g.v2p(self.img, va + o), data[o:o + n])
            o += n


@case("btf-counts-huge", "raw", "the BTF header says 0xffffffff bytes of types and of strings",
      "truth", "truth-or-error")
def _(g, img, meta):
    b = Btf(g, img)
    b.put(b.va + 12, struct.pack("<I", 0xFFFFFFFF))
    b.put(b.va + 20, struct.pack("<I", 0xFFFFFFFF))


@case("btf-offsets-wrap", "elf", "the BTF header's type and string offsets wrap 32 bits with their lengths",
      "truth", "truth-or-error")
def _(g, img, meta):
    b = Btf(g, img)
    b.put(b.va + 8, struct.pack("<I", 0xFFFFFFF0))
    b.put(b.va + 16, struct.pack("<I", 0xFFFFFFF8))


@case("btf-type-cycle", "raw", "task_struct's first member is made an anonymous task_struct (a type that "
      "contains itself) and pid_t a typedef of itself", "truth", "truth-or-error")
def _(g, img, meta):
    b = Btf(g, img)
    ts = b.find(4, "task_struct")
    pos = b.recs[ts][0]
    # member 0: name_off 0 (anonymous), type task_struct
    b.put(b.types_va + pos + 12, struct.pack("<II", 0, ts))
    pid_t = b.find(8, "pid_t")
    b.put(b.types_va + b.recs[pid_t][0] + 8, struct.pack("<I", pid_t))


@case("btf-vlen-huge", "raw", "task_struct's BTF record claims 65535 members", "truth", "truth-or-error")
def _(g, img, meta):
    b = Btf(g, img)
    ts = b.find(4, "task_struct")
    pos = b.recs[ts][0]
    info = struct.unpack_from("<I", b.types, pos + 4)[0]
    b.put(b.types_va + pos + 4, struct.pack("<I", (info & ~0xFFFF) | 0xFFFF))


def phdr(img, i):
    return img.phoff + 56 * i


def last_load(img):
    for i in reversed(range(img.phnum)):
        if struct.unpack_from("<I", img.m, phdr(img, i))[0] == 1:
            return i
    raise Unfit("no PT_LOAD")


@case("elf-load-far", "elf", "the last PT_LOAD moved to physical 2^63", "truth-or-error", "truth-or-error")
def _(g, img, meta):
    meta["dump_file"] = True
    struct.pack_into("<Q", img.m, phdr(img, last_load(img)) + 24, 1 << 63)


@case("elf-load-wrap", "elf", "the last PT_LOAD starts 4 KiB below 2^64 and wraps around", "error", "error")
def _(g, img, meta):
    struct.pack_into("<Q", img.m, phdr(img, last_load(img)) + 24, (1 << 64) - 4096)


@case("elf-load-top", "elf", "the last PT_LOAD ends 4 KiB below 2^64", "truth-or-error", "truth-or-error")
def _(g, img, meta):
    p = phdr(img, last_load(img))
    memsz = struct.unpack_from("<Q", img.m, p + 40)[0]
    meta["dump_file"] = True
    struct.pack_into("<Q", img.m, p + 24, (1 << 64) - 4096 - memsz)


@case("elf-memsz-huge", "elf", "the last PT_LOAD claims 2^62 bytes of memory (a zero-filled tail past "
      "4 GiB)", "truth-or-error", "truth-or-error")
def _(g, img, meta):
    struct.pack_into("<Q", img.m, phdr(img, last_load(img)) + 40, 1 << 62)
    meta["dump_file"] = True


@case("elf-far-no-kernel", "elf", "the last PT_LOAD moved to physical 2^51 and linux_banner's text wiped: "
      "a search for the kernel finds nothing", "error", "error")
def _(g, img, meta):
    struct.pack_into("<Q", img.m, phdr(img, last_load(img)) + 24, 1 << 51)
    va = g.ksym("linux_banner")
    img.write(g.v2p(img, va), bytes(14))


@case("elf-phnum-xnum", "elf", "e_phnum is PN_XNUM and section header 0 says 0xffffffff program headers",
      "error", "error")
def _(g, img, meta):
    shoff = struct.unpack_from("<Q", img.m, 0x28)[0]
    if not shoff:
        raise Unfit("no section headers")
    struct.pack_into("<H", img.m, 0x38, 0xFFFF)
    struct.pack_into("<I", img.m, shoff + 44, 0xFFFFFFFF)


@case("elf-phnum-garbage", "elf", "e_phnum is 60000: the program headers run on into the notes and memory",
      "truth-or-error", "truth-or-error")
def _(g, img, meta):
    struct.pack_into("<H", img.m, 0x38, 60000)


@case("elf-note-huge", "elf", "the first note's namesz and descsz are close to 2^32", "error", "error")
def _(g, img, meta):
    for i in range(img.phnum):
        t, _, off = struct.unpack_from("<IIQ", img.m, phdr(img, i))
        if t == 4:
            struct.pack_into("<II", img.m, off, 0xFFFFFFFC, 0xFFFFFFF0)
            return
    raise Unfit("no PT_NOTE")


@case("elf-overlap", "elf", "the last PT_LOAD overlaps the RAM segment", "error", "error")
def _(g, img, meta):
    struct.pack_into("<Q", img.m, phdr(img, last_load(img)) + 24, 0x100000)


# Cases that are not a patched copy: made from scratch (sparse).
def sparse_far_elf(g, out, meta):
    """An ELF core: the guest's notes and RAM, then one page each at 2^40,
    2^51 and 2^63, stored 1 TiB into the file (holes before them)."""
    src = Image(g.elf)
    notes = None
    for i in range(src.phnum):
        t, _, off, _, pa, fsz, msz = struct.unpack_from("<IIQQQQQ", src.m, phdr(src, i))
        if t == 4:
            notes = bytes(src.m[off:off + fsz])
    ram = [r for r in src.ranges if r[0] == 0][0]
    far = [1 << 40, 1 << 51, 1 << 63]
    phnum = 2 + len(far)
    hdr = bytearray(src.m[:64])
    struct.pack_into("<QQ", hdr, 0x20, 64, 0)          # e_phoff, e_shoff
    struct.pack_into("<HHHHH", hdr, 0x36, 56, phnum, 0, 0, 0)
    notes_off = 64 + 56 * phnum
    ram_off = (notes_off + len(notes) + 4095) & ~4095
    far_off = 1 << 40
    ph = struct.pack("<IIQQQQQQ", 4, 0, notes_off, 0, 0, len(notes), len(notes), 0)
    ph += struct.pack("<IIQQQQQQ", 1, 0, ram_off, 0, 0, ram[2], ram[2], 0)
    for k, pa in enumerate(far):
        ph += struct.pack("<IIQQQQQQ", 1, 0, far_off + 4096 * k, pa, pa, 4096, 4096, 0)
    with open(out, "wb") as f:
        f.write(hdr + ph + notes)
        # the RAM: only blocks that are not zero are written
        zero = bytes(1 << 16)
        for o in range(0, ram[2], 1 << 16):
            blk = src.m[ram[1] + o:ram[1] + o + (1 << 16)]
            if blk != zero:
                f.seek(ram_off + o)
                f.write(blk)
        f.seek(far_off)
        f.write(b"\xcc" * (4096 * len(far)))
    src.close()


CASES.append(dict(name="elf-sparse-far", dump_file=True, base="elf", conf="truth-or-error", zero="truth-or-error",
                  dump=True, fn=None, make=sparse_far_elf,
                  what="a sparse ELF core: the guest's RAM, and pages at 2^40, 2^51 and 2^63 "
                       "stored 1 TiB into the file"))


def raw_zeros(g, out, meta):
    with open(out, "wb") as f:
        f.truncate(1 << 40)


CASES.append(dict(name="raw-zeros", dump_file=True, base="raw", conf="error", zero="error", dump=False, fn=None,
                  make=raw_zeros, what="a raw image of 1 TiB, all holes (zeros): no kernel anywhere"))


def raw_sparse_tail(g, out, meta):
    copy(g.raw, out)
    with open(out, "r+b") as f:
        f.truncate(1 << 40)


CASES.append(dict(name="raw-sparse-tail", dump_file=True, base="raw", conf="truth", zero="truth", dump=False, fn=None,
                  make=raw_sparse_tail,
                  what="the raw image followed by holes up to 1 TiB (a 1 TiB guest)"))


# ---------------------------------------------------------------- driver
def copy(src, dst):
    if os.path.exists(dst):
        os.unlink(dst)
    subprocess.run(["cp", "--reflink=auto", "--sparse=always", src, dst], check=True)


def make(g, c, out, token_table):
    meta = {"case": c["name"], "base": c["base"], "what": c["what"],
            "ps": {"conf": c["conf"], "zero": c["zero"]}, "dump": c["dump"],
            "dump_file": c.get("dump_file", False), "text": False, "token_table": token_table}
    tmp = out + ".tmp"
    try:
        if c.get("make"):
            c["make"](g, tmp, meta)
        else:
            copy(g.raw if c["base"] == "raw" else g.elf, tmp)
            img = Image(tmp, write=True)
            try:
                c["fn"](g, img, meta)
            finally:
                img.close()
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    os.rename(tmp, out)
    del meta["token_table"]
    with open(out + ".json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


def main(argv):
    args, token_table = [], None
    it = iter(argv[1:])
    for a in it:
        if a == "--token-table":
            token_table = int(next(it, "0"), 0)
        else:
            args.append(a)
    if args == ["list"]:
        for c in CASES:
            print("%-28s %-4s %s" % (c["name"], c["base"], c["what"]))
        return 0
    if len(args) == 4 and args[0] == "make":
        todo = [c for c in CASES if c["name"] == args[2]]
        if not todo:
            sys.stderr.write("make-hostile.py: no case '%s' (make-hostile.py list)\n" % args[2])
            return 2
        outs = [args[3]]
    elif len(args) == 3 and args[0] == "all":
        todo = CASES
        os.makedirs(args[2], exist_ok=True)
        outs = [os.path.join(args[2], "%s.%s" % (c["name"], c["base"])) for c in todo]
    else:
        sys.stderr.write(__doc__)
        return 2
    try:
        g = Guest(args[1])
        for c, out in zip(todo, outs):
            meta = make(g, c, out, token_table)
            print("%s: %s" % (out, meta["what"]))
    except (Unfit, OSError, KeyError, ValueError, struct.error) as e:
        sys.stderr.write("make-hostile.py: %s: %s\n" % (args[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
