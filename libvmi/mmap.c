/*
 * mmap.c - guest pages mapped into this process (vmi_mmap_guest*) and the
 * pages of an address space (vmi_get_va_pages).
 *
 * A page of guest RAM that a driver holds in a shared file mapping (a
 * snapshot, a domain's shared RAM file) is mapped again with mremap(..., 0,
 * ...), which makes a second mapping of the same file pages: the caller's
 * pointer is the guest's memory and munmap() is its to call.  Elsewhere the
 * page is copied into an anonymous mapping, which can only be read: a
 * writable mapping there is refused rather than handed out as a copy that
 * writes nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "private.h"
#define LIBVMI_EXTRA_GLIB
#include "libvmi_extra.h"

/* Bounds for an address-space walk: a hostile guest's tables may point
 * back at themselves and fan out without end. */
#define VA_PAGES_MAX_TABLES (1u << 18)
#define VA_PAGES_MAX        (1u << 22)
#define MMAP_MAX_PAGES      (1u << 20)

/* One guest-physical page @pa (page aligned) as a new mapping; NULL with the
 * error recorded, and *@fatal when the request itself cannot be served (not
 * merely a page that is not there). */
static void *map_page(vmi_instance_t vmi, addr_t pa, int prot, bool *fatal)
{
    *fatal = true;
    const vmi_driver_ops_t *d = vmi->driver;
    size_t avail = 0;
    uint8_t *p = d->map ? d->map(vmi, pa, VMI_PAGE_SIZE, &avail, false) : NULL;
    if (p && avail >= VMI_PAGE_SIZE && ((uintptr_t)p & (VMI_PAGE_SIZE - 1)) == 0) {
        void *q = mremap(p, 0, VMI_PAGE_SIZE, MREMAP_MAYMOVE);
        if (q != MAP_FAILED) {
            if (mprotect(q, VMI_PAGE_SIZE, prot) == 0)
                return q;
            int e = errno;
            munmap(q, VMI_PAGE_SIZE);
            vmi_errorc(vmi, e == EACCES ? VMI_ERR_PERMISSION : VMI_ERR_IO,
                       "mapping guest-physical 0x%" G_GINT64_MODIFIER "x with protection 0x%x: %s%s",
                       (guint64)pa, prot, g_strerror(e),
                       e == EACCES ? " (the guest's memory is open read-only)" : "");
            return NULL;
        }
    }
    if (prot & PROT_WRITE) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "a writable mapping of guest memory needs guest RAM "
                   "held in a shared file; the %s access path can only give a copy",
                   vmi_get_access_path(vmi));
        return NULL;
    }
    void *q = mmap(NULL, VMI_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        vmi_errorc(vmi, VMI_ERR_IO, "mmap: %s", g_strerror(errno));
        return NULL;
    }
    if (!vmi_read_pa_all(vmi, pa, q, VMI_PAGE_SIZE)) {
        munmap(q, VMI_PAGE_SIZE);
        *fatal = false;
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "guest-physical 0x%" G_GINT64_MODIFIER "x is not "
                   "backed by guest memory", (guint64)pa);
        return NULL;
    }
    if (mprotect(q, VMI_PAGE_SIZE, prot) != 0) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "mprotect 0x%x: %s", prot, g_strerror(errno));
        munmap(q, VMI_PAGE_SIZE);
        return NULL;
    }
    return q;
}

static void unmap_all(void **ptrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ptrs[i])
            munmap(ptrs[i], VMI_PAGE_SIZE);
        ptrs[i] = NULL;
    }
}

static bool check_count(vmi_instance_t vmi, size_t num_pages, void **ptrs)
{
    if (!ptrs) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no output array given");
        return false;
    }
    if (num_pages == 0 || num_pages > MMAP_MAX_PAGES) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "%zu pages asked for (1 to %u)", num_pages, MMAP_MAX_PAGES);
        return false;
    }
    return true;
}

status_t vmi_mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages, int prot,
                        void **access_ptrs)
{
    vmi_target_t t;
    addr_t addr;
    if (!vmi || !check_count(vmi, num_pages, access_ptrs) || !vmi_target_ctx(vmi, ctx, &t, &addr))
        return VMI_FAILURE;
    memset(access_ptrs, 0, num_pages * sizeof(*access_ptrs));
    addr &= VMI_PAGE_MASK;
    vmi_hold(vmi);
    for (size_t i = 0; i < num_pages; i++) {
        addr_t va = addr + i * VMI_PAGE_SIZE, pa = va;
        if (t.virt) {
            GError *error = NULL;
            if (t.pt && t.pt != vmi->pt) {
                pt_result_t r;
                if (t.pt->translate(&vmi->reader, t.dtb, va, &r) != PT_OK)
                    continue;   /* not mapped: NULL */
                pa = r.pa;
            } else if (!vmi_v2p(vmi, t.dtb, va, &pa, &error)) {
                g_clear_error(&error);
                continue;
            }
        }
        bool fatal;
        access_ptrs[i] = map_page(vmi, pa & VMI_PAGE_MASK, prot, &fatal);
        if (!access_ptrs[i] && fatal) {
            unmap_all(access_ptrs, i);
            vmi_release(vmi);
            return VMI_FAILURE;
        }
    }
    vmi_release(vmi);
    return VMI_SUCCESS;
}

status_t vmi_mmap_guest_pa(vmi_instance_t vmi, addr_t paddr, size_t num_pages, int prot,
                           void **access_ptrs)
{
    ACCESS_CONTEXT(ctx, .tm = VMI_TM_NONE, .addr = paddr);
    return vmi_mmap_guest(vmi, &ctx, num_pages, prot, access_ptrs);
}

status_t vmi_mmap_guest_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages, int prot,
                             void **access_ptrs)
{
    if (!vmi || !check_count(vmi, num_pages, access_ptrs))
        return VMI_FAILURE;
    if (!pfns) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no frame numbers given");
        return VMI_FAILURE;
    }
    memset(access_ptrs, 0, num_pages * sizeof(*access_ptrs));
    vmi_hold(vmi);
    for (size_t i = 0; i < num_pages; i++) {
        bool fatal = true;
        if (pfns[i] > (UINT64_MAX >> VMI_PAGE_SHIFT))
            vmi_errorc(vmi, VMI_ERR_INVALID, "frame number 0x%lx is too large", pfns[i]);
        else if ((access_ptrs[i] = map_page(vmi, (addr_t)pfns[i] << VMI_PAGE_SHIFT, prot, &fatal)))
            continue;
        if (fatal) {
            unmap_all(access_ptrs, i);
            vmi_release(vmi);
            return VMI_FAILURE;
        }
    }
    vmi_release(vmi);
    return VMI_SUCCESS;
}

/* ------------------------------------------------------------ address spaces */

typedef struct va_pages {
    page_mode_t mode;
    addr_t pt;
    GSList *list;
    size_t count;
    bool too_many;
} va_pages_t;

static bool add_page(void *data, addr_t va, const pt_path_t *path)
{
    va_pages_t *s = data;
    if (s->count >= VA_PAGES_MAX) {
        s->too_many = true;
        return false;
    }
    page_info_t *info = g_new0(page_info_t, 1);
    vmi_page_info_from_path(info, s->mode, s->pt, va, path);
    s->list = g_slist_prepend(s->list, info);
    s->count++;
    return true;
}

static GSList *va_pages(vmi_instance_t vmi, page_mode_t mode, addr_t pt)
{
    va_pages_t s = { .mode = mode, .pt = pt };
    if (!pt_mode_ops(mode)) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "cannot walk the page table 0x%" G_GINT64_MODIFIER "x: "
                   "paging mode %u has no walker (instance not completely initialised?)",
                   (guint64)pt, mode);
        return NULL;
    }
    vmi_hold(vmi);
    pt_status_t st = pt_enumerate(&vmi->reader, mode, pt, VA_PAGES_MAX_TABLES, add_page, &s);
    vmi_release(vmi);
    if (st == PT_READ_ERROR && !s.count) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the page table at 0x%" G_GINT64_MODIFIER "x is not in "
                   "guest memory", (guint64)pt);
        return NULL;
    }
    if (st == PT_BAD_ENTRY || s.too_many) {
        g_slist_free_full(s.list, g_free);
        vmi_errorc(vmi, VMI_ERR_CORRUPT, "the page table at 0x%" G_GINT64_MODIFIER "x maps more "
                   "than %s: corrupt, or tables that point back at themselves", (guint64)pt,
                   s.too_many ? "4M pages" : "262144 tables");
        return NULL;
    }
    if (!s.list)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the page table at 0x%" G_GINT64_MODIFIER "x maps no "
                   "page", (guint64)pt);
    return g_slist_reverse(s.list);
}

GSList *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt)
{
    return vmi ? va_pages(vmi, vmi->page_mode, pt) : NULL;
}

GSList *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                page_mode_t pm)
{
    if (!vmi)
        return NULL;
    if (npt || (npm != VMI_PM_UNKNOWN && npm != VMI_PM_NONE)) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "nested (second-level, EPT) translation is not "
                   "supported: this libvmi has no SLAT walker");
        return NULL;
    }
    return va_pages(vmi, pm == VMI_PM_UNKNOWN ? vmi->page_mode : pm, pt);
}
