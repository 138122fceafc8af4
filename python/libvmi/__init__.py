"""libvmi: virtual machine introspection from Python.

The API of the libvmi Python package (PyVMI): Libvmi, AccessContext, the
enums, and libvmi.event for events; every call goes to the C library
libvmi.so.0 (loaded with cffi, see libvmi._ffi).  libvmi-python(7) has the
details and the differences from PyVMI.
"""
# public interface (PyVMI's names first, then ours)
from .libvmi import (INIT_DOMAINID, INIT_DOMAINNAME, INIT_DOMAINUUID, INIT_EVENTS, INIT_V2SYM,
                     MSR, VMIOS, AccessContext, Libvmi, LibvmiError, LibvmiInitError, PageInfo,
                     PageMode, Registers, TranslateMechanism, VMIArch, VMIConfig, VMIErrorCode,
                     VMIInitData, VMIMode, VMIStatus, VMIWinVer, X86Reg)
from .memfile import PhysicalMemoryFile

__all__ = [
    "INIT_DOMAINID", "INIT_DOMAINNAME", "INIT_DOMAINUUID", "INIT_EVENTS", "INIT_V2SYM", "MSR",
    "VMIOS", "AccessContext", "Libvmi", "LibvmiError", "LibvmiInitError", "PageInfo", "PageMode",
    "Registers", "TranslateMechanism", "VMIArch", "VMIConfig", "VMIErrorCode", "VMIInitData",
    "VMIMode", "VMIStatus", "VMIWinVer", "X86Reg", "PhysicalMemoryFile",
]
