/*
 * pt_walk.c - page-table walks that report every level: the path of one
 * translation (vmi_pagetable_lookup_extended) and the enumeration of every
 * mapped page of an address space (vmi_get_va_pages).  The hot path keeps
 * the lean walkers of pt_legacy.c, pt_pae.c and pt_ia32e.c; this one is
 * table driven, one description per paging mode.
 */
#include <string.h>
#include "pt.h"

#define PTE_P  (1ULL << 0)
#define PTE_PS (1ULL << 7)

typedef struct level_desc {
    unsigned shift;         /* va bits below this level's index */
    unsigned bits;          /* index width */
    bool large;             /* PS may end the walk here */
} level_desc_t;

typedef struct mode_desc {
    unsigned levels;
    unsigned entry_size;    /* 4 or 8 */
    addr_t table_mask;      /* entry bits that hold the next table */
    addr_t root_mask;       /* CR3 bits that hold the top table */
    unsigned va_bits;       /* canonical width (64-bit modes) or 32 */
    level_desc_t level[PT_PATH_MAX];    /* top level first */
} mode_desc_t;

static const mode_desc_t mode_legacy = {
    .levels = 2, .entry_size = 4, .table_mask = 0xfffff000ULL, .root_mask = 0xfffff000ULL,
    .va_bits = 32, .level = { { 22, 10, true }, { 12, 10, false } },
};
static const mode_desc_t mode_pae = {
    .levels = 3, .entry_size = 8, .table_mask = 0x000ffffffffff000ULL,
    .root_mask = 0xffffffe0ULL, .va_bits = 32,
    .level = { { 30, 2, false }, { 21, 9, true }, { 12, 9, false } },
};
static const mode_desc_t mode_ia32e = {
    .levels = 4, .entry_size = 8, .table_mask = 0x000ffffffffff000ULL,
    .root_mask = 0x000ffffffffff000ULL, .va_bits = 48,
    .level = { { 39, 9, false }, { 30, 9, true }, { 21, 9, true }, { 12, 9, false } },
};
static const mode_desc_t mode_la57 = {
    .levels = 5, .entry_size = 8, .table_mask = 0x000ffffffffff000ULL,
    .root_mask = 0x000ffffffffff000ULL, .va_bits = 57,
    .level = { { 48, 9, false }, { 39, 9, false }, { 30, 9, true }, { 21, 9, true },
               { 12, 9, false } },
};

static const mode_desc_t *mode_desc(page_mode_t mode)
{
    switch (mode) {
    case VMI_PM_LEGACY: return &mode_legacy;
    case VMI_PM_PAE: return &mode_pae;
    case VMI_PM_IA32E: return &mode_ia32e;
    case VMI_PM_LA57: return &mode_la57;
    default: return NULL;
    }
}

/* Physical address of the page a leaf entry maps, and its size. */
static addr_t leaf_base(const mode_desc_t *m, unsigned lvl, uint64_t entry, uint64_t *size)
{
    *size = 1ULL << m->level[lvl].shift;
    if (m == &mode_legacy && lvl == 0) {
        /* 4 MiB page: PSE-36/40 put physical bits 39:32 in bits 20:13 */
        return (((entry >> 13) & 0xffULL) << 32) | (entry & 0xffc00000ULL);
    }
    return entry & m->table_mask & ~(*size - 1);
}

pt_status_t pt_path_walk(const pt_reader_t *r, page_mode_t mode, addr_t dtb, addr_t va,
                         pt_path_t *out)
{
    if (r->frames) {
        /* tables in another frame space: walk there, entries as the
         * tables hold them, the page mapped back */
        const pt_frames_t *f = r->frames;
        addr_t tdtb, pa;
        memset(out, 0, sizeof(*out));
        if (!f->to_table(r->opaque, dtb & ~0xfffULL, &tdtb))
            return PT_READ_ERROR;
        pt_reader_t tr = { .read = f->read_table, .opaque = r->opaque, .frames = NULL };
        pt_status_t st = pt_path_walk(&tr, mode, tdtb | (dtb & 0xfffULL), va, out);
        if (st != PT_OK)
            return st;
        if (!f->to_phys(r->opaque, out->pa & ~0xfffULL, &pa))
            return PT_READ_ERROR;
        out->pa = pa | (out->pa & 0xfffULL);
        return PT_OK;
    }
    const mode_desc_t *m = mode_desc(mode);
    memset(out, 0, sizeof(*out));
    if (!m)
        return PT_BAD_ENTRY;
    if (m->va_bits == 32) {
        if (va > UINT32_MAX)
            return PT_NONCANONICAL;
    } else {
        addr_t top = va >> (m->va_bits - 1);
        if (top != 0 && top != UINT64_MAX >> (m->va_bits - 1))
            return PT_NONCANONICAL;
    }
    addr_t table = dtb & m->root_mask;
    for (unsigned lvl = 0; lvl < m->levels; lvl++) {
        const level_desc_t *d = &m->level[lvl];
        addr_t index = (va >> d->shift) & ((1ULL << d->bits) - 1);
        addr_t epa = table + index * m->entry_size;
        uint64_t entry;
        if (!pt_read_entry(r, epa, m->entry_size, &entry))
            return PT_READ_ERROR;
        out->entry[lvl].pa = epa;
        out->entry[lvl].value = entry;
        out->levels = lvl + 1;
        if (!(entry & PTE_P))
            return PT_NOT_PRESENT;
        bool last = lvl + 1 == m->levels;
        if (last || (d->large && (entry & PTE_PS))) {
            out->pa = leaf_base(m, lvl, entry, &out->page_size) | (va & (out->page_size - 1));
            return PT_OK;
        }
        table = entry & m->table_mask;
    }
    return PT_BAD_ENTRY;
}

typedef struct enum_state {
    const pt_reader_t *r;
    const mode_desc_t *m;
    pt_page_fn fn;
    void *data;
    size_t tables_left;     /* bound on tables read: a hostile guest's tables may fan out */
    pt_path_t path;
    uint8_t table[PT_PATH_MAX][4096];
} enum_state_t;

static addr_t sign_extend(const mode_desc_t *m, addr_t va)
{
    if (m->va_bits == 32 || !(va & (1ULL << (m->va_bits - 1))))
        return va;
    return va | ~((1ULL << m->va_bits) - 1);
}

static pt_status_t enum_level(enum_state_t *s, unsigned lvl, addr_t table, addr_t va_base)
{
    const mode_desc_t *m = s->m;
    const level_desc_t *d = &m->level[lvl];
    size_t n = (size_t)1 << d->bits;
    size_t bytes = n * m->entry_size;
    if (s->tables_left == 0)
        return PT_BAD_ENTRY;
    s->tables_left--;
    if (!s->r->read(s->r->opaque, table, s->table[lvl], bytes))
        return PT_READ_ERROR;
    for (size_t i = 0; i < n; i++) {
        uint64_t entry = 0;
        for (unsigned b = m->entry_size; b > 0; b--)
            entry = (entry << 8) | s->table[lvl][i * m->entry_size + b - 1];
        if (!(entry & PTE_P))
            continue;
        addr_t va = va_base | ((addr_t)i << d->shift);
        s->path.entry[lvl].pa = table + i * m->entry_size;
        s->path.entry[lvl].value = entry;
        s->path.levels = lvl + 1;
        bool last = lvl + 1 == m->levels;
        if (last || (d->large && (entry & PTE_PS))) {
            s->path.pa = leaf_base(m, lvl, entry, &s->path.page_size);
            if (!s->fn(s->data, sign_extend(m, va), &s->path))
                return PT_OK;   /* the callback stops the walk */
            continue;
        }
        pt_status_t st = enum_level(s, lvl + 1, entry & m->table_mask, va);
        /* a table that cannot be read is skipped (as a page that is not
         * present); running out of the bound ends the walk */
        if (st == PT_BAD_ENTRY)
            return st;
    }
    return PT_OK;
}

typedef struct frames_enum {
    const pt_reader_t *r;
    pt_page_fn fn;
    void *data;
} frames_enum_t;

/* A page found in another frame space, given to the caller's @fn with its
 * guest-physical base (pages that are not the guest's are left out). */
static bool frames_page(void *data, addr_t va, const pt_path_t *path)
{
    frames_enum_t *fe = data;
    pt_path_t p = *path;
    addr_t pa;
    if (!fe->r->frames->to_phys(fe->r->opaque, p.pa & ~0xfffULL, &pa))
        return true;
    p.pa = pa | (p.pa & 0xfffULL);
    return fe->fn(fe->data, va, &p);
}

pt_status_t pt_enumerate(const pt_reader_t *r, page_mode_t mode, addr_t dtb, size_t max_tables,
                         pt_page_fn fn, void *data)
{
    if (r->frames) {
        addr_t tdtb;
        if (!r->frames->to_table(r->opaque, dtb & ~0xfffULL, &tdtb))
            return PT_READ_ERROR;
        pt_reader_t tr = { .read = r->frames->read_table, .opaque = r->opaque, .frames = NULL };
        frames_enum_t fe = { r, fn, data };
        return pt_enumerate(&tr, mode, tdtb | (dtb & 0xfffULL), max_tables, frames_page, &fe);
    }
    const mode_desc_t *m = mode_desc(mode);
    if (!m)
        return PT_BAD_ENTRY;
    enum_state_t *s = calloc(1, sizeof(*s));
    if (!s)
        return PT_READ_ERROR;
    s->r = r;
    s->m = m;
    s->fn = fn;
    s->data = data;
    s->tables_left = max_tables;
    pt_status_t st = enum_level(s, 0, dtb & m->root_mask, 0);
    free(s);
    return st;
}
