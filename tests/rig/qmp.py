#!/usr/bin/env python3
"""Minimal QMP client for the libvmi test rig (stdlib only).

usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
       qmp.py SOCKET hmp 'info registers'

Prints the "return" value (HMP: the text as is, else JSON) on stdout.
Exits 1 with the QMP error on stderr when the command fails.
"""
import json
import socket
import sys


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    path, cmd = sys.argv[1], sys.argv[2]
    if cmd == "hmp":
        cmd, args = "human-monitor-command", {"command-line": sys.argv[3]}
    else:
        args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(600)
    s.connect(path)
    f = s.makefile("rwb", buffering=0)

    def recv():
        # skip asynchronous events
        while True:
            line = f.readline()
            if not line:
                raise SystemExit("qmp: connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def send(execute, arguments=None):
        m = {"execute": execute}
        if arguments is not None:
            m["arguments"] = arguments
        f.write(json.dumps(m).encode() + b"\n")
        r = recv()
        if "error" in r:
            sys.stderr.write("qmp: %s failed: %s\n" % (execute, json.dumps(r["error"])))
            raise SystemExit(1)
        return r["return"]

    recv()  # greeting
    send("qmp_capabilities")
    ret = send(cmd, args)
    if isinstance(ret, str):
        sys.stdout.write(ret)
    else:
        sys.stdout.write(json.dumps(ret) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
