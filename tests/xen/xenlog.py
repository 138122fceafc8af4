"""The payload's lines on dom0's serial log, as the host-side checks of the
Xen rig read them (accept.py, helper.py): XEN-AT TAG DOMU N0 N1 RC (a tool
call's place in the domU console and its exit status) and the XEN-OUT /
XEN-ERR lines of its output, by tag."""


def read_serial(path):
    at, out, err = {}, {}, {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        for pfx, dst in (("XEN-OUT ", out), ("XEN-ERR ", err)):
            if line.startswith(pfx):
                tag, _, rest = line[len(pfx):].partition(" ")
                dst.setdefault(tag, []).append(rest)
        if line.startswith("XEN-AT "):
            f = line.split()
            if len(f) == 6:
                at[f[1]] = (f[2], int(f[3]), int(f[4]), int(f[5]))
    return at, out, err
