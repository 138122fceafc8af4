#!/usr/bin/python3
"""Host side of the Xen acceptance test: compares the tools' outputs that the
payload printed on dom0's serial log (XEN-AT / XEN-OUT lines) with the
domU's own console (tests/rig/init.sh's VMI-PS blocks and VMI-BANNER).

accept.py SERIAL_LOG OUTDIR DOMU...   prints TAP-style ok / not ok lines
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rig"))
import truth  # noqa: E402
from xenlog import read_serial  # noqa: E402


def main():
    serial, outdir, domus = sys.argv[1], sys.argv[2], sys.argv[3:]
    at, out, err = read_serial(serial)
    for d in domus:
        con = open(os.path.join(outdir, "console-%s.log" % d), "rb").read()
        lines = con.split(b"\n")

        def off(n):  # byte offset of the end of line n
            return sum(len(x) + 1 for x in lines[:n])

        # process list by domain name == one of the guest's lists printed
        # just before and just after the tool ran
        tag = "ps-" + d
        if tag not in at:
            print("not ok - %s: vmi-process-list did not run (no XEN-AT %s)" % (d, tag))
        elif at[tag][3] != 0:
            print("not ok - %s: vmi-process-list by domain name exited %d: %s"
                  % (d, at[tag][3], " | ".join(err.get(tag, [])[:3])))
        else:
            try:
                got = sorted((int(p["pid"]), truth.task_comm(p["name"]))
                             for p in json.loads("\n".join(out.get(tag, []))) if int(p["pid"]) != 0)
            except (ValueError, KeyError, TypeError) as e:
                got = None
                print("not ok - %s: vmi-process-list --json output unreadable: %s" % (d, e))
            if got is not None:
                n0, n1 = off(at[tag][1]), off(at[tag][2])
                before = after = None
                for b in truth.blocks(con):
                    if b[1] <= n0:
                        before = sorted(b[2])
                    elif b[0] >= n0 and after is None and b[1] <= n1 + 1:
                        after = sorted(b[2])
                if got in (before, after):
                    print("ok - %s: vmi-process-list by domain name equals the domU's VMI-PS list (%d processes)"
                          % (d, len(got)))
                else:
                    ref = before or after or []
                    print("not ok - %s: vmi-process-list differs from the domU's list: extra %s, missing %s"
                          % (d, sorted(set(got) - set(ref))[:5], sorted(set(ref) - set(got))[:5]))
        # linux_banner by symbol == VMI-BANNER
        tag = "banner-" + d
        banner = next((x[len(b"VMI-BANNER "):].decode() for x in lines if x.startswith(b"VMI-BANNER ")), None)
        if tag not in at or at[tag][3] != 0:
            print("not ok - %s: vmi-map-symbol linux_banner failed: %s" % (d, " | ".join(err.get(tag, [])[:3])))
        else:
            try:
                s = json.loads("\n".join(out.get(tag, []))).get("string", "")
            except ValueError as e:
                s = "(unreadable JSON: %s)" % e
            if banner is not None and s.rstrip("\n") == banner:
                print("ok - %s: vmi-map-symbol linux_banner equals VMI-BANNER" % d)
            else:
                print("not ok - %s: vmi-map-symbol linux_banner %r != VMI-BANNER %r" % (d, s[:60], banner))


main()
