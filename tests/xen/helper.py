#!/usr/bin/python3
"""Host side of the helper's checks in the Xen acceptance test
(tests/xen/helper-run.sh): `virt-vmi ps DOMU` over the bus in dom0 (its
XEN-AT / XEN-OUT lines on dom0's serial log) against the domU's own
process list (tests/rig/init.sh's VMI-PS blocks on its console): equal to
the list the guest printed just before or just after the call.

helper.py SERIAL_LOG OUTDIR DOMU...   prints TAP-style ok / not ok lines
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rig"))
import truth  # noqa: E402
from xenlog import read_serial  # noqa: E402


def check_ps(d, tag, at, out, err, con):
    lines = con.split(b"\n")

    def off(n):  # byte offset of the end of line n
        return sum(len(x) + 1 for x in lines[:n])

    if tag not in at:
        return "not ok - helper: %s: virt-vmi ps did not run (no XEN-AT %s)" % (d, tag)
    if at[tag][3] != 0:
        return ("not ok - helper: %s: virt-vmi ps over the bus exited %d: %s"
                % (d, at[tag][3], " | ".join(err.get(tag, [])[:3])))
    try:
        got = sorted((int(p["pid"]), truth.task_comm(p["name"]))
                     for p in json.loads("\n".join(out.get(tag, []))) if int(p["pid"]) != 0)
    except (ValueError, KeyError, TypeError) as e:
        return "not ok - helper: %s: virt-vmi ps --json output unreadable: %s" % (d, e)
    n0, n1 = off(at[tag][1]), off(at[tag][2])
    before = after = None
    for b in truth.blocks(con):
        if b[1] <= n0:
            before = sorted(b[2])
        elif b[0] >= n0 and after is None and b[1] <= n1 + 1:
            after = sorted(b[2])
    if got and got in (before, after):
        return ("ok - helper: %s: virt-vmi ps over the bus equals the domU's VMI-PS list (%d processes)"
                % (d, len(got)))
    ref = before or after or []
    return ("not ok - helper: %s: virt-vmi ps differs from the domU's list: extra %s, missing %s"
            % (d, sorted(set(got) - set(ref))[:5], sorted(set(ref) - set(got))[:5]))


def main():
    serial, outdir, domus = sys.argv[1], sys.argv[2], sys.argv[3:]
    at, out, err = read_serial(serial)
    for d in domus:
        path = os.path.join(outdir, "console-%s.log" % d)
        con = open(path, "rb").read() if os.path.exists(path) else b""
        print(check_ps(d, "hps-" + d, at, out, err, con))


main()
