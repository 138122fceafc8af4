/*
 * fuzz-xen-p2m.c - a Xen PV guest's shared-info page and p2m list as a
 * hostile guest would lay them out: xen_shinfo_parse() on the input's first
 * bytes (placed where arch_shared_info lies in the page), then
 * xen_p2m_read() through machine frames cut from the rest of the input
 * (input page i is machine frame i + 1; any other frame is unreadable),
 * both the frame tree and the linear list.  Beyond "no crash": max_pfn is
 * never above the limit, every pfn -> mfn entry is a plain frame, and the
 * inverse agrees with the list (sorted, one pfn per frame, the lowest).
 */
#include "fuzz-common.h"
#include "private.h"
#include "driver/xen/xen_p2m.h"

#define LIMIT_PFN 4096

typedef struct input {
    const uint8_t *pages;
    size_t npages;
} input_t;

static bool machine_read(void *opaque, addr_t ma, void *buf, size_t len)
{
    const input_t *in = opaque;
    uint64_t mfn = ma >> 12;
    if (mfn == 0 || mfn > in->npages || (ma & 0xfff) + len > 4096)
        return false;
    memcpy(buf, in->pages + (mfn - 1) * 4096 + (ma & 0xfff), len);
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t page[4096] = { 0 };
    size_t head = MIN(size, (size_t)48);
    memcpy(page + XEN_SHINFO_ARCH_OFFSET, data, head);
    xen_pv_shinfo_t si;
    GError *err = NULL;
    FUZZ_CHECK(xen_shinfo_parse(page, sizeof(page), &si, &err));
    /* a short page is refused, never read past */
    FUZZ_CHECK(!xen_shinfo_parse(page, XEN_SHINFO_ARCH_OFFSET + 47, &si, &err));
    FUZZ_CHECK(err && err->domain == VMI_ERROR);
    g_clear_error(&err);
    FUZZ_CHECK(xen_shinfo_parse(page, sizeof(page), &si, NULL));

    /* small frame numbers, so that the input's pages are what they name */
    si.fll_mfn &= 0xff;
    si.p2m_cr3 &= 0xff000;
    input_t in = { data + head, (size - head) / 4096 };
    uint8_t *copy = g_memdup2(in.pages, in.npages * 4096);
    in.pages = copy;
    pt_reader_t r = { .read = machine_read, .opaque = &in };
    xen_p2m_t *p = xen_p2m_read(&r, &si, LIMIT_PFN, &err);
    if (!p) {
        FUZZ_CHECK(err && err->domain == VMI_ERROR && err->message);
        g_error_free(err);
    } else {
        FUZZ_CHECK(err == NULL);
        FUZZ_CHECK(p->max_pfn == si.max_pfn && p->max_pfn <= LIMIT_PFN);
        for (uint64_t pfn = 0; pfn < p->max_pfn; pfn++) {
            uint64_t mfn, back, again;
            if (!xen_p2m_to_mfn(p, pfn, &mfn))
                continue;
            FUZZ_CHECK(mfn <= XEN_MAX_MFN);
            FUZZ_CHECK(!(mfn & (XEN_P2M_FOREIGN_BIT | XEN_P2M_IDENTITY_BIT)));
            FUZZ_CHECK(xen_p2m_to_pfn(p, mfn, &back));
            FUZZ_CHECK(back <= pfn);
            FUZZ_CHECK(xen_p2m_to_mfn(p, back, &again) && again == mfn);
        }
        for (size_t i = 1; i < p->m2p_len; i++)
            FUZZ_CHECK(p->m2p[i - 1].mfn < p->m2p[i].mfn);
        uint64_t x;
        FUZZ_CHECK(!xen_p2m_to_mfn(p, p->max_pfn, &x));
        xen_p2m_free(p);
    }
    g_free(copy);
    return 0;
}
