#!/usr/bin/python3
"""Fault, load and scale cycles against a real vmi-helperd serving two rig
guests (tests/faults/lib.sh builds the stack and exports FAULTS_*).

  faults.py truncate     the RAM file of A cut under reads (100 cycles)
  faults.py qemu-kill    QEMU of A killed (SIGKILL) while calls run
  faults.py destroy      A destroyed (virsh destroy) while calls run
  faults.py libvirtd     libvirtd restarted with a watch armed on A
  faults.py bus          the bus restarted; the helper restarted as its unit does
  faults.py gdbstub      a proxy on A's gdbstub socket sends garbage or stalls
  faults.py load         32 clients, mixed calls, every reply checked
  faults.py scale        200 more domains (libvirt's test driver): memory,
                         threads and wake-ups of the idle helper
  faults.py load-client  one client of `load` (internal)

Every phase prints TAP lines ("ok - ", "not ok - ", "# SKIP N check(s): ")
and "# " notes with its figures.  Ground truth is the guests': their RAM
files (the bytes of kernel pages), their consoles (VMI-KSYM addresses,
VMI-BANNER, the VMI-PS process list), never the helper's own earlier
answers.  Knobs: LIBVMI_FAULT_CYCLES (cheap faults, default 100),
LIBVMI_FAULT_BUDGET_S (costly faults: as many cycles as fit, default 150 s,
at least 3), LIBVMI_LOAD_CLIENTS (32), LIBVMI_LOAD_CALLS (calls per client
and round, default 600; two rounds).  No timing is asserted: bounds are
timeouts only.
"""
import collections
import glob
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
from gi.repository import Gio, GLib  # noqa: E402

E = os.environ
NAME = "org.libvmi.helper1"
DIFACE = "org.libvmi.helper1.Domain"
MIFACE = "org.libvmi.helper1.Manager"
PROPS = "org.freedesktop.DBus.Properties"
MPATH = "/org/libvmi/helper1"
ERR = "org.libvmi.helper1.Error."
GONE = ERR + "DomainGone"
URI = E.get("HENV_URI", "qemu:///system")
WORK = E.get("FAULTS_WORK", "/tmp")
PAGE = 4096
NPAGES = 16

CYCLES = int(E.get("LIBVMI_FAULT_CYCLES", "100"))
BUDGET = float(E.get("LIBVMI_FAULT_BUDGET_S", "150"))


def out(s):
    print(s, flush=True)


def ok(s):
    out("ok - " + s)


def nok(s):
    out("not ok - " + s)


def check(cond, s, detail=None):
    if cond:
        ok(s)
    else:
        nok(s)
        for line in (detail or "").splitlines()[:20]:
            out("#   " + line)
    return cond


def note(s):
    out("# " + s)


def skip(what, why, n=1):
    out(f"# SKIP {n} check(s): {what}: {why}")


# ------------------------------------------------------------------ D-Bus

def connect(addr=None):
    return Gio.DBusConnection.new_for_address_sync(
        addr or E["BUS_ADDR"],
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)


class Reply:
    __slots__ = ("ok", "value", "err", "msg", "secs")

    def __init__(self, ok_, value, err, msg, secs):
        self.ok, self.value, self.err, self.msg, self.secs = ok_, value, err, msg, secs

    def __repr__(self):
        return f"ok {self.value!r}" if self.ok else f"{self.err}: {self.msg}"


def call(conn, path, method, sig=None, args=None, iface=DIFACE, timeout=30000, raw=False):
    params = GLib.Variant(sig, args) if sig else None
    t0 = time.monotonic()
    try:
        r = conn.call_sync(NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE, timeout, None)
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or f"{GLib.quark_to_string(e.domain)}:{e.code}"
        msg = Gio.DBusError.strip_remote_error(e) if hasattr(Gio.DBusError, "strip_remote_error") else e.message
        return Reply(False, None, name, e.message if msg in (None, True, False) else e.message, time.monotonic() - t0)
    secs = time.monotonic() - t0
    if raw:
        return Reply(True, r.get_child_value(0).get_data_as_bytes().get_data(), None, None, secs)
    return Reply(True, r.unpack(), None, None, secs)


def read_phys(conn, path, pa, n, timeout=30000):
    return call(conn, path, "ReadPhysical", "(tu)", (pa, n), timeout=timeout, raw=True)


def prop(conn, path, name):
    r = call(conn, path, "Get", "(ss)", (DIFACE, name), iface=PROPS, timeout=10000)
    return r.value[0] if r.ok else None


def domains(conn):
    r = call(conn, MPATH, "ListDomains", iface=MIFACE, timeout=10000)
    return set(r.value[0]) if r.ok else None


def wait_until(secs, fn, step=0.1):
    end = time.monotonic() + secs
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# ------------------------------------------------------------------ host side

def sh(*argv, timeout=180, check_rc=False):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    return r


def virsh(*args, timeout=180, check_rc=True):
    return sh("virsh", "-q", "-c", URI, *args, timeout=timeout, check_rc=check_rc)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


PIDS = {}


def save_pids():
    with open(os.path.join(WORK, "pids"), "w") as f:
        for k, v in PIDS.items():
            f.write(f"{k}={v}\n")


# ------------------------------------------------------------------ guests

class Dom:
    def __init__(self, tag):
        self.tag = tag
        self.name = E[f"FAULTS_{tag}_NAME"]
        self.uuid = E[f"FAULTS_{tag}_UUID"]
        self.path = E[f"FAULTS_{tag}_PATH"]
        self.console = E[f"FAULTS_{tag}_CONSOLE"]
        self.ksyms = {}
        self.banner = None
        self.sentinels = set()

    def __str__(self):
        return self.name

    def ramfile(self):
        files = [f for f in glob.glob(f"/var/lib/libvirt/qemu/ram/*-{self.name}/*") if os.path.isfile(f)]
        return max(files, key=os.path.getsize) if files else None

    def qemu_pid(self):
        try:
            with open(f"/run/libvirt/qemu/{self.name}.pid") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def read_console(self):
        with open(self.console, "rb") as f:
            data = f.read().decode("utf-8", "replace").replace("\r", "")
        for line in data.split("\n"):
            f = line.split()
            if len(f) == 4 and f[0] == "VMI-KSYM":
                self.ksyms[f[3]] = int(f[1], 16)
            elif line.startswith("VMI-BANNER "):
                self.banner = line[len("VMI-BANNER "):].encode()
            elif len(f) == 3 and f[0] == "VMI-PS" and f[2].startswith("vmi-sentinel-"):
                self.sentinels.add((int(f[1]), f[2]))
        if "linux_banner" not in self.ksyms or "_text" not in self.ksyms or not self.banner:
            raise RuntimeError(f"{self.name}: no VMI-KSYM linux_banner/_text or VMI-BANNER on the console")

    def learn(self, conn, wait=180):
        """The truth the checks compare with: the guest's console, and the
        bytes of its RAM file at the physical pages of its kernel text."""
        self.read_console()
        if not wait_until(wait, lambda: prop(conn, self.path, "Introspectable")):
            raise RuntimeError(f"{self.name} not introspectable after {wait} s: "
                               f"{prop(conn, self.path, 'IntrospectableReason')}")
        r = call(conn, self.path, "TranslateKernel", "(t)", (self.ksyms["linux_banner"],))
        if not r.ok:
            raise RuntimeError(f"{self.name}: TranslateKernel(linux_banner): {r}")
        self.pa_banner = r.value[0]
        r = call(conn, self.path, "TranslateKernel", "(t)", (self.ksyms["_text"],))
        if not r.ok:
            raise RuntimeError(f"{self.name}: TranslateKernel(_text): {r}")
        self.pa_text = r.value[0]
        self.refresh_truth()

    def refresh_truth(self):
        f = self.ramfile()
        if not f:
            raise RuntimeError(f"{self.name}: no RAM file under /var/lib/libvirt/qemu/ram")
        with open(f, "rb") as fh:
            fh.seek(self.pa_banner)
            got = fh.read(len(self.banner))
            if got != self.banner:
                raise RuntimeError(f"{self.name}: the RAM file at TranslateKernel(linux_banner) = "
                                   f"{self.pa_banner:#x} holds {got[:40]!r}, not the guest's banner")
            fh.seek(self.pa_text)
            self.pages = [fh.read(PAGE) for _ in range(NPAGES)]

    def truth_json(self):
        return {"path": self.path, "name": self.name, "pa_text": self.pa_text,
                "pa_banner": self.pa_banner, "banner": self.banner.hex(),
                "pages": [p.hex() for p in self.pages],
                "ksyms": {k: v for k, v in self.ksyms.items()},
                "sentinels": sorted(self.sentinels)}

    def check(self, conn):
        """ReadPhysical of a kernel page equals the RAM file; ReadVirtual of
        linux_banner equals the guest's banner. '' when both hold."""
        k = random.randrange(NPAGES)
        r = read_phys(conn, self.path, self.pa_text + k * PAGE, PAGE)
        if not r.ok:
            return f"{self.name}: ReadPhysical {self.pa_text + k * PAGE:#x}: {r}"
        if r.value != self.pages[k]:
            return f"{self.name}: ReadPhysical {self.pa_text + k * PAGE:#x}: not the RAM file's bytes"
        r = call(conn, self.path, "ReadVirtual", "(tiu)", (self.ksyms["linux_banner"], 0, len(self.banner)),
                 raw=True)
        if not r.ok:
            return f"{self.name}: ReadVirtual linux_banner: {r}"
        if r.value != self.banner:
            return f"{self.name}: ReadVirtual linux_banner: {r.value[:40]!r}"
        return ""


def helper_pid():
    return int(PIDS.get("helperd") or E["FAULTS_HELPERD_PID"])


def helper_alive():
    return alive(helper_pid())


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


# ------------------------------------------------------------------ truncate

def phase_truncate(conn, A, B):
    """The RAM file of A shrinks under the helper's mapping (as QEMU's user
    may do): a read past the new end fails with a clear error for A alone,
    the helper lives on, B is served; then the file is put back as it was
    (A paused meanwhile, so the guest never sees it short) and A is served
    again."""
    f = A.ramfile()
    size = os.path.getsize(f)
    cut = size - (1 << 20)
    kinds = collections.Counter()
    msgs = {}
    bad_read, bad_low, bad_b, bad_alive, bad_after = [], [], [], [], []
    for i in range(CYCLES):
        virsh("suspend", A.name)
        with open(f, "r+b") as fh:
            fh.seek(cut)
            tail = fh.read(size - cut)
        os.truncate(f, cut)
        try:
            off = cut + PAGE * random.randrange((size - cut) // PAGE)
            r = read_phys(conn, A.path, off, PAGE)
            if r.ok:
                bad_read.append(f"cycle {i}: ReadPhysical {off:#x} past the end ({cut:#x}) returned data")
            else:
                kinds[r.err] += 1
                msgs.setdefault(r.err, r.msg)
            # below the cut: the file's pages are still there
            if A.pa_text + NPAGES * PAGE <= cut:
                k = random.randrange(NPAGES)
                r = read_phys(conn, A.path, A.pa_text + k * PAGE, PAGE)
                if not (r.ok and r.value == A.pages[k]):
                    bad_low.append(f"cycle {i}: ReadPhysical below the cut: {r if not r.ok else 'wrong bytes'}")
            e = B.check(conn)
            if e:
                bad_b.append(f"cycle {i}: {e}")
            if not helper_alive() or domains(conn) is None:
                bad_alive.append(f"cycle {i}: the helper does not answer (alive: {helper_alive()})")
                break
        finally:
            os.truncate(f, size)
            with open(f, "r+b") as fh:
                fh.seek(cut)
                fh.write(tail)
            virsh("resume", A.name)
        r = read_phys(conn, A.path, cut + PAGE, PAGE)
        if not (r.ok and r.value == tail[PAGE:2 * PAGE]):
            bad_after.append(f"cycle {i}: after the file was restored, ReadPhysical {cut + PAGE:#x}: "
                             f"{r if not r.ok else 'not the restored bytes'}")
    n = i + 1
    note(f"truncate: {n} cycles; errors of the reads past the end: {dict(kinds)}")
    for k, m in msgs.items():
        note(f"  {k}: {m}")
    clear = [k for k in kinds if k.startswith(ERR) and k != GONE]
    check(not bad_read and len(clear) == 1 and kinds[clear[0]] == n,
          f"truncate x{n}: every read past the new end fails, with one clear error kind of the "
          f"helper ({clear[0] if clear else 'none'}; not DomainGone, not a bus error)",
          "\n".join(bad_read) + f"\nkinds {dict(kinds)}")
    check(not bad_alive, f"truncate x{n}: the helper lives on and answers", "\n".join(bad_alive))
    check(not bad_low, f"truncate x{n}: A's reads below the new end still give the RAM file's bytes",
          "\n".join(bad_low))
    check(not bad_b, f"truncate x{n}: B is served meanwhile (its RAM file's bytes, its banner)",
          "\n".join(bad_b))
    check(not bad_after, f"truncate x{n}: once the file is back, A's reads there give its bytes again",
          "\n".join(bad_after))


# ------------------------------------------------------------------ QEMU killed / domain destroyed

class Hammer(threading.Thread):
    """Calls on A, one after the other, until DomainGone three times or a
    bound; every reply is recorded."""

    def __init__(self, dom, ops, bound=60):
        super().__init__(daemon=True)
        self.dom, self.ops, self.bound = dom, ops, bound
        self.replies = []
        self.started_ev = threading.Event()

    def run(self):
        conn = connect()
        gone = 0
        end = time.monotonic() + self.bound
        i = 0
        while time.monotonic() < end and gone < 3:
            op = self.ops[i % len(self.ops)]
            i += 1
            r = op(conn, self.dom)
            self.replies.append((op.__name__, r))
            if i >= 3:
                self.started_ev.set()
            if not r[0] and r[1] == GONE:
                gone += 1
        self.started_ev.set()
        conn.close_sync(None)


def op_read_phys(conn, d):
    k = random.randrange(NPAGES)
    r = read_phys(conn, d.path, d.pa_text + k * PAGE, PAGE)
    if r.ok:
        return (True, r.value == d.pages[k], "")
    return (False, r.err, r.msg)


def op_read_virt(conn, d):
    r = call(conn, d.path, "ReadVirtual", "(tiu)", (d.ksyms["linux_banner"], 0, len(d.banner)), raw=True)
    if r.ok:
        return (True, r.value == d.banner, "")
    return (False, r.err, r.msg)


def op_translate(conn, d):
    r = call(conn, d.path, "TranslateKernel", "(t)", (d.ksyms["linux_banner"],))
    if r.ok:
        return (True, r.value[0] == d.pa_banner, "")
    return (False, r.err, r.msg)


def op_list(conn, d):
    r = call(conn, d.path, "ListProcesses")
    if r.ok:
        got = {(p, n) for p, n, _ in r.value[0]}
        return (True, d.sentinels <= got, "")
    return (False, r.err, r.msg)


def op_regs(conn, d):
    r = call(conn, d.path, "GetRegisters", "(u)", (0,))
    if r.ok:
        regs = r.value[0]
        return (True, "cr3" in {k.lower() for k in regs}, f"{len(regs)} registers: {sorted(regs)[:6]}")
    return (False, r.err, r.msg)


def restore_a(A, save, conn):
    virsh("restore", save, timeout=300)
    A.learn(conn, wait=180)


def phase_kill(conn, A, B, how):
    save = os.path.join(WORK, "a.save")
    if not os.path.exists(save):
        t0 = time.monotonic()
        virsh("save", A.name, save, timeout=300)
        note(f"{A.name} saved to {save} in {time.monotonic() - t0:.1f} s (each cycle restores it)")
        if not wait_until(30, lambda: A.path not in (domains(conn) or {A.path})):
            nok(f"{A.name} saved (stopped): its object goes")
        restore_a(A, save, conn)
    ops = [op_read_phys, op_read_virt, op_translate] if how == "kill" else [op_list, op_regs, op_read_virt]
    t_start = time.monotonic()
    n = 0
    wrong, bad_kind, no_gone, not_removed, bad_b, kinds = [], [], [], [], [], collections.Counter()
    okc = 0
    while n < CYCLES and (n < 3 or time.monotonic() - t_start < BUDGET):
        n += 1
        if n > 1:
            restore_a(A, save, conn)
        h = Hammer(A, ops)
        h.start()
        h.started_ev.wait(60)
        time.sleep(random.uniform(0.05, 0.4))
        if how == "kill":
            pid = A.qemu_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
        else:
            virsh("destroy", A.name, check_rc=False)
        h.join(120)
        for name, r in h.replies:
            if r[0]:
                okc += 1
                if not r[1]:
                    wrong.append(f"cycle {n}: {name} returned a wrong answer {r[2]}")
            else:
                kinds[r[1]] += 1
                if r[1] != GONE:
                    bad_kind.append(f"cycle {n}: {name}: {r[1]}: {r[2]}")
        if not any(not r[0] and r[1] == GONE for _, r in h.replies):
            no_gone.append(f"cycle {n}: no DomainGone among {len(h.replies)} replies")
        if not wait_until(30, lambda: A.path not in (domains(conn) or {A.path})):
            not_removed.append(f"cycle {n}: the object is still listed 30 s after")
        e = B.check(conn)
        if e:
            bad_b.append(f"cycle {n}: {e}")
    what = "QEMU killed (SIGKILL)" if how == "kill" else "virsh destroy"
    calls = "ReadPhysical/ReadVirtual/TranslateKernel" if how == "kill" else "ListProcesses/GetRegisters/ReadVirtual"
    note(f"{how}: {n} cycles in {time.monotonic() - t_start:.0f} s (budget {BUDGET:.0f} s), {okc} correct "
         f"replies, errors {dict(kinds)}")
    check(not wrong, f"{what} x{n} during {calls} on A: every successful reply is the guest's truth",
          "\n".join(wrong))
    check(not bad_kind, f"{what} x{n}: every failed call on A says DomainGone (the error of kind gone)",
          "\n".join(collections.OrderedDict.fromkeys(bad_kind)))
    check(not no_gone, f"{what} x{n}: the calls end with DomainGone, none hangs (bound 60 s)", "\n".join(no_gone))
    check(not not_removed, f"{what} x{n}: A's object is removed (30 s)", "\n".join(not_removed))
    check(not bad_b, f"{what} x{n}: B is served meanwhile and after", "\n".join(bad_b))
    check(helper_alive(), f"{what} x{n}: the helper lives on")
    restore_a(A, save, conn)


# ------------------------------------------------------------------ gdbstub garbage / stall

class GdbProxy(threading.Thread):
    """Sits at A's gdbstub socket path (QEMU's socket renamed aside) and
    forwards between the helper and QEMU; on demand it sends the helper
    garbage after its next request (inject), holds QEMU's replies back for a
    while (stall), or closes both sides (eof)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        import socket as so
        self.so = so
        self.path, self.real = path, path + ".real"
        os.rename(path, self.real)
        st = os.stat(self.real)
        self.lsock = so.socket(so.AF_UNIX, so.SOCK_STREAM)
        self.lsock.bind(path)
        os.chown(path, st.st_uid, st.st_gid)
        os.chmod(path, 0o600)
        self.lsock.listen(4)
        self.lock = threading.Lock()
        self.inject = None
        self.stall_until = 0.0
        self.eof = False
        self.held = b""
        self.pairs = []
        self.quit = False
        self.requests = 0
        self.start()

    def run(self):
        import select
        while not self.quit:
            socks = [self.lsock] + [s for p in self.pairs for s in p]
            r, _, _ = select.select(socks, [], [], 0.05)
            now = time.monotonic()
            for down, up in list(self.pairs):
                if self.held and now >= self.stall_until:
                    try:
                        down.sendall(self.held)
                    except OSError:
                        pass
                    self.held = b""
            for s in r:
                if s is self.lsock:
                    down, _ = self.lsock.accept()
                    up = self.so.socket(self.so.AF_UNIX, self.so.SOCK_STREAM)
                    up.connect(self.real)
                    self.pairs.append((down, up))
                    continue
                pair = next(p for p in self.pairs if s in p)
                down, up = pair
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.close_pair(pair)
                    continue
                if s is down:
                    self.requests += 1
                    if self.eof:
                        self.eof = False
                        self.close_pair(pair)
                        continue
                    up.sendall(data)
                    with self.lock:
                        junk, self.inject = self.inject, None
                    if junk:
                        try:
                            down.sendall(junk)
                        except OSError:
                            pass
                else:
                    if now < self.stall_until or self.held:
                        self.held += data
                    else:
                        try:
                            down.sendall(data)
                        except OSError:
                            self.close_pair(pair)

    def close_pair(self, pair):
        for x in pair:
            try:
                x.close()
            except OSError:
                pass
        if pair in self.pairs:
            self.pairs.remove(pair)
        self.held = b""

    def stop(self):
        self.quit = True
        self.join(5)
        for p in list(self.pairs):
            self.close_pair(p)
        self.lsock.close()
        os.unlink(self.path)
        os.rename(self.real, self.path)


def gdb_socket_of(dom):
    xml = virsh("dumpxml", dom.name).stdout
    m = re.search(r"<qemu:arg value=['\"]-gdb['\"]/>\s*<qemu:arg value=['\"]unix:([^,'\"]+)", xml)
    return m.group(1) if m else None


def op_regs_truth(conn, d):
    r = call(conn, d.path, "GetRegisters", "(u)", (0,), timeout=90000)
    if not r.ok:
        return r, False
    regs = {k.lower(): v for k, v in r.value[0].items()}
    # the guest's kernel runs at its VMI-KSYM addresses: RIP inside the
    # kernel image or in user space, CR3 a page-aligned physical address
    good = "cr3" in regs and "rip" in regs and regs["cr3"] & 0xfff in (0, 0x800) and regs["cr3"] < (1 << 40)
    return r, good


GARBAGE = [
    ("random bytes", lambda: bytes(random.randrange(256) for _ in range(300))),
    ("a packet with a wrong checksum", lambda: b"$T05thread:01;#00"),
    ("an unterminated packet of 256 KiB", lambda: b"$" + b"a" * (256 << 10)),
    ("an error reply", lambda: b"$E01#a6"),
    ("a run-length bomb", lambda: b"$0*\xff*\xff*\xff*\xff#00"),
    ("notification junk", lambda: b"%Stop:T05#00+-+-"),
]


def phase_gdbstub(conn, A, B):
    path = gdb_socket_of(A)
    if not path or not os.path.exists(path):
        skip("gdbstub garbage/stall", f"A's domain XML names no gdbstub socket that exists ({path})", 5)
        return conn
    proxy = GdbProxy(path)
    try:
        # a fresh helper, so that its gdbstub connection goes through the proxy
        conn = own_helper(conn, restart=True)
        A.learn(conn)
        r, good = op_regs_truth(conn, A)
        if not check(r.ok and good and proxy.requests > 0,
                     f"GetRegisters on A through the proxy on its gdbstub ({proxy.requests} requests seen)", repr(r)):
            return conn
        kinds = collections.Counter()
        bad_bound, bad_b, bad_wrong, not_back = [], [], [], []
        n = 0
        t_start = time.monotonic()
        while n < CYCLES and (n < 3 or time.monotonic() - t_start < BUDGET):
            n += 1
            stall = n % 2 == 0
            if stall:
                what = "a stall of 8 s"
                proxy.stall_until = time.monotonic() + 8
            else:
                what, make = GARBAGE[(n // 2) % len(GARBAGE)]
                with proxy.lock:
                    proxy.inject = make()
            res = {}

            def regs():
                res["r"], res["good"] = op_regs_truth(conn2, A)
            conn2 = connect()
            t = threading.Thread(target=regs)
            t0 = time.monotonic()
            t.start()
            # B is served while A's gdbstub misbehaves
            while t.is_alive() and time.monotonic() - t0 < 100:
                e = B.check(conn)
                if e:
                    bad_b.append(f"cycle {n} ({what}): {e}")
                time.sleep(0.2)
            t.join(100)
            took = time.monotonic() - t0
            if t.is_alive() or "r" not in res:
                bad_bound.append(f"cycle {n} ({what}): GetRegisters on A did not end within 100 s")
                break
            r = res["r"]
            kinds["ok" if r.ok else r.err] += 1
            if r.ok and not res["good"]:
                bad_wrong.append(f"cycle {n} ({what}): GetRegisters returned {r.value}")
            if not r.ok and not r.err.startswith(ERR):
                bad_bound.append(f"cycle {n} ({what}): {r.err} after {took:.1f} s: {r.msg}")
            note(f"  cycle {n} ({what}): GetRegisters on A after {took:.1f} s: "
                 f"{'ok' if r.ok else r.err + ': ' + (r.msg or '')[-220:]}")
            conn2.close_sync(None)
            proxy.stall_until = 0
            # then A answers again (through the stub: registers; and memory)
            rr = wait_until(60, lambda: op_regs_truth(conn, A)[1], step=0.5)
            if not rr:
                not_back.append(f"cycle {n} ({what}): GetRegisters on A does not give registers again "
                                f"within 60 s: {op_regs_truth(conn, A)[0]}")
            e = A.check(conn)
            if e:
                not_back.append(f"cycle {n} ({what}): {e}")
        note(f"gdbstub: {n} cycles in {time.monotonic() - t_start:.0f} s; GetRegisters outcomes {dict(kinds)}")
        check(not bad_bound, f"gdbstub garbage/stall x{n}: the call on A ends within the bound (100 s) with "
              "its registers or a clear error of the helper", "\n".join(bad_bound))
        check(not bad_wrong, f"gdbstub garbage/stall x{n}: a GetRegisters that succeeds gives real registers",
              "\n".join(bad_wrong))
        check(not bad_b, f"gdbstub garbage/stall x{n}: B is served meanwhile", "\n".join(bad_b))
        check(not not_back, f"gdbstub garbage/stall x{n}: once the stub behaves, A gives registers and memory "
              "again (60 s)", "\n".join(not_back[:10]))
        check(helper_alive(), f"gdbstub garbage/stall x{n}: the helper lives on")
    finally:
        proxy.stop()
    # a helper connected to QEMU itself for the phases after this one
    conn = own_helper(conn, restart=True)
    A.learn(conn)
    return conn


# ------------------------------------------------------------------ libvirtd restarted

class Signals:
    """MemoryEvent and WatchLost of one connection, on a GLib loop in a thread."""

    def __init__(self, conn, path):
        self.events, self.lost = [], []
        self.ctx = GLib.MainContext.new()
        self.ctx.push_thread_default()
        conn.signal_subscribe(None, DIFACE, "MemoryEvent", path, None, Gio.DBusSignalFlags.NONE, self.on_ev)
        conn.signal_subscribe(None, DIFACE, "WatchLost", path, None, Gio.DBusSignalFlags.NONE, self.on_lost)
        self.ctx.pop_thread_default()
        self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop:
            self.ctx.iteration(True)

    def on_ev(self, conn, sender, path, iface, sig, params):
        self.events.append((time.monotonic(), params.unpack()[0]))

    def on_lost(self, conn, sender, path, iface, sig, params):
        self.lost.append((time.monotonic(),) + tuple(params.unpack()))


def libvirtd_restart():
    try:
        with open("/run/libvirtd.pid") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pid = None
    if pid:
        os.kill(pid, signal.SIGTERM)
        if not wait_until(10, lambda: not alive(pid)):
            os.kill(pid, signal.SIGKILL)
            wait_until(10, lambda: not alive(pid))
    env = dict(E)
    env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    with open(os.path.join(WORK, "libvirtd.err"), "a") as err:
        subprocess.run(["libvirtd", "-d"], env=env, stderr=err, check=True)
    if not wait_until(30, lambda: sh("virsh", "-q", "-c", URI, "uri", timeout=10).returncode == 0):
        raise RuntimeError("libvirtd does not answer after its restart")
    with open("/run/libvirtd.pid") as f:
        PIDS["libvirtd"] = int(f.read().strip())
    save_pids()


REARMED = "watch %u of [^ ]+ re-armed at"


def log_count(regex):
    with open(E["HENV_LOG"], errors="replace") as f:
        return len(re.findall(regex, f.read()))


def phase_libvirtd(conn, A, B):
    if E.get("FAULTS_LIBVIRTD_OURS") != "1":
        skip("libvirtd restarted", "libvirtd was running before this test: not ours to restart", 5)
        return
    wconn = connect()
    sig = Signals(wconn, A.path)
    r = call(wconn, A.path, "LookupSymbol", "(s)", ("__x64_sys_write",))
    if not r.ok:
        nok(f"LookupSymbol __x64_sys_write on A: {r}")
        return
    va = r.value[0]
    r = call(wconn, A.path, "Watch", "(ts)", (va, "x"))
    if not check(r.ok, f"an execute watch on A's write syscall ({va:#x}) is set", repr(r)):
        return
    wid = r.value[0]
    check(wait_until(60, lambda: any(e[1] == wid for e in sig.events)), "... it fires (the guest's ticks, 60 s)")
    t_start = time.monotonic()
    n = 0
    not_back, no_event, lost, bad_b, bad_a = [], [], [], [], []
    while n < CYCLES and (n < 3 or time.monotonic() - t_start < BUDGET):
        n += 1
        rearmed0 = log_count(REARMED % wid)
        libvirtd_restart()
        # the helper saw the loss, reconnected and re-armed (its log), then
        # the watch fires again
        rearmed = wait_until(90, lambda: log_count(REARMED % wid) > rearmed0 or sig.lost, step=0.2)
        t = time.monotonic()
        if not rearmed:
            no_event.append(f"cycle {n}: no re-arm of watch {wid} logged within 90 s, and no WatchLost")
        back = wait_until(90, lambda: all(prop(conn, d.path, "Introspectable") for d in (A, B)), step=0.2)
        if not back:
            not_back.append(f"cycle {n}: A {prop(conn, A.path, 'Introspectable')} B "
                            f"{prop(conn, B.path, 'Introspectable')} after 90 s")
        fired = wait_until(90, lambda: any(e[0] > t and e[1] == wid for e in sig.events) or sig.lost,
                           step=0.2)
        if sig.lost:
            lost.append(f"cycle {n}: WatchLost {sig.lost}")
            break
        if not fired:
            no_event.append(f"cycle {n}: no event of watch {wid} within 90 s after the restart, and no WatchLost")
        e = B.check(conn)
        if e:
            bad_b.append(f"cycle {n}: {e}")
        e = A.check(conn)
        if e:
            bad_a.append(f"cycle {n}: {e}")
    note(f"libvirtd: {n} restarts in {time.monotonic() - t_start:.0f} s (budget {BUDGET:.0f} s); "
         f"{len(sig.events)} events of watch {wid} in all")
    check(not not_back, f"libvirtd restarted x{n}: A and B are introspectable again (90 s)", "\n".join(not_back))
    check(not lost and not no_event, f"libvirtd restarted x{n}: the watch is re-armed (same id {wid}, new "
          "events after each restart, no WatchLost), never dropped silently", "\n".join(lost + no_event))
    check(not bad_a, f"libvirtd restarted x{n}: A's reads give its truth after each", "\n".join(bad_a))
    check(not bad_b, f"libvirtd restarted x{n}: B's reads give its truth after each", "\n".join(bad_b))
    call(wconn, A.path, "Unwatch", "(u)", (wid,))
    sig.stop = True


# ------------------------------------------------------------------ the bus restarted

HELPER_PROC = None


def start_helper(addr, extra=()):
    global HELPER_PROC
    log = open(E["HENV_LOG"], "a")
    HELPER_PROC = subprocess.Popen([E["HELPERD"], "--address", addr, "--config", E["FAULTS_HELPERD_CONF"],
                                    *extra],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    PIDS["helperd"] = HELPER_PROC.pid
    save_pids()
    c = connect(addr)
    if not wait_until(15, lambda: domains(c) is not None):
        raise RuntimeError("the restarted helper does not own its name after 15 s")
    return c


def own_helper(conn, restart=False):
    """The helper as our child (its exit status is the unit's business);
    @restart: a fresh one in any case."""
    pid = helper_pid()
    if HELPER_PROC and HELPER_PROC.pid == pid and not restart:
        return conn
    os.kill(pid, signal.SIGTERM)
    if not wait_until(40, lambda: not alive(pid)):
        raise RuntimeError("the helper did not exit on SIGTERM")
    if HELPER_PROC and HELPER_PROC.pid == pid:
        HELPER_PROC.wait()
    return start_helper(E["BUS_ADDR"])


def start_bus():
    sock = re.search(r"unix:path=([^<\s]+)", open(E["FAULTS_BUS_CONF"]).read()).group(1)
    if os.path.exists(sock):
        os.unlink(sock)
    old = os.umask(0)
    try:
        r = subprocess.run(["dbus-daemon", "--config-file=" + E["FAULTS_BUS_CONF"], "--fork",
                            "--print-address=1", "--print-pid=1"], capture_output=True, text=True, check=True)
    finally:
        os.umask(old)
    addr, pid = r.stdout.split("\n")[:2]
    PIDS["bus"] = int(pid)
    save_pids()
    return addr


def phase_bus(conn, A, B):
    conn = own_helper(conn)
    t_start = time.monotonic()
    n = 0
    bad_exit, not_back, bad = [], [], []
    n_max = int(E.get("LIBVMI_FAULT_BUS_CYCLES", CYCLES))
    while n < n_max and (n < 3 or time.monotonic() - t_start < BUDGET):
        n += 1
        bus = int(PIDS.get("bus") or E["FAULTS_BUS_PID"])
        os.kill(bus, signal.SIGTERM)
        wait_until(10, lambda: not alive(bus))
        try:
            rc = HELPER_PROC.wait(60)
        except subprocess.TimeoutExpired:
            rc = None
        # Restart=on-failure: the unit restarts a helper that exits non-zero
        if rc is None or rc == 0:
            bad_exit.append(f"cycle {n}: the helper's exit status on bus loss: {rc} "
                            "(the unit's Restart=on-failure would not restart it)")
            if rc is None:
                HELPER_PROC.kill()
                HELPER_PROC.wait()
        addr = start_bus()
        if addr.split(",")[0] != E["BUS_ADDR"].split(",")[0]:
            bad.append(f"cycle {n}: the bus came back at {addr}, not {E['BUS_ADDR']}")
        conn = start_helper(addr)
        back = wait_until(90, lambda: all(prop(conn, d.path, "Introspectable") for d in (A, B)), step=0.2)
        if not back:
            not_back.append(f"cycle {n}: domains {domains(conn)} after 90 s")
            continue
        for d in (A, B):
            e = d.check(conn)
            if e:
                bad.append(f"cycle {n}: {e}")
    note(f"bus: {n} restarts in {time.monotonic() - t_start:.0f} s (budget {BUDGET:.0f} s)")
    check(not bad_exit, f"bus restarted x{n}: the helper exits non-zero (status 1), so its unit "
          "(Restart=on-failure) restarts it", "\n".join(bad_exit))
    check(not not_back, f"bus restarted x{n}: the restarted helper publishes A and B again, introspectable",
          "\n".join(not_back))
    check(not bad, f"bus restarted x{n}: A's and B's reads give their truth", "\n".join(bad))
    return conn


# ------------------------------------------------------------------ scale

def wakeups(pid):
    """Context switches of every thread of @pid so far (each is a wake-up
    or a preemption of a thread that ran)."""
    n = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        n += int(line.split()[1])
        except OSError:
            pass
    return n


def rss_parts(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k = line.split(":")[0]
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(line.split()[1])
    return out


def idle_figures(pid, secs):
    w0 = wakeups(pid)
    time.sleep(secs)
    w1 = wakeups(pid)
    return {"rss": rss_parts(pid), "threads": threads(pid), "wakeups_s": (w1 - w0) / secs}


def phase_scale(conn, A, B):
    n = int(E.get("LIBVMI_SCALE_DOMAINS", "200"))
    idle = float(E.get("LIBVMI_SCALE_IDLE_S", "10"))
    raw, rig_conf = E.get("RIG_RAW"), E.get("RIG_CONF")
    if not raw or not os.path.exists(raw):
        skip("scale", "the rig's raw amd64 snapshot is not there", 3)
        return conn
    conn = own_helper(conn, restart=True)
    A.learn(conn)
    B.learn(conn)
    time.sleep(2)
    base = idle_figures(helper_pid(), idle)
    note(f"scale: the helper with 2 running guests, idle {idle:.0f} s: RSS {base['rss']} KiB, "
         f"{base['threads']} threads, {base['wakeups_s']:.1f} wake-ups/s")
    # n running domains of libvirt's test driver (in the helper's own
    # process: no libvirtd), each opened by libvmi as the rig's snapshot
    # (its libvmi.conf entry's path), so each is an introspectable, idle
    # domain with an open instance
    xml = os.path.join(WORK, "scale.xml")
    keys = [l for l in open(rig_conf) if re.match(r"^ *(ostype|sysmap|linux_[a-z]+) *=", l)]
    import uuid as uuidmod
    uuids = [str(uuidmod.UUID(int=(0x5ca1e << 96) | i)) for i in range(n)]
    with open(xml, "w") as f:
        f.write("<node>\n")
        for i, u in enumerate(uuids):
            f.write(f"<domain type='test'><name>scale-{i:03d}</name><uuid>{u}</uuid>"
                    "<memory unit='MiB'>512</memory><vcpu>1</vcpu>"
                    "<os><type arch='x86_64'>hvm</type></os></domain>\n")
        f.write("</node>\n")
    conf = E["FAULTS_LIBVMI_CONF"]
    with open(conf) as f:
        saved = f.read()
    try:
        with open(conf, "a") as f:
            for i in range(n):
                f.write(f"scale-{i:03d} {{\n    path = \"{raw}\";\n" + "".join(keys) + "}\n")
        pid0 = helper_pid()
        os.kill(pid0, signal.SIGTERM)
        wait_until(40, lambda: not alive(pid0))
        if HELPER_PROC and HELPER_PROC.pid == pid0:
            HELPER_PROC.wait()
        conn = start_helper(E["BUS_ADDR"], extra=["-c", URI, "-c", "test://" + xml])
        t0 = time.monotonic()
        paths = ["/org/libvmi/helper1/domain/_" + u.replace("-", "_") for u in uuids]
        published = wait_until(300, lambda: len(domains(conn) or ()) >= n + 2, step=1)
        intro = wait_until(600, lambda: all(prop(conn, p, "Introspectable") for p in
                                            paths[::max(1, n // 20)] + [paths[-1], A.path, B.path]), step=2)
        note(f"scale: {len(domains(conn) or ())} domains published, sample introspectable: {bool(intro)}, "
             f"after {time.monotonic() - t0:.0f} s")
        if not check(published and intro, f"scale: the helper publishes {n} test-driver domains and the 2 guests, "
                     "introspectable"):
            return conn
        time.sleep(5)
        big = idle_figures(helper_pid(), idle)
        d_rss = (big["rss"]["VmRSS"] - base["rss"]["VmRSS"]) / n
        d_anon = (big["rss"].get("RssAnon", 0) - base["rss"].get("RssAnon", 0)) / n
        note(f"scale: with {n} more idle domains: RSS {big['rss']} KiB, {big['threads']} threads, "
             f"{big['wakeups_s']:.1f} wake-ups/s")
        note(f"scale: per idle domain: {d_rss:.0f} KiB RSS ({d_anon:.0f} KiB anonymous), "
             f"{(big['threads'] - base['threads']) / n:.2f} threads; wake-ups/s {base['wakeups_s']:.1f} -> "
             f"{big['wakeups_s']:.1f}")
        for d in (A, B):
            e = d.check(conn)
            check(not e, f"scale: {d.name} is served as before among {n + 2} domains", e)
        bound = 2 * base["wakeups_s"] + 20
        check(big["wakeups_s"] <= bound, f"scale: an idle domain costs no polling: {big['wakeups_s']:.1f} "
              f"wake-ups/s with {n} more idle domains, {base['wakeups_s']:.1f} without (bound: twice that + 20)")
    finally:
        with open(conf, "w") as f:
            f.write(saved)
        conn = own_helper(conn, restart=True)
    return conn


# ------------------------------------------------------------------ load

def phase_load(conn, A, B):
    nclients = int(E.get("LIBVMI_LOAD_CLIENTS", "32"))
    ncalls = int(E.get("LIBVMI_LOAD_CALLS", "600"))
    tfile = os.path.join(WORK, "load-truth.json")
    with open(tfile, "w") as f:
        json.dump([A.truth_json(), B.truth_json()], f)
    pid = helper_pid()
    rss = [rss_kib(pid)]
    thr = [threads(pid)]
    results = []
    for rnd in (1, 2):
        procs = []
        t0 = time.monotonic()
        for c in range(nclients):
            o = os.path.join(WORK, f"load-{rnd}-{c}.json")
            procs.append((o, subprocess.Popen([sys.executable, __file__, "load-client", tfile, str(ncalls),
                                               str(rnd * 1000 + c), o])))
        for o, p in procs:
            p.wait(900)
        wall = time.monotonic() - t0
        rss.append(rss_kib(pid))
        thr.append(threads(pid))
        for o, p in procs:
            try:
                with open(o) as f:
                    results.append(json.load(f))
            except (OSError, ValueError):
                results.append({"crashed": f"client exit {p.returncode}"})
        note(f"load round {rnd}: {nclients} clients x {ncalls} calls in {wall:.1f} s; helper RSS "
             f"{rss[-1] / 1024:.1f} MiB, {thr[-1]} threads")
    lat = collections.defaultdict(list)
    errs = collections.Counter()
    wrong, crashed, lost = [], [], 0
    total = 0
    for res in results:
        if "crashed" in res:
            crashed.append(res["crashed"])
            continue
        total += res["calls"]
        for k, v in res["lat"].items():
            lat[k] += v
        for k, v in res["errors"].items():
            errs[k] += v
        wrong += res["wrong"]
        lost += res["lost"]

    def pct(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(len(v) * p))] * 1000 if v else 0

    allv = [x for v in lat.values() for x in v]
    note(f"load: {total} calls, errors by kind {dict(errs)}")
    note(f"load latency (ms) all: p50 {pct(allv, .5):.2f} p90 {pct(allv, .9):.2f} p99 {pct(allv, .99):.2f} "
         f"max {max(allv) * 1000 if allv else 0:.1f}")
    for k in sorted(lat):
        note(f"  {k:16s} n={len(lat[k]):6d} p50 {pct(lat[k], .5):7.2f} p99 {pct(lat[k], .99):8.2f}")
    note(f"helper RSS (MiB): before {rss[0] / 1024:.1f}, after round 1 {rss[1] / 1024:.1f}, "
         f"after round 2 {rss[2] / 1024:.1f}; threads {thr}")
    check(not crashed, f"load: all {len(results)} client runs finished", "\n".join(crashed))
    check(lost == 0, f"load: no call lost (every one answered within 60 s): {lost} lost")
    check(not wrong, f"load: every one of {total} replies is the truth of the guest it was asked about "
          "(no mixed-up replies)", "\n".join(wrong[:5]))
    allowed = {ERR + "Busy", ERR + "Failed"}   # Watch: the per-caller / per-domain watch limits
    bad = {k: v for k, v in errs.items() if not k.startswith("Watch:") or k.split(":", 1)[1] not in allowed}
    check(not bad, f"load: no call failed but Watch at its limits (Busy/Failed): {bad}")
    grow = rss[2] - rss[1]
    check(grow < 16 * 1024, f"load: no unbounded growth: the helper's RSS grew {grow / 1024:.1f} MiB in the "
          "second round (bound 16 MiB)")


def load_client(tfile, ncalls, seed, outfile):
    random.seed(seed)
    with open(tfile) as f:
        doms = json.load(f)
    for d in doms:
        d["banner_b"] = bytes.fromhex(d["banner"])
        d["pages_b"] = [bytes.fromhex(p) for p in d["pages"]]
        d["sentinels"] = {tuple(s) for s in d["sentinels"]}
    conn = connect()
    lat = collections.defaultdict(list)
    errors = collections.Counter()
    wrong = []
    lost = 0
    ops = ["ReadPhysical"] * 35 + ["ReadVirtual"] * 25 + ["TranslateKernel"] * 15 + \
          ["LookupSymbol"] * 12 + ["ListProcesses"] * 10 + ["Watch"] * 3
    for i in range(ncalls):
        d = random.choice(doms)
        op = random.choice(ops)
        p = d["path"]
        if op == "ReadPhysical":
            k = random.randrange(NPAGES)
            off = random.randrange(0, PAGE, 8)
            n = min(random.choice((8, 64, 512, PAGE)), PAGE - off)
            r = read_phys(conn, p, d["pa_text"] + k * PAGE + off, n, timeout=60000)
            good = r.ok and r.value == d["pages_b"][k][off:off + n]
        elif op == "ReadVirtual":
            r = call(conn, p, "ReadVirtual", "(tiu)", (d["ksyms"]["linux_banner"], 0, len(d["banner_b"])),
                     raw=True, timeout=60000)
            good = r.ok and r.value == d["banner_b"]
        elif op == "TranslateKernel":
            r = call(conn, p, "TranslateKernel", "(t)", (d["ksyms"]["linux_banner"],), timeout=60000)
            good = r.ok and r.value[0] == d["pa_banner"]
        elif op == "LookupSymbol":
            name = random.choice(sorted(d["ksyms"]))
            r = call(conn, p, "LookupSymbol", "(s)", (name,), timeout=60000)
            good = r.ok and r.value[0] == d["ksyms"][name]
        elif op == "ListProcesses":
            r = call(conn, p, "ListProcesses", timeout=60000)
            good = r.ok and d["sentinels"] <= {(q, n) for q, n, _ in r.value[0]} and r.value[0][0][0] == 0
        else:
            # a write watch on the banner (never written: it never fires),
            # then Unwatch: the watch slots, their limits and the listening
            # worker under load
            r = call(conn, p, "Watch", "(ts)", (d["ksyms"]["linux_banner"], "w"), timeout=60000)
            good = r.ok and r.value[0] != 0
            if r.ok:
                u = call(conn, p, "Unwatch", "(u)", (r.value[0],), timeout=60000)
                lat["Unwatch"].append(u.secs)
                if not u.ok:
                    errors["Unwatch:" + u.err] += 1
        lat[op].append(r.secs)
        if not r.ok:
            if r.err in ("org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout") or \
                    "Timeout" in r.err:
                lost += 1
            errors[op + ":" + r.err] += 1
            continue
        if not good:
            wrong.append(f"client {seed}: {op} on {d['name']}: {str(r.value)[:120]}")
    with open(outfile, "w") as f:
        json.dump({"calls": ncalls, "lat": lat, "errors": errors, "wrong": wrong, "lost": lost}, f)


# ------------------------------------------------------------------ main

def main(argv):
    if argv[1] == "load-client":
        load_client(argv[2], int(argv[3]), int(argv[4]), argv[5])
        return 0
    conn = connect()
    A, B = Dom("A"), Dom("B")
    try:
        A.learn(conn)
        B.learn(conn)
    except RuntimeError as e:
        nok(f"the truth of both guests is learnt: {e}")
        return 1
    note(f"A {A.name}: kernel text at pa {A.pa_text:#x}, banner at {A.pa_banner:#x}; "
         f"B {B.name}: text at {B.pa_text:#x}, banner at {B.pa_banner:#x}")
    for phase in argv[1:]:
        t0 = time.monotonic()
        try:
            if phase == "truncate":
                phase_truncate(conn, A, B)
            elif phase in ("qemu-kill", "destroy"):
                phase_kill(conn, A, B, "kill" if phase == "qemu-kill" else "destroy")
            elif phase == "gdbstub":
                conn = phase_gdbstub(conn, A, B)
            elif phase == "libvirtd":
                phase_libvirtd(conn, A, B)
            elif phase == "bus":
                conn = phase_bus(conn, A, B)
            elif phase == "scale":
                conn = phase_scale(conn, A, B)
            elif phase == "load":
                phase_load(conn, A, B)
            else:
                nok(f"unknown phase {phase}")
        except (RuntimeError, subprocess.SubprocessError, OSError) as e:
            nok(f"{phase}: the phase could not go on: {e}")
        note(f"phase {phase}: {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
