#!/usr/bin/python3
"""Compares Volatility 3 output (-r json) and a vmi-isf ISF with the
guest's own ground truth (the rig's truth directory: what the guest printed
on its console, its /proc/kallsyms).  Nothing here reads vmi-isf's or
libvmi's idea of the guest: the truth files are parsed on their own.

vol-check.py isf ISF TRUTHDIR [SCHEMADIR]  the file is an ISF Volatility reads:
                                          schema (when python3-jsonschema is
                                          there), banner = the guest's, symbol
                                          addresses = its kallsyms minus the slide
vol-check.py pslist VOLJSON TRUTHDIR      pids and comms = truth/ps.txt
vol-check.py psaux VOLJSON TRUTHDIR       the sentinels' argv = truth/argv.txt
vol-check.py kmsg VOLJSON TRUTHDIR        the guest's log lines (truth/kmsg.txt)
vol-check.py lsmod VOLJSON TRUTHDIR       module names = truth/modules.txt

Prints TAP lines ("ok - ...", "not ok - ...", "# SKIP N check(s): ...");
exit 0 when every check passed, 1 otherwise.
"""
import base64
import json
import os
import re
import sys

KERNEL_MAP = 0xFFFFFFFF80000000
failed = 0


def ok(cond, what, detail=""):
    global failed
    if cond:
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what + (": " + detail if detail else ""))


def skip(what, why, n=1):
    print("# SKIP %d check(s): %s: %s" % (n, what, why))


def rows(path):
    """The rows of a Volatility -r json output, children flattened."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, list):
        raise ValueError("not a JSON list of rows")
    out = []
    stack = list(reversed(data))
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(reversed(r.get("__children", [])))
    return out


def truth_lines(truth, name):
    with open(os.path.join(truth, name), encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\n") for l in f]


def check_isf(isf_path, truth, schemadir):
    with open(isf_path) as f:
        isf = json.load(f)
    for k in ("metadata", "base_types", "user_types", "enums", "symbols"):
        ok(k in isf, "ISF has %s" % k)
    fmt = isf.get("metadata", {}).get("format", "")
    ok(re.fullmatch(r"6\.[0-2]\.[0-9]+", fmt) is not None, "ISF format %s is one Volatility 2.11 reads (6.0-6.2)" % fmt)
    ok("linux" in isf.get("metadata", {}), "ISF metadata names Linux")
    try:
        import jsonschema  # noqa: F401
        schema = os.path.join(schemadir or "", "schema-%s.json" % fmt)
        if schemadir and os.path.exists(schema):
            with open(schema) as f:
                s = json.load(f)
            try:
                jsonschema.validate(isf, s)
                ok(True, "ISF valid against Volatility's schema-%s.json" % fmt)
            except jsonschema.ValidationError as e:
                ok(False, "ISF valid against Volatility's schema-%s.json" % fmt, str(e)[:300])
        else:
            skip("schema", "no schema-%s.json in %s" % (fmt, schemadir))
    except ImportError:
        skip("schema", "python3-jsonschema not installed")
    syms = isf.get("symbols", {})
    # the banner: the guest's own /proc/version line, as linux_banner holds it
    banner = truth_lines(truth, "banner.txt")[0]
    cd = syms.get("linux_banner", {}).get("constant_data")
    got = base64.b64decode(cd) if cd else b""
    ok(got == banner.encode() + b"\n\x00", "linux_banner constant_data = the guest's banner + NUL",
       "%r" % got[:120])
    # addresses: the guest's real kallsyms minus the KASLR slide it booted with
    kaslr = dict(l.split() for l in truth_lines(truth, "kaslr.txt") if l.strip())
    slide = int(kaslr["slide"], 16)
    ok(slide != 0, "the guest booted with a KASLR slide (0x%x)" % slide)
    real = {}
    for l in truth_lines(truth, "kallsyms.txt"):
        p = l.split()
        if len(p) == 3 and p[2] not in real:
            real[p[2]] = int(p[0], 16)
    want = ["init_task", "swapper_pg_dir", "init_top_pgt", "linux_banner", "modules", "prb",
            "log_buf", "init_files", "_text", "_etext"]
    # and every 97th symbol of the guest's list
    names = sorted(real)
    want += names[::97]
    bad, checked = [], 0
    for n in want:
        if n not in real:
            continue
        a = real[n]
        exp = a - slide if a >= KERNEL_MAP else a
        checked += 1
        if n not in syms or syms[n].get("address") != exp:
            bad.append("%s: %s, want 0x%x" % (n, hex(syms[n]["address"]) if n in syms else "missing", exp))
    ok(checked > 500 and not bad,
       "%d symbol addresses = the guest's kallsyms minus its slide" % checked, "; ".join(bad[:5]))
    # what Volatility's Linux stacker and plugins need
    ut = isf.get("user_types", {})
    for t in ("task_struct", "mm_struct", "list_head", "module", "files_struct"):
        ok(t in ut and ut[t].get("size", 0) > 0, "user type %s" % t)
    for s, t in (("init_task", "task_struct"), ("modules", "list_head")):
        ty = syms.get(s, {}).get("type", {})
        ok(ty.get("name") == t, "symbol %s has type %s" % (s, t), json.dumps(ty)[:200])
    comm = ut.get("task_struct", {}).get("fields", {}).get("comm", {}).get("type", {})
    ok(comm.get("kind") == "array" and comm.get("count") == 16, "task_struct.comm is char[16]",
       json.dumps(comm)[:200])


def check_pslist(vol, truth):
    got = sorted((r["PID"], r["COMM"]) for r in rows(vol))
    want = []
    for l in truth_lines(truth, "ps.txt"):
        p = l.split(" ", 1)
        if len(p) == 2:
            want.append((int(p[0]), p[1]))
    want.sort()
    ok(len(want) > 10, "the guest printed %d processes" % len(want))
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    ok(got == want, "linux.pslist = the guest's process list (%d pids and comms)" % len(want),
       "missing %s extra %s" % (missing[:8], extra[:8]))


def check_psaux(vol, truth):
    args = {}
    for r in rows(vol):
        args[r["PID"]] = r.get("ARGS")
    sent = {}
    for l in truth_lines(truth, "argv.txt"):
        p = l.split(" ", 3)
        if len(p) == 4 and p[1] in ("argv0", "argv1"):
            sent.setdefault(int(p[0]), {})[p[1]] = p[3]
    ok(len(sent) == 3, "the guest printed the argv of its 3 sentinels")
    for pid in sorted(sent):
        want = "%s %s" % (sent[pid].get("argv0"), sent[pid].get("argv1"))
        ok(args.get(pid) == want, "linux.psaux: pid %d runs '%s'" % (pid, want), "got %r" % args.get(pid))


def check_kmsg(vol, truth):
    got = [str(r.get("line", "")).strip() for r in rows(vol)]
    gotset = set(got)
    want = [l.strip() for l in truth_lines(truth, "kmsg.txt") if l.strip()]
    ok(len(want) > 50, "the guest printed %d lines of its kernel log" % len(want))
    missing = [l for l in want if l not in gotset]
    ok(want and want[0].startswith("Linux version ") and want[0] in gotset,
       "linux.kmsg has the guest's first log line", (want[0] if want else "")[:100])
    ok(len(missing) * 20 <= len(want),
       "linux.kmsg has %d of the guest's %d log lines (>= 95%%)" % (len(want) - len(missing), len(want)),
       "missing e.g. %r" % missing[:3])
    # in the guest's order
    pos, order_ok = 0, True
    index = {}
    for i, l in enumerate(got):
        index.setdefault(l, []).append(i)
    for l in want:
        later = [i for i in index.get(l, []) if i >= pos]
        if l in gotset and not later:
            order_ok = False
            break
        if later:
            pos = later[0]
    ok(order_ok, "linux.kmsg lists them in the guest's order")


def check_lsmod(vol, truth):
    got = sorted(r.get("Name") for r in rows(vol))
    want = sorted(l.split()[0] for l in truth_lines(truth, "modules.txt") if l.strip())
    ok(got == want, "linux.lsmod = the guest's /proc/modules (%d modules%s)"
       % (len(want), ", none loaded" if not want else ""), "got %s" % got[:10])


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    cmd, a, truth = sys.argv[1], sys.argv[2], sys.argv[3]
    try:
        if cmd == "isf":
            check_isf(a, truth, sys.argv[4] if len(sys.argv) > 4 else None)
        elif cmd in ("pslist", "psaux", "kmsg", "lsmod"):
            globals()["check_" + cmd](a, truth)
        else:
            sys.stderr.write(__doc__)
            return 2
    except (OSError, ValueError, KeyError, TypeError) as e:
        ok(False, "%s: %s could be read" % (cmd, a), "%s: %s" % (type(e).__name__, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
