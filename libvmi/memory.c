/*
 * memory.c - reads and writes by physical address, virtual address and
 * kernel symbol, every width.  Reads cross page boundaries and stop short at
 * the first byte that cannot be read.
 */
#include <string.h>
#include "private.h"
#include "guard.h"

/* A copy through a driver's mapping faulted: the file under it shrank. */
static void mapping_fault(vmi_instance_t vmi, addr_t pa, bool write)
{
    vmi->memo_len = 0;
    vmi_errorc(vmi, VMI_ERR_IO, "%s guest-physical 0x%" G_GINT64_MODIFIER "x failed: the file "
               "that holds this memory (%s) no longer covers it (it shrank under the mapping)",
               write ? "writing" : "reading", (guint64)pa,
               vmi->driver && vmi->driver->ram_file && vmi->driver->ram_file(vmi)
                   ? vmi->driver->ram_file(vmi) : vmi->name);
}

/* ------------------------------------------------------------ physical */

static size_t access_pa(vmi_instance_t vmi, addr_t pa, void *buf, size_t count, bool write)
{
    const vmi_driver_ops_t *d = vmi->driver;
    size_t done = 0;
    if (vmi_check_gone(vmi))
        return 0;
    if (!write && count <= VMI_SMALL_READ && d->read)
        return d->read(vmi, pa, buf, count);
    if (d->map) {
        while (done < count) {
            addr_t cur = pa + done;
            size_t avail = 0;
            uint8_t *p;
            if (!write && cur >= vmi->memo_pa && cur - vmi->memo_pa < vmi->memo_len) {
                p = vmi->memo_ptr + (cur - vmi->memo_pa);
                avail = vmi->memo_len - (cur - vmi->memo_pa);
            } else {
                p = d->map(vmi, cur, count - done, &avail, write);
                if (!p || avail == 0) {
                    /* no pointer to this memory: the copy path, if any */
                    size_t n = 0;
                    if (write && d->write)
                        n = d->write(vmi, cur, (const uint8_t *)buf + done, count - done);
                    else if (!write && d->read)
                        n = d->read(vmi, cur, (uint8_t *)buf + done, count - done);
                    done += n;
                    break;
                }
                if (!write) {
                    vmi->memo_ptr = p;
                    vmi->memo_pa = cur;
                    vmi->memo_len = avail;
                }
            }
            size_t n = MIN(avail, count - done);
            size_t got = write ? vmi_guarded_copy_part(p, (const uint8_t *)buf + done, n)
                               : vmi_guarded_copy_part((uint8_t *)buf + done, p, n);
            done += got;
            if (got < n) {
                mapping_fault(vmi, cur + got, write);
                break;
            }
        }
        return done;
    }
    if (write) {
        if (!d->write) {
            vmi_unsupported(vmi, "writing guest memory");
            return 0;
        }
        return d->write(vmi, pa, buf, count);
    }
    if (!d->read) {
        vmi_unsupported(vmi, "reading guest memory");
        return 0;
    }
    return d->read(vmi, pa, buf, count);
}

bool vmi_read_pa_all(vmi_instance_t vmi, addr_t pa, void *buf, size_t count)
{
    return access_pa(vmi, pa, buf, count, false) == count;
}

bool vmi_read_pa_stream(vmi_instance_t vmi, addr_t pa, void *buf, size_t count)
{
    const vmi_driver_ops_t *d = vmi->driver;
    if (!d->read || !d->map)
        return vmi_read_pa_all(vmi, pa, buf, count);
    if (vmi_check_gone(vmi))
        return false;
    size_t done = 0;
    while (done < count) {
        size_t n = d->read(vmi, pa + done, (uint8_t *)buf + done, count - done);
        if (n == 0)
            return false;
        done += n;
    }
    return true;
}

bool vmi_pt_read(void *opaque, addr_t pa, void *buf, size_t len)
{
    return vmi_read_pa_all(opaque, pa, buf, len);
}

size_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count)
{
    if (!vmi || !buf)
        return 0;
    unsigned serial = vmi_error_serial(vmi);
    size_t n = access_pa(vmi, paddr, buf, count, false);
    /* a driver or the guard that said why (gone, I/O, a shrunk file) is
     * not overwritten by the generic reason */
    if (n < count && vmi_error_serial(vmi) == serial)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND,
                   "physical address 0x%" G_GINT64_MODIFIER "x is not backed by guest memory",
                   (guint64)(paddr + n));
    return n;
}

size_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count)
{
    if (!vmi || !buf)
        return 0;
    return access_pa(vmi, paddr, buf, count, true);
}

/* ------------------------------------------------------------ virtual */

/* Reads or writes through the page tables at @dtb, page by page. */
static size_t access_va(vmi_instance_t vmi, addr_t dtb, addr_t va, void *buf, size_t count,
                        bool write)
{
    size_t done = 0;
    vmi_hold(vmi);
    while (done < count) {
        addr_t cur = va + done;
        addr_t pa;
        GError *error = NULL;
        if (!vmi_v2p(vmi, dtb, cur, &pa, &error)) {
            vmi_set_error(vmi, error);
            break;
        }
        size_t chunk = MIN(count - done, VMI_PAGE_SIZE - (cur & ~VMI_PAGE_MASK));
        size_t n = access_pa(vmi, pa, (uint8_t *)buf + done, chunk, write);
        done += n;
        if (n < chunk)
            break;
    }
    vmi_release(vmi);
    return done;
}

bool vmi_read_va_all(vmi_instance_t vmi, addr_t dtb, addr_t va, void *buf, size_t count)
{
    return access_va(vmi, dtb, va, buf, count, false) == count;
}

static bool dtb_or_error(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    GError *error = NULL;
    if (!vmi_dtb_for_pid(vmi, pid, dtb, &error)) {
        vmi_set_error(vmi, error);
        return false;
    }
    return true;
}

/* The 2013 vmi_read_va: also what old binaries get (vmi_read_va@LIBVMI_0.1). */
size_t vmi_read_va__5(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf, size_t count)
{
    addr_t dtb;
    if (!vmi || !buf || !dtb_or_error(vmi, pid, &dtb))
        return 0;
    return access_va(vmi, dtb, vaddr, buf, count, false);
}
VMI_2013_AS(vmi_read_va__5, vmi_read_va);

VMI_PUBLIC status_t vmi_read_va_v14(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                                    void *buf, size_t *bytes_read)
{
    size_t n = vmi_read_va__5(vmi, vaddr, pid, buf, count);
    if (bytes_read)
        *bytes_read = n;
    return n == count && vmi && buf ? VMI_SUCCESS : VMI_FAILURE;
}
VMI_MODERN_AS(vmi_read_va_v14, vmi_read_va);

size_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf, size_t count)
{
    addr_t dtb;
    if (!vmi || !buf || !dtb_or_error(vmi, pid, &dtb))
        return 0;
    return access_va(vmi, dtb, vaddr, buf, count, true);
}

/* ------------------------------------------------------------ symbols */

size_t vmi_read_ksym(vmi_instance_t vmi, char *sym, void *buf, size_t count)
{
    addr_t va = vmi_translate_ksym2v(vmi, sym);
    return va ? vmi_read_va__5(vmi, va, 0, buf, count) : 0;
}

size_t vmi_write_ksym(vmi_instance_t vmi, char *sym, void *buf, size_t count)
{
    addr_t va = vmi_translate_ksym2v(vmi, sym);
    return va ? vmi_write_va(vmi, va, 0, buf, count) : 0;
}

/* ------------------------------------------------------------ fixed widths */

#define DEFINE_RW(bits)                                                                   \
    status_t vmi_read_##bits##_pa(vmi_instance_t vmi, addr_t paddr, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_read_pa(vmi, paddr, value, sizeof(*value)) == sizeof(*value)  \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_read_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,        \
                                  uint##bits##_t *value)                                  \
    {                                                                                     \
        return value && vmi_read_va__5(vmi, vaddr, pid, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_read_##bits##_ksym(vmi_instance_t vmi, char *sym, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_read_ksym(vmi, sym, value, sizeof(*value)) == sizeof(*value)  \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_pa(vmi_instance_t vmi, addr_t paddr, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_write_pa(vmi, paddr, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,       \
                                   uint##bits##_t *value)                                 \
    {                                                                                     \
        return value && vmi_write_va(vmi, vaddr, pid, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_ksym(vmi_instance_t vmi, char *sym, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_write_ksym(vmi, sym, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }

DEFINE_RW(8)
DEFINE_RW(16)
DEFINE_RW(32)
DEFINE_RW(64)

/* A guest pointer is as wide as the guest's addresses. */
static bool addr_width(vmi_instance_t vmi, size_t *width)
{
    if (!vmi)
        return false;
    if (vmi->address_width != 4 && vmi->address_width != 8) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "the guest's address width is unknown (paging mode not set up)");
        return false;
    }
    *width = vmi->address_width;
    return true;
}

static addr_t addr_from_bytes(const uint8_t *b, size_t width)
{
    uint64_t v = 0;
    memcpy(&v, b, width);   /* little-endian guest and host */
    return v;
}

status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value)
{
    uint8_t b[8];
    size_t w;
    if (!value || !addr_width(vmi, &w) || vmi_read_pa(vmi, paddr, b, w) != w)
        return VMI_FAILURE;
    *value = addr_from_bytes(b, w);
    return VMI_SUCCESS;
}

status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value)
{
    uint8_t b[8];
    size_t w;
    if (!value || !addr_width(vmi, &w) || vmi_read_va__5(vmi, vaddr, pid, b, w) != w)
        return VMI_FAILURE;
    *value = addr_from_bytes(b, w);
    return VMI_SUCCESS;
}

status_t vmi_read_addr_ksym(vmi_instance_t vmi, char *sym, addr_t *value)
{
    uint8_t b[8];
    size_t w;
    if (!value || !addr_width(vmi, &w) || vmi_read_ksym(vmi, sym, b, w) != w)
        return VMI_FAILURE;
    *value = addr_from_bytes(b, w);
    return VMI_SUCCESS;
}

/* ------------------------------------------------------------ direct access */

size_t vmi_get_dgpma(vmi_instance_t vmi, addr_t paddr, void **buf_ptr, size_t count)
{
    if (!vmi || !buf_ptr)
        return 0;
    if (!vmi->driver->map) {
        vmi_unsupported(vmi, "direct pointers into guest memory");
        return 0;
    }
    size_t avail = 0;
    uint8_t *p = vmi->driver->map(vmi, paddr, count, &avail, false);
    if (!p) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "physical address 0x%" G_GINT64_MODIFIER "x is not backed by guest memory",
                   (guint64)paddr);
        return 0;
    }
    *buf_ptr = p;
    return MIN(avail, count);
}

size_t vmi_get_dgvma(vmi_instance_t vmi, addr_t vaddr, pid_t pid, void **buf_ptr, size_t count)
{
    addr_t dtb, pa;
    GError *error = NULL;
    if (!vmi || !buf_ptr || !dtb_or_error(vmi, pid, &dtb))
        return 0;
    if (!vmi_v2p(vmi, dtb, vaddr, &pa, &error)) {
        vmi_set_error(vmi, error);
        return 0;
    }
    /* A pointer covers only one page: the next virtual page may live anywhere. */
    size_t in_page = VMI_PAGE_SIZE - (vaddr & ~VMI_PAGE_MASK);
    return vmi_get_dgpma(vmi, pa, buf_ptr, MIN(count, in_page));
}
