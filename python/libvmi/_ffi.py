"""The loaded C library: ffi and lib for the rest of the package.

Two ways to reach libvmi.so.0, the same declarations (_cdef.py):
  API mode: the compiled module _libvmi_cffi (built by make when Python's
    headers are there, installed beside this package): direct C calls,
    and the compiler lays out every structure from the real headers;
  ABI mode (ffi.dlopen): nothing compiled, libffi's call path (a few
    hundred nanoseconds more per call: bench/python-bench.sh); the layouts
    spelled out in _cdef.py are checked against the headers by
    tests/python/test_layout.py.
API mode is used when its module imports, unless LIBVMI_PYTHON_MODE=abi;
LIBVMI_PYTHON_MODE=api makes a missing module an error.  MODE says which.
Both load the same libvmi.so.0 (API mode loads it first, RTLD_GLOBAL, and
its module's calls bind to it).

Only the modern entry points are declared: dlsym() of a name that has two
versions (vmi_read_va@LIBVMI_0.1 and vmi_read_va@@LIBVMI_0.14) returns the
default one, the modern function, whose signature is the one declared here
(and the API-mode module is compiled with LIBVMI_API_MODERN).

Where the library is looked for, first found wins:
  $LIBVMI_LIBRARY (a path: the build tree's libvmi/.libs/libvmi.so.0),
  the libdir recorded at "make install" (relative to this package, so
  that a DESTDIR or moved tree finds its own copy, then absolute),
  then "libvmi.so.0" through the dynamic loader's search path.
"""
import os

from cffi import FFI

from ._cdef import CDEF



def _candidates():
    env = os.environ.get("LIBVMI_LIBRARY")
    if env:
        yield env
        return
    try:
        from . import _installed
    except ImportError:
        _installed = None
    if _installed is not None:
        here = os.path.dirname(os.path.abspath(__file__))
        yield os.path.normpath(os.path.join(here, _installed.LIBDIR_FROM_PACKAGE, _installed.SONAME))
        yield os.path.join(_installed.LIBDIR, _installed.SONAME)
    yield "libvmi.so.0"


def _load_abi():
    ffi = FFI()
    ffi.cdef(CDEF)
    tried = []
    for path in _candidates():
        if os.path.isabs(path) and not os.path.exists(path):
            tried.append("%s: no such file" % path)
            continue
        try:
            return ffi, ffi.dlopen(path)
        except OSError as e:
            tried.append(str(e))
    raise ImportError("libvmi: the C library libvmi.so.0 cannot be loaded (set LIBVMI_LIBRARY "
                      "to its path): " + "; ".join(tried))


def _load_api():
    import ctypes
    tried = []
    for path in _candidates():
        if os.path.isabs(path) and not os.path.exists(path):
            tried.append("%s: no such file" % path)
            continue
        try:
            # the module's libvmi symbols resolve against this one
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            break
        except OSError as e:
            tried.append(str(e))
    else:
        raise ImportError("libvmi: the C library libvmi.so.0 cannot be loaded (set LIBVMI_LIBRARY "
                          "to its path): " + "; ".join(tried))
    import _libvmi_cffi
    if not getattr(_libvmi_cffi.lib, "LIBVMI_CFFI_API", 0):
        raise ImportError("_libvmi_cffi is not this package's module")
    return _libvmi_cffi.ffi, _libvmi_cffi.lib


def _load():
    mode = os.environ.get("LIBVMI_PYTHON_MODE", "")
    if mode not in ("", "abi", "api"):
        raise ImportError("LIBVMI_PYTHON_MODE=%s: abi or api" % mode)
    if mode in ("", "api"):
        try:
            return ("api",) + _load_api()
        except ImportError:
            if mode == "api":
                raise
    return ("abi",) + _load_abi()


MODE, ffi, lib = _load()
