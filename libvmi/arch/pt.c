/*
 * pt.c - the paging-mode table and what the walkers share.
 */
#include "pt.h"

#define CR0_PG      (1ULL << 31)
#define CR4_PAE     (1ULL << 5)
#define CR4_LA57    (1ULL << 12)

/* Indexed by page_mode_t; an empty slot (VMI_PM_UNKNOWN) has no walker. */
static const pt_mode_ops_t pt_modes[] = {
    [VMI_PM_LEGACY] = {
        .mode = VMI_PM_LEGACY,
        .name = "legacy",
        .levels = 2,
        .address_width = 4,
        .translate = pt_legacy_translate,
    },
    [VMI_PM_PAE] = {
        .mode = VMI_PM_PAE,
        .name = "pae",
        .levels = 3,
        .address_width = 4,
        .translate = pt_pae_translate,
    },
    [VMI_PM_IA32E] = {
        .mode = VMI_PM_IA32E,
        .name = "ia32e",
        .levels = 4,
        .address_width = 8,
        .translate = pt_ia32e_translate,
    },
    [VMI_PM_LA57] = {
        .mode = VMI_PM_LA57,
        .name = "la57",
        .levels = 5,
        .address_width = 8,
        .translate = pt_la57_translate,
    },
};

const pt_mode_ops_t *
pt_mode_ops(page_mode_t mode)
{
    /* The cast also rejects negative values should the enum be signed. */
    if ((unsigned)mode >= sizeof(pt_modes) / sizeof(pt_modes[0]))
        return NULL;
    if (!pt_modes[mode].translate)
        return NULL;
    return &pt_modes[mode];
}

const char *
pt_status_str(pt_status_t st)
{
    switch (st) {
    case PT_OK:
        return "translated";
    case PT_NOT_PRESENT:
        return "page not present";
    case PT_READ_ERROR:
        return "page table outside readable memory";
    case PT_NONCANONICAL:
        return "address not canonical for the paging mode";
    case PT_BAD_ENTRY:
        return "invalid page-table entry";
    }
    return "unknown page-table status";
}

page_mode_t
pt_mode_from_regs(uint64_t cr0, uint64_t cr4, bool lma)
{
    if (!(cr0 & CR0_PG))
        return VMI_PM_UNKNOWN;
    /* EFER.LMA is only set by the CPU once long-mode paging is active, so it
     * outranks CR4.PAE; CR4.LA57 means nothing outside long mode. */
    if (lma)
        return (cr4 & CR4_LA57) ? VMI_PM_LA57 : VMI_PM_IA32E;
    if (cr4 & CR4_PAE)
        return VMI_PM_PAE;
    return VMI_PM_LEGACY;
}

bool
pt_read_entry(const pt_reader_t *r, addr_t pa, size_t size, uint64_t *entry)
{
    uint8_t b[8];

    if (size != 4 && size != 8)
        return false;
    if (!r->read(r->opaque, pa, b, size))
        return false;

    /* Assemble byte by byte: guest tables are little-endian whatever the
     * host is. */
    uint64_t v = 0;
    for (size_t i = size; i > 0; i--)
        v = (v << 8) | b[i - 1];
    *entry = v;
    return true;
}

pt_status_t
pt_frames_translate(pt_translate_fn fn, const pt_reader_t *r, addr_t dtb, addr_t va,
                    pt_result_t *out)
{
    const pt_frames_t *f = r->frames;
    addr_t tdtb, pa;
    if (!f->to_table(r->opaque, dtb & ~0xfffULL, &tdtb))
        return PT_READ_ERROR;
    pt_reader_t tr = { .read = f->read_table, .opaque = r->opaque, .frames = NULL };
    pt_status_t st = fn(&tr, tdtb | (dtb & 0xfffULL), va, out);
    if (st != PT_OK)
        return st;
    /* a page of another space that is not the guest's (Xen's own frames,
     * a foreign grant): nothing the caller can address */
    if (!f->to_phys(r->opaque, out->pa & ~0xfffULL, &pa))
        return PT_READ_ERROR;
    out->pa = pa | (out->pa & 0xfffULL);
    return PT_OK;
}
