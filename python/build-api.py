#!/usr/bin/python3
"""Writes the C source of the API-mode module _libvmi_cffi (cffi's
out-of-line API mode, emit_c_code: no compiler is run here; make compiles
it with libtool against libvmi.la).

    build-api.py SRCDIR/python OUT.c
"""
import importlib.util
import os
import sys

from cffi import FFI

spec = importlib.util.spec_from_file_location(
    "_cdef", os.path.join(sys.argv[1], "libvmi", "_cdef.py"))
cdef = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cdef)

ffi = FFI()
ffi.cdef(cdef.api_cdef())
ffi.set_source("_libvmi_cffi", "#define LIBVMI_API_MODERN 1\n#include <stdlib.h>\n"
               "#include <libvmi.h>\n#define LIBVMI_CFFI_API 1\n")
ffi.emit_c_code(sys.argv[2])
