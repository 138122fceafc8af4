/*
 * test-vma.c - vmifs's reader of a process's memory areas (vmifs/vma.c)
 * on synthetic kernel memory: a maple tree as Linux 6.1+ lays it out, the
 * vm_next list of older kernels, and broken ones (loops, foreign areas,
 * bad node types, trees that point to themselves).
 */
#include <glib.h>
#include <string.h>
#include "vma.h"

#define BASE 0xffff888000000000ull
#define MEM_SIZE (64 * 1024)

typedef struct {
    uint8_t mem[MEM_SIZE];
} kmem_t;

static bool rd(void *ctx, uint64_t va, void *buf, size_t len)
{
    kmem_t *k = ctx;
    if (va < BASE || va - BASE > MEM_SIZE || len > MEM_SIZE - (va - BASE))
        return false;
    memcpy(buf, k->mem + (va - BASE), len);
    return true;
}

static void put64(kmem_t *k, uint64_t va, uint64_t v)
{
    g_assert_true(va >= BASE && va - BASE + 8 <= MEM_SIZE);
    memcpy(k->mem + (va - BASE), &v, 8);
}

static void put8(kmem_t *k, uint64_t va, uint8_t v)
{
    k->mem[va - BASE] = v;
}

/* the 6.1 layout of the rig's amd64 kernel (truth/offsets.txt) */
static const vma_offsets_t maple_off = {
    .mm_mt = 0, .ma_root = 8, .mmap = VMA_OFF_NONE, .vm_next = VMA_OFF_NONE,
    .vm_start = 0, .vm_end = 8, .vm_mm = 16, .vm_flags = 32, .vm_pgoff = 104, .vm_file = 112,
};
static const vma_offsets_t list_off = {
    .mm_mt = VMA_OFF_NONE, .ma_root = VMA_OFF_NONE, .mmap = 0, .vm_next = 16,
    .vm_start = 0, .vm_end = 8, .vm_mm = 64, .vm_flags = 80, .vm_pgoff = 120, .vm_file = 128,
};

#define MM (BASE + 0x100)
#define VMA(i) (BASE + 0x1000 + (i) * 0x100)
#define NODE(i) (BASE + 0x8000 + (i) * 0x100)

static void put_vma(kmem_t *k, const vma_offsets_t *o, int i, uint64_t start, uint64_t end,
                    uint64_t flags)
{
    put64(k, VMA(i) + o->vm_start, start);
    put64(k, VMA(i) + o->vm_end, end);
    put64(k, VMA(i) + o->vm_mm, MM);
    put64(k, VMA(i) + o->vm_flags, flags);
    put64(k, VMA(i) + o->vm_pgoff, i);
}

/* leaf node @n: slots/pivots given; range/leaf layout (metadata at 248) */
static void put_leaf(kmem_t *k, int n, int used, const uint64_t *pivots, const uint64_t *slots)
{
    for (int i = 0; i < used; i++) {
        if (i < 15)
            put64(k, NODE(n) + 8 + i * 8, pivots[i]);
        put64(k, NODE(n) + 128 + i * 8, slots[i]);
    }
    put8(k, NODE(n) + 248, (uint8_t)(used - 1));
}

/* Two leaves under an arange root:
 *   leaf 1: [0, 0x400000) gap, 0x400000-0x401000 vma0, gap, 0x600000-0x602000 vma1
 *   leaf 2: gap, 0x7ff000-0x800000 vma2 (stack), XA_ZERO_ENTRY, rest empty */
static void build_maple(kmem_t *k)
{
    put_vma(k, &maple_off, 0, 0x400000, 0x401000, 5);
    put_vma(k, &maple_off, 1, 0x600000, 0x602000, 3);
    put_vma(k, &maple_off, 2, 0x7ff000, 0x800000, 3);
    uint64_t p1[] = { 0x3fffff, 0x400fff, 0x5fffff, 0x601fff };
    uint64_t s1[] = { 0, VMA(0), 0, VMA(1) };
    put_leaf(k, 1, 4, p1, s1);
    uint64_t p2[] = { 0x7fefff, 0x7fffff, 0x900fff, 0 };
    uint64_t s2[] = { 0, VMA(2), 0x406 /* XA_ZERO_ENTRY */, 0 };
    put_leaf(k, 2, 4, p2, s2);
    /* the root: arange_64 (type 3), slots at 80, metadata end at 240 */
    put64(k, NODE(0) + 8, 0x601fff);
    put64(k, NODE(0) + 80, NODE(1) | (1 << 3) | 4);
    put64(k, NODE(0) + 88, NODE(2) | (1 << 3) | 4);
    put8(k, NODE(0) + 240, 1);
    put64(k, MM + 8, NODE(0) | (3 << 3) | 2);
}

static void test_maple(void)
{
    g_autofree kmem_t *k = g_new0(kmem_t, 1);
    build_maple(k);
    vma_t *v = NULL;
    size_t n = 0;
    char *why = NULL;
    g_assert_true(vma_list(&maple_off, rd, k, MM, &v, &n, &why));
    g_assert_null(why);
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(v[0].start, ==, 0x400000);
    g_assert_cmphex(v[0].end, ==, 0x401000);
    g_assert_cmphex(v[0].flags, ==, 5);
    g_assert_cmphex(v[1].start, ==, 0x600000);
    g_assert_cmphex(v[1].pgoff, ==, 1);
    g_assert_cmphex(v[2].start, ==, 0x7ff000);
    g_assert_cmphex(v[2].end, ==, 0x800000);
    free(v);
}

static void expect_fail(const vma_offsets_t *o, kmem_t *k, const char *words)
{
    vma_t *v = (vma_t *)1;
    size_t n = 1;
    char *why = NULL;
    g_assert_false(vma_list(o, rd, k, MM, &v, &n, &why));
    g_assert_null(v);
    g_assert_cmpuint(n, ==, 0);
    g_assert_nonnull(why);
    g_test_message("refused: %s", why);
    if (!strstr(why, words))
        g_error("'%s' does not say '%s'", why, words);
    free(why);
}

static void test_maple_broken(void)
{
    g_autofree kmem_t *k = g_new0(kmem_t, 1);
    build_maple(k);
    /* an area of another process */
    put64(k, VMA(1) + maple_off.vm_mm, MM + 0x40);
    expect_fail(&maple_off, k, "belongs to mm");
    build_maple(k);
    /* a node type that does not exist in a 64-bit tree */
    put64(k, NODE(0) + 80, NODE(1) | (7 << 3) | 4);
    expect_fail(&maple_off, k, "type 7");
    build_maple(k);
    /* a node that points to itself: bounded */
    put64(k, NODE(0) + 80, NODE(0) | (3 << 3) | 4);
    expect_fail(&maple_off, k, "deeper than");
    build_maple(k);
    /* metadata past the slots */
    put8(k, NODE(0) + 240, 200);
    expect_fail(&maple_off, k, "ends at slot");
    build_maple(k);
    /* pivots going backwards */
    put64(k, NODE(1) + 8 + 8, 0x100);
    expect_fail(&maple_off, k, "out of order");
    build_maple(k);
    /* a child outside guest memory */
    put64(k, NODE(0) + 88, 0xffffc90000000000ull | (1 << 3));
    expect_fail(&maple_off, k, "cannot read the maple node");
    /* an empty tree: no areas, no error */
    build_maple(k);
    put64(k, MM + 8, 0);
    vma_t *v = NULL;
    size_t n = 5;
    char *why = NULL;
    g_assert_true(vma_list(&maple_off, rd, k, MM, &v, &n, &why));
    g_assert_cmpuint(n, ==, 0);
    free(v);
}

static void build_list(kmem_t *k)
{
    put_vma(k, &list_off, 0, 0x400000, 0x401000, 5);
    put_vma(k, &list_off, 1, 0x600000, 0x602000, 3);
    put_vma(k, &list_off, 2, 0x7ff000, 0x800000, 3);
    put64(k, MM + list_off.mmap, VMA(0));
    put64(k, VMA(0) + list_off.vm_next, VMA(1));
    put64(k, VMA(1) + list_off.vm_next, VMA(2));
    put64(k, VMA(2) + list_off.vm_next, 0);
}

static void test_list(void)
{
    g_autofree kmem_t *k = g_new0(kmem_t, 1);
    build_list(k);
    vma_t *v = NULL;
    size_t n = 0;
    char *why = NULL;
    g_assert_true(vma_list(&list_off, rd, k, MM, &v, &n, &why));
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(v[1].start, ==, 0x600000);
    g_assert_cmphex(v[2].end, ==, 0x800000);
    free(v);
    /* a loop back to the first area */
    put64(k, VMA(2) + list_off.vm_next, VMA(0));
    expect_fail(&list_off, k, "out of order");
    /* an inverted area */
    build_list(k);
    put64(k, VMA(1) + list_off.vm_end, 0x500000);
    expect_fail(&list_off, k, "inverted");
    /* no layout at all */
    vma_offsets_t none = list_off;
    none.mmap = VMA_OFF_NONE;
    expect_fail(&none, k, "neither");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vma/maple", test_maple);
    g_test_add_func("/vma/maple-broken", test_maple_broken);
    g_test_add_func("/vma/list", test_list);
    return g_test_run();
}
