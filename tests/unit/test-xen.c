/*
 * test-xen.c - the xen driver's parts that need no Xen: a PV guest's p2m
 * (frame tree and linear list) read from synthetic machine frames, page
 * walks through machine frames of a synthetic guest (tests/unit/synth.c)
 * whose tables were rewritten to machine frames, the mapping cache over a
 * memfd standing for machine memory, the release shim and the loader's
 * errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "private.h"
#include "xen_libs.h"
#include "xen_mapcache.h"
#include "xen_p2m.h"
#include "synth.h"

#define PG 4096u
#define ADDR_MASK 0x000ffffffffff000ULL

/* ------------------------------------------------------ machine memory */

typedef struct mach {
    uint8_t *mem;
    uint64_t base;      /* first mfn */
    uint64_t n;         /* frames */
    uint64_t next;      /* allocator */
    uint64_t reads;
} mach_t;

static mach_t *mach_new(uint64_t base, uint64_t n)
{
    mach_t *m = g_new0(mach_t, 1);
    m->mem = g_malloc0(n * PG);
    m->base = base;
    m->n = n;
    m->next = base;
    return m;
}

static void mach_free(mach_t *m)
{
    g_free(m->mem);
    g_free(m);
}

static uint8_t *mach_page(mach_t *m, uint64_t mfn)
{
    g_assert_cmpuint(mfn, >=, m->base);
    g_assert_cmpuint(mfn, <, m->base + m->n);
    return m->mem + (mfn - m->base) * PG;
}

static uint64_t mach_alloc(mach_t *m)
{
    g_assert_cmpuint(m->next, <, m->base + m->n);
    return m->next++;
}

static bool mach_read(void *opaque, addr_t ma, void *buf, size_t len)
{
    mach_t *m = opaque;
    uint64_t mfn = ma / PG;
    m->reads++;
    if (mfn < m->base || mfn >= m->base + m->n || (ma % PG) + len > PG)
        return false;
    memcpy(buf, m->mem + (mfn - m->base) * PG + ma % PG, len);
    return true;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = v >> (8 * i);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* A p2m of @n pfns onto shuffled machine frames of @m (seeded). */
static uint64_t *make_p2m(mach_t *m, uint64_t n, GRand *r)
{
    uint64_t *p2m = g_new(uint64_t, n);
    for (uint64_t i = 0; i < n; i++)
        p2m[i] = mach_alloc(m);
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = g_rand_int_range(r, 0, i + 1);
        uint64_t t = p2m[i];
        p2m[i] = p2m[j];
        p2m[j] = t;
    }
    return p2m;
}

/* The p2m's leaves in machine frames: their mfns. */
static uint64_t *write_leaves(mach_t *m, const uint64_t *p2m, uint64_t n, uint64_t *nleaves)
{
    *nleaves = (n + 511) / 512;
    uint64_t *leaves = g_new(uint64_t, *nleaves);
    for (uint64_t l = 0; l < *nleaves; l++) {
        leaves[l] = mach_alloc(m);
        uint8_t *pg = mach_page(m, leaves[l]);
        for (uint64_t k = 0; k < 512; k++)
            put64(pg + k * 8, l * 512 + k < n ? p2m[l * 512 + k] : XEN_INVALID_MFN);
    }
    return leaves;
}

static uint64_t write_tree(mach_t *m, const uint64_t *leaves, uint64_t nleaves)
{
    uint64_t fll = mach_alloc(m);
    for (uint64_t i = 0; i * 512 < nleaves; i++) {
        uint64_t fl = mach_alloc(m);
        put64(mach_page(m, fll) + i * 8, fl);
        for (uint64_t j = 0; j < 512 && i * 512 + j < nleaves; j++)
            put64(mach_page(m, fl) + j * 8, leaves[i * 512 + j]);
    }
    return fll;
}

/* 4-level tables in machine frames mapping @va + i*4K -> leaves[i]; the
 * root's mfn. */
static uint64_t write_linear(mach_t *m, uint64_t va, const uint64_t *leaves, uint64_t nleaves)
{
    uint64_t root = mach_alloc(m);
    for (uint64_t i = 0; i < nleaves; i++) {
        uint64_t v = va + i * PG;
        uint64_t table = root;
        for (int lvl = 3; lvl >= 1; lvl--) {
            uint8_t *e = mach_page(m, table) + ((v >> (12 + 9 * lvl)) & 511) * 8;
            if (!(get64(e) & 1))
                put64(e, (mach_alloc(m) << 12) | 0x67);
            table = (get64(e) & ADDR_MASK) >> 12;
        }
        put64(mach_page(m, table) + ((v >> 12) & 511) * 8, (leaves[i] << 12) | 0x63);
    }
    return root;
}

static void check_p2m(const xen_p2m_t *p, const uint64_t *p2m, uint64_t n)
{
    g_assert_nonnull(p);
    g_assert_cmpuint(p->max_pfn, ==, n);
    for (uint64_t pfn = 0; pfn < n; pfn++) {
        uint64_t mfn, back;
        g_assert_true(xen_p2m_to_mfn(p, pfn, &mfn));
        g_assert_cmpuint(mfn, ==, p2m[pfn]);
        g_assert_true(xen_p2m_to_pfn(p, mfn, &back));
        g_assert_cmpuint(back, ==, pfn);
    }
    uint64_t x;
    g_assert_false(xen_p2m_to_mfn(p, n, &x));
    g_assert_false(xen_p2m_to_pfn(p, 0x1, &x));
}

#define P2M_PFNS 70000  /* 137 leaves: more than one frame list's worth is not needed, 2 levels used */
#define P2M_VA 0xffffc90000000000ULL

static void test_p2m_tree_and_linear(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(0x9e2);
    mach_t *m = mach_new(0x123400, P2M_PFNS + 2048);
    uint64_t *p2m = make_p2m(m, P2M_PFNS, r);
    uint64_t nleaves;
    uint64_t *leaves = write_leaves(m, p2m, P2M_PFNS, &nleaves);
    uint64_t fll = write_tree(m, leaves, nleaves);
    uint64_t root = write_linear(m, P2M_VA, leaves, nleaves);
    pt_reader_t rd = { .read = mach_read, .opaque = m };

    /* the shared-info page as the guest writes it */
    uint8_t shinfo[PG] = { 0 };
    uint8_t *a = shinfo + XEN_SHINFO_ARCH_OFFSET;
    put64(a, P2M_PFNS);
    put64(a + 8, fll);
    put64(a + 24, root << 12);
    put64(a + 32, P2M_VA);
    put64(a + 40, 6);
    xen_pv_shinfo_t si;
    g_assert_true(xen_shinfo_parse(shinfo, sizeof(shinfo), &si, NULL));
    g_assert_cmpuint(si.max_pfn, ==, P2M_PFNS);
    g_assert_cmpuint(si.p2m_generation, ==, 6);

    /* the tree preferred (fewer frames to read) */
    xen_p2m_t *p = xen_p2m_read(&rd, &si, 1 << 20, NULL);
    check_p2m(p, p2m, P2M_PFNS);
    g_assert_false(p->linear);
    g_assert_cmpuint(p->generation, ==, 6);
    xen_p2m_free(p);

    /* the tree alone */
    xen_pv_shinfo_t t = si;
    t.p2m_cr3 = 0;
    p = xen_p2m_read(&rd, &t, 1 << 20, NULL);
    check_p2m(p, p2m, P2M_PFNS);
    g_assert_false(p->linear);
    xen_p2m_free(p);

    /* the linear list alone */
    t = si;
    t.fll_mfn = XEN_INVALID_MFN;
    p = xen_p2m_read(&rd, &t, 1 << 20, NULL);
    check_p2m(p, p2m, P2M_PFNS);
    g_assert_true(p->linear);
    xen_p2m_free(p);

    /* the tree broken (its root is not a machine frame): the linear list */
    t = si;
    t.fll_mfn = 0x7;
    p = xen_p2m_read(&rd, &t, 1 << 20, NULL);
    check_p2m(p, p2m, P2M_PFNS);
    g_assert_true(p->linear);
    xen_p2m_free(p);

    /* both broken: an error naming the list */
    t.p2m_cr3 = 0x7 << 12;
    GError *err = NULL;
    g_assert_null(xen_p2m_read(&rd, &t, 1 << 20, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_clear_error(&err);

    /* a hole in the linear list reads as pfns without frames */
    uint64_t saved = get64(mach_page(m, leaves[3]));
    put64(mach_page(m, leaves[3]), XEN_P2M_IDENTITY_BIT | 5);
    t = si;
    t.fll_mfn = XEN_INVALID_MFN;
    p = xen_p2m_read(&rd, &t, 1 << 20, NULL);
    g_assert_nonnull(p);
    uint64_t x;
    g_assert_false(xen_p2m_to_mfn(p, 3 * 512, &x));     /* 1:1 frame: not RAM */
    g_assert_true(xen_p2m_to_mfn(p, 3 * 512 + 1, &x));
    xen_p2m_free(p);
    put64(mach_page(m, leaves[3]), saved);

    g_free(leaves);
    g_free(p2m);
    mach_free(m);
}

static void test_p2m_hostile(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(0xbad);
    mach_t *m = mach_new(0x5000, 4096 + 64);
    uint64_t *p2m = make_p2m(m, 4096, r);
    uint64_t nleaves;
    uint64_t *leaves = write_leaves(m, p2m, 4096, &nleaves);
    uint64_t fll = write_tree(m, leaves, nleaves);
    pt_reader_t rd = { .read = mach_read, .opaque = m };
    xen_pv_shinfo_t si = { .max_pfn = 4096, .fll_mfn = fll };
    GError *err = NULL;

    /* max_pfn beyond what Xen allows: refused before anything is read */
    xen_pv_shinfo_t t = si;
    t.max_pfn = 1ULL << 40;
    m->reads = 0;
    g_assert_null(xen_p2m_read(&rd, &t, 1 << 20, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_assert_nonnull(strstr(err->message, "more than"));
    g_assert_cmpuint(m->reads, ==, 0);
    g_clear_error(&err);

    /* nothing published yet */
    t = si;
    t.max_pfn = 0;
    g_assert_null(xen_p2m_read(&rd, &t, 1 << 20, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_NOT_FOUND);
    g_clear_error(&err);

    /* no list at all */
    t = si;
    t.fll_mfn = 0;
    g_assert_null(xen_p2m_read(&rd, &t, 1 << 20, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_NOT_FOUND);
    g_clear_error(&err);

    /* a frame list naming a frame that is not there */
    uint8_t *fl = mach_page(m, get64(mach_page(m, fll)));
    uint64_t keep = get64(fl + 8);
    put64(fl + 8, 0xdeadbeef);
    g_assert_null(xen_p2m_read(&rd, &si, 1 << 20, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_assert_nonnull(strstr(err->message, "0xdeadbeef"));
    g_clear_error(&err);
    put64(fl + 8, keep);

    /* entries that are not frames, and one frame given to two pfns */
    uint8_t *leaf0 = mach_page(m, leaves[0]);
    put64(leaf0 + 8 * 10, XEN_P2M_FOREIGN_BIT | 77);
    put64(leaf0 + 8 * 11, 1ULL << 50);                  /* beyond any machine */
    put64(leaf0 + 8 * 12, p2m[13]);                     /* duplicate of pfn 13 */
    xen_p2m_t *p = xen_p2m_read(&rd, &si, 1 << 20, NULL);
    g_assert_nonnull(p);
    uint64_t x;
    g_assert_false(xen_p2m_to_mfn(p, 10, &x));
    g_assert_false(xen_p2m_to_mfn(p, 11, &x));
    g_assert_true(xen_p2m_to_pfn(p, p2m[13], &x));
    g_assert_cmpuint(x, ==, 12);                        /* the lowest pfn wins */
    g_assert_true(xen_p2m_to_pfn(p, p2m[100], &x));
    g_assert_cmpuint(x, ==, 100);
    xen_p2m_free(p);

    /* a short shared-info page */
    xen_pv_shinfo_t s2;
    uint8_t small[64] = { 0 };
    g_assert_false(xen_shinfo_parse(small, sizeof(small), &s2, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
    g_clear_error(&err);

    g_free(leaves);
    g_free(p2m);
    mach_free(m);
}

/* ------------------------------------------------------ PV page walk */

typedef struct pvguest {
    synth_t *g;
    uint64_t npages;
    uint64_t *p2m;
    xen_p2m_t *p;
    mach_t *m;
} pvguest_t;

static bool pv_to_table(void *opaque, addr_t pa, addr_t *ta)
{
    pvguest_t *v = opaque;
    uint64_t mfn;
    if (!xen_p2m_to_mfn(v->p, pa >> 12, &mfn))
        return false;
    *ta = (mfn << 12) | (pa & 0xfff);
    return true;
}

static bool pv_to_phys(void *opaque, addr_t ta, addr_t *pa)
{
    pvguest_t *v = opaque;
    uint64_t pfn;
    if (!xen_p2m_to_pfn(v->p, ta >> 12, &pfn))
        return false;
    *pa = (pfn << 12) | (ta & 0xfff);
    return true;
}

static bool pv_read_table(void *opaque, addr_t ma, void *buf, size_t len)
{
    return mach_read(((pvguest_t *)opaque)->m, ma, buf, len);
}

static bool synth_read(void *opaque, addr_t pa, void *buf, size_t len)
{
    synth_t *g = opaque;
    if (pa + len > g->mem_size)
        return false;
    memcpy(buf, g->mem + pa, len);
    return true;
}

static const pt_frames_t pv_frames = {
    .to_table = pv_to_table,
    .to_phys = pv_to_phys,
    .read_table = pv_read_table,
};

static bool note_tables(void *data, addr_t va, const pt_path_t *path)
{
    (void)va;
    for (unsigned l = 0; l < path->levels; l++)
        g_hash_table_add(data, GSIZE_TO_POINTER(path->entry[l].pa >> 12));
    return true;
}

/* The synthetic guest as a PV guest: its pages on shuffled machine frames
 * (2 MiB blocks kept whole, for its large pages), every entry of its page
 * tables rewritten to hold machine frames. */
static pvguest_t *pv_from_synth(void)
{
    pvguest_t *v = g_new0(pvguest_t, 1);
    v->g = synth_new(SYNTH_IA32E, 8);
    v->npages = v->g->mem_size / PG;
    g_assert_cmpuint(v->npages % 512, ==, 0);
    uint64_t blocks = v->npages / 512;
    g_autoptr(GRand) r = g_rand_new_with_seed(0x9a11);
    uint64_t *perm = g_new(uint64_t, blocks);
    for (uint64_t i = 0; i < blocks; i++)
        perm[i] = i;
    for (uint64_t i = blocks - 1; i > 0; i--) {
        uint64_t j = g_rand_int_range(r, 0, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint64_t base = 0x80000;    /* machine frames far from the guest's pfns */
    v->p2m = g_new(uint64_t, v->npages);
    for (uint64_t pfn = 0; pfn < v->npages; pfn++)
        v->p2m[pfn] = base + perm[pfn / 512] * 512 + pfn % 512;
    g_free(perm);
    v->p = xen_p2m_from_array(v->p2m, v->npages);
    v->m = mach_new(base, v->npages);
    for (uint64_t pfn = 0; pfn < v->npages; pfn++)
        memcpy(mach_page(v->m, v->p2m[pfn]), v->g->mem + pfn * PG, PG);

    /* every table page of every address space */
    g_autoptr(GHashTable) tables = g_hash_table_new(NULL, NULL);
    pt_reader_t plain = { .read = synth_read, .opaque = v->g };
    pt_enumerate(&plain, VMI_PM_IA32E, v->g->kdtb, 1 << 16, note_tables, tables);
    for (size_t t = 0; t < v->g->ntasks; t++)
        pt_enumerate(&plain, VMI_PM_IA32E, v->g->tasks[t].dtb, 1 << 16, note_tables, tables);
    g_hash_table_add(tables, GSIZE_TO_POINTER(v->g->kdtb >> 12));
    g_assert_cmpuint(g_hash_table_size(tables), >, 4);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, tables);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        uint64_t pfn = GPOINTER_TO_SIZE(key);
        uint8_t *pg = mach_page(v->m, v->p2m[pfn]);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = get64(pg + i * 8);
            uint64_t f = (e & ADDR_MASK) >> 12;
            if ((e & 1) && f < v->npages)
                put64(pg + i * 8, (e & ~ADDR_MASK) | (v->p2m[f] << 12));
        }
    }
    return v;
}

static void pv_free(pvguest_t *v)
{
    xen_p2m_free(v->p);
    mach_free(v->m);
    g_free(v->p2m);
    synth_free(v->g);
    g_free(v);
}

typedef struct page_sum {
    uint64_t n, sum;
} page_sum_t;

static bool sum_pages(void *data, addr_t va, const pt_path_t *path)
{
    page_sum_t *s = data;
    s->n++;
    s->sum += (va * 31) ^ path->pa ^ path->page_size;
    return true;
}

static void test_pv_walk(void)
{
    pvguest_t *v = pv_from_synth();
    synth_t *g = v->g;
    pt_reader_t pv = { .read = synth_read, .opaque = v, .frames = &pv_frames };
    /* the machine-frame tables walked as they are, in machine space */
    pt_reader_t wrong = { .read = pv_read_table, .opaque = v };
    pt_result_t r;

    /* the kernel image and a symbol in it */
    g_assert_cmpint(pt_ia32e_translate(&pv, g->kdtb, g->virt_text, &r), ==, PT_OK);
    g_assert_cmphex(r.pa, ==, g->phys_text);
    addr_t bva = synth_sym_va(g, "linux_banner");
    g_assert_cmpint(pt_ia32e_translate(&pv, g->kdtb, bva, &r), ==, PT_OK);
    g_assert_cmphex(r.pa, ==, synth_sym_pa(g, "linux_banner"));
    /* without the hook's mapping back, the walk ends on a machine address */
    g_assert_cmpint(pt_ia32e_translate(&wrong, v->p2m[g->kdtb >> 12] << 12, bva, &r), ==, PT_OK);
    g_assert_cmphex(r.pa, !=, synth_sym_pa(g, "linux_banner"));
    g_assert_cmphex(r.pa >> 12, ==, v->p2m[synth_sym_pa(g, "linux_banner") >> 12]);
    /* the direct map, on 2 MiB pages */
    addr_t dva = g->page_offset + 0x345678;
    g_assert_cmpint(pt_ia32e_translate(&pv, g->kdtb, dva, &r), ==, PT_OK);
    g_assert_cmphex(r.pa, ==, 0x345678);
    g_assert_cmpint(pt_ia32e_translate(&pv, g->kdtb, g->unmapped_kva, &r), ==, PT_NOT_PRESENT);

    /* every user page of every task, through its own directory */
    unsigned checked = 0;
    for (size_t t = 0; t < g->ntasks; t++) {
        const synth_task_t *k = &g->tasks[t];
        if (!k->user)
            continue;
        addr_t vas[3] = { g->user_text_va, g->user_text_va + PG, g->user_stack_va };
        for (int i = 0; i < 3; i++) {
            g_assert_cmpint(pt_ia32e_translate(&pv, k->dtb, vas[i] + 0x10, &r), ==, PT_OK);
            g_assert_cmphex(r.pa, ==, k->upage_pa[i] + 0x10);
            pt_path_t path;
            g_assert_cmpint(pt_path_walk(&pv, VMI_PM_IA32E, k->dtb, vas[i], &path), ==, PT_OK);
            g_assert_cmphex(path.pa, ==, k->upage_pa[i]);
            /* the entries as the tables hold them: machine frames */
            g_assert_cmphex(path.entry[3].value & ADDR_MASK, ==, v->p2m[k->upage_pa[i] >> 12] << 12);
            checked++;
        }
        /* the whole address space: the same pages as the guest-frame view */
        page_sum_t a = { 0 }, b = { 0 };
        pt_reader_t plain = { .read = synth_read, .opaque = g };
        g_assert_cmpint(pt_enumerate(&plain, VMI_PM_IA32E, k->dtb, 1 << 16, sum_pages, &a), ==, PT_OK);
        g_assert_cmpint(pt_enumerate(&pv, VMI_PM_IA32E, k->dtb, 1 << 16, sum_pages, &b), ==, PT_OK);
        g_assert_cmpuint(a.n, ==, b.n);
        g_assert_cmpuint(a.sum, ==, b.sum);
    }
    g_assert_cmpuint(checked, >=, 3);

    /* a dtb the p2m does not map, and a leaf whose frame is not the guest's */
    g_assert_cmpint(pt_ia32e_translate(&pv, (v->npages + 5) << 12, bva, &r), ==, PT_READ_ERROR);
    const synth_task_t *k = &g->tasks[1];
    pt_path_t path;
    g_assert_cmpint(pt_path_walk(&pv, VMI_PM_IA32E, k->dtb, g->user_stack_va, &path), ==, PT_OK);
    uint8_t *leaf = mach_page(v->m, path.entry[3].pa >> 12) + (path.entry[3].pa & 0xfff);
    uint64_t keep = get64(leaf);
    put64(leaf, (keep & ~ADDR_MASK) | (0x1234ULL << 12));
    g_assert_cmpint(pt_ia32e_translate(&pv, k->dtb, g->user_stack_va, &r), ==, PT_READ_ERROR);
    put64(leaf, keep);
    pv_free(v);
}

/* ------------------------------------------------------ mapping cache */

typedef struct fakexen {
    int fd;                 /* machine memory */
    uint64_t frames;
    uint64_t *p2m;          /* pfn -> machine frame, ~0 none */
    uint64_t npfn;
    bool missing[256];      /* machine frames that refuse to map */
    unsigned evictions, maps, unmaps;
} fakexen_t;

static void *fx_map(void *opaque, const uint64_t *frames, int *err, size_t n, bool write)
{
    fakexen_t *f = opaque;
    uint8_t *base = mmap(NULL, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(base != MAP_FAILED);
    f->maps++;
    for (size_t i = 0; i < n; i++) {
        if (frames[i] >= f->frames || f->missing[frames[i]]) {
            err[i] = -EFAULT;
            continue;
        }
        void *p = mmap(base + i * PG, PG, PROT_READ | (write ? PROT_WRITE : 0),
                       MAP_SHARED | MAP_FIXED, f->fd, frames[i] * PG);
        g_assert_true(p != MAP_FAILED);
        err[i] = 0;
    }
    return base;
}

static void fx_unmap(void *opaque, void *addr, size_t n)
{
    fakexen_t *f = opaque;
    f->unmaps++;
    munmap(addr, n * PG);
}

static bool fx_frame(void *opaque, uint64_t pfn, uint64_t *frame)
{
    fakexen_t *f = opaque;
    if (pfn >= f->npfn || f->p2m[pfn] == ~0ULL)
        return false;
    *frame = f->p2m[pfn];
    return true;
}

static void fx_evicted(void *opaque)
{
    ((fakexen_t *)opaque)->evictions++;
}

static void fx_poke(fakexen_t *f, uint64_t frame, unsigned off, const char *s)
{
    g_assert_cmpint(pwrite(f->fd, s, strlen(s), frame * PG + off), ==, (ssize_t)strlen(s));
}

static char *fx_peek(fakexen_t *f, uint64_t frame, unsigned off, size_t n)
{
    char *b = g_malloc0(n + 1);
    g_assert_cmpint(pread(f->fd, b, n, frame * PG + off), ==, (ssize_t)n);
    return b;
}

static void test_mapcache(void)
{
    fakexen_t f = { 0 };
    f.frames = 256;
    f.fd = memfd_create("machine", 0);
    g_assert_cmpint(f.fd, >=, 0);
    g_assert_cmpint(ftruncate(f.fd, f.frames * PG), ==, 0);
    f.npfn = 192;
    f.p2m = g_new(uint64_t, f.npfn);
    for (uint64_t i = 0; i < f.npfn; i++)
        f.p2m[i] = 255 - i;         /* reversed: pfn order is not frame order */
    for (uint64_t i = 0; i < f.frames; i++) {
        char s[32];
        g_snprintf(s, sizeof(s), "frame-%03" G_GUINT64_FORMAT, i);
        fx_poke(&f, i, 0, s);
    }
    xen_mapper_t m = { fx_map, fx_unmap, fx_frame, fx_evicted, &f };
    xen_mapcache_t *c = xen_mapcache_new(&m, f.npfn, 2);
    size_t avail;

    /* a read maps a whole chunk, at the frame the p2m names */
    uint8_t *p = xen_mapcache_get(c, 5 * PG + 2, 100, &avail, false);
    g_assert_nonnull(p);
    g_assert_cmpuint(avail, ==, 100);
    g_assert_cmpmem(p, 7, "ame-250", 7);
    /* contiguous to the chunk's end */
    p = xen_mapcache_get(c, 5 * PG, 1 << 30, &avail, false);
    g_assert_cmpuint(avail, ==, (XEN_CHUNK_PAGES - 5) * PG);
    g_assert_cmpuint(c->maps, ==, 1);

    /* the guest writes: seen at once (the mapping aliases the frame) */
    fx_poke(&f, 250, 0, "GUEST");
    g_assert_cmpmem(p, 5, "GUEST", 5);
    /* we write: the guest sees it, and so do later reads */
    uint8_t *w = xen_mapcache_get(c, 5 * PG + 8, 8, &avail, true);
    g_assert_nonnull(w);
    memcpy(w, "WRITTEN", 7);
    g_autofree char *seen = fx_peek(&f, 250, 8, 7);
    g_assert_cmpstr(seen, ==, "WRITTEN");
    p = xen_mapcache_get(c, 5 * PG + 8, 7, &avail, false);
    g_assert_cmpmem(p, 7, "WRITTEN", 7);

    /* ballooning: pfn 6 loses its frame, pfn 7 gets another one */
    p = xen_mapcache_get(c, 7 * PG, 9, &avail, false);
    g_assert_cmpmem(p, 9, "frame-248", 9);
    f.p2m[6] = ~0ULL;
    f.p2m[7] = 200;
    g_assert_cmpuint(xen_mapcache_check(c), ==, 1);
    g_assert_null(xen_mapcache_get(c, 6 * PG, 8, &avail, false));
    p = xen_mapcache_get(c, 7 * PG, 9, &avail, false);
    g_assert_nonnull(p);
    g_assert_cmpmem(p, 9, "frame-200", 9);
    /* a read that runs into the page without a frame stops before it */
    p = xen_mapcache_get(c, 5 * PG, 3 * PG, &avail, false);
    g_assert_cmpuint(avail, ==, PG);
    g_assert_cmpuint(xen_mapcache_check(c), ==, 0);

    /* a frame Xen refuses: no pointer; it is retried once it maps */
    f.missing[255 - 70] = true;
    g_assert_null(xen_mapcache_get(c, 70 * PG, 8, &avail, false));
    f.missing[255 - 70] = false;
    p = xen_mapcache_get(c, 70 * PG, 9, &avail, false);
    g_assert_nonnull(p);
    g_assert_cmpmem(p, 9, "frame-185", 9);

    /* eviction: a third chunk with room for two; pointers stay correct */
    unsigned ev = f.evictions;
    p = xen_mapcache_get(c, 130 * PG, 9, &avail, false);
    g_assert_cmpmem(p, 9, "frame-125", 9);
    g_assert_cmpuint(f.evictions, >, ev);
    g_assert_cmpuint(g_hash_table_size(c->chunks), <=, 2);
    p = xen_mapcache_get(c, 1 * PG, 9, &avail, false);
    g_assert_cmpmem(p, 9, "frame-254", 9);
    /* beyond the domain's frames */
    g_assert_null(xen_mapcache_get(c, (uint64_t)f.npfn * PG, 8, &avail, false));

    xen_mapcache_flush(c);
    g_assert_cmpuint(g_hash_table_size(c->chunks), ==, 0);
    xen_mapcache_free(c);
    g_assert_cmpuint(f.maps, ==, f.unmaps);
    g_free(f.p2m);
    close(f.fd);
}

/* ------------------------------------------------------ shim and loader */

static int fake_single_calls, fake_list_calls;
static uint32_t fake_list_answer;

static int fake_single(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info)
{
    (void)xch;
    fake_single_calls++;
    info->domain = domid;
    return domid == 7 ? 0 : -1;
}

static int fake_list(xc_interface *xch, uint32_t first, unsigned int max, xc_domaininfo_t *info)
{
    (void)xch;
    (void)first;
    (void)max;
    fake_list_calls++;
    info->domain = fake_list_answer;
    return 1;
}

static void *sym_none(void *handle, const char *name)
{
    (void)handle;
    (void)name;
    return NULL;
}

static void *sym_fake(void *handle, const char *name)
{
    (void)handle;
    return strcmp(name, "xc_domain_getinfo_single") == 0 ? (void *)fake_single : NULL;
}

static void test_shim(void)
{
    const xen_release_t *r17 = xen_shim_release_for("libxenctrl.so.4.17");
    const xen_release_t *r18 = xen_shim_release_for("libxenctrl.so.4.18");
    g_assert_nonnull(r17);
    g_assert_nonnull(r18);
    g_assert_false(r17->getinfo_single);
    g_assert_true(r18->getinfo_single);
    g_assert_null(xen_shim_release_for("libxenctrl.so.3.0"));
    g_assert_nonnull(xen_shim_release_for("libxenctrl.so." XEN_BUILD_RELEASE));
    size_t n = 0;
    for (const xen_release_t *r = xen_shim_releases(); r->version; r++)
        n++;
    g_assert_cmpuint(n, >=, 2);

    xen_libs_t L = { 0 };
    GError *err = NULL;
    /* 4.17: getinfolist, with the domain it returned checked */
    g_assert_true(xen_shim_bind(&L, r17, sym_none, NULL, &err));
    g_assert_null(L.xc_domain_getinfo_single);
    L.xc_domain_getinfolist = fake_list;
    xc_domaininfo_t info;
    fake_list_answer = 7;
    g_assert_cmpint(xen_shim_domaininfo(&L, NULL, 7, &info), ==, 0);
    fake_list_answer = 9;   /* domain 7 went away: the next one answered */
    g_assert_cmpint(xen_shim_domaininfo(&L, NULL, 7, &info), ==, -1);
    g_assert_cmpint(fake_single_calls, ==, 0);
    /* 4.18: xc_domain_getinfo_single, which must exist */
    g_assert_false(xen_shim_bind(&L, r18, sym_none, NULL, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "xc_domain_getinfo_single"));
    g_clear_error(&err);
    g_assert_true(xen_shim_bind(&L, r18, sym_fake, NULL, &err));
    g_assert_cmpint(xen_shim_domaininfo(&L, NULL, 7, &info), ==, 0);
    g_assert_cmpint(xen_shim_domaininfo(&L, NULL, 8, &info), ==, -1);
    g_assert_cmpint(fake_single_calls, ==, 2);
    g_assert_cmpint(fake_list_calls, ==, 2);
}

static void link_lib(const char *dir, const char *soname)
{
    g_autofree char *target = g_build_filename("/lib/x86_64-linux-gnu", soname, NULL);
    g_autofree char *link = g_build_filename(dir, soname, NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
}

static void test_loader(void)
{
    if (!g_file_test("/lib/x86_64-linux-gnu/libxenctrl.so." XEN_BUILD_RELEASE, G_FILE_TEST_EXISTS)) {
        g_test_skip("the Xen libraries are not installed on this host");
        return;
    }
    g_autofree char *dir = g_dir_make_tmp("test-xen-XXXXXX", NULL);
    GError *err = NULL;
    /* nothing there */
    g_setenv("LIBVMI_XEN_LIBDIR", dir, TRUE);
    g_assert_null(xen_libs_get(&err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(err->message, "libxentoollog.so.1"));
    g_assert_nonnull(strstr(err->message, dir));
    g_clear_error(&err);
    /* libxenctrl missing: named, with the sonames tried */
    link_lib(dir, "libxentoollog.so.1");
    g_assert_null(xen_libs_get(&err));
    g_assert_nonnull(strstr(err->message, "libxenctrl"));
    g_assert_nonnull(strstr(err->message, "libxenctrl.so." XEN_BUILD_RELEASE));
    g_clear_error(&err);
    /* libxenforeignmemory missing */
    link_lib(dir, "libxenctrl.so." XEN_BUILD_RELEASE);
    g_assert_null(xen_libs_get(&err));
    g_assert_nonnull(strstr(err->message, "libxenforeignmemory.so.1"));
    g_clear_error(&err);
    /* libxenstore missing */
    link_lib(dir, "libxenforeignmemory.so.1");
    g_assert_null(xen_libs_get(&err));
    g_assert_nonnull(strstr(err->message, "libxenstore.so.4"));
    g_clear_error(&err);
    /* all there (libxenevtchn is optional) */
    link_lib(dir, "libxenstore.so.4");
    const xen_libs_t *L = xen_libs_get(&err);
    g_assert_no_error(err);
    g_assert_nonnull(L);
    g_assert_cmpstr(L->release->version, ==, XEN_BUILD_RELEASE);
    g_assert_nonnull(L->xc_interface_open);
    g_assert_nonnull(L->xenforeignmemory_map);
    g_assert_null(L->xenevtchn_open);
    g_unsetenv("LIBVMI_XEN_LIBDIR");
    const char *names[] = { "libxentoollog.so.1", "libxenctrl.so." XEN_BUILD_RELEASE,
                            "libxenforeignmemory.so.1", "libxenstore.so.4" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *l = g_build_filename(dir, names[i], NULL);
        unlink(l);
    }
    rmdir(dir);
}

/* VMI_XEN on a host that is not dom0: a clear error, no crash. */
static void test_not_dom0(void)
{
    if (xen_is_dom0()) {
        g_test_skip("this host is a Xen dom0");
        return;
    }
    vmi_instance_t vmi = NULL;
    g_assert_cmpint(vmi_init__3(&vmi, VMI_XEN | VMI_INIT_PARTIAL, "no-such-domain"), ==, VMI_FAILURE);
    const char *e = vmi_get_last_error(NULL);
    g_assert_nonnull(e);
    g_test_message("VMI_XEN here: %s", e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen/p2m/tree-and-linear", test_p2m_tree_and_linear);
    g_test_add_func("/xen/p2m/hostile", test_p2m_hostile);
    g_test_add_func("/xen/pv-walk", test_pv_walk);
    g_test_add_func("/xen/mapcache", test_mapcache);
    g_test_add_func("/xen/shim", test_shim);
    g_test_add_func("/xen/loader", test_loader);
    g_test_add_func("/xen/not-dom0", test_not_dom0);
    return g_test_run();
}
