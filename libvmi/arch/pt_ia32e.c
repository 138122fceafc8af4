/*
 * pt_ia32e.c - 64-bit paging: 4 levels (48-bit addresses) and, with
 * CR4.LA57, 5 levels (57-bit addresses).
 *
 * Both modes are the same walk over tables of 512 8-byte entries; LA57 only
 * puts a PML5 on top.  One loop driven by a per-level table serves both.
 */
#include "pt.h"

#define PTE_P           (1ULL << 0)
#define PTE_PS          (1ULL << 7)

/* Bits 51:12 with MAXPHYADDR 52.  This drops NX (63), the protection key
 * (62:59) and the software bits (58:52, 11:9) Linux and others use, and in
 * CR3 the PCID (11:0) and LAM (62:61) bits. */
#define PT_ADDR_MASK    0x000ffffffffff000ULL

typedef struct pt_level {
    unsigned shift;         /* lowest va bit this level's index covers */
    uint64_t leaf_size;     /* page mapped when PS=1, 0 when PS is invalid */
} pt_level_t;

/* Indexed by level number, 1 = PT.  The PT has no PS bit (bit 7 is PAT
 * there), so its entry is always a leaf. */
static const pt_level_t pt_levels[] = {
    [5] = { .shift = 48, .leaf_size = 0 },            /* PML5 */
    [4] = { .shift = 39, .leaf_size = 0 },            /* PML4 */
    [3] = { .shift = 30, .leaf_size = 1ULL << 30 },   /* PDPT */
    [2] = { .shift = 21, .leaf_size = 1ULL << 21 },   /* PD */
    [1] = { .shift = 12, .leaf_size = 1ULL << 12 },   /* PT */
};

/* @va_bits is 48 or 57: bits 63:va_bits-1 must all equal bit va_bits-1. */
static bool
pt_is_canonical(addr_t va, unsigned va_bits)
{
    addr_t top = va >> (va_bits - 1);
    return top == 0 || top == UINT64_MAX >> (va_bits - 1);
}

static pt_status_t
pt_walk64(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out,
          unsigned top_level, unsigned va_bits)
{
    if (!pt_is_canonical(va, va_bits))
        return PT_NONCANONICAL;

    addr_t table = dtb & PT_ADDR_MASK;

    /* The depth is fixed by the mode, so a self-referencing entry only
     * makes the walk land on a table page, never loop. */
    for (unsigned level = top_level; level >= 1; level--) {
        const pt_level_t *lv = &pt_levels[level];
        uint64_t entry;

        addr_t entry_pa = table + ((va >> lv->shift) & 0x1ff) * 8;
        if (!pt_read_entry(r, entry_pa, 8, &entry))
            return PT_READ_ERROR;
        if (!(entry & PTE_P))
            return PT_NOT_PRESENT;

        bool leaf = level == 1 || (entry & PTE_PS);
        if (leaf) {
            if (lv->leaf_size == 0)
                return PT_BAD_ENTRY;
            uint64_t offset_mask = lv->leaf_size - 1;
            /* For large pages this also drops the PAT bit (12) and the
             * reserved bits between it and the page frame. */
            out->pa = (entry & PT_ADDR_MASK & ~offset_mask) | (va & offset_mask);
            out->page_size = lv->leaf_size;
            out->entry = entry;
            return PT_OK;
        }
        table = entry & PT_ADDR_MASK;
    }
    /* Unreachable: level 1 always returns above. */
    return PT_BAD_ENTRY;
}

pt_status_t
pt_ia32e_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out)
{
    if (r->frames)
        return pt_frames_translate(pt_ia32e_translate, r, dtb, va, out);
    return pt_walk64(r, dtb, va, out, 4, 48);
}

pt_status_t
pt_la57_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out)
{
    if (r->frames)
        return pt_frames_translate(pt_la57_translate, r, dtb, va, out);
    return pt_walk64(r, dtb, va, out, 5, 57);
}
