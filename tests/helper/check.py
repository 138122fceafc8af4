#!/usr/bin/python3
"""Comparisons for tests/helper/test-helper.sh: the guest's own console
(tests/rig/init.sh's format) and the interface XML are the ground truth.

  check.py ps CONSOLE OFFSET PS_JSON   virt-vmi --json ps equals the guest's
                                       VMI-PS block printed last before the
                                       console had OFFSET bytes, or the first
                                       one after (kworkers come and go), plus
                                       pid 0 first; names as the task_struct
                                       keeps them (tests/rig/truth.py)
  check.py ps-dbus CONSOLE OFFSET OUT  the same for gdbus's a(ist) output
  check.py banner CONSOLE READ_JSON    virt-vmi --json read of linux_banner
                                       holds the guest's /proc/version line
  check.py ksym CONSOLE NAME           the guest's run-time address of NAME
  check.py tick-count CONSOLE          how many VMI-TICK lines so far
  check.py le64 READ_JSON              the first 8 bytes read, little endian
  check.py members XML IFACE           "method X" / "property X" / "signal X"
  check.py busctl-members IFACE        the same from `busctl introspect` (stdin)
  check.py gdbus-members IFACE         the same from `gdbus introspect --xml`
                                       (stdin), plus "doc X" per documented
                                       member
  check.py doc-members XML IFACE       "doc X" for every member with a doc
                                       string in XML
  check.py xml-equal A B               the two domain XMLs are equal once
                                       canonicalised (whitespace-only text
                                       dropped)
Exit 0 when the comparison holds (or after printing), 1 otherwise, with a
diff-like explanation on stdout.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rig"))
import truth  # noqa: E402  (tests/rig/truth.py: VMI-PS blocks, comm as the kernel keeps it)


def console_lines(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r", "").split("\n")


def guest_ps(path, offset):
    """The candidate VMI-PS blocks around OFFSET: [[(pid, comm)]]."""
    with open(path, "rb") as f:
        data = f.read()
    before = after = None
    for start, end, entries in truth.blocks(data):
        if end <= offset:
            before = entries
        elif start >= offset and after is None:
            after = entries
    cands = [c for c in (before, after) if c is not None]
    if not cands:
        raise SystemExit("no complete VMI-PS block on the console")
    return cands


def compare_ps(cands, got):
    ok = True
    if not got or got[0][0] != 0 or not got[0][1].startswith("swapper"):
        print(f"first process is not pid 0 swapper: {got[:1]}")
        ok = False
    rest = sorted(got[1:])
    for want in cands:
        if rest == sorted(want):
            print(f"{len(want)} processes (pid and name) as the guest printed them, plus pid 0")
            return ok
    want = sorted(cands[0])
    ws, gs = set(want), set(rest)
    for p in sorted(ws - gs):
        print(f"- guest only:  {p[0]} {p[1]}")
    for p in sorted(gs - ws):
        print(f"+ helper only: {p[0]} {p[1]}")
    if ws == gs:
        print("same entries, different multiplicity")
    return False


def banner(path):
    for line in console_lines(path):
        if line.startswith("VMI-BANNER "):
            return line[len("VMI-BANNER "):]
    raise SystemExit("no VMI-BANNER line on the console")


def read_json(path):
    with open(path) as f:
        j = json.load(f)
    return bytes.fromhex(re.sub(r"[^0-9a-fA-F]", "", j["hex"]))


def members(root, iface):
    out = set()
    for i in root.iter("interface"):
        if i.get("name") != iface:
            continue
        for kind in ("method", "property", "signal"):
            for m in i.findall(kind):
                out.add(f"{kind} {m.get('name')}")
    return out


def doc_members(root, iface):
    out = set()
    for i in root.iter("interface"):
        if i.get("name") != iface:
            continue
        for kind in ("method", "property", "signal"):
            for m in i.findall(kind):
                if any(a.get("name") == "org.gtk.GDBus.DocString" for a in m.findall("annotation")):
                    out.add(f"doc {m.get('name')}")
    return out


def canonical(path):
    root = ET.parse(path).getroot()
    for e in root.iter():
        if e.text is not None and not e.text.strip():
            e.text = None
        if e.tail is not None and not e.tail.strip():
            e.tail = None
    return ET.canonicalize(ET.tostring(root, encoding="unicode"), strip_text=True)


def main(argv):
    cmd = argv[1]
    if cmd == "ps":
        with open(argv[4]) as f:
            got = [(int(p["pid"]), p["name"]) for p in json.load(f)]
        return 0 if compare_ps(guest_ps(argv[2], int(argv[3])), got) else 1
    if cmd == "ps-dbus":
        with open(argv[4]) as f:
            text = f.read()
        got = [(int(p), n) for p, n in re.findall(r"\((-?\d+), '((?:[^'\\]|\\.)*)', (?:uint64 )?\d+\)", text)]
        return 0 if compare_ps(guest_ps(argv[2], int(argv[3])), got) else 1
    if cmd == "banner":
        want = banner(argv[2])
        data = read_json(argv[3])
        got = data.split(b"\0")[0].decode("utf-8", "replace").rstrip("\n")
        if got == want:
            print(f"banner: {got}")
            return 0
        print(f"guest:  {want!r}\nhelper: {got!r}")
        return 1
    if cmd == "ksym":
        for line in console_lines(argv[2]):
            f = line.split()
            if len(f) == 4 and f[0] == "VMI-KSYM" and f[3] == argv[3]:
                print("0x" + f[1])
                return 0
        return 1
    if cmd == "tick-count":
        print(sum(1 for line in console_lines(argv[2]) if line.startswith("VMI-TICK ")))
        return 0
    if cmd == "banner-text":
        print(banner(argv[2]))
        return 0
    if cmd == "le64":
        print(int.from_bytes(read_json(argv[2])[:8], "little"))
        return 0
    if cmd == "members":
        print("\n".join(sorted(members(ET.parse(argv[2]).getroot(), argv[3]))))
        return 0
    if cmd == "doc-members":
        print("\n".join(sorted(doc_members(ET.parse(argv[2]).getroot(), argv[3]))))
        return 0
    if cmd == "busctl-members":
        # NAME TYPE SIGNATURE RESULT/VALUE FLAGS; members are ".Name" rows
        # after the interface's own row.
        out, inside = set(), False
        for line in sys.stdin:
            f = line.split()
            if len(f) >= 2 and f[1] == "interface":
                inside = f[0] == argv[2]
            elif inside and len(f) >= 2 and f[0].startswith("."):
                out.add(f"{f[1]} {f[0][1:]}")
        print("\n".join(sorted(out)))
        return 0
    if cmd == "gdbus-members":
        root = ET.fromstring(sys.stdin.read())
        print("\n".join(sorted(members(root, argv[2]) | doc_members(root, argv[2]))))
        return 0
    if cmd == "xml-equal":
        a, b = canonical(argv[2]), canonical(argv[3])
        if a == b:
            return 0
        import difflib
        for line in difflib.unified_diff(a.replace("><", ">\n<").split("\n"),
                                         b.replace("><", ">\n<").split("\n"),
                                         "original", "after disable", lineterm="", n=2):
            print(line)
        return 1
    raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
