"""Events of the modern API (VMI_EVENTS_VERSION structures), with the class
names and constructor arguments of PyVMI's libvmi/event.py.

A callback is called as callback(vmi, event) and returns an EventResponse
(or None for NONE).  All events share one C callback (cffi's ABI-mode
ffi.callback); it finds the Python event through the structure's data
pointer.
"""
from enum import Enum

from ._ffi import ffi, lib

EVENTS_VERSION = 0x00000009


def _field(part, name):
    """A read-only view of the C event's part.name (the library fills it in
    before the callback runs)."""
    return property(lambda self: getattr(getattr(self._cffi_event, part), name),
                    doc=f"the event's {part}.{name}")


class EventType(Enum):
    INVALID = 0
    MEMORY = 1
    REGISTER = 2
    SINGLESTEP = 3
    INTERRUPT = 4
    GUEST_REQUEST = 5
    CPUID = 6
    DEBUG_EXCEPTION = 7
    PRIVILEGED_CALL = 8
    DESCRIPTOR_ACCESS = 9


class EventResponse(Enum):
    NONE = 0
    EMULATE = 1 << 1
    EMULATE_NOWRITE = 1 << 2
    SET_EMUL_READ_DATA = 1 << 3
    DENY = 1 << 4
    TOGGLE_SINGLESTEP = 1 << 5
    SLAT_ID = 1 << 6
    VMM_PAGETABLE_ID = 1 << 6
    SET_REGISTERS = 1 << 7
    SET_EMUL_INSN = 1 << 8
    GET_NEXT_INTERRUPT = 1 << 9


class MemAccess(Enum):
    INVALID = 0
    N = 1
    R = 2
    W = 4
    X = 8
    RW = 6
    RX = 10
    WX = 12
    RWX = 14
    W2X = 16
    RWX2N = 32


class RegAccess(Enum):
    INVALID = 0
    N = 1
    R = 2
    W = 4
    RW = 6


class InterruptType(Enum):
    INVALID = 0
    INT3 = 1
    NEXT = 2


def _dispatch(cffi_vmi, cffi_event):
    event = None
    try:
        event = ffi.from_handle(cffi_event.data)
        response = event.py_callback(event.vmi, event)
        if response is None:
            return 0
        if isinstance(response, EventResponse):
            return response.value
        return int(response)
    except BaseException as e:  # raised again by Libvmi.listen()
        vmi = getattr(event, "vmi", None)
        if vmi is not None and vmi._callback_error is None:
            vmi._callback_error = e
        return 0


generic_event_callback = ffi.callback("uint32_t(vmi_instance_t, vmi_event_t *)", _dispatch)


class Event:
    version = EVENTS_VERSION
    type = None

    def __init__(self, callback, slat_id=0, data=None):
        self.slat_id = slat_id
        self.data = data
        self._py_callback = callback
        self._vmi = None
        self.generic_data = {"event": self}
        self.generic_handle = ffi.new_handle(self)
        self._cffi_event = ffi.new("vmi_event_t *")

    @property
    def vcpu_id(self):
        return self._cffi_event.vcpu_id

    @property
    def x86_regs(self):
        return self._cffi_event.x86_regs

    @property
    def vmi(self):
        return self._vmi

    @vmi.setter
    def vmi(self, vmi):
        self._vmi = vmi

    @property
    def py_callback(self):
        return self._py_callback

    @py_callback.setter
    def py_callback(self, callback):
        self._py_callback = callback

    @property
    def cffi_event(self):
        return self._cffi_event

    def to_cffi(self):
        e = self._cffi_event
        e.version = self.version
        e.type = self.type.value
        e.slat_id = self.slat_id
        e.data = self.generic_handle
        e.callback = generic_event_callback
        return e

    def to_dict(self):
        regs = self.x86_regs
        d = {"version": self.version, "type": self.type.name, "slat_id": self.slat_id,
             "data": self.data, "vcpu_id": self.vcpu_id}
        if regs != ffi.NULL:
            d["x86_regs"] = {"rax": hex(regs.rax), "rsp": hex(regs.rsp), "rip": hex(regs.rip)}
        return d


class MemEvent(Event):
    type = EventType.MEMORY

    def __init__(self, in_access, callback, gfn=0, generic=False, slat_id=0, data=None):
        super().__init__(callback, slat_id, data)
        self.in_access = in_access
        self.generic = generic
        self._gfn = gfn

    gfn = _field("mem_event", "gfn")

    @property
    def out_access(self):
        return MemAccess(self._cffi_event.mem_event.out_access)

    @property
    def gptw(self):
        return bool(self._cffi_event.mem_event.gptw)

    @property
    def gla_valid(self):
        return bool(self._cffi_event.mem_event.gla_valid)

    gla = _field("mem_event", "gla")
    offset = _field("mem_event", "offset")

    def to_cffi(self):
        e = super().to_cffi()
        e.mem_event.in_access = self.in_access.value
        e.mem_event.generic = int(self.generic)
        e.mem_event.gfn = 0xffffffffffffffff if self.generic else self._gfn
        return e

    def to_dict(self):
        d = super().to_dict()
        d.update(gfn=self.gfn, in_access=self.in_access.name, out_access=self.out_access.name,
                 gptw=self.gptw, gla_valid=self.gla_valid, gla=hex(self.gla),
                 offset=hex(self.offset))
        return d


class SingleStepEvent(Event):
    type = EventType.SINGLESTEP

    def __init__(self, vcpus, callback, enable=True, slat_id=0, data=None):
        super().__init__(callback, slat_id, data)
        self.vcpus = 0
        for vcpu in vcpus:
            self.vcpus |= 1 << vcpu
        self.enable = enable

    gla = _field("ss_event", "gla")
    gfn = _field("ss_event", "gfn")
    offset = _field("ss_event", "offset")

    def to_cffi(self):
        e = super().to_cffi()
        e.ss_event.vcpus = self.vcpus
        e.ss_event.enable = int(self.enable)
        return e

    def to_dict(self):
        d = super().to_dict()
        d.update(vcpus=self.vcpus, enable=self.enable, gla=hex(self.gla), gfn=hex(self.gfn),
                 offset=hex(self.offset))
        return d


class RegEvent(Event):
    type = EventType.REGISTER

    def __init__(self, register, in_access, callback, equal=None, slat_id=0, data=None):
        super().__init__(callback, slat_id, data)
        self.register = register
        self.in_access = in_access
        self.equal = 0 if equal is None else equal

    @property
    def value(self):
        return self._cffi_event.reg_event.value

    @value.setter
    def value(self, v):
        self._cffi_event.reg_event.value = v

    previous = _field("reg_event", "previous")
    msr = _field("reg_event", "msr")

    def to_cffi(self):
        e = super().to_cffi()
        e.reg_event.reg = getattr(self.register, "value", self.register)
        e.reg_event.in_access = self.in_access.value
        e.reg_event.equal = self.equal
        return e

    def to_dict(self):
        d = super().to_dict()
        d.update(in_access=self.in_access.name,
                 out_access=RegAccess(self._cffi_event.reg_event.out_access).name,
                 value=hex(self.value), previous=hex(self.previous), msr=hex(self.msr))
        return d


class IntEvent(Event):
    type = EventType.INTERRUPT

    def __init__(self, callback, intr=InterruptType.INT3, reinject=-1, slat_id=0, data=None):
        super().__init__(callback, slat_id, data)
        self.intr = intr
        self._reinject = reinject

    @property
    def reinject(self):
        return self._reinject

    @reinject.setter
    def reinject(self, value):
        # set by the callback: 1 the guest gets the INT3, 0 it is swallowed
        self._reinject = value
        self._cffi_event.interrupt_event.reinject = value

    gla = _field("interrupt_event", "gla")
    gfn = _field("interrupt_event", "gfn")
    offset = _field("interrupt_event", "offset")
    insn_length = _field("interrupt_event", "insn_length")

    def to_cffi(self):
        e = super().to_cffi()
        e.interrupt_event.intr = self.intr.value
        e.interrupt_event.reinject = self._reinject
        return e

    def to_dict(self):
        d = super().to_dict()
        d.update(intr=self.intr.name, reinject=self._reinject, gla=hex(self.gla),
                 gfn=hex(self.gfn), offset=hex(self.offset))
        return d


class DebugEvent(Event):
    """Debug exceptions (refused by the drivers here: registering fails with
    the reason)."""
    type = EventType.DEBUG_EXCEPTION

    def __init__(self, callback, reinject=-1, slat_id=0, data=None):
        super().__init__(callback, slat_id, data)
        self._reinject = reinject

    @property
    def reinject(self):
        return self._reinject

    @reinject.setter
    def reinject(self, value):
        self._reinject = value
        self._cffi_event.debug_event.reinject = value

    def to_cffi(self):
        e = super().to_cffi()
        e.debug_event.reinject = self._reinject
        return e

    def to_dict(self):
        d = super().to_dict()
        de = self._cffi_event.debug_event
        d.update(gla=hex(de.gla), gfn=hex(de.gfn), offset=hex(de.offset), type=hex(de.type),
                 reinject=self._reinject)
        return d


if lib.vmi_events_version() < EVENTS_VERSION:
    raise ImportError("libvmi.event: the C library's event structures (version %#x) are older "
                      "than %#x" % (lib.vmi_events_version(), EVENTS_VERSION))
