#!/usr/bin/python3
"""The Python binding's cost per call, against the C library's.

    python-bench.py readva NAME [CALLS]   best-of-5 ns per read_va(4 KiB),
                                          warm translations, as
                                          "py_read_va_4k_ns N"
    python-bench.py snapshot NAME RAMFILE OUT
                                          the guest paused, its RAM file
                                          copied to OUT, resumed
"""
import shutil
import sys
import time

from libvmi import INIT_DOMAINNAME, Libvmi


def readva(name, calls):
    with Libvmi(name) as vmi:
        text = vmi.translate_ksym2v("_text")
        read_va = vmi.read_va
        best = 1e9
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(calls):
                read_va(text, 0, 4096)
            best = min(best, (time.perf_counter() - t) / calls)
        data, n = vmi.read_va(text, 0, 4096)
        assert n == 4096 and len(data) == 4096
    print("py_read_va_4k_ns %.1f" % (best * 1e9))


def snapshot(name, ramfile, out):
    with Libvmi(name, INIT_DOMAINNAME, partial=True) as vmi:
        vmi.pause_vm()
        try:
            shutil.copyfile(ramfile, out)
        finally:
            vmi.resume_vm()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "readva":
        readva(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200000)
    elif len(sys.argv) == 5 and sys.argv[1] == "snapshot":
        snapshot(*sys.argv[2:])
    else:
        sys.exit(__doc__)
