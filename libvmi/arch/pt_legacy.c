/*
 * pt_legacy.c - 32-bit two-level paging (CR4.PAE=0).
 *
 * CR4.PSE is assumed set, as by every OS that uses 4 MiB pages: a PDE with
 * PS=1 is taken as a 4 MiB page.
 */
#include "pt.h"

#define PTE_P           (1ULL << 0)
#define PDE_PS          (1ULL << 7)

#define PT_ADDR_MASK    0xfffff000ULL   /* CR3, PDE -> PT, PTE -> page */
#define PDE_4M_MASK     0xffc00000ULL

/* PSE-36/PSE-40: bits 20:13 of a 4 MiB PDE give physical bits 39:32.  On a
 * CPU with fewer than 40 physical bits the top ones are reserved, hence
 * zero in any table the CPU accepts, so taking all eight is never wrong. */
#define PDE_4M_HI_SHIFT 13
#define PDE_4M_HI_MASK  0xffULL

#define PAGE_4K         (1ULL << 12)
#define PAGE_4M         (1ULL << 22)

pt_status_t
pt_legacy_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out)
{
    if (r->frames)
        return pt_frames_translate(pt_legacy_translate, r, dtb, va, out);
    uint64_t pde, pte;

    if (va > UINT32_MAX)
        return PT_NONCANONICAL;

    addr_t pde_pa = (dtb & PT_ADDR_MASK) + ((va >> 22) & 0x3ff) * 4;
    if (!pt_read_entry(r, pde_pa, 4, &pde))
        return PT_READ_ERROR;
    if (!(pde & PTE_P))
        return PT_NOT_PRESENT;

    if (pde & PDE_PS) {
        addr_t hi = ((pde >> PDE_4M_HI_SHIFT) & PDE_4M_HI_MASK) << 32;
        out->pa = hi | (pde & PDE_4M_MASK) | (va & (PAGE_4M - 1));
        out->page_size = PAGE_4M;
        out->entry = pde;
        return PT_OK;
    }

    addr_t pte_pa = (pde & PT_ADDR_MASK) + ((va >> 12) & 0x3ff) * 4;
    if (!pt_read_entry(r, pte_pa, 4, &pte))
        return PT_READ_ERROR;
    if (!(pte & PTE_P))
        return PT_NOT_PRESENT;

    out->pa = (pte & PT_ADDR_MASK) | (va & (PAGE_4K - 1));
    out->page_size = PAGE_4K;
    out->entry = pte;
    return PT_OK;
}
