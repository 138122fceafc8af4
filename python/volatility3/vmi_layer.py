"""Volatility 3 on guest memory through libvmi: the vmi:// URL scheme.

    vol --plugin-dirs /usr/share/libvmi/volatility3 -f vmi://web1 linux.pslist
    vol --plugin-dirs /usr/share/libvmi/volatility3 -f vmi:///var/dumps/web1.elf linux.pslist

vmi://NAME is a running guest (a libvmi.conf entry, or a libvirt domain),
vmi:///PATH a memory snapshot (raw or ELF core) read through libvmi's file
driver.  Volatility itself is not changed: its CLI imports every module of
the directories named by --plugin-dirs before it opens the -f location, and
its ResourceAccessor opens locations with a urllib opener built from every
urllib.request.BaseHandler subclass then defined, so the handler below
serves the vmi scheme.  The location becomes Volatility's usual FileLayer,
whose file object is libvmi.PhysicalMemoryFile: guest physical memory, with
the holes between RAM ranges reading as zeros, each read one vmi_read_pa().
The scheme is marked non-cached, so Volatility never copies guest memory
into its cache directory.

One libvmi instance serves a location for the whole run (Volatility opens a
location twice while it checks it; a live QEMU serves one client at a time).
"""
import atexit
import logging
import os
import urllib.parse
import urllib.request

from volatility3.framework.layers import resources

vollog = logging.getLogger(__name__)

try:
    import libvmi
    from libvmi.memfile import PhysicalMemoryFile
    _import_error = None
except ImportError as e:     # reported when a vmi:// location is opened
    libvmi = None
    _import_error = e

_open = {}


def _target(url):
    """The libvmi name of a vmi:// URL: the domain, or the snapshot's path."""
    parsed = urllib.parse.urlparse(url)
    if parsed.netloc and parsed.path not in ("", "/"):
        raise ValueError("vmi URL %r: vmi://DOMAIN or vmi:///PATH, not both" % url)
    name = urllib.parse.unquote(parsed.netloc or parsed.path)
    if not name:
        raise ValueError("vmi URL %r names no guest: vmi://DOMAIN or vmi:///PATH" % url)
    return name


class _SharedFile(PhysicalMemoryFile if libvmi else object):
    """A view with its own position on the location's one instance."""

    def __init__(self, shared):
        super().__init__(shared.libvmi)
        self._shared = shared

    def close(self):
        # the instance stays open for the next view; released at exit
        if not self.closed:
            super().close()


def _close_all():
    for f in list(_open.values()):
        try:
            f.close()
        except Exception:
            pass
    _open.clear()


atexit.register(_close_all)


class VmiHandler(resources.VolatilityHandler):
    """urllib handler of vmi:// (opened by Volatility's ResourceAccessor)."""

    @classmethod
    def non_cached_schemes(cls):
        return ["vmi"]

    @staticmethod
    def vmi_open(req):
        if libvmi is None:
            raise OSError("vmi:// needs the libvmi Python module: %s" % _import_error)
        name = _target(req.full_url)
        shared = _open.get(name)
        if shared is None:
            try:
                shared = PhysicalMemoryFile(name)
            except libvmi.LibvmiError as e:
                raise OSError("vmi://: cannot open %r through libvmi: %s" % (name, e)) from e
            _open[name] = shared
            vollog.info("vmi: %s opened through libvmi (%s, %d bytes of physical address space)",
                        name, shared.libvmi.get_access_path(), shared.size)
        return _SharedFile(shared)


def location(name):
    """The vmi:// URL for a domain name or a snapshot path."""
    if os.path.sep in name:
        return "vmi://" + urllib.request.pathname2url(os.path.abspath(name))
    return "vmi://" + urllib.parse.quote(name, safe="")
