"""The Libvmi class and the enums of the libvmi Python package (PyVMI).

The names, argument orders, defaults and return values are those of PyVMI
(github.com/libvmi/python, libvmi/libvmi.py), so that its scripts run
unchanged; every call goes to the C library (see _ffi.py).  Differences are
listed in libvmi-python(7).
"""
from enum import Enum

from ._ffi import ffi, lib

# PyVMI's init flags (vmi_init of the modern API)
INIT_DOMAINNAME = 1 << 0
INIT_DOMAINID = 1 << 1
INIT_EVENTS = 1 << 2
INIT_DOMAINUUID = 1 << 3
INIT_DOMAINWATCH = 1 << 4
INIT_V2SYM = 1 << 5

VMI_AUTO = 1 << 8           # our access mode "let the library pick"
ACCESS_CONTEXT_VERSION = 1

# buffers the library fills: no need to zero them first
_raw = ffi.new_allocator(should_clear_after_alloc=False)


class VMIErrorCode(Enum):
    """The kind of a failure (vmi_get_last_error_code); not in PyVMI."""
    NONE = 0
    FAILED = 1
    UNSUPPORTED = 2
    INVALID = 3
    NOT_FOUND = 4
    IO = 5
    CORRUPT = 6
    GONE = 7
    PERMISSION = 8
    TIMEOUT = 9


class LibvmiError(Exception):
    """A libvmi call failed.  str(e) carries the library's reason;
    e.reason is that sentence, e.code its kind (VMIErrorCode), e.init_error
    the stage of a failed init (LibvmiInitError) or None."""

    def __init__(self, message, reason=None, code=VMIErrorCode.FAILED, init_error=None):
        super().__init__(message)
        self.reason = reason
        self.code = code
        self.init_error = init_error


def _last_error(vmi):
    text = lib.vmi_get_last_error(vmi)
    reason = ffi.string(text).decode(errors="replace") if text != ffi.NULL else ""
    try:
        code = VMIErrorCode(lib.vmi_get_last_error_code(vmi))
    except ValueError:
        code = VMIErrorCode.FAILED
    return reason, code


def _fail(vmi, what):
    reason, code = _last_error(vmi)
    raise LibvmiError("%s: %s" % (what, reason or "VMI_FAILURE"), reason, code)


class X86Reg(Enum):
    RAX = 0
    RBX = 1
    RCX = 2
    RDX = 3
    RBP = 4
    RSI = 5
    RDI = 6
    RSP = 7
    RIP = 8
    RFLAGS = 9
    R8 = 10
    R9 = 11
    R10 = 12
    R11 = 13
    R12 = 14
    R13 = 15
    R14 = 16
    R15 = 17
    CR0 = 18
    CR2 = 19
    CR3 = 20
    CR4 = 21
    XCR0 = 22
    DR0 = 23
    DR1 = 24
    DR2 = 25
    DR3 = 26
    DR6 = 27
    DR7 = 28
    # ours: the segment and table registers (PyVMI stops at DR7)
    CS_SEL = 29
    DS_SEL = 30
    ES_SEL = 31
    FS_SEL = 32
    GS_SEL = 33
    SS_SEL = 34
    TR_SEL = 35
    CS_BASE = 47
    DS_BASE = 48
    ES_BASE = 49
    FS_BASE = 50
    GS_BASE = 51
    SS_BASE = 52
    TR_BASE = 53
    IDTR_BASE = 55
    GDTR_BASE = 56
    SHADOW_GS = 68


_MSR_NUMBERS = dict(FLAGS=70, LSTAR=71, CSTAR=72, SYSCALL_MASK=73, EFER=74, TSC_AUX=75, ALL=76)
for _i, _n in enumerate(
        "STAR SHADOW_GS_BASE MTRRfix64K_00000 MTRRfix16K_80000 MTRRfix16K_A0000 MTRRfix4K_C0000 "
        "MTRRfix4K_C8000 MTRRfix4K_D0000 MTRRfix4K_D8000 MTRRfix4K_E0000 MTRRfix4K_E8000 "
        "MTRRfix4K_F0000 MTRRfix4K_F8000 MTRRdefType IA32_MC0_CTL IA32_MC0_STATUS IA32_MC0_ADDR "
        "IA32_MC0_MISC IA32_MC1_CTL IA32_MC0_CTL2 AMD_PATCHLEVEL AMD64_TSC_RATIO IA32_P5_MC_ADDR "
        "IA32_P5_MC_TYPE IA32_TSC IA32_PLATFORM_ID IA32_EBL_CR_POWERON IA32_EBC_FREQUENCY_ID "
        "IA32_FEATURE_CONTROL IA32_SYSENTER_CS IA32_SYSENTER_ESP IA32_SYSENTER_EIP "
        "IA32_MISC_ENABLE HYPERVISOR ANY".split()):
    _MSR_NUMBERS[_n] = 119 + _i
MSR = Enum("MSR", _MSR_NUMBERS)


class Registers:
    """The registers of one vCPU (vmi_get_vcpuregs), indexed by X86Reg:
    regs[X86Reg.RIP]; regs.cffi_regs is the C structure (x86 and arm)."""

    def __init__(self, regs=None):
        self.cffi_regs = regs if regs is not None else ffi.new("registers_t *")

    @staticmethod
    def _field(index):
        if not isinstance(index, X86Reg):
            raise RuntimeError("Must be an X86Reg enum value")
        return index.name.lower()

    def __getitem__(self, index):
        try:
            return getattr(self.cffi_regs.x86, self._field(index))
        except AttributeError as e:
            raise RuntimeError("Unknown field {} in regs.x86".format(index.name.lower())) from e

    def __setitem__(self, index, value):
        try:
            setattr(self.cffi_regs.x86, self._field(index), value)
        except AttributeError as e:
            raise RuntimeError("Unknown field {} in regs.x86".format(index.name.lower())) from e

    def __str__(self):
        x86 = self.cffi_regs.x86
        return "\n".join("%s = %#x" % (name, getattr(x86, name))
                         for name, _ in ffi.typeof("x86_registers_t").fields)


class VMIMode(Enum):
    XEN = 0
    KVM = 1
    FILE = 2
    BAREFLANK = 3


class VMIConfig(Enum):
    GLOBAL_FILE_ENTRY = 0
    STRING = 1
    DICT = 2
    JSON_PATH = 3
    FILE_PATH = 4


class VMIStatus(Enum):
    SUCCESS = 0
    FAILURE = 1


class LibvmiInitError(Enum):
    NONE = 0
    DRIVER_NOT_DETECTED = 1
    DRIVER = 2
    VM_NOT_FOUND = 3
    PAGING = 4
    OS = 5
    EVENTS = 6
    NO_CONFIG = 7
    NO_CONFIG_ENTRY = 8


class PageMode(Enum):
    UNKNOWN = 0
    LEGACY = 1
    PAE = 2
    IA32E = 3
    AARCH32 = 4
    AARCH64 = 5
    NONE = 6
    EPT_4L = 7
    EPT_5L = 8
    LA57 = 9


class VMIArch(Enum):
    VMI_ARCH_UNKNOWN = 0
    VMI_ARCH_X86 = 1
    VMI_ARCH_X86_64 = 2
    VMI_ARCH_ARM32 = 3
    VMI_ARCH_ARM64 = 4


class VMIOS(Enum):
    UNKNOWN = 0
    LINUX = 1
    WINDOWS = 2
    FREEBSD = 3
    OSX = 4


class VMIWinVer(Enum):
    OS_WINDOWS_NONE = 0
    OS_WINDOWS_UNKNOWN = 1
    OS_WINDOWS_2000 = 2
    OS_WINDOWS_XP = 3
    OS_WINDOWS_2003 = 4
    OS_WINDOWS_VISTA = 5
    OS_WINDOWS_2008 = 6
    OS_WINDOWS_7 = 7
    OS_WINDOWS_8 = 8
    OS_WINDOWS_10 = 9


class TranslateMechanism(Enum):
    NONE = 0
    PROCESS_DTB = 1
    PROCESS_PT = 1      # the same mechanism under its newer name (an alias)
    PROCESS_PID = 2
    KERNEL_SYMBOL = 3


class VMIInitData(Enum):
    XEN_EVTCHN = 0
    MEMMAP = 1
    KVMI_SOCKET = 2


class AccessContext:
    """Where an access goes: a physical address (NONE), a virtual address
    through a page table (PROCESS_DTB) or of a process (PROCESS_PID), or a
    kernel symbol (KERNEL_SYMBOL)."""

    def __init__(self, tr_mechanism=TranslateMechanism.NONE, addr=0, ksym=None, dtb=0, pid=0):
        if not isinstance(tr_mechanism, TranslateMechanism):
            raise RuntimeError("must specify a valid TranslateMechanism")
        self.tr_mechanism = tr_mechanism
        if tr_mechanism == TranslateMechanism.KERNEL_SYMBOL and not isinstance(ksym, str):
            raise RuntimeError("ksym must be a string")
        self.ksym = ksym
        self.addr = addr
        self.dtb = dtb
        self.pid = pid
        self._keep = None

    def to_ffi(self):
        """A C access_context_t (valid while this object lives)."""
        c = ffi.new("access_context_t *")
        c.version = ACCESS_CONTEXT_VERSION
        tm = self.tr_mechanism
        c.translate_mechanism = tm.value
        # dtb and pid share storage in the C structure: set the one that counts
        if tm == TranslateMechanism.KERNEL_SYMBOL:
            self._keep = ffi.new("char[]", self.ksym.encode())
            c.ksym = self._keep
        else:
            c.addr = self.addr
            if tm == TranslateMechanism.PROCESS_DTB:
                c.dtb = self.dtb
            elif tm == TranslateMechanism.PROCESS_PID:
                c.pid = self.pid
        return c


class PageInfo:
    """One translation in detail (pagetable_lookup_extended's fields)."""

    def __init__(self, cffi_pageinfo):
        self.vaddr = cffi_pageinfo.vaddr
        self.paddr = cffi_pageinfo.paddr
        self.dtb = cffi_pageinfo.pt
        self.size = cffi_pageinfo.size
        self.page_mode = PageMode(cffi_pageinfo.pm)


def check(status, error="VMI_FAILURE"):
    if status != 0:
        raise LibvmiError(error)


def _reg(reg):
    return reg.value if isinstance(reg, Enum) else int(reg)


def _cstr(p, vmi=None, what="read", free=True):
    if p == ffi.NULL:
        _fail(vmi, what)
    s = ffi.string(p).decode(errors="replace")
    if free:
        lib.free(p)
    return s


def _quote(value):
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def dict_to_config_string(config):
    """A config dict as a VMI_CONFIG_STRING entry: "key = value; ...".
    (PyVMI builds a GHashTable; the library reads numbers out of such a
    table by key name, so a string where it wants a number would be read as
    a pointer: the string form is checked by the library's parser.)"""
    parts = []
    for k, v in config.items():
        if not isinstance(k, str) or not k.replace("_", "").isalnum():
            raise RuntimeError("Invalid key {!r} in config".format(k))
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise RuntimeError("Invalid value {} in config".format(v))
        parts.append("%s = %s;" % (k, hex(v) if isinstance(v, int) else _quote(v)))
    return " ".join(parts)


_read_pa = lib.vmi_read_pa
_read_va = lib.vmi_read_va
_read_ksym = lib.vmi_read_ksym
_unpack = ffi.unpack
_SCRATCH = 64 * 1024


class Libvmi:
    """One libvmi instance: a guest (domain name, ID, UUID) or a memory
    snapshot (path).  Use it as a context manager or call destroy()."""

    # An instance is used by one thread at a time (as the C library's):
    # reads go through one scratch buffer of the instance.
    __slots__ = ("opaque_vmi", "vmi", "_nread", "_buf", "_events", "_callback_error",
                 "__weakref__")

    def __init__(self, domain, init_flags=INIT_DOMAINNAME, init_data=None,
                 config_mode=VMIConfig.GLOBAL_FILE_ENTRY, config=ffi.NULL, mode=None,
                 partial=False):
        self.vmi = ffi.NULL
        self._nread = ffi.new("size_t *")
        self._buf = _raw("char[]", _SCRATCH)
        self._events = {}
        self._callback_error = None
        # PyVMI's README once wrote mode=VMIConfig.STRING for config_mode
        if isinstance(mode, VMIConfig):
            config_mode, mode = mode, None
        if not isinstance(config_mode, VMIConfig):
            raise RuntimeError("config_mode is not an instance of VMIConfig")
        if config is None:
            config = ffi.NULL
        self.opaque_vmi = ffi.new("vmi_instance_t *")
        init_error = ffi.new("vmi_init_error_t *")
        keep = []
        init_data_ffi = self._init_data(init_data, keep)
        domain_c = self._domain(domain, init_flags, keep)
        if partial:
            if mode is None:
                mode = self.get_access_mode(domain, init_flags, init_data_ffi)
            if not isinstance(mode, VMIMode):
                raise RuntimeError("mode is not an instance of VMIMode")
            if not init_flags & (INIT_DOMAINNAME | INIT_DOMAINID | INIT_DOMAINUUID):
                raise RuntimeError("Partial init, init_flags must be either INIT_DOMAINNAME or "
                                   "INIT_DOMAINID")
            status = lib.vmi_init(self.opaque_vmi, mode.value, domain_c, init_flags,
                                  init_data_ffi, init_error)
        else:
            if config_mode == VMIConfig.DICT:
                config_mode, config = VMIConfig.STRING, dict_to_config_string(config)
            if config_mode in (VMIConfig.STRING, VMIConfig.FILE_PATH, VMIConfig.JSON_PATH):
                if not isinstance(config, str):
                    raise RuntimeError("config must be a string for {}".format(config_mode))
                config = ffi.new("char[]", config.encode())
                keep.append(config)
            status = lib.vmi_init_complete(self.opaque_vmi, domain_c, init_flags, init_data_ffi,
                                           config_mode.value, config, init_error)
        if status != 0:
            stage = LibvmiInitError(init_error[0]) if 0 <= init_error[0] <= 8 else None
            reason, code = _last_error(ffi.NULL)
            name = stage.name if stage else "VMI_FAILURE"
            raise LibvmiError("%s: %s" % (name, reason) if reason else name, reason, code, stage)
        self.vmi = self.opaque_vmi[0]

    @staticmethod
    def _domain(domain, init_flags, keep):
        if init_flags & INIT_DOMAINID:
            p = ffi.new("uint64_t *", int(domain))
        else:
            if not isinstance(domain, (str, bytes)):
                raise RuntimeError("domain must be a string")
            p = ffi.new("char[]", domain.encode() if isinstance(domain, str) else domain)
        keep.append(p)
        return p

    @staticmethod
    def _init_data(init_data, keep):
        if not init_data:
            return ffi.NULL
        d = ffi.new("vmi_init_data_t *", {"entry": len(init_data)})
        d.count = len(init_data)
        for i, (kind, value) in enumerate(init_data.items()):
            if not isinstance(value, str):
                raise RuntimeError("Passing anything else than a string as init_data value is "
                                   "not implemented")
            d.entry[i].type = kind.value
            buf = ffi.new("char[]", value.encode())
            keep.append(buf)
            d.entry[i].data = buf
        keep.append(d)
        return d

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.destroy()

    def __del__(self):
        try:
            if self.vmi:
                lib.vmi_destroy(self.vmi)
                self.vmi = ffi.NULL
        except Exception:
            pass

    def _check(self, status, what):
        if status != 0:
            _fail(self.vmi, what)

    def _live(self):
        if not self.vmi:
            raise LibvmiError("the instance was destroyed")
        return self.vmi

    def init_paging(self, flags):
        return PageMode(lib.vmi_init_paging(self._live(), flags))

    def init_os(self, config_mode=VMIConfig.GLOBAL_FILE_ENTRY, config=ffi.NULL):
        init_error = ffi.new("vmi_init_error_t *")
        if config is None:
            config = ffi.NULL
        if config_mode == VMIConfig.DICT:
            config_mode, config = VMIConfig.STRING, dict_to_config_string(config)
        if config_mode in (VMIConfig.STRING, VMIConfig.FILE_PATH, VMIConfig.JSON_PATH):
            config = ffi.new("char[]", config.encode())
        os_type = lib.vmi_init_os(self._live(), config_mode.value, config, init_error)
        return VMIOS(os_type), init_error[0]

    def destroy(self):
        if self.vmi:
            vmi, self.vmi = self.vmi, ffi.NULL
            self._events.clear()
            if lib.vmi_destroy(vmi) != 0:
                _fail(ffi.NULL, "destroy")
        self.opaque_vmi = None

    def get_library_arch(self):
        return VMIArch(lib.vmi_get_library_arch())

    def get_rekall_path(self):
        p = lib.vmi_get_rekall_path(self.vmi)
        return None if p == ffi.NULL else ffi.string(p).decode()

    def get_os_profile_path(self):
        p = lib.vmi_get_os_profile_path(self.vmi)
        return None if p == ffi.NULL else ffi.string(p).decode()

    # ------------------------------------------------------- translations
    def translate_kv2p(self, vaddr):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_translate_kv2p(self.vmi, vaddr, out), "translate_kv2p(%#x)" % vaddr)
        return out[0]

    def translate_uv2p(self, vaddr, pid):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_translate_uv2p(self.vmi, vaddr, pid, out),
                    "translate_uv2p(%#x, pid %d)" % (vaddr, pid))
        return out[0]

    def translate_ksym2v(self, symbol):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_translate_ksym2v(self.vmi, symbol.encode(), out),
                    "translate_ksym2v(%s)" % symbol)
        return out[0]

    def translate_sym2v(self, ctx, symbol):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_translate_sym2v(self.vmi, ctx.to_ffi(), symbol.encode(), out),
                    "translate_sym2v(%s)" % symbol)
        return out[0]

    def translate_v2sym(self, ctx, addr):
        c = ctx.to_ffi()
        return _cstr(lib.vmi_translate_v2sym(self.vmi, c, addr), self.vmi,
                     "translate_v2sym(%#x)" % addr, free=False)

    def translate_v2ksym(self, ctx, addr):
        c = ctx.to_ffi()
        return _cstr(lib.vmi_translate_v2ksym(self.vmi, c, addr), self.vmi,
                     "translate_v2ksym(%#x)" % addr, free=False)

    def translate_v2ksym_nearest(self, vaddr):
        """Ours: (name, offset) of the kernel symbol at or below @vaddr."""
        off = ffi.new("addr_t *")
        name = _cstr(lib.vmi_translate_v2ksym_nearest(self.vmi, vaddr, off), self.vmi,
                     "translate_v2ksym_nearest(%#x)" % vaddr, free=False)
        return name, off[0]

    def pid_to_dtb(self, pid):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_pid_to_dtb(self.vmi, pid, out), "pid_to_dtb(%d)" % pid)
        return out[0]

    def dtb_to_pid(self, dtb):
        out = ffi.new("vmi_pid_t *")
        self._check(lib.vmi_dtb_to_pid(self.vmi, dtb, out), "dtb_to_pid(%#x)" % dtb)
        return out[0]

    def pagetable_lookup(self, dtb, vaddr):
        out = ffi.new("addr_t *")
        self._check(lib.vmi_pagetable_lookup(self.vmi, dtb, vaddr, out),
                    "pagetable_lookup(%#x, %#x)" % (dtb, vaddr))
        return out[0]

    def pagetable_lookup_extended(self, dtb, vaddr):
        info = ffi.new("page_info_t *")
        self._check(lib.vmi_pagetable_lookup_extended(self.vmi, dtb, vaddr, info),
                    "pagetable_lookup_extended(%#x, %#x)" % (dtb, vaddr))
        return info

    # --------------------------------------------------------------- reads
    def _finish(self, status, buf, count, padding, what):
        n = self._nread[0]
        if status != 0:
            if not padding:
                _fail(self.vmi, what)
            return _unpack(buf, n) + bytes(count - n), n
        return _unpack(buf, n), n

    def read(self, ctx, count, padding=False):
        buf = self._buf if count <= _SCRATCH else _raw("char[]", count)
        st = lib.vmi_read(self.vmi, ctx.to_ffi(), count, buf, self._nread)
        return self._finish(st, buf, count, padding, "read(%d bytes)" % count)

    def read_pa(self, paddr, count, padding=False):
        """(bytes, count read) at physical @paddr; with padding, what cannot
        be read is zeros (and count says how much was read)."""
        buf = self._buf if count <= _SCRATCH else _raw("char[]", count)
        if _read_pa(self.vmi, paddr, count, buf, self._nread) == 0:
            return _unpack(buf, count), count
        return self._finish(1, buf, count, padding, "read_pa(%#x, %d)" % (paddr, count))

    def read_va(self, vaddr, pid, count, padding=False):
        """(bytes, count read) at virtual @vaddr of @pid (0: the kernel)."""
        # VMI_SUCCESS means all @count bytes were read: the fast path
        # looks at nothing else
        buf = self._buf if count <= _SCRATCH else _raw("char[]", count)
        if _read_va(self.vmi, vaddr, pid, count, buf, self._nread) == 0:
            return _unpack(buf, count), count
        return self._finish(1, buf, count, padding,
                            "read_va(%#x, pid %d, %d)" % (vaddr, pid, count))

    def read_ksym(self, symbol, count, padding=False):
        buf = self._buf if count <= _SCRATCH else _raw("char[]", count)
        st = _read_ksym(self.vmi, symbol.encode(), count, buf, self._nread)
        return self._finish(st, buf, count, padding, "read_ksym(%s, %d)" % (symbol, count))

    def _value(self, fn, ctype, what, *args):
        out = ffi.new(ctype)
        if fn(self.vmi, *args, out) != 0:
            _fail(self.vmi, what)
        return out[0]

    def read_8(self, ctx):
        return self._value(lib.vmi_read_8, "uint8_t *", "read_8", ctx.to_ffi())

    def read_16(self, ctx):
        return self._value(lib.vmi_read_16, "uint16_t *", "read_16", ctx.to_ffi())

    def read_32(self, ctx):
        return self._value(lib.vmi_read_32, "uint32_t *", "read_32", ctx.to_ffi())

    def read_64(self, ctx):
        return self._value(lib.vmi_read_64, "uint64_t *", "read_64", ctx.to_ffi())

    def read_addr(self, ctx):
        return self._value(lib.vmi_read_addr, "addr_t *", "read_addr", ctx.to_ffi())

    def read_str(self, ctx):
        c = ctx.to_ffi()
        return _cstr(lib.vmi_read_str(self.vmi, c), self.vmi, "read_str")

    def read_unicode_str(self, ctx):
        c = ctx.to_ffi()
        return self._unicode(lib.vmi_read_unicode_str(self.vmi, c), "read_unicode_str")

    def read_8_ksym(self, symbol):
        return self._value(lib.vmi_read_8_ksym, "uint8_t *", "read_8_ksym(%s)" % symbol,
                           symbol.encode())

    def read_16_ksym(self, symbol):
        return self._value(lib.vmi_read_16_ksym, "uint16_t *", "read_16_ksym(%s)" % symbol,
                           symbol.encode())

    def read_32_ksym(self, symbol):
        return self._value(lib.vmi_read_32_ksym, "uint32_t *", "read_32_ksym(%s)" % symbol,
                           symbol.encode())

    def read_64_ksym(self, symbol):
        return self._value(lib.vmi_read_64_ksym, "uint64_t *", "read_64_ksym(%s)" % symbol,
                           symbol.encode())

    def read_addr_ksym(self, symbol):
        return self._value(lib.vmi_read_addr_ksym, "addr_t *", "read_addr_ksym(%s)" % symbol,
                           symbol.encode())

    def read_str_ksym(self, symbol):
        return _cstr(lib.vmi_read_str_ksym(self.vmi, symbol.encode()), self.vmi,
                     "read_str_ksym(%s)" % symbol)

    def read_8_va(self, vaddr, pid):
        return self._value(lib.vmi_read_8_va, "uint8_t *", "read_8_va(%#x)" % vaddr, vaddr, pid)

    def read_16_va(self, vaddr, pid):
        return self._value(lib.vmi_read_16_va, "uint16_t *", "read_16_va(%#x)" % vaddr, vaddr,
                           pid)

    def read_32_va(self, vaddr, pid):
        return self._value(lib.vmi_read_32_va, "uint32_t *", "read_32_va(%#x)" % vaddr, vaddr,
                           pid)

    def read_64_va(self, vaddr, pid):
        return self._value(lib.vmi_read_64_va, "uint64_t *", "read_64_va(%#x)" % vaddr, vaddr,
                           pid)

    def read_addr_va(self, vaddr, pid):
        return self._value(lib.vmi_read_addr_va, "addr_t *", "read_addr_va(%#x)" % vaddr, vaddr,
                           pid)

    def read_str_va(self, vaddr, pid):
        return _cstr(lib.vmi_read_str_va(self.vmi, vaddr, pid), self.vmi,
                     "read_str_va(%#x, pid %d)" % (vaddr, pid))

    def read_unicode_str_va(self, vaddr, pid):
        return self._unicode(lib.vmi_read_unicode_str_va(self.vmi, vaddr, pid),
                             "read_unicode_str_va(%#x)" % vaddr)

    def _unicode(self, us, what):
        if us == ffi.NULL:
            _fail(self.vmi, what)
        try:
            encoding = ffi.string(us.encoding).decode() if us.encoding != ffi.NULL else "utf-16"
            data = ffi.unpack(ffi.cast("char *", us.contents), us.length)
        finally:
            lib.vmi_free_unicode_str(us)
        return data.decode(encoding, errors="replace")

    def free_unicode_str(self, unicode_str):
        lib.vmi_free_unicode_str(unicode_str)

    def read_8_pa(self, paddr):
        return self._value(lib.vmi_read_8_pa, "uint8_t *", "read_8_pa(%#x)" % paddr, paddr)

    def read_16_pa(self, paddr):
        return self._value(lib.vmi_read_16_pa, "uint16_t *", "read_16_pa(%#x)" % paddr, paddr)

    def read_32_pa(self, paddr):
        return self._value(lib.vmi_read_32_pa, "uint32_t *", "read_32_pa(%#x)" % paddr, paddr)

    def read_64_pa(self, paddr):
        return self._value(lib.vmi_read_64_pa, "uint64_t *", "read_64_pa(%#x)" % paddr, paddr)

    def read_addr_pa(self, paddr):
        return self._value(lib.vmi_read_addr_pa, "addr_t *", "read_addr_pa(%#x)" % paddr, paddr)

    def read_str_pa(self, paddr):
        return _cstr(lib.vmi_read_str_pa(self.vmi, paddr), self.vmi, "read_str_pa(%#x)" % paddr)

    # -------------------------------------------------------------- writes
    def _write(self, fn, what, args, buffer):
        data = ffi.from_buffer(buffer)
        written = ffi.new("size_t *")
        if fn(self.vmi, *args, len(data), data, written) != 0:
            _fail(self.vmi, what)
        return written[0]

    def write(self, ctx, buffer):
        return self._write(lib.vmi_write, "write", (ctx.to_ffi(),), buffer)

    def write_ksym(self, symbol, buffer):
        return self._write(lib.vmi_write_ksym, "write_ksym(%s)" % symbol, (symbol.encode(),),
                           buffer)

    def write_va(self, vaddr, pid, buffer):
        return self._write(lib.vmi_write_va, "write_va(%#x, pid %d)" % (vaddr, pid),
                           (vaddr, pid), buffer)

    def write_pa(self, paddr, buffer):
        return self._write(lib.vmi_write_pa, "write_pa(%#x)" % paddr, (paddr,), buffer)

    def _put(self, fn, ctype, value, what, *args):
        if fn(self.vmi, *args, ffi.new(ctype, value)) != 0:
            _fail(self.vmi, what)

    def write_8(self, ctx, value):
        self._put(lib.vmi_write_8, "uint8_t *", value, "write_8", ctx.to_ffi())

    def write_16(self, ctx, value):
        self._put(lib.vmi_write_16, "uint16_t *", value, "write_16", ctx.to_ffi())

    def write_32(self, ctx, value):
        self._put(lib.vmi_write_32, "uint32_t *", value, "write_32", ctx.to_ffi())

    def write_64(self, ctx, value):
        self._put(lib.vmi_write_64, "uint64_t *", value, "write_64", ctx.to_ffi())

    def write_addr(self, ctx, value):
        self._put(lib.vmi_write_addr, "addr_t *", value, "write_addr", ctx.to_ffi())

    def write_8_ksym(self, symbol, value):
        self._put(lib.vmi_write_8_ksym, "uint8_t *", value, "write_8_ksym", symbol.encode())

    def write_16_ksym(self, symbol, value):
        self._put(lib.vmi_write_16_ksym, "uint16_t *", value, "write_16_ksym", symbol.encode())

    def write_32_ksym(self, symbol, value):
        self._put(lib.vmi_write_32_ksym, "uint32_t *", value, "write_32_ksym", symbol.encode())

    def write_64_ksym(self, symbol, value):
        self._put(lib.vmi_write_64_ksym, "uint64_t *", value, "write_64_ksym", symbol.encode())

    def write_addr_ksym(self, symbol, value):
        self._put(lib.vmi_write_addr_ksym, "addr_t *", value, "write_addr_ksym", symbol.encode())

    def write_8_va(self, vaddr, pid, value):
        self._put(lib.vmi_write_8_va, "uint8_t *", value, "write_8_va(%#x)" % vaddr, vaddr, pid)

    def write_16_va(self, vaddr, pid, value):
        self._put(lib.vmi_write_16_va, "uint16_t *", value, "write_16_va(%#x)" % vaddr, vaddr,
                  pid)

    def write_32_va(self, vaddr, pid, value):
        self._put(lib.vmi_write_32_va, "uint32_t *", value, "write_32_va(%#x)" % vaddr, vaddr,
                  pid)

    def write_64_va(self, vaddr, pid, value):
        self._put(lib.vmi_write_64_va, "uint64_t *", value, "write_64_va(%#x)" % vaddr, vaddr,
                  pid)

    def write_addr_va(self, vaddr, pid, value):
        self._put(lib.vmi_write_addr_va, "addr_t *", value, "write_addr_va(%#x)" % vaddr, vaddr,
                  pid)

    def write_8_pa(self, paddr, value):
        self._put(lib.vmi_write_8_pa, "uint8_t *", value, "write_8_pa(%#x)" % paddr, paddr)

    def write_16_pa(self, paddr, value):
        self._put(lib.vmi_write_16_pa, "uint16_t *", value, "write_16_pa(%#x)" % paddr, paddr)

    def write_32_pa(self, paddr, value):
        self._put(lib.vmi_write_32_pa, "uint32_t *", value, "write_32_pa(%#x)" % paddr, paddr)

    def write_64_pa(self, paddr, value):
        self._put(lib.vmi_write_64_pa, "uint64_t *", value, "write_64_pa(%#x)" % paddr, paddr)

    def write_addr_pa(self, paddr, value):
        self._put(lib.vmi_write_addr_pa, "addr_t *", value, "write_addr_pa(%#x)" % paddr, paddr)

    # ------------------------------------------------------------- getters
    def get_name(self):
        return _cstr(lib.vmi_get_name(self.vmi), self.vmi, "get_name")

    def get_vmid(self):
        return lib.vmi_get_vmid(self.vmi)

    def get_access_mode(self, domain, init_flags, init_data):
        if not init_flags & (INIT_DOMAINNAME | INIT_DOMAINID | INIT_DOMAINUUID):
            raise RuntimeError("init_flags must be either INIT_DOMAINAME or INIT_DOMAINID")
        keep = []
        out = ffi.new("vmi_mode_t *")
        vmi = self.vmi if self.vmi else ffi.NULL
        if lib.vmi_get_access_mode(vmi, self._domain(domain, init_flags, keep), init_flags,
                                   init_data if init_data is not None else ffi.NULL, out) != 0:
            _fail(vmi, "get_access_mode(%s)" % domain)
        return VMIMode(out[0])

    def get_page_mode(self, vcpu=0):
        return PageMode(lib.vmi_get_page_mode(self.vmi, vcpu))

    def get_address_width(self):
        return lib.vmi_get_address_width(self.vmi)

    def get_ostype(self):
        return VMIOS(lib.vmi_get_ostype(self.vmi))

    def get_winver(self):
        return VMIWinVer(lib.vmi_get_winver(self.vmi))

    def get_winver_str(self):
        return _cstr(lib.vmi_get_winver_str(self.vmi), self.vmi, "get_winver_str", free=False)

    def get_winver_manual(self, kdvb_pa):
        return VMIWinVer(lib.vmi_get_winver_manual(self.vmi, kdvb_pa))

    def get_offset(self, offset_name):
        return self._value(lib.vmi_get_offset, "addr_t *", "get_offset(%s)" % offset_name,
                           offset_name.encode())

    def get_kernel_struct_offset(self, struct_name, member):
        return self._value(lib.vmi_get_kernel_struct_offset, "addr_t *",
                           "get_kernel_struct_offset(%s, %s)" % (struct_name, member),
                           struct_name.encode(), member.encode())

    def get_memsize(self):
        return lib.vmi_get_memsize(self.vmi)

    def get_max_physical_address(self):
        return lib.vmi_get_max_physical_address(self.vmi)

    def get_num_vcpus(self):
        return lib.vmi_get_num_vcpus(self.vmi)

    def request_page_fault(self, vcpu, vaddr, error_code):
        self._check(lib.vmi_request_page_fault(self.vmi, vcpu, vaddr, error_code),
                    "request_page_fault")

    def get_vcpureg(self, reg, vcpu):
        """Register @reg (an X86Reg or MSR, or its number) of vCPU @vcpu."""
        out = ffi.new("uint64_t *")
        self._check(lib.vmi_get_vcpureg(self.vmi, out, _reg(reg), vcpu),
                    "get_vcpureg(%s, vcpu %d)" % (getattr(reg, "name", reg), vcpu))
        return out[0]

    def get_vcpuregs(self, vcpu):
        regs = ffi.new("registers_t *")
        self._check(lib.vmi_get_vcpuregs(self.vmi, regs, vcpu), "get_vcpuregs(vcpu %d)" % vcpu)
        return Registers(regs)

    def set_vcpureg(self, value, reg, vcpu):
        self._check(lib.vmi_set_vcpureg(self.vmi, value, _reg(reg), vcpu),
                    "set_vcpureg(%s, vcpu %d)" % (getattr(reg, "name", reg), vcpu))

    def set_vcpuregs(self, regs, vcpu):
        self._check(lib.vmi_set_vcpuregs(self.vmi, regs.cffi_regs, vcpu),
                    "set_vcpuregs(vcpu %d)" % vcpu)

    def pause_vm(self):
        self._check(lib.vmi_pause_vm(self.vmi), "pause_vm")

    def resume_vm(self):
        self._check(lib.vmi_resume_vm(self.vmi), "resume_vm")

    def shm_snapshot_create(self):
        self._check(lib.vmi_shm_snapshot_create(self.vmi), "shm_snapshot_create")

    def shm_snapshot_destroy(self):
        self._check(lib.vmi_shm_snapshot_destroy(self.vmi), "shm_snapshot_destroy")

    # -------------------------------------------------- ours (not in PyVMI)
    def get_last_error(self):
        """(reason, VMIErrorCode) of the last failure on this instance."""
        return _last_error(self.vmi)

    def get_processes(self):
        """[(pid, name, task address, dtb)] of the guest, pid 0 first."""
        lst = ffi.new("vmi_process_t **")
        count = ffi.new("size_t *")
        self._check(lib.vmi_get_processes(self.vmi, lst, count), "get_processes")
        try:
            return [(p.pid, ffi.string(p.name).decode(errors="replace"), p.task, p.dtb)
                    for p in (lst[0][i] for i in range(count[0]))]
        finally:
            lib.free(lst[0])

    def get_kaslr_offset(self):
        return lib.vmi_get_kaslr_offset(self.vmi)

    def get_access_path(self):
        p = lib.vmi_get_access_path(self.vmi)
        return None if p == ffi.NULL else ffi.string(p).decode()

    def get_kernel_version(self):
        p = lib.vmi_get_kernel_version(self.vmi)
        return None if p == ffi.NULL else _cstr(p)

    def get_backed_range(self, paddr):
        """(start, end) of the first run of backed guest-physical memory at
        or above @paddr, or None."""
        start, end = ffi.new("addr_t *"), ffi.new("addr_t *")
        if lib.vmi_get_backed_range(self.vmi, paddr, start, end) != 0:
            return None
        return start[0], end[0]

    # -------------------------------------------------------------- caches
    def v2pcache_flush(self, dtb=~0 & 0xffffffffffffffff):
        """Forget cached translations through @dtb (default: all of them).
        (PyVMI's default 0 meant "all" in LibVMI; here 0 is also taken as all.)"""
        lib.vmi_v2pcache_flush(self.vmi, dtb if dtb else 0xffffffffffffffff)

    def v2pcache_add(self, va, dtb, pa):
        lib.vmi_v2pcache_add(self.vmi, va, dtb, pa)

    def symcache_flush(self):
        lib.vmi_symcache_flush(self.vmi)

    def symcache_add(self, base_addr, pid, symbol, va):
        lib.vmi_symcache_add(self.vmi, base_addr, pid, ffi.new("char[]", symbol.encode()), va)

    def rvacache_flush(self):
        lib.vmi_rvacache_flush(self.vmi)

    def rvacache_add(self, base_addr, pid, rva, symbol):
        lib.vmi_rvacache_add(self.vmi, base_addr, pid, rva, ffi.new("char[]", symbol.encode()))

    def pidcache_flush(self):
        lib.vmi_pidcache_flush(self.vmi)

    def pidcache_add(self, pid, dtb):
        lib.vmi_pidcache_add(self.vmi, pid, dtb)

    def pagecache_flush(self):
        lib.vmi_pagecache_flush(self.vmi)

    # -------------------------------------------------------------- events
    def register_event(self, event):
        event.vmi = self
        cffi_event = event.to_cffi()
        self._check(lib.vmi_register_event(self.vmi, cffi_event),
                    "register_event(%s)" % event.type.name)
        # the C library holds the structure until it is cleared
        self._events[id(event)] = event

    def clear_event(self, event):
        self._check(lib.vmi_clear_event(self.vmi, event.cffi_event, ffi.NULL),
                    "clear_event(%s)" % event.type.name)
        self._events.pop(id(event), None)

    def listen(self, timeout):
        """Wait up to @timeout ms for events and run their callbacks.  An
        exception raised by a callback is raised here, after the call."""
        status = lib.vmi_events_listen(self.vmi, timeout)
        err, self._callback_error = self._callback_error, None
        if err is not None:
            raise err
        self._check(status, "listen")

    def are_events_pending(self):
        return lib.vmi_are_events_pending(self.vmi)

    def toggle_single_step_vcpu(self, event, vcpu, enabled):
        self._check(lib.vmi_toggle_single_step_vcpu(self.vmi, event.cffi_event, vcpu, enabled),
                    "toggle_single_step_vcpu")

    def stop_single_step_vcpu(self, event, vcpu):
        self._check(lib.vmi_stop_single_step_vcpu(self.vmi, event.cffi_event, vcpu),
                    "stop_single_step_vcpu")

    def shutdown_single_step(self):
        self._check(lib.vmi_shutdown_single_step(self.vmi), "shutdown_single_step")
