/*
 * test-pt.c - the page-table walkers against real x86 page tables.
 *
 * Each test builds tables in a zeroed buffer that stands for guest-physical
 * memory, from a fixed seed so a failure reproduces.  The builder records
 * what it mapped as it writes the entries; the walkers are only ever
 * checked against that record, never against themselves.
 */
#include <string.h>
#include <glib.h>

#include "pt.h"

#define SEED            0x5eed
#define GUEST_SIZE      (64u << 20)
#define FRAME           4096u

#define PTE_P           (1ULL << 0)
#define PTE_RW          (1ULL << 1)
#define PTE_PS          (1ULL << 7)

#define SIZE_4K         (1ULL << 12)
#define SIZE_2M         (1ULL << 21)
#define SIZE_4M         (1ULL << 22)
#define SIZE_1G         (1ULL << 30)

/* Physical address bits of a 64-bit entry, MAXPHYADDR 52. */
#define ADDR52          0x000ffffffffff000ULL
/* Bits the walkers must ignore in 64-bit entries: NX, protection keys and
 * software-available bits. */
#define HIGH_IGNORED    0xfff0000000000000ULL

/* ---- guest-physical memory --------------------------------------------- */

typedef struct guest {
    guint8 *mem;
    gsize size;
    addr_t next_frame;  /* bump allocator for table frames */
    guint reads;        /* reader calls, to see a walk's depth */
} guest_t;

static guest_t *
guest_new(gsize size)
{
    guest_t *g = g_new0(guest_t, 1);
    g->mem = g_malloc0(size);
    g->size = size;
    /* Frame 0 stays unused so a zero entry never points at a real table. */
    g->next_frame = FRAME;
    return g;
}

static void
guest_free(guest_t *g)
{
    g_free(g->mem);
    g_free(g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(guest_t, guest_free)

static bool
guest_read(void *opaque, addr_t pa, void *buf, size_t len)
{
    guest_t *g = opaque;

    g->reads++;
    if (pa > g->size || len > g->size - pa)
        return false;
    memcpy(buf, g->mem + pa, len);
    return true;
}

static pt_reader_t
guest_reader(guest_t *g)
{
    return (pt_reader_t){ .read = guest_read, .opaque = g };
}

static addr_t
guest_alloc_frame(guest_t *g)
{
    g_assert_cmpuint(g->next_frame + FRAME, <=, g->size);
    addr_t pa = g->next_frame;
    g->next_frame += FRAME;
    return pa;
}

static void
guest_put(guest_t *g, addr_t pa, unsigned size, uint64_t v)
{
    g_assert_cmpuint(pa + size, <=, g->size);
    for (unsigned i = 0; i < size; i++)
        g->mem[pa + i] = (guint8)(v >> (8 * i));
}

static uint64_t
guest_get(guest_t *g, addr_t pa, unsigned size)
{
    uint64_t v = 0;

    g_assert_cmpuint(pa + size, <=, g->size);
    for (unsigned i = size; i > 0; i--)
        v = (v << 8) | g->mem[pa + i - 1];
    return v;
}

static uint64_t
rand64(GRand *rand)
{
    return ((uint64_t)g_rand_int(rand) << 32) | g_rand_int(rand);
}

/* ---- what the test knows about each mode, from the SDM ------------------- */

typedef struct tmode {
    page_mode_t mode;
    const char *name;
    unsigned levels;
    unsigned entry_size;
    unsigned va_bits;           /* 32, 48 or 57 */
    unsigned shift[6];          /* by level, 1 = the table of 4 KiB pages */
    unsigned index_bits[6];
    uint64_t large[6];          /* page mapped by PS=1 at a level, 0 = none */
    uint64_t table_mask;        /* address bits of an entry naming a table */
    unsigned pa_bits;           /* physical bits a large page may use */
} tmode_t;

static const tmode_t tmodes[] = {
    {
        .mode = VMI_PM_LEGACY, .name = "legacy", .levels = 2, .entry_size = 4,
        .va_bits = 32, .shift = { 0, 12, 22 }, .index_bits = { 0, 10, 10 },
        .large = { 0, 0, SIZE_4M }, .table_mask = 0xfffff000ULL,
        /* 4 KiB pages reach 32 bits; PSE-36/40 lets 4 MiB pages reach 40. */
        .pa_bits = 40,
    },
    {
        .mode = VMI_PM_PAE, .name = "pae", .levels = 3, .entry_size = 8,
        .va_bits = 32, .shift = { 0, 12, 21, 30 }, .index_bits = { 0, 9, 9, 2 },
        .large = { 0, 0, SIZE_2M, 0 }, .table_mask = ADDR52, .pa_bits = 52,
    },
    {
        .mode = VMI_PM_IA32E, .name = "ia32e", .levels = 4, .entry_size = 8,
        .va_bits = 48, .shift = { 0, 12, 21, 30, 39 },
        .index_bits = { 0, 9, 9, 9, 9 },
        .large = { 0, 0, SIZE_2M, SIZE_1G, 0 }, .table_mask = ADDR52,
        .pa_bits = 52,
    },
    {
        .mode = VMI_PM_LA57, .name = "la57", .levels = 5, .entry_size = 8,
        .va_bits = 57, .shift = { 0, 12, 21, 30, 39, 48 },
        .index_bits = { 0, 9, 9, 9, 9, 9 },
        .large = { 0, 0, SIZE_2M, SIZE_1G, 0, 0 }, .table_mask = ADDR52,
        .pa_bits = 52,
    },
};

static uint64_t
tmode_page_size(const tmode_t *tm, unsigned level)
{
    return level == 1 ? SIZE_4K : tm->large[level];
}

static unsigned
tmode_index(const tmode_t *tm, unsigned level, addr_t va)
{
    return (va >> tm->shift[level]) & ((1u << tm->index_bits[level]) - 1);
}

/* Sign-extends the top va bit, as the CPU expects for 64-bit modes. */
static addr_t
tmode_canonicalize(const tmode_t *tm, addr_t va)
{
    if (tm->va_bits == 32)
        return va & 0xffffffffULL;
    uint64_t low = va & ((1ULL << tm->va_bits) - 1);
    if (low & (1ULL << (tm->va_bits - 1)))
        return low | ~((1ULL << tm->va_bits) - 1);
    return low;
}

static bool
tmode_is_canonical(const tmode_t *tm, addr_t va)
{
    return tmode_canonicalize(tm, va) == va;
}

/* ---- an address space under construction --------------------------------- */

typedef struct mapping {
    addr_t va;          /* page-aligned */
    uint64_t size;
    addr_t pa;          /* page-aligned */
    uint64_t entry;     /* the leaf as written */
    unsigned level;
} mapping_t;

typedef struct space {
    const tmode_t *tm;
    guest_t *g;
    GRand *rand;
    addr_t root;        /* the top table */
    addr_t cr3;         /* root plus flag bits the walker must drop */
    GArray *maps;       /* mapping_t */
} space_t;

static void
space_init(space_t *s, const tmode_t *tm, guest_t *g, GRand *rand, addr_t root)
{
    s->tm = tm;
    s->g = g;
    s->rand = rand;
    s->root = root;
    s->maps = g_array_new(FALSE, FALSE, sizeof(mapping_t));

    /* Fill CR3's non-address bits: PWT/PCD and ignored bits in the 32-bit
     * modes; PCID and the LAM bits (62:61) in the 64-bit ones. */
    switch (tm->mode) {
    case VMI_PM_LEGACY:
        s->cr3 = root | (g_rand_int(rand) & 0xfffu);
        break;
    case VMI_PM_PAE:
        s->cr3 = root | (g_rand_int(rand) & 0x1fu);
        break;
    default:
        s->cr3 = root | (g_rand_int(rand) & 0xfffu) | (rand64(rand) & (3ULL << 61));
        break;
    }
}

static void
space_init_fresh(space_t *s, const tmode_t *tm, guest_t *g, GRand *rand)
{
    addr_t root = guest_alloc_frame(g);

    /* A PAE PDPT only needs 32-byte alignment; put it anywhere in its frame
     * so the walker must honour CR3 bits 11:5. */
    if (tm->mode == VMI_PM_PAE)
        root += 32 * g_rand_int_range(rand, 0, FRAME / 32);
    space_init(s, tm, g, rand, root);
}

static void
space_clear(space_t *s)
{
    g_clear_pointer(&s->maps, g_array_unref);
}

static uint64_t
space_table_flags(space_t *s, unsigned level)
{
    const tmode_t *tm = s->tm;
    /* R/W, U/S, PWT, PCD, A, bit 6 and bits 8-11: never PS (bit 7). */
    uint64_t low = g_rand_int(s->rand) & 0xf7eu;

    if (tm->mode == VMI_PM_LEGACY)
        return low;
    if (tm->mode == VMI_PM_PAE) {
        /* A PDPTE has only PWT, PCD and ignored bits 11:9. */
        if (level == 3)
            return g_rand_int(s->rand) & 0xe18u;
        return low | (rand64(s->rand) & (1ULL << 63));
    }
    return low | (rand64(s->rand) & HIGH_IGNORED);
}

static uint64_t
space_leaf_flags(space_t *s, unsigned level)
{
    const tmode_t *tm = s->tm;
    /* Bits 11:1 for a 4 KiB page (bit 7 is PAT there); for a large page
     * also PAT at bit 12, but bit 7 is PS. */
    uint64_t low = level == 1 ? (g_rand_int(s->rand) & 0xffeu)
                              : (g_rand_int(s->rand) & 0x1f7eu);

    if (tm->mode == VMI_PM_LEGACY)
        return low;
    if (tm->mode == VMI_PM_PAE)
        return low | (rand64(s->rand) & (1ULL << 63));
    return low | (rand64(s->rand) & HIGH_IGNORED);
}

static uint64_t
space_encode_leaf(space_t *s, unsigned level, addr_t pa)
{
    if (level == 1)
        return pa;
    if (s->tm->mode == VMI_PM_LEGACY)
        return (pa & 0xffc00000ULL) | (((pa >> 32) & 0xff) << 13) | PTE_PS;
    return pa | PTE_PS;
}

/* The slot of @va's entry at @level, or 0 when a table above is missing or
 * a large page covers @va. */
static addr_t
space_slot(space_t *s, addr_t va, unsigned level)
{
    const tmode_t *tm = s->tm;
    addr_t table = s->root;

    for (unsigned l = tm->levels; l > level; l--) {
        addr_t slot = table + (addr_t)tmode_index(tm, l, va) * tm->entry_size;
        uint64_t e = guest_get(s->g, slot, tm->entry_size);
        if (!(e & PTE_P) || (tm->large[l] && (e & PTE_PS)))
            return 0;
        table = e & tm->table_mask;
    }
    return table + (addr_t)tmode_index(tm, level, va) * tm->entry_size;
}

/* Maps the page holding @va with a leaf at @level; false when something
 * already maps that range. */
static bool
space_map(space_t *s, addr_t va, unsigned level, addr_t pa)
{
    const tmode_t *tm = s->tm;
    uint64_t size = tmode_page_size(tm, level);
    addr_t table = s->root;

    g_assert_cmpuint(pa & (size - 1), ==, 0);
    for (unsigned l = tm->levels; l > level; l--) {
        addr_t slot = table + (addr_t)tmode_index(tm, l, va) * tm->entry_size;
        uint64_t e = guest_get(s->g, slot, tm->entry_size);
        if (!(e & PTE_P)) {
            e = guest_alloc_frame(s->g) | PTE_P | space_table_flags(s, l);
            guest_put(s->g, slot, tm->entry_size, e);
        } else if (tm->large[l] && (e & PTE_PS)) {
            return false;
        }
        table = e & tm->table_mask;
    }

    addr_t slot = table + (addr_t)tmode_index(tm, level, va) * tm->entry_size;
    if (guest_get(s->g, slot, tm->entry_size) & PTE_P)
        return false;
    uint64_t e = space_encode_leaf(s, level, pa) | PTE_P | space_leaf_flags(s, level);
    guest_put(s->g, slot, tm->entry_size, e);

    mapping_t m = {
        .va = va & ~(size - 1),
        .size = size,
        .pa = pa,
        .entry = e,
        .level = level,
    };
    g_array_append_val(s->maps, m);
    return true;
}

static addr_t
space_rand_va(space_t *s)
{
    return tmode_canonicalize(s->tm, rand64(s->rand));
}

/* An address sharing the upper table indices of an existing mapping, so
 * that tables get shared and the walk fails or succeeds deep down. */
static addr_t
space_rand_va_near(space_t *s)
{
    const tmode_t *tm = s->tm;

    if (s->maps->len == 0)
        return space_rand_va(s);
    const mapping_t *m = &g_array_index(s->maps, mapping_t,
                                        g_rand_int_range(s->rand, 0, s->maps->len));
    unsigned level = g_rand_int_range(s->rand, 1, tm->levels + 1);
    uint64_t low = (1ULL << tm->shift[level]) - 1;
    return (m->va & ~low) | (rand64(s->rand) & low);
}

static addr_t
space_rand_leaf_pa(space_t *s, unsigned level)
{
    const tmode_t *tm = s->tm;
    unsigned bits = tm->pa_bits;
    uint64_t size = tmode_page_size(tm, level);

    /* Legacy 4 KiB pages are 32-bit; half of the 4 MiB ones stay below
     * 4 GiB too, the rest use PSE-36/40. */
    if (tm->mode == VMI_PM_LEGACY && (level == 1 || g_rand_boolean(s->rand)))
        bits = 32;
    return rand64(s->rand) & ((1ULL << bits) - 1) & ~(size - 1);
}

static const mapping_t *
space_lookup(space_t *s, addr_t va)
{
    for (guint i = 0; i < s->maps->len; i++) {
        const mapping_t *m = &g_array_index(s->maps, mapping_t, i);
        if (va - m->va < m->size)
            return m;
    }
    return NULL;
}

static pt_status_t
space_translate(space_t *s, addr_t va, pt_result_t *res)
{
    const pt_mode_ops_t *ops = pt_mode_ops(s->tm->mode);
    pt_reader_t r = guest_reader(s->g);

    g_assert_nonnull(ops);
    memset(res, 0xa5, sizeof(*res));
    s->g->reads = 0;
    pt_status_t st = ops->translate(&r, s->cr3, va, res);
    /* Fixed depth: never more than one entry per level. */
    g_assert_cmpuint(s->g->reads, <=, s->tm->levels);
    return st;
}

static void
check_translation(space_t *s, const mapping_t *m, uint64_t offset)
{
    pt_result_t res;
    addr_t va = m->va + offset;

    pt_status_t st = space_translate(s, va, &res);
    if (st != PT_OK)
        g_error("%s: 0x%" G_GINT64_MODIFIER "x: %s, expected a mapping",
                s->tm->name, va, pt_status_str(st));
    g_assert_cmphex(res.pa, ==, m->pa + offset);
    g_assert_cmphex(res.page_size, ==, m->size);
    g_assert_cmphex(res.entry, ==, m->entry);
}

/* ---- the mapping test, per mode ------------------------------------------ */

typedef struct fixed_map {
    addr_t va;
    unsigned level;
} fixed_map_t;

/* Edges of the address space every mode must handle, mapped first. */
static const fixed_map_t fixed_legacy[] = {
    { 0x00000000, 1 }, { 0xfffff000, 1 }, { 0xff800000, 2 }, { 0x80000000, 2 },
};
static const fixed_map_t fixed_pae[] = {
    { 0x00000000, 1 }, { 0xfffff000, 1 }, { 0xc0000000, 2 }, { 0xbfe00000, 2 },
};
static const fixed_map_t fixed_ia32e[] = {
    { 0x00007ffffffff000ULL, 1 },   /* top of the low half */
    { 0xffff800000000000ULL, 1 },   /* bottom of the high half */
    { 0xfffffffffffff000ULL, 1 },   /* last page */
    { 0x00007fffff800000ULL, 2 },
    { 0xffffffff80000000ULL, 3 },
    { 0x0000000040000000ULL, 3 },
};
static const fixed_map_t fixed_la57[] = {
    { 0x00fffffffffff000ULL, 1 },   /* top of the low half */
    { 0xff00000000000000ULL, 1 },   /* bottom of the high half */
    { 0xfffffffffffff000ULL, 1 },   /* last page: PML5 index 511 */
    { 0xff00000000200000ULL, 2 },
    { 0xffffffffffc00000ULL, 2 },   /* PML5 index 511 */
    { 0xffffffff80000000ULL, 3 },   /* PML5 index 511 */
    { 0x00ff800000000000ULL, 3 },   /* PML5 index 255 */
};

typedef struct map_plan {
    const tmode_t *tm;
    const fixed_map_t *fixed;
    size_t n_fixed;
    unsigned count[6];  /* random mappings wanted per leaf level */
} map_plan_t;

static const map_plan_t plans[] = {
    { &tmodes[0], fixed_legacy, G_N_ELEMENTS(fixed_legacy), { 0, 1200, 150 } },
    { &tmodes[1], fixed_pae, G_N_ELEMENTS(fixed_pae), { 0, 1500, 300 } },
    { &tmodes[2], fixed_ia32e, G_N_ELEMENTS(fixed_ia32e), { 0, 1500, 300, 100 } },
    { &tmodes[3], fixed_la57, G_N_ELEMENTS(fixed_la57), { 0, 1500, 300, 100 } },
};

static void
test_map(gconstpointer data)
{
    const map_plan_t *plan = data;
    const tmode_t *tm = plan->tm;
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
    g_autoptr(guest_t) g = guest_new(GUEST_SIZE);
    space_t s;
    unsigned mapped[6] = { 0 };
    unsigned wanted = 0;

    space_init_fresh(&s, tm, g, rand);

    for (size_t i = 0; i < plan->n_fixed; i++) {
        const fixed_map_t *f = &plan->fixed[i];
        g_assert_true(space_map(&s, f->va, f->level, space_rand_leaf_pa(&s, f->level)));
        mapped[f->level]++;
    }

    for (unsigned l = 1; l <= tm->levels; l++)
        wanted += plan->count[l];

    /* Interleave the page sizes so large pages land beside small ones. */
    unsigned extra[6] = { 0 };
    unsigned done = 0;
    for (unsigned attempts = 0; done < wanted; attempts++) {
        g_assert_cmpuint(attempts, <, 50 * wanted);
        unsigned level = g_rand_int_range(rand, 1, tm->levels + 1);
        if (extra[level] >= plan->count[level])
            continue;
        addr_t va = g_rand_boolean(rand) ? space_rand_va(&s) : space_rand_va_near(&s);
        if (space_map(&s, va, level, space_rand_leaf_pa(&s, level))) {
            extra[level]++;
            mapped[level]++;
            done++;
        }
    }

    /* Every mapping translates, at its edges and inside. */
    unsigned checked = 0, high_va = 0, high_pa = 0;
    for (guint i = 0; i < s.maps->len; i++) {
        const mapping_t *m = &g_array_index(s.maps, mapping_t, i);
        high_va += (m->va >> (tm->va_bits - 1)) & 1;
        high_pa += m->pa > UINT32_MAX;
        check_translation(&s, m, 0);
        check_translation(&s, m, m->size - 1);
        check_translation(&s, m, rand64(rand) & (m->size - 1));
        check_translation(&s, m, rand64(rand) & (m->size - 1) & ~(SIZE_4K - 1));
        checked += 4;
    }

    /* Probes, many next to mappings: whatever the record does not cover
     * must be absent. */
    unsigned absent = 0, present = 0;
    for (unsigned i = 0; i < 4000; i++) {
        addr_t va = (i & 1) ? space_rand_va(&s) : space_rand_va_near(&s);
        const mapping_t *m = space_lookup(&s, va);
        pt_result_t res;

        pt_status_t st = space_translate(&s, va, &res);
        if (m) {
            g_assert_cmpint(st, ==, PT_OK);
            g_assert_cmphex(res.pa, ==, m->pa + (va - m->va));
            g_assert_cmphex(res.page_size, ==, m->size);
            present++;
        } else {
            if (st != PT_NOT_PRESENT)
                g_error("%s: 0x%" G_GINT64_MODIFIER "x: %s, expected not present",
                        tm->name, va, pt_status_str(st));
            absent++;
        }
    }
    g_assert_cmpuint(absent, >, 1000);
    /* The seed must keep reaching the interesting cases: upper-half
     * addresses, and for legacy PSE-36 pages above 4 GiB. */
    g_assert_cmpuint(high_va, >, 100);
    g_assert_cmpuint(high_pa, >, tm->mode == VMI_PM_LEGACY ? 30 : 100);

    g_test_message("%s: %u 4K, %u 2M, %u 4M, %u 1G pages; %u translations, "
                   "%u probes present, %u absent; %u upper-half va, %u pa above 4 GiB; "
                   "%" G_GINT64_MODIFIER "u KiB of tables",
                   tm->name, mapped[1],
                   tm->large[2] == SIZE_2M ? mapped[2] : 0,
                   tm->large[2] == SIZE_4M ? mapped[2] : 0,
                   mapped[3], checked, present, absent, high_va, high_pa,
                   (guint64)(g->next_frame / 1024));
    space_clear(&s);
}

/* ---- failures ------------------------------------------------------------- */

static void
test_read_error(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(tmodes); i++) {
        const tmode_t *tm = &tmodes[i];
        g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
        g_autoptr(guest_t) g = guest_new(GUEST_SIZE);
        space_t s;
        pt_result_t res;

        space_init_fresh(&s, tm, g, rand);
        addr_t va = space_rand_va(&s);
        g_assert_true(space_map(&s, va, 1, space_rand_leaf_pa(&s, 1)));
        g_assert_cmpint(space_translate(&s, va, &res), ==, PT_OK);

        /* Beyond the end, and far beyond it, in the mode's reach. */
        const addr_t outside[] = {
            GUEST_SIZE,
            tm->va_bits == 32 ? 0xfffff000ULL : 0x000ffffffffff000ULL,
        };

        for (size_t o = 0; o < G_N_ELEMENTS(outside); o++) {
            addr_t saved_cr3 = s.cr3;
            s.cr3 = outside[o];
            g_assert_cmpint(space_translate(&s, va, &res), ==, PT_READ_ERROR);
            s.cr3 = saved_cr3;

            /* Each entry that names a table, in turn. */
            for (unsigned l = tm->levels; l >= 2; l--) {
                addr_t slot = space_slot(&s, va, l);
                g_assert_cmpuint(slot, !=, 0);
                uint64_t e = guest_get(g, slot, tm->entry_size);
                guest_put(g, slot, tm->entry_size, (e & ~tm->table_mask) | outside[o]);
                g_assert_cmpint(space_translate(&s, va, &res), ==, PT_READ_ERROR);
                guest_put(g, slot, tm->entry_size, e);
            }
            g_assert_cmpint(space_translate(&s, va, &res), ==, PT_OK);
        }
        space_clear(&s);
    }
}

/* Tables in the very last bytes of memory are still readable. */
static void
test_end_of_memory(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(tmodes); i++) {
        const tmode_t *tm = &tmodes[i];
        g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
        g_autoptr(guest_t) g = guest_new(GUEST_SIZE);
        space_t s;
        pt_result_t res;

        addr_t root = GUEST_SIZE - (tm->mode == VMI_PM_PAE ? 32 : FRAME);
        space_init(&s, tm, g, rand, root);
        /* All-ones indices use the last entry of the root table. */
        addr_t va = tmode_canonicalize(tm, ~0ULL);
        g_assert_true(space_map(&s, va, 1, 0x1000));
        g_assert_cmpuint(space_slot(&s, va, tm->levels) + tm->entry_size, ==, GUEST_SIZE);
        g_assert_cmpint(space_translate(&s, va, &res), ==, PT_OK);
        g_assert_cmphex(res.pa, ==, 0x1fff);
        space_clear(&s);
    }
}

static void
test_noncanonical(void)
{
    static const struct {
        page_mode_t mode;
        addr_t va;
        bool canonical;
    } edges[] = {
        { VMI_PM_LEGACY, 0x00000000ffffffffULL, true },
        { VMI_PM_LEGACY, 0x0000000100000000ULL, false },
        { VMI_PM_LEGACY, 0xffffffff80000000ULL, false },
        { VMI_PM_PAE,    0x00000000ffffffffULL, true },
        { VMI_PM_PAE,    0x0000000100000000ULL, false },
        { VMI_PM_IA32E,  0x00007fffffffffffULL, true },
        { VMI_PM_IA32E,  0xffff800000000000ULL, true },
        { VMI_PM_IA32E,  0x0000800000000000ULL, false },
        { VMI_PM_IA32E,  0xffff7fffffffffffULL, false },
        { VMI_PM_IA32E,  0x8000000000000000ULL, false },
        { VMI_PM_IA32E,  0x7fffffffffffffffULL, false },
        { VMI_PM_IA32E,  0x0080000000000000ULL, false },
        { VMI_PM_LA57,   0x0080000000000000ULL, true },
        { VMI_PM_LA57,   0x00ffffffffffffffULL, true },
        { VMI_PM_LA57,   0xff00000000000000ULL, true },
        { VMI_PM_LA57,   0x0100000000000000ULL, false },
        { VMI_PM_LA57,   0xfeffffffffffffffULL, false },
        { VMI_PM_LA57,   0x8000000000000000ULL, false },
    };
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);

    for (size_t i = 0; i < G_N_ELEMENTS(tmodes); i++) {
        const tmode_t *tm = &tmodes[i];
        g_autoptr(guest_t) g = guest_new(1u << 20);
        space_t s;
        pt_result_t res;
        unsigned bad = 0;

        /* Empty tables: a canonical address is simply not present. */
        space_init_fresh(&s, tm, g, rand);
        for (size_t e = 0; e < G_N_ELEMENTS(edges); e++) {
            if (edges[e].mode != tm->mode)
                continue;
            pt_status_t st = space_translate(&s, edges[e].va, &res);
            g_assert_cmpint(st, ==, edges[e].canonical ? PT_NOT_PRESENT : PT_NONCANONICAL);
        }
        for (unsigned n = 0; n < 2000; n++) {
            addr_t va = rand64(rand);
            /* Half of them just across the boundary. */
            if (n & 1) {
                unsigned bit = g_rand_int_range(rand, tm->va_bits, 64);
                va = tmode_canonicalize(tm, va) ^ (1ULL << bit);
            }
            bool canonical = tmode_is_canonical(tm, va);
            pt_status_t st = space_translate(&s, va, &res);
            g_assert_cmpint(st, ==, canonical ? PT_NOT_PRESENT : PT_NONCANONICAL);
            bad += !canonical;
        }
        g_assert_cmpuint(bad, >, 1000);
        space_clear(&s);
    }
}

static void
test_bad_entry(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);

    /* PS where the mode has no large page: PML5 and PML4 (and PAE's PDPT).
     * The entry stays otherwise valid, so only PS can be the reason. */
    static const struct {
        size_t mode_index;
        unsigned level;
    } cases[] = {
        { 1, 3 },   /* PAE PDPTE */
        { 2, 4 },   /* ia32e PML4E */
        { 3, 5 },   /* la57 PML5E */
        { 3, 4 },   /* la57 PML4E */
    };

    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        const tmode_t *tm = &tmodes[cases[c].mode_index];
        g_autoptr(guest_t) g = guest_new(GUEST_SIZE);
        space_t s;
        pt_result_t res;

        space_init_fresh(&s, tm, g, rand);
        addr_t va = space_rand_va(&s);
        g_assert_true(space_map(&s, va, 1, space_rand_leaf_pa(&s, 1)));
        addr_t slot = space_slot(&s, va, cases[c].level);
        uint64_t e = guest_get(g, slot, tm->entry_size);

        guest_put(g, slot, tm->entry_size, e | PTE_PS);
        g_assert_cmpint(space_translate(&s, va, &res), ==, PT_BAD_ENTRY);
        guest_put(g, slot, tm->entry_size, e);
        g_assert_cmpint(space_translate(&s, va, &res), ==, PT_OK);
        space_clear(&s);
    }
}

/* An entry pointing back at its own table, as Windows' self-map does: the
 * walk ends on the table page after the mode's fixed number of steps. */
static void
test_recursive(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);

    for (size_t i = 0; i < G_N_ELEMENTS(tmodes); i++) {
        const tmode_t *tm = &tmodes[i];
        g_autoptr(guest_t) g = guest_new(GUEST_SIZE);
        space_t s;
        pt_result_t res;
        /* PAE's PDPT cannot name itself: the loop goes through the PD. */
        unsigned top = tm->mode == VMI_PM_PAE ? 2 : tm->levels;

        space_init_fresh(&s, tm, g, rand);
        for (unsigned n = 0; n < 20; n++) {
            unsigned idx = g_rand_int_range(rand, 0, 1u << tm->index_bits[top]);
            addr_t va = rand64(rand) & (SIZE_4K - 1);
            addr_t table = s.root;

            if (tm->mode == VMI_PM_PAE) {
                va |= (addr_t)g_rand_int_range(rand, 0, 4) << 30;
                addr_t pdpte = space_slot(&s, va, 3);
                if (!(guest_get(g, pdpte, 8) & PTE_P))
                    guest_put(g, pdpte, 8, guest_alloc_frame(g) | PTE_P);
                table = guest_get(g, pdpte, 8) & tm->table_mask;
            }
            for (unsigned l = top; l >= 1; l--)
                va |= (addr_t)idx << tm->shift[l];
            va = tmode_canonicalize(tm, va);
            guest_put(g, table + (addr_t)idx * tm->entry_size, tm->entry_size,
                      table | PTE_P | PTE_RW);

            g_assert_cmpint(space_translate(&s, va, &res), ==, PT_OK);
            g_assert_cmphex(res.pa, ==, table + (va & (SIZE_4K - 1)));
            g_assert_cmphex(res.page_size, ==, SIZE_4K);
            g_assert_cmpuint(g->reads, ==, tm->levels);
        }
        space_clear(&s);
    }

    /* The classic 32-bit self-map: PD[0x300] = PD puts the PD at 0xc0300000. */
    g_autoptr(guest_t) g = guest_new(1u << 20);
    space_t s;
    pt_result_t res;

    space_init_fresh(&s, &tmodes[0], g, rand);
    guest_put(g, s.root + 0x300 * 4, 4, s.root | PTE_P | PTE_RW);
    g_assert_cmpint(space_translate(&s, 0xc0300c00, &res), ==, PT_OK);
    g_assert_cmphex(res.pa, ==, s.root + 0xc00);
    space_clear(&s);
}

/* ---- hostile memory ------------------------------------------------------- */

static void
fill_random(guest_t *g, GRand *rand)
{
    for (gsize off = 0; off < g->size; off += 4)
        guest_put(g, off, 4, g_rand_int(rand));
}

/* Keeps each entry of @entry_size random but pointing inside @g, so walks
 * go deep instead of mostly failing at the first read. */
static void
tame_random(guest_t *g, unsigned entry_size)
{
    uint64_t inside = (g->size - 1) & ~(uint64_t)(FRAME - 1);

    for (gsize off = 0; off < g->size; off += entry_size) {
        uint64_t e = guest_get(g, off, entry_size);
        uint64_t addr_bits = entry_size == 4 ? 0xfffff000ULL : ADDR52;
        guest_put(g, off, entry_size, (e & ~addr_bits) | (e & inside));
    }
}

static void
check_garbage_result(const tmode_t *tm, addr_t va, pt_status_t st, const pt_result_t *res)
{
    if (st != PT_OK)
        return;
    bool size_ok = res->page_size == SIZE_4K;
    for (unsigned l = 2; l <= tm->levels; l++)
        size_ok = size_ok || res->page_size == tm->large[l];
    g_assert_true(size_ok);
    g_assert_cmphex(res->pa & (res->page_size - 1), ==, va & (res->page_size - 1));
    g_assert_cmpuint(res->pa, <, 1ULL << tm->pa_bits);
}

static void
test_garbage(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(SEED);
    g_autoptr(GTimer) timer = g_timer_new();   /* reported, not asserted: bench/ measures speed */
    const gsize size = 4u << 20;
    unsigned walks = 0;

    for (unsigned variant = 0; variant < 2; variant++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tmodes); i++) {
            const tmode_t *tm = &tmodes[i];
            g_autoptr(guest_t) g = guest_new(size);
            pt_reader_t r = guest_reader(g);
            const pt_mode_ops_t *ops = pt_mode_ops(tm->mode);
            unsigned tally[PT_BAD_ENTRY + 1] = { 0 };

            fill_random(g, rand);
            if (variant == 1)
                tame_random(g, tm->entry_size);

            for (unsigned n = 0; n < 10000; n++) {
                addr_t dtb = (n % 8 == 1) ? rand64(rand) : rand64(rand) % size;
                addr_t va = (n % 4 == 0) ? rand64(rand) : tmode_canonicalize(tm, rand64(rand));
                pt_result_t res;

                g->reads = 0;
                pt_status_t st = ops->translate(&r, dtb, va, &res);
                g_assert_cmpuint(g->reads, <=, tm->levels);
                g_assert_cmpint(st, >=, PT_OK);
                g_assert_cmpint(st, <=, PT_BAD_ENTRY);
                check_garbage_result(tm, va, st, &res);
                tally[st]++;
                walks++;
            }
            g_test_message("garbage%s %s: ok %u, not present %u, read error %u, "
                           "noncanonical %u, bad entry %u",
                           variant ? " (inside)" : "", tm->name, tally[PT_OK],
                           tally[PT_NOT_PRESENT], tally[PT_READ_ERROR],
                           tally[PT_NONCANONICAL], tally[PT_BAD_ENTRY]);
            /* Entries that stay inside memory must let walks finish. */
            if (variant == 1)
                g_assert_cmpuint(tally[PT_OK], >, 100);
        }
    }

    /* the work of each walk is bounded above (reads <= levels), not its time */
    g_test_message("%u garbage walks, filling included: %.3f s", walks, g_timer_elapsed(timer, NULL));
}

/* ---- the tables and small functions --------------------------------------- */

static void
test_mode_ops(void)
{
    static const struct {
        page_mode_t mode;
        const char *name;
        unsigned levels;
        unsigned width;
        pt_status_t (*translate)(const pt_reader_t *, addr_t, addr_t, pt_result_t *);
    } expected[] = {
        { VMI_PM_LEGACY, "legacy", 2, 4, pt_legacy_translate },
        { VMI_PM_PAE,    "pae",    3, 4, pt_pae_translate },
        { VMI_PM_IA32E,  "ia32e",  4, 8, pt_ia32e_translate },
        { VMI_PM_LA57,   "la57",   5, 8, pt_la57_translate },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        const pt_mode_ops_t *ops = pt_mode_ops(expected[i].mode);
        g_assert_nonnull(ops);
        g_assert_cmpint(ops->mode, ==, expected[i].mode);
        g_assert_cmpstr(ops->name, ==, expected[i].name);
        g_assert_cmpuint(ops->levels, ==, expected[i].levels);
        g_assert_cmpuint(ops->address_width, ==, expected[i].width);
        g_assert_true(ops->translate == expected[i].translate);
    }
    g_assert_null(pt_mode_ops(VMI_PM_UNKNOWN));
    g_assert_null(pt_mode_ops((page_mode_t)(VMI_PM_LA57 + 1)));
    g_assert_null(pt_mode_ops((page_mode_t)1000));
}

static void
test_mode_from_regs(void)
{
    static const struct {
        bool pg, pae, la57, lma;
        page_mode_t mode;
    } rows[] = {
        { false, false, false, false, VMI_PM_UNKNOWN },
        { false, false, false, true,  VMI_PM_UNKNOWN },
        { false, false, true,  false, VMI_PM_UNKNOWN },
        { false, false, true,  true,  VMI_PM_UNKNOWN },
        { false, true,  false, false, VMI_PM_UNKNOWN },
        { false, true,  false, true,  VMI_PM_UNKNOWN },
        { false, true,  true,  false, VMI_PM_UNKNOWN },
        { false, true,  true,  true,  VMI_PM_UNKNOWN },
        { true,  false, false, false, VMI_PM_LEGACY },
        { true,  false, false, true,  VMI_PM_IA32E },
        { true,  false, true,  false, VMI_PM_LEGACY },
        { true,  false, true,  true,  VMI_PM_LA57 },
        { true,  true,  false, false, VMI_PM_PAE },
        { true,  true,  false, true,  VMI_PM_IA32E },
        { true,  true,  true,  false, VMI_PM_PAE },
        { true,  true,  true,  true,  VMI_PM_LA57 },
    };
    /* Bits that must not matter: CR0.PE/MP/ET/NE/WP/AM and CR4.VME/PSE/
     * PGE/OSFXSR/VMXE/SMEP/SMAP/PKE/CET. */
    static const uint64_t cr0_noise[] = { 0, 0x00050033ULL };
    static const uint64_t cr4_noise[] = { 0, 0x00f32691ULL & ~((1ULL << 5) | (1ULL << 12)) };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        for (size_t n = 0; n < G_N_ELEMENTS(cr0_noise); n++) {
            uint64_t cr0 = (rows[i].pg ? 1ULL << 31 : 0) | cr0_noise[n];
            uint64_t cr4 = (rows[i].pae ? 1ULL << 5 : 0) |
                           (rows[i].la57 ? 1ULL << 12 : 0) | cr4_noise[n];
            g_assert_cmpint(pt_mode_from_regs(cr0, cr4, rows[i].lma), ==, rows[i].mode);
        }
    }
}

static void
test_status_str(void)
{
    const char *seen[PT_BAD_ENTRY + 1];

    for (int st = PT_OK; st <= PT_BAD_ENTRY; st++) {
        seen[st] = pt_status_str((pt_status_t)st);
        g_assert_nonnull(seen[st]);
        g_assert_cmpuint(strlen(seen[st]), >, 0);
        for (int other = PT_OK; other < st; other++)
            g_assert_cmpstr(seen[st], !=, seen[other]);
    }
    g_assert_nonnull(pt_status_str((pt_status_t)(PT_BAD_ENTRY + 1)));
}

static void
test_read_entry(void)
{
    g_autoptr(guest_t) g = guest_new(FRAME);
    pt_reader_t r = guest_reader(g);
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        g->mem[0x100 + i] = (guint8)(i + 1);
    g_assert_true(pt_read_entry(&r, 0x100, 8, &v));
    g_assert_cmphex(v, ==, 0x0807060504030201ULL);
    g_assert_true(pt_read_entry(&r, 0x100, 4, &v));
    g_assert_cmphex(v, ==, 0x04030201ULL);
    g_assert_false(pt_read_entry(&r, 0x100, 3, &v));
    g_assert_true(pt_read_entry(&r, FRAME - 8, 8, &v));
    g_assert_false(pt_read_entry(&r, FRAME - 4, 8, &v));
    g_assert_false(pt_read_entry(&r, ~0ULL - 3, 8, &v));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/pt/mode-ops", test_mode_ops);
    g_test_add_func("/pt/mode-from-regs", test_mode_from_regs);
    g_test_add_func("/pt/status-str", test_status_str);
    g_test_add_func("/pt/read-entry", test_read_entry);
    for (size_t i = 0; i < G_N_ELEMENTS(plans); i++) {
        g_autofree char *path = g_strdup_printf("/pt/%s/map", plans[i].tm->name);
        g_test_add_data_func(path, &plans[i], test_map);
    }
    g_test_add_func("/pt/read-error", test_read_error);
    g_test_add_func("/pt/end-of-memory", test_end_of_memory);
    g_test_add_func("/pt/noncanonical", test_noncanonical);
    g_test_add_func("/pt/bad-entry", test_bad_entry);
    g_test_add_func("/pt/recursive", test_recursive);
    g_test_add_func("/pt/garbage", test_garbage);

    return g_test_run();
}
