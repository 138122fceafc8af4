/*
 * xen_p2m.c - reading a PV guest's p2m list and inverting it.
 */
#include <string.h>
#include "private.h"
#include "xen_p2m.h"

#define ENTRIES_PER_PAGE (XEN_PAGE_SIZE / 8)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

bool xen_shinfo_parse(const uint8_t *page, size_t len, xen_pv_shinfo_t *out, GError **error)
{
    if (!page || len < XEN_SHINFO_ARCH_OFFSET + 48) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the shared-info page is too short (%zu bytes)", len);
        return false;
    }
    const uint8_t *a = page + XEN_SHINFO_ARCH_OFFSET;
    out->max_pfn = le64(a);
    out->fll_mfn = le64(a + 8);
    /* a + 16: nmi_reason */
    out->p2m_cr3 = le64(a + 24);
    out->p2m_vaddr = le64(a + 32);
    out->p2m_generation = le64(a + 40);
    return true;
}

/* A p2m entry as a plain frame, or XEN_INVALID_MFN. */
static uint64_t clean_entry(uint64_t e)
{
    if (e == XEN_INVALID_MFN || (e & (XEN_P2M_FOREIGN_BIT | XEN_P2M_IDENTITY_BIT)))
        return XEN_INVALID_MFN;
    if (e > XEN_MAX_MFN)
        return XEN_INVALID_MFN;
    return e;
}

static int pair_cmp(const void *a, const void *b)
{
    const xen_m2p_pair_t *x = a, *y = b;
    if (x->mfn != y->mfn)
        return x->mfn < y->mfn ? -1 : 1;
    return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static void build_m2p(xen_p2m_t *p)
{
    p->m2p = g_new(xen_m2p_pair_t, p->max_pfn ? p->max_pfn : 1);
    size_t n = 0;
    for (uint64_t pfn = 0; pfn < p->max_pfn; pfn++)
        if (p->p2m[pfn] != XEN_INVALID_MFN)
            p->m2p[n++] = (xen_m2p_pair_t){ p->p2m[pfn], pfn };
    qsort(p->m2p, n, sizeof(*p->m2p), pair_cmp);
    /* A hostile list may give one frame to two pfns: the lowest pfn wins
     * (the sort put it first), the others keep their pfn -> mfn only. */
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (w == 0 || p->m2p[w - 1].mfn != p->m2p[i].mfn)
            p->m2p[w++] = p->m2p[i];
    p->m2p_len = w;
}

xen_p2m_t *xen_p2m_from_array(const uint64_t *entries, uint64_t n)
{
    xen_p2m_t *p = g_new0(xen_p2m_t, 1);
    p->max_pfn = n;
    p->p2m = g_new(uint64_t, n ? n : 1);
    for (uint64_t i = 0; i < n; i++)
        p->p2m[i] = clean_entry(entries[i]);
    build_m2p(p);
    return p;
}

void xen_p2m_free(xen_p2m_t *p)
{
    if (!p)
        return;
    g_free(p->p2m);
    g_free(p->m2p);
    g_free(p);
}

static bool read_frame(const pt_reader_t *m, uint64_t mfn, uint8_t *page, const char *what,
                       uint64_t index, GError **error)
{
    if (mfn == 0 || mfn > XEN_MAX_MFN ||
        !m->read(m->opaque, mfn << XEN_PAGE_SHIFT, page, XEN_PAGE_SIZE)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the guest's p2m is unreadable: %s %" G_GUINT64_FORMAT " names machine frame "
                    "0x%" G_GINT64_MODIFIER "x, which cannot be mapped", what, (guint64)index,
                    (guint64)mfn);
        return false;
    }
    return true;
}

/* The 3-level tree: fll page -> frame-list pages -> p2m pages. */
static bool read_tree(const pt_reader_t *m, const xen_pv_shinfo_t *si, uint64_t *out,
                      GError **error)
{
    g_autofree uint8_t *fll = g_malloc(XEN_PAGE_SIZE);
    g_autofree uint8_t *fl = g_malloc(XEN_PAGE_SIZE);
    g_autofree uint8_t *leaf = g_malloc(XEN_PAGE_SIZE);
    uint64_t leaves = (si->max_pfn + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    uint64_t lists = (leaves + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    if (!read_frame(m, si->fll_mfn, fll, "the frame-list-list", 0, error))
        return false;
    for (uint64_t i = 0; i < lists; i++) {
        if (!read_frame(m, le64(fll + i * 8), fl, "frame list", i, error))
            return false;
        for (uint64_t j = 0; j < ENTRIES_PER_PAGE; j++) {
            uint64_t li = i * ENTRIES_PER_PAGE + j;
            if (li >= leaves)
                break;
            if (!read_frame(m, le64(fl + j * 8), leaf, "p2m page", li, error))
                return false;
            uint64_t first = li * ENTRIES_PER_PAGE;
            for (uint64_t k = 0; k < ENTRIES_PER_PAGE && first + k < si->max_pfn; k++)
                out[first + k] = le64(leaf + k * 8);
        }
    }
    return true;
}

/* The linear list: virtual pages at p2m_vaddr, translated through the page
 * tables at p2m_cr3 (machine frames all the way down).  A page the guest
 * leaves unmapped (a hole of invalid entries Linux maps to one shared page,
 * or nothing) reads as invalid entries. */
static bool read_linear(const pt_reader_t *m, const xen_pv_shinfo_t *si, uint64_t *out,
                        GError **error)
{
    g_autofree uint8_t *leaf = g_malloc(XEN_PAGE_SIZE);
    uint64_t leaves = (si->max_pfn + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
    if (si->p2m_vaddr & (XEN_PAGE_SIZE - 1)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the guest's linear p2m list is not page aligned (p2m_vaddr 0x%"
                    G_GINT64_MODIFIER "x)", (guint64)si->p2m_vaddr);
        return false;
    }
    uint64_t mapped = 0;
    for (uint64_t li = 0; li < leaves; li++) {
        pt_result_t r;
        uint64_t first = li * ENTRIES_PER_PAGE;
        uint64_t n = MIN(ENTRIES_PER_PAGE, si->max_pfn - first);
        addr_t va = si->p2m_vaddr + li * XEN_PAGE_SIZE;
        if (va < si->p2m_vaddr ||
            pt_ia32e_translate(m, si->p2m_cr3, va, &r) != PT_OK ||
            !m->read(m->opaque, r.pa & ~(addr_t)(XEN_PAGE_SIZE - 1), leaf, XEN_PAGE_SIZE)) {
            for (uint64_t k = 0; k < n; k++)
                out[first + k] = XEN_INVALID_MFN;
            continue;
        }
        mapped++;
        for (uint64_t k = 0; k < n; k++)
            out[first + k] = le64(leaf + k * 8);
    }
    if (leaves && !mapped) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the guest's linear p2m list at 0x%" G_GINT64_MODIFIER "x (page tables at "
                    "machine 0x%" G_GINT64_MODIFIER "x) has no readable page",
                    (guint64)si->p2m_vaddr, (guint64)si->p2m_cr3);
        return false;
    }
    return true;
}

xen_p2m_t *xen_p2m_read(const pt_reader_t *machine, const xen_pv_shinfo_t *si, uint64_t limit_pfn,
                        GError **error)
{
    if (si->max_pfn == 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "the guest has not published its p2m list yet (max_pfn is 0 in its "
                    "shared-info page: still booting?)");
        return NULL;
    }
    if (si->max_pfn > limit_pfn) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the guest's shared-info page claims %" G_GUINT64_FORMAT " pseudo-physical "
                    "frames, more than the %" G_GUINT64_FORMAT " Xen allows the domain",
                    (guint64)si->max_pfn, (guint64)limit_pfn);
        return NULL;
    }
    bool tree = si->fll_mfn != 0 && si->fll_mfn != XEN_INVALID_MFN &&
                si->max_pfn <= XEN_P2M_FLL_MAX_PFN;
    bool linear = si->p2m_cr3 != 0 && si->p2m_vaddr != 0;
    if (!tree && !linear) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "the guest's shared-info page names no p2m list (frame-list-list 0x%"
                    G_GINT64_MODIFIER "x, p2m_cr3 0x%" G_GINT64_MODIFIER "x)",
                    (guint64)si->fll_mfn, (guint64)si->p2m_cr3);
        return NULL;
    }
    g_autofree uint64_t *raw = g_new(uint64_t, si->max_pfn);
    GError *tree_err = NULL;
    bool ok = false, used_linear = false;
    /* Linux keeps both current (the tree for save/restore).  The tree
     * costs one frame per 512 entries and two above; the linear list a
     * 4-level walk per page: the tree first, the list when it fails (or
     * there is none: a p2m too large for three levels). */
    if (tree)
        ok = read_tree(machine, si, raw, linear ? &tree_err : error);
    if (!ok && linear) {
        g_clear_error(&tree_err);
        ok = read_linear(machine, si, raw, error);
        used_linear = ok;
    }
    g_clear_error(&tree_err);
    if (!ok)
        return NULL;
    xen_p2m_t *p = xen_p2m_from_array(raw, si->max_pfn);
    p->generation = si->p2m_generation;
    p->linear = used_linear;
    return p;
}

bool xen_p2m_to_mfn(const xen_p2m_t *p, uint64_t pfn, uint64_t *mfn)
{
    if (!p || pfn >= p->max_pfn || p->p2m[pfn] == XEN_INVALID_MFN)
        return false;
    *mfn = p->p2m[pfn];
    return true;
}

bool xen_p2m_to_pfn(const xen_p2m_t *p, uint64_t mfn, uint64_t *pfn)
{
    if (!p)
        return false;
    size_t lo = 0, hi = p->m2p_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->m2p[mid].mfn == mfn) {
            *pfn = p->m2p[mid].pfn;
            return true;
        }
        if (p->m2p[mid].mfn < mfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}
