"""Guest physical memory as a read-only (or, on request, writable) binary
file object, for tools that read files: Volatility 3's vmi:// layer uses it.

    with PhysicalMemoryFile("web1") as f:        # a domain, or a snapshot path
        f.seek(0x1000); page = f.read(4096)

The file is as long as the guest's physical address space (one past the
highest backed address, vmi_get_max_physical_address, leaving out the
firmware flash QEMU maps just below 4 GiB unless firmware=True); addresses
that hold no memory (the gaps between RAM ranges) read as zeros, as in a
raw dump.
Each read is one vmi_read_pa() into a buffer the library fills; only a read
that meets a gap takes a second look (vmi_get_backed_range) to skip it.
"""
import io

from ._ffi import ffi, lib
from .libvmi import INIT_DOMAINNAME, Libvmi, LibvmiError, VMIMode, _fail

_raw = ffi.new_allocator(should_clear_after_alloc=False)
_read_pa = lib.vmi_read_pa
_unpack = ffi.unpack
PAGE = 4096
# where QEMU maps the firmware (BIOS/UEFI flash, up to 16 MiB below 4 GiB)
FIRMWARE_WINDOW = (0xff000000, 0x100000000)


def open_physical(domain):
    """A Libvmi instance with physical access only (no OS layer needed),
    the access mode picked by the library (a path is a snapshot file)."""
    try:
        return Libvmi(domain, INIT_DOMAINNAME, partial=True)
    except LibvmiError as first:
        # no configuration entry and no libvirt: a path is still a snapshot
        if "/" in domain:
            try:
                return Libvmi(domain, INIT_DOMAINNAME, partial=True, mode=VMIMode.FILE)
            except LibvmiError:
                pass
        raise first


class PhysicalMemoryFile(io.RawIOBase):
    def __init__(self, domain_or_vmi, writable=False, firmware=False):
        super().__init__()
        if isinstance(domain_or_vmi, Libvmi):
            self.libvmi, self._owned = domain_or_vmi, False
        else:
            self.libvmi, self._owned = open_physical(domain_or_vmi), True
        self._vmi = self.libvmi.vmi
        self._writable = writable
        self._pos = 0
        self._n = ffi.new("size_t *")
        self.size = self._extent(firmware)

    def _extent(self, firmware):
        """One past the last byte of memory the file shows: the highest
        backed address, but for the firmware flash just below 4 GiB (QEMU
        maps the BIOS there) unless @firmware: a raw dump and Volatility
        see RAM, not a 4 GiB file of zeros with the BIOS at its end."""
        top = lib.vmi_get_max_physical_address(self._vmi)
        if firmware or not top:
            return top or lib.vmi_get_memsize(self._vmi)
        start, end = ffi.new("addr_t *"), ffi.new("addr_t *")
        extent, at = 0, 0
        for _ in range(65536):
            if lib.vmi_get_backed_range(self._vmi, at, start, end) != 0 or end[0] <= at:
                break
            if not (FIRMWARE_WINDOW[0] <= start[0] and end[0] <= FIRMWARE_WINDOW[1]):
                extent = max(extent, end[0])
            at = end[0]
        return extent or top

    # -------------------------------------------------------- file protocol
    def readable(self):
        return True

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError("invalid whence (%r)" % whence)
        if pos < 0:
            raise OSError(22, "negative seek position %d" % pos)
        self._pos = pos
        return pos

    def read(self, size=-1):
        pos = self._pos
        left = self.size - pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        buf = _raw("char[]", size)
        n = self._n
        if _read_pa(self._vmi, pos, size, buf, n) == 0:
            self._pos = pos + size
            return _unpack(buf, size)
        data = self._read_gaps(pos, size, buf, n[0])
        self._pos = pos + size
        return data

    def _read_gaps(self, pos, size, buf, got):
        """The slow path: a read that met memory that is not there."""
        out = bytearray(size)
        out[:got] = _unpack(buf, got)
        off = got
        start, end = ffi.new("addr_t *"), ffi.new("addr_t *")
        while off < size:
            here = pos + off
            if lib.vmi_get_backed_range(self._vmi, here, start, end) != 0:
                break                       # nothing above: zeros to the end
            nxt = start[0]
            if nxt <= here:
                # backed but unreadable (the guest went away?): one page of zeros
                if lib.vmi_get_memsize(self._vmi) == 0:
                    _fail(self._vmi, "read_pa(%#x)" % here)
                nxt = (here | (PAGE - 1)) + 1
            if nxt >= pos + size:
                break
            off = nxt - pos
            want = min(end[0], pos + size) - nxt if end[0] > nxt else PAGE
            want = min(want, size - off)
            _read_pa(self._vmi, nxt, want, buf, self._n)
            got = self._n[0]
            out[off:off + got] = _unpack(buf, got)
            off += max(got, 1) if got else PAGE - (nxt % PAGE)
        return bytes(out)

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def write(self, data):
        if not self._writable:
            raise io.UnsupportedOperation("guest memory was opened read-only")
        written = self.libvmi.write_pa(self._pos, bytes(data))
        self._pos += written
        return written

    def close(self):
        if not self.closed and self._owned and self.libvmi is not None:
            self.libvmi.destroy()
        super().close()
