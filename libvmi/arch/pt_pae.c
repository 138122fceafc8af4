/*
 * pt_pae.c - 32-bit PAE paging: a 4-entry PDPT, then PD and PT of 512
 * 8-byte entries.
 */
#include "pt.h"

#define PTE_P           (1ULL << 0)
#define PDE_PS          (1ULL << 7)

/* CR3 holds a 32-byte aligned PDPT below 4 GiB. */
#define CR3_PDPT_MASK   0xffffffe0ULL
/* Bits 51:12 with MAXPHYADDR 52; this drops NX (63) and the ignored or
 * reserved bits 62:52 that some guests use for their own purposes. */
#define PT_ADDR_MASK    0x000ffffffffff000ULL
#define PDE_2M_MASK     0x000fffffffe00000ULL

#define PAGE_4K         (1ULL << 12)
#define PAGE_2M         (1ULL << 21)

pt_status_t
pt_pae_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out)
{
    if (r->frames)
        return pt_frames_translate(pt_pae_translate, r, dtb, va, out);
    uint64_t pdpte, pde, pte;

    if (va > UINT32_MAX)
        return PT_NONCANONICAL;

    addr_t pdpte_pa = (dtb & CR3_PDPT_MASK) + ((va >> 30) & 0x3) * 8;
    if (!pt_read_entry(r, pdpte_pa, 8, &pdpte))
        return PT_READ_ERROR;
    if (!(pdpte & PTE_P))
        return PT_NOT_PRESENT;
    /* PAE has no 1 GiB pages: PS here is a reserved bit the CPU would
     * refuse when loading CR3, so the entry cannot be what the guest runs
     * on. */
    if (pdpte & PDE_PS)
        return PT_BAD_ENTRY;

    addr_t pde_pa = (pdpte & PT_ADDR_MASK) + ((va >> 21) & 0x1ff) * 8;
    if (!pt_read_entry(r, pde_pa, 8, &pde))
        return PT_READ_ERROR;
    if (!(pde & PTE_P))
        return PT_NOT_PRESENT;

    if (pde & PDE_PS) {
        out->pa = (pde & PDE_2M_MASK) | (va & (PAGE_2M - 1));
        out->page_size = PAGE_2M;
        out->entry = pde;
        return PT_OK;
    }

    addr_t pte_pa = (pde & PT_ADDR_MASK) + ((va >> 12) & 0x1ff) * 8;
    if (!pt_read_entry(r, pte_pa, 8, &pte))
        return PT_READ_ERROR;
    if (!(pte & PTE_P))
        return PT_NOT_PRESENT;

    out->pa = (pte & PT_ADDR_MASK) | (va & (PAGE_4K - 1));
    out->page_size = PAGE_4K;
    out->entry = pte;
    return PT_OK;
}
