#!/usr/bin/env python3
"""Struct member offsets and sizes of a kernel, the ground truth of the rig.

usage: pahole -C STRUCTS vmlinux | offsets.py
       offsets.py --btf VMLINUX        the same lines, read from VMLINUX's own
                                        .BTF section (no pahole; a cross-check)

Prints `struct.member offset` lines (decimal bytes, absolute from the start of
the struct) and `struct.sizeof size` lines.  Members of anonymous nested
structs/unions are reached through them (their offsets made absolute);
members of named nested structs are not.  Where a member was renamed between
kernel versions (state/__state, mmap/mm_mt, vm_flags/__vm_flags) the line
carries the name this kernel has.  The lines of the first format come first,
in their old order.
"""
import re
import struct
import sys

# (struct, alternatives, required).  The first block is the original format
# (its order is kept); the rest was added later.
WANT = [
    ("task_struct", ["tasks"], True),
    ("task_struct", ["mm"], True),
    ("task_struct", ["active_mm"], True),
    ("task_struct", ["pid"], True),
    ("task_struct", ["tgid"], True),
    ("task_struct", ["comm"], True),
    ("mm_struct", ["pgd"], True),
    ("mm_struct", ["arg_start"], True),
    ("mm_struct", ["arg_end"], True),
    ("mm_struct", ["env_start"], True),
    ("mm_struct", ["env_end"], True),
    # --- format 2
    ("task_struct", ["__state", "state"], True),
    ("task_struct", ["flags"], True),
    ("task_struct", ["stack"], True),
    ("task_struct", ["real_parent"], True),
    ("task_struct", ["parent"], True),
    ("task_struct", ["children"], True),
    ("task_struct", ["sibling"], True),
    ("task_struct", ["group_leader"], True),
    ("task_struct", ["thread_group"], False),
    ("task_struct", ["thread_node"], False),
    ("task_struct", ["real_cred"], True),
    ("task_struct", ["cred"], True),
    ("mm_struct", ["mm_mt", "mmap"], True),
    ("mm_struct", ["mm_users"], True),
    ("mm_struct", ["mm_count"], True),
    ("mm_struct", ["map_count"], True),
    ("mm_struct", ["mmap_base"], True),
    ("mm_struct", ["task_size"], True),
    ("mm_struct", ["start_code"], True),
    ("mm_struct", ["end_code"], True),
    ("mm_struct", ["start_data"], True),
    ("mm_struct", ["end_data"], True),
    ("mm_struct", ["start_brk"], True),
    ("mm_struct", ["brk"], True),
    ("mm_struct", ["start_stack"], True),
    ("mm_struct", ["owner"], False),
    ("mm_struct", ["exe_file"], True),
    ("list_head", ["next"], True),
    ("list_head", ["prev"], True),
    ("cred", ["uid"], True),
    ("cred", ["gid"], True),
    ("cred", ["euid"], True),
    ("cred", ["egid"], True),
    ("vm_area_struct", ["vm_start"], True),
    ("vm_area_struct", ["vm_end"], True),
    ("vm_area_struct", ["vm_next"], False),
    ("vm_area_struct", ["vm_mm"], True),
    ("vm_area_struct", ["vm_flags", "__vm_flags"], True),
    ("vm_area_struct", ["vm_pgoff"], True),
    ("vm_area_struct", ["vm_file"], True),
]
SIZES = ["task_struct", "mm_struct", "list_head", "cred", "vm_area_struct"]

# ---------------------------------------------------------------- pahole text
OPEN_TOP = re.compile(r"^struct\s+(\w+)\s*\{\s*$")
OPEN_NESTED = re.compile(r"^\s+(?:struct|union)\s*\{\s*$")
CLOSE_NESTED = re.compile(r"^\s+\}\s*(\w+)?\s*(?:\[[^\]]*\])*\s*(?:__attribute__\(\(.*?\)\))?\s*;\s*/\*\s*(\d+)(?:\s*:\s*\d+)?\s+(\d+)\s*\*/")
CLOSE_TOP = re.compile(r"^\}.*;")
MEMBER = re.compile(r"^\s+(.*?);\s*/\*\s*(\d+)(?:\s*:\s*\d+)?\s+(\d+)\s*\*/")
SIZE = re.compile(r"^\s+/\*\s*size:\s*(\d+),")


def member_name(decl):
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)  # function pointer
    if m:
        return m.group(1)
    decl = re.sub(r"\s*__attribute__\(\(.*\)\)\s*$", "", decl.strip())
    decl = re.sub(r"(\[[^\]]*\])+\s*$", "", decl)  # arrays
    decl = re.sub(r"\s*:\s*\d+\s*$", "", decl)  # bit fields
    m = re.search(r"(\w+)\s*$", decl)
    return m.group(1) if m else None


class Frame:
    def __init__(self):
        self.members = []  # (name, offset) or (Frame)
        self.name = None
        self.offset = 0


def resolve(frame, base, out):
    kids = frame.members
    if not kids:
        return
    # pahole prints absolute offsets inside nested types; be tolerant of
    # relative ones (first member offset below the frame's own offset).
    offs = [k[1] if isinstance(k, tuple) else k.offset for k in kids]
    rel = frame.offset > 0 and min(offs) < frame.offset
    add = base if rel else 0
    for k in kids:
        if isinstance(k, tuple):
            out.setdefault(k[0], k[1] + add)
        elif k.name is None:  # anonymous: its members belong to the parent
            resolve(k, k.offset + add, out)


def from_pahole(lines):
    """{struct: ({member: offset}, size or None)}"""
    structs = {}
    stack = []
    top = None
    size = None
    for line in lines:
        line = line.rstrip("\n")
        if top is None:
            m = OPEN_TOP.match(line)
            if m:
                top = m.group(1)
                stack = [Frame()]
                size = None
            continue
        if CLOSE_TOP.match(line):
            out = {}
            resolve(stack[0], 0, out)
            structs.setdefault(top, (out, size))
            top = None
            continue
        if OPEN_NESTED.match(line):
            f = Frame()
            stack[-1].members.append(f)
            stack.append(f)
            continue
        m = CLOSE_NESTED.match(line)
        if m and len(stack) > 1:
            f = stack.pop()
            f.name = m.group(1)
            f.offset = int(m.group(2))
            continue
        m = SIZE.match(line)
        if m and len(stack) == 1:
            size = int(m.group(1))
            continue
        m = MEMBER.match(line)
        if m:
            name = member_name(m.group(1))
            if name:
                stack[-1].members.append((name, int(m.group(2))))
    return structs


# ---------------------------------------------------------------- BTF
# Bytes that follow struct btf_type, per kind (vlen = number of entries).
BTF_EXTRA = {1: (4, 0), 2: (0, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 7: (0, 0),
             8: (0, 0), 9: (0, 0), 10: (0, 0), 11: (0, 0), 12: (0, 0), 13: (0, 8), 14: (4, 0),
             15: (0, 12), 16: (0, 0), 17: (4, 0), 18: (0, 0), 19: (0, 12)}


def elf_section(data, want):
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not an ELF64 file")
    e = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(e + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)
    if shentsize < 64 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        raise ValueError("bad section header table")

    def sh(i):
        return struct.unpack_from(e + "IIQQQQIIQQ", data, shoff + i * shentsize)

    strtab = sh(shstrndx)
    for i in range(shnum):
        h = sh(i)
        o = strtab[4] + h[0]
        name = data[o:data.index(b"\0", o)].decode()
        if name == want:
            if h[4] + h[5] > len(data):
                raise ValueError("section %s past the end of the file" % want)
            return data[h[4]:h[4] + h[5]], e
    return None, e


def from_btf(path):
    data = open(path, "rb").read()
    btf, e = elf_section(data, ".BTF")
    if btf is None:
        return None
    magic, = struct.unpack_from("<H", btf, 0)
    if magic != 0xEB9F:
        e = ">" if e == "<" else "<"
        if struct.unpack_from(e + "H", btf, 0)[0] != 0xEB9F:
            raise ValueError("bad BTF magic")
    hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(e + "IIIII", btf, 4)
    types = btf[hdr_len + type_off:hdr_len + type_off + type_len]
    strs = btf[hdr_len + str_off:hdr_len + str_off + str_len]

    def name(off):
        return strs[off:strs.index(b"\0", off)].decode()

    tab = [None]  # id 0 = void
    pos = 0
    while pos < len(types):
        name_off, info, size = struct.unpack_from(e + "III", types, pos)
        kind = (info >> 24) & 0x1F
        vlen = info & 0xFFFF
        if kind not in BTF_EXTRA:
            raise ValueError("unknown BTF kind %d at type %d" % (kind, len(tab)))
        fixed, per = BTF_EXTRA[kind]
        body = types[pos + 12:pos + 12 + fixed + per * vlen]
        tab.append((kind, name_off, info, size, body))
        pos += 12 + fixed + per * vlen

    def members(tid, base, out):
        kind, _, info, _, body = tab[tid]
        kflag = info >> 31
        for i in range(info & 0xFFFF):
            m_name, m_type, m_off = struct.unpack_from(e + "III", body, 12 * i)
            bit = m_off & 0xFFFFFF if kflag else m_off
            off = base + bit // 8
            if m_name:
                out.setdefault(name(m_name), off)
            else:
                t = m_type
                while tab[t][0] in (8, 9, 10, 11, 18):  # typedef/qualifiers
                    t = tab[t][3]
                if tab[t][0] in (4, 5):
                    members(t, off, out)

    structs = {}
    for tid in range(1, len(tab)):
        kind, name_off, info, size, _ = tab[tid]
        if kind == 4 and info & 0xFFFF:
            n = name(name_off)
            if n in SIZES and n not in structs:
                out = {}
                members(tid, 0, out)
                structs[n] = (out, size)
    return structs


# ---------------------------------------------------------------- output
def lines_of(structs):
    out, missing = [], []
    for s, alts, req in WANT:
        got = [a for a in alts if s in structs and a in structs[s][0]]
        if got:
            out.append("%s.%s %d" % (s, got[0], structs[s][0][got[0]]))
        elif req:
            missing.append("%s.%s" % (s, "|".join(alts)))
    for s in SIZES:
        if s in structs and structs[s][1] is not None:
            out.append("%s.sizeof %d" % (s, structs[s][1]))
        else:
            missing.append("%s.sizeof" % s)
    return out, missing


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--btf":
        try:
            structs = from_btf(sys.argv[2])
        except (ValueError, struct.error, IndexError, UnicodeDecodeError) as ex:
            sys.stderr.write("offsets.py: %s: %s\n" % (sys.argv[2], ex))
            return 1
        if structs is None:
            sys.stderr.write("offsets.py: %s has no .BTF section\n" % sys.argv[2])
            return 3
    elif len(sys.argv) == 1:
        structs = from_pahole(sys.stdin)
    else:
        sys.stderr.write(__doc__)
        return 2
    out, missing = lines_of(structs)
    for m in missing:
        sys.stderr.write("offsets.py: %s not found\n" % m)
    print("\n".join(out))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
