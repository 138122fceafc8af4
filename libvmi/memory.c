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
            size_t got = n;
            if (d->map_never_faults) {
                if (write)
                    memcpy(p, (const uint8_t *)buf + done, n);
                else
                    memcpy((uint8_t *)buf + done, p, n);
            } else {
                got = write ? vmi_guarded_copy_part(p, (const uint8_t *)buf + done, n)
                            : vmi_guarded_copy_part((uint8_t *)buf + done, p, n);
            }
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

/* The 2013 vmi_read_pa, also vmi_read_pa@LIBVMI_0.1. */
size_t vmi_read_pa__4(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count)
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

VMI_2013_AS(vmi_read_pa__4, vmi_read_pa);

size_t vmi_write_pa__4(vmi_instance_t vmi, addr_t paddr, void *buf, size_t count)
{
    if (!vmi || !buf)
        return 0;
    return access_pa(vmi, paddr, buf, count, true);
}
VMI_2013_AS(vmi_write_pa__4, vmi_write_pa);

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

size_t vmi_write_va__5(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, void *buf, size_t count)
{
    addr_t dtb;
    if (!vmi || !buf || !dtb_or_error(vmi, pid, &dtb))
        return 0;
    return access_va(vmi, dtb, vaddr, buf, count, true);
}
VMI_2013_AS(vmi_write_va__5, vmi_write_va);

/* ------------------------------------------------------------ symbols */

size_t vmi_read_ksym__4(vmi_instance_t vmi, const char *sym, void *buf, size_t count)
{
    addr_t va = vmi_translate_ksym2v__2(vmi, sym);
    return va ? vmi_read_va__5(vmi, va, 0, buf, count) : 0;
}
VMI_2013_AS(vmi_read_ksym__4, vmi_read_ksym);

size_t vmi_write_ksym__4(vmi_instance_t vmi, const char *sym, void *buf, size_t count)
{
    addr_t va = vmi_translate_ksym2v__2(vmi, sym);
    return va ? vmi_write_va__5(vmi, va, 0, buf, count) : 0;
}
VMI_2013_AS(vmi_write_ksym__4, vmi_write_ksym);

/* ------------------------------------------------------------ targets
 * What an access context or a (pid) names, resolved once per call. */

/* Translation through @pt_ops when it is not the instance's own mode (no
 * cache: the cache knows one mode per page directory). */
static bool v2p_target(vmi_instance_t vmi, const vmi_target_t *t, addr_t va, addr_t *pa,
                       GError **error)
{
    if (!t->pt || t->pt == vmi->pt)
        return vmi_v2p(vmi, t->dtb, va, pa, error);
    pt_result_t r;
    pt_status_t st = t->pt->translate(&vmi->reader, t->dtb, va, &r);
    if (st != PT_OK) {
        vmi_note_fault(vmi, t->dtb, t->pt->mode, va);
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "virtual address 0x%" G_GINT64_MODIFIER "x (page directory 0x%"
                    G_GINT64_MODIFIER "x, %s paging): %s", (guint64)va, (guint64)t->dtb,
                    t->pt->name, pt_status_str(st));
        return false;
    }
    *pa = r.pa;
    return true;
}

size_t vmi_access(vmi_instance_t vmi, const vmi_target_t *t, addr_t addr, void *buf, size_t count,
                  bool write)
{
    if (!t->virt)
        return access_pa(vmi, addr, buf, count, write);
    if (!t->pt || t->pt == vmi->pt)
        return access_va(vmi, t->dtb, addr, buf, count, write);
    size_t done = 0;
    vmi_hold(vmi);
    while (done < count) {
        addr_t cur = addr + done, pa;
        GError *error = NULL;
        if (!v2p_target(vmi, t, cur, &pa, &error)) {
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

bool vmi_target_pid(vmi_instance_t vmi, vmi_pid_t pid, vmi_target_t *t)
{
    t->virt = true;
    t->pt = NULL;
    return dtb_or_error(vmi, pid, &t->dtb);
}

bool vmi_target_ctx(vmi_instance_t vmi, const access_context_t *ctx, vmi_target_t *t,
                    addr_t *addr)
{
    if (!ctx) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no access context given");
        return false;
    }
    /* 0: code written for LibVMI 0.14.0, whose contexts had no version */
    if (ctx->version != ACCESS_CONTEXT_VERSION && ctx->version != 0) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "access context version %u is not known (this libvmi "
                   "knows %u)", ctx->version, ACCESS_CONTEXT_VERSION);
        return false;
    }
    if (ctx->npt || (ctx->npm != VMI_PM_UNKNOWN && ctx->npm != VMI_PM_NONE)) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "nested (second-level) translation is not "
                   "supported: this libvmi has no EPT walker");
        return false;
    }
    t->pt = NULL;
    switch (ctx->tm) {
    case VMI_TM_NONE:
        t->virt = false;
        *addr = ctx->addr;
        return true;
    case VMI_TM_PROCESS_DTB:
        t->virt = true;
        t->dtb = ctx->dtb;
        *addr = ctx->addr;
        break;
    case VMI_TM_PROCESS_PID:
        if (!vmi_target_pid(vmi, ctx->pid, t))
            return false;
        *addr = ctx->addr;
        break;
    case VMI_TM_KERNEL_SYMBOL: {
        addr_t va = vmi_translate_ksym2v__2(vmi, ctx->ksym);
        if (!va || !vmi_target_pid(vmi, 0, t))
            return false;
        *addr = va;
        break;
    }
    default:
        vmi_errorc(vmi, VMI_ERR_INVALID, "access context: translation mechanism %u is not one of "
                   "VMI_TM_NONE, _PROCESS_DTB, _PROCESS_PID, _KERNEL_SYMBOL", ctx->tm);
        return false;
    }
    if (ctx->pm == VMI_PM_NONE) {
        /* paging off: the address is physical */
        t->virt = false;
        return true;
    }
    if (ctx->pm != VMI_PM_UNKNOWN && ctx->pm != vmi->page_mode) {
        t->pt = pt_mode_ops(ctx->pm);
        if (!t->pt) {
            vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "access context: paging mode %u has no walker "
                       "here (x86 legacy, PAE, IA-32e and 5-level only)", ctx->pm);
            return false;
        }
    }
    return true;
}

/* Width of a guest pointer for @t (its paging mode, else the guest's). */
static bool target_width(vmi_instance_t vmi, const vmi_target_t *t, size_t *width)
{
    if (t->pt) {
        *width = t->pt->address_width;
        return true;
    }
    if (vmi->address_width != 4 && vmi->address_width != 8) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "the guest's address width is unknown (paging mode not set up)");
        return false;
    }
    *width = vmi->address_width;
    return true;
}

/* ------------------------------------------------------------ modern reads */

static status_t modern_access(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                              void *buf, size_t *done, bool write)
{
    vmi_target_t t;
    addr_t addr;
    size_t n = 0;
    if (done)
        *done = 0;
    if (!vmi)
        return VMI_FAILURE;
    if (!buf) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no buffer given");
        return VMI_FAILURE;
    }
    if (!vmi_target_ctx(vmi, ctx, &t, &addr))
        return VMI_FAILURE;
    if (count) {
        unsigned serial = vmi_error_serial(vmi);
        n = vmi_access(vmi, &t, addr, buf, count, write);
        if (n < count && vmi_error_serial(vmi) == serial)
            vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "%s 0x%" G_GINT64_MODIFIER "x: only %zu of %zu bytes",
                       write ? "writing" : "reading", (guint64)(addr + n), n, count);
    }
    if (done)
        *done = n;
    return n == count ? VMI_SUCCESS : VMI_FAILURE;
}

status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                  size_t *bytes_read)
{
    return modern_access(vmi, ctx, count, buf, bytes_read, false);
}

status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written)
{
    return modern_access(vmi, ctx, count, buf, bytes_written, true);
}

/* The fixed-size modern calls and the modern pa/va/ksym calls: an access
 * context and vmi_read/vmi_write. */
static status_t by_count(size_t n, size_t count, size_t *done)
{
    if (done)
        *done = n;
    return n == count ? VMI_SUCCESS : VMI_FAILURE;
}

VMI_PUBLIC status_t vmi_read_pa_v14(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                                    size_t *bytes_read)
{
    return by_count(vmi_read_pa__4(vmi, paddr, buf, count), count, bytes_read);
}
VMI_MODERN_AS(vmi_read_pa_v14, vmi_read_pa);

VMI_PUBLIC status_t vmi_read_va_v14(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                                    void *buf, size_t *bytes_read)
{
    return by_count(vmi_read_va__5(vmi, vaddr, pid, buf, count), count, bytes_read);
}
VMI_MODERN_AS(vmi_read_va_v14, vmi_read_va);

VMI_PUBLIC status_t vmi_read_ksym_v14(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                                      size_t *bytes_read)
{
    return by_count(vmi_read_ksym__4(vmi, sym, buf, count), count, bytes_read);
}
VMI_MODERN_AS(vmi_read_ksym_v14, vmi_read_ksym);

VMI_PUBLIC status_t vmi_write_pa_v14(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                                     size_t *bytes_written)
{
    return by_count(vmi_write_pa__4(vmi, paddr, buf, count), count, bytes_written);
}
VMI_MODERN_AS(vmi_write_pa_v14, vmi_write_pa);

VMI_PUBLIC status_t vmi_write_va_v14(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                                     void *buf, size_t *bytes_written)
{
    return by_count(vmi_write_va__5(vmi, vaddr, pid, buf, count), count, bytes_written);
}
VMI_MODERN_AS(vmi_write_va_v14, vmi_write_va);

VMI_PUBLIC status_t vmi_write_ksym_v14(vmi_instance_t vmi, const char *sym, size_t count,
                                       void *buf, size_t *bytes_written)
{
    return by_count(vmi_write_ksym__4(vmi, sym, buf, count), count, bytes_written);
}
VMI_MODERN_AS(vmi_write_ksym_v14, vmi_write_ksym);

#define DEFINE_CTX(bits)                                                                    \
    status_t vmi_read_##bits(vmi_instance_t vmi, const access_context_t *ctx,               \
                             uint##bits##_t *value)                                         \
    {                                                                                       \
        return vmi_read(vmi, ctx, sizeof(*value), value, NULL);                             \
    }                                                                                       \
    status_t vmi_write_##bits(vmi_instance_t vmi, const access_context_t *ctx,              \
                              uint##bits##_t *value)                                        \
    {                                                                                       \
        return vmi_write(vmi, ctx, sizeof(*value), value, NULL);                            \
    }
DEFINE_CTX(8)
DEFINE_CTX(16)
DEFINE_CTX(32)
DEFINE_CTX(64)

/* A guest pointer at @ctx, as wide as its paging mode. */
static status_t ctx_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value, bool write)
{
    vmi_target_t t;
    addr_t addr;
    size_t w;
    uint8_t b[8] = { 0 };
    if (!vmi || !value || !vmi_target_ctx(vmi, ctx, &t, &addr))
        return VMI_FAILURE;
    if (!t.virt)
        w = vmi->address_width == 4 ? 4 : 8;
    else if (!target_width(vmi, &t, &w))
        return VMI_FAILURE;
    if (write)
        memcpy(b, value, w);    /* little-endian guest and host */
    if (vmi_access(vmi, &t, addr, b, w, write) != w)
        return VMI_FAILURE;
    if (!write) {
        *value = 0;
        memcpy(value, b, w);
    }
    return VMI_SUCCESS;
}

status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    return ctx_addr(vmi, ctx, value, false);
}

status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    return ctx_addr(vmi, ctx, value, true);
}

/* ------------------------------------------------------------ fixed widths */

#define DEFINE_RW(bits)                                                                   \
    status_t vmi_read_##bits##_pa(vmi_instance_t vmi, addr_t paddr, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_read_pa__4(vmi, paddr, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_read_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,        \
                                  uint##bits##_t *value)                                  \
    {                                                                                     \
        return value && vmi_read_va__5(vmi, vaddr, pid, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_read_##bits##_ksym(vmi_instance_t vmi, const char *sym, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_read_ksym__4(vmi, sym, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_pa(vmi_instance_t vmi, addr_t paddr, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_write_pa__4(vmi, paddr, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,       \
                                   uint##bits##_t *value)                                 \
    {                                                                                     \
        return value && vmi_write_va__5(vmi, vaddr, pid, value, sizeof(*value)) == sizeof(*value) \
               ? VMI_SUCCESS : VMI_FAILURE;                                               \
    }                                                                                     \
    status_t vmi_write_##bits##_ksym(vmi_instance_t vmi, const char *sym, uint##bits##_t *value) \
    {                                                                                     \
        return value && vmi_write_ksym__4(vmi, sym, value, sizeof(*value)) == sizeof(*value) \
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
    if (!value || !addr_width(vmi, &w) || vmi_read_pa__4(vmi, paddr, b, w) != w)
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

status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value)
{
    uint8_t b[8];
    size_t w;
    if (!value || !addr_width(vmi, &w) || vmi_read_ksym__4(vmi, sym, b, w) != w)
        return VMI_FAILURE;
    *value = addr_from_bytes(b, w);
    return VMI_SUCCESS;
}

status_t vmi_write_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value)
{
    size_t w;
    if (!value || !addr_width(vmi, &w))
        return VMI_FAILURE;
    return vmi_write_pa__4(vmi, paddr, value, w) == w ? VMI_SUCCESS : VMI_FAILURE;
}

status_t vmi_write_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value)
{
    size_t w;
    if (!value || !addr_width(vmi, &w))
        return VMI_FAILURE;
    return vmi_write_va__5(vmi, vaddr, pid, value, w) == w ? VMI_SUCCESS : VMI_FAILURE;
}

status_t vmi_write_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value)
{
    size_t w;
    if (!value || !addr_width(vmi, &w))
        return VMI_FAILURE;
    return vmi_write_ksym__4(vmi, sym, value, w) == w ? VMI_SUCCESS : VMI_FAILURE;
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
