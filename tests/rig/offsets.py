#!/usr/bin/env python3
"""Struct member offsets from `pahole -C task_struct,mm_struct VMLINUX` output.

usage: pahole -C task_struct,mm_struct vmlinux | offsets.py
Prints `struct.member offset` lines (decimal bytes, absolute from the start of
the struct).  Members of anonymous nested structs/unions are reached through
them (their offsets made absolute); members of named nested structs are not.
"""
import re
import sys

WANT = {
    "task_struct": ["tasks", "mm", "active_mm", "pid", "tgid", "comm"],
    "mm_struct": ["pgd", "arg_start", "arg_end", "env_start", "env_end"],
}

OPEN_TOP = re.compile(r"^struct\s+(\w+)\s*\{\s*$")
OPEN_NESTED = re.compile(r"^\s+(?:struct|union)\s*\{\s*$")
CLOSE_NESTED = re.compile(r"^\s+\}\s*(\w+)?\s*(?:\[[^\]]*\])*\s*(?:__attribute__\(\(.*?\)\))?\s*;\s*/\*\s*(\d+)(?:\s*:\s*\d+)?\s+(\d+)\s*\*/")
CLOSE_TOP = re.compile(r"^\}.*;")
MEMBER = re.compile(r"^\s+(.*?);\s*/\*\s*(\d+)(?:\s*:\s*\d+)?\s+(\d+)\s*\*/")


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


def resolve(frame, base, out, prefix):
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
            resolve(k, k.offset + add, out, prefix)


def main():
    structs = {}
    stack = []
    top = None
    for line in sys.stdin:
        line = line.rstrip("\n")
        if top is None:
            m = OPEN_TOP.match(line)
            if m:
                top = m.group(1)
                stack = [Frame()]
            continue
        if CLOSE_TOP.match(line):
            out = {}
            resolve(stack[0], 0, out, "")
            structs[top] = out
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
        m = MEMBER.match(line)
        if m:
            name = member_name(m.group(1))
            if name:
                stack[-1].members.append((name, int(m.group(2))))
    rc = 0
    for s, names in WANT.items():
        for n in names:
            if s in structs and n in structs[s]:
                print("%s.%s %d" % (s, n, structs[s][n]))
            else:
                sys.stderr.write("offsets.py: %s.%s not found\n" % (s, n))
                rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
