/*
 * test-kallsyms.c - the kallsyms decoder (libvmi/os/linux/kallsyms.c).
 *
 *  1. synthetic tables for every layout the kernel has written since 4.x,
 *     made here from the format facts of scripts/kallsyms.c (tokens, names,
 *     markers, addresses/offsets, relative base, seqs, table order and
 *     alignment), with a decoy digit string before them; every symbol is
 *     checked by get, lookup (first of duplicates) and nearest;
 *  2. the real kernels of the test rig ($LIBVMI_TEST_KERNELS/<kver>/vmlinux
 *     and System.map): every System.map line must resolve both ways;
 *  3. corruption of the structural tables and truncation: an error or the
 *     right answers, never wrong ones.
 * KSYMS_WRITE_CORPUS=<dir> also writes the synthetic images as fuzz seeds.
 */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include "private.h"
#include "os/linux/kallsyms.h"

/* ------------------------------------------------------------ memory */

typedef struct seg {
    addr_t va;
    const uint8_t *data;
    size_t len;
} seg_t;

typedef struct mem {
    seg_t seg[16];
    int nseg;
    addr_t cut;    /* reads reaching at or past cut fail (0: none) */
} mem_t;

static bool mem_read(void *ctx, addr_t va, void *buf, size_t len)
{
    mem_t *m = ctx;
    if (m->cut && (va >= m->cut || len > m->cut - va))
        return false;
    for (int i = 0; i < m->nseg; i++) {
        const seg_t *s = &m->seg[i];
        if (va >= s->va && va - s->va <= s->len && len <= s->len - (va - s->va)) {
            memcpy(buf, s->data + (va - s->va), len);
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ generator */

typedef struct gsym {
    char name[400];
    char type;
    addr_t addr;
    bool percpu;
} gsym_t;

enum { ORD_OLD, ORD_62, ORD_64, ORD_70 };
enum { A_ABS, A_REL, A_PERCPU, A_PCREL, A_ABS32 };

typedef struct glayout {
    const char *label;
    int order, amode;
    unsigned ptr;
    bool ulong;          /* unsigned long num_syms and markers (before 5.x) */
    bool big;            /* include names needing two-byte lengths (6.1+) */
    unsigned seq_size;   /* 3, or 4 (early 6.2 development) */
} glayout_t;

typedef struct gen {
    gsym_t *sym;
    uint32_t n;
    GByteArray *img;
    addr_t base;
    ksyms_layout_t want;
    char tok[256][8];
    int tok_len[256];
} gen_t;

static void put(GByteArray *b, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        g_byte_array_append(b, &c, 1);
    }
}

static addr_t here(gen_t *g)
{
    return g->base + g->img->len;
}

static void align(gen_t *g, unsigned a)
{
    while (g->img->len % a)
        put(g->img, 0, 1);
}

static void junk(gen_t *g, GRand *r, size_t len)
{
    for (size_t i = 0; i < len; i++)
        put(g->img, (uint64_t)g_rand_int_range(r, 0, 256), 1);
}

static int cmp_cleaned_str(const char *a, const char *b)
{
    size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    int r = memcmp(a, b, MIN(la, lb));
    if (r)
        return r;
    return la < lb ? -1 : la > lb;
}

static gen_t *sort_ctx;
static int cmp_by_name(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int r = cmp_cleaned_str(sort_ctx->sym[a].name, sort_ctx->sym[b].name);
    if (r)
        return r;
    if (sort_ctx->sym[a].addr != sort_ctx->sym[b].addr)
        return sort_ctx->sym[a].addr < sort_ctx->sym[b].addr ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Symbols sorted by address: percpu ones (type A, small addresses) first
 * when asked, duplicates, equal addresses, LTO-like suffixes, long names. */
static void make_symbols(gen_t *g, GRand *r, const glayout_t *L, uint32_t n)
{
    g->sym = g_new0(gsym_t, n);
    g->n = n;
    addr_t text = L->ptr == 8 ? 0xffffffff81000000ull : 0xc1000000ull;
    addr_t a = 0;
    uint32_t npcpu = L->amode == A_PERCPU ? 20 : 0;
    const char types[] = "TtTtDdbBRrW";
    for (uint32_t i = 0; i < n; i++) {
        gsym_t *s = &g->sym[i];
        if (i < npcpu) {
            s->percpu = true;
            s->type = 'A';
            s->addr = (addr_t)i * 0x1000;
            g_snprintf(s->name, sizeof(s->name), "pcpu_var%u", i);
            continue;
        }
        if (i == npcpu)
            a = text;
        else
            a += (addr_t)g_rand_int_range(r, 0, 3) * 16 * (addr_t)g_rand_int_range(r, 0, 20);
        s->addr = a;
        s->type = types[g_rand_int_range(r, 0, (gint32)strlen(types))];
        uint32_t k = g_rand_int_range(r, 0, 100);
        if (k < 3)
            g_snprintf(s->name, sizeof(s->name), "dup_symbol");
        else if (k < 6)
            g_snprintf(s->name, sizeof(s->name), "helper_%u.constprop.%u", i % 7, i % 3);
        else if (k < 8)
            g_snprintf(s->name, sizeof(s->name), "__ksymtab_func%u", i);
        else
            g_snprintf(s->name, sizeof(s->name), "%s_%s%u", k & 1 ? "do" : "sys", k & 2 ? "read" : "write",
                       i);
    }
    if (L->big) {
        /* names longer than 127 compressed bytes: random letters */
        for (uint32_t j = 0; j < 3 && npcpu + 5 + j * 100 < n - 1; j++) {
            gsym_t *s = &g->sym[npcpu + 5 + j * 100];
            size_t len = 300;
            for (size_t c = 0; c < len; c++)
                s->name[c] = (char)('a' + g_rand_int_range(r, 0, 26));
            s->name[len] = 0;
        }
    }
    g_snprintf(g->sym[n - 1].name, sizeof(g->sym[n - 1].name), "_end");
    g->sym[n - 1].type = 'B';
}

/* Tokens: every character used keeps its slot, free slots get the most
 * frequent pairs; names compressed greedily. */
static void make_tokens(gen_t *g)
{
    bool used[256] = {false};
    static uint32_t pairs[65536];
    memset(pairs, 0, sizeof(pairs));
    for (uint32_t i = 0; i < g->n; i++) {
        char full[410];
        g_snprintf(full, sizeof(full), "%c%s", g->sym[i].type, g->sym[i].name);
        for (size_t c = 0; full[c]; c++) {
            used[(uint8_t)full[c]] = true;
            if (full[c + 1])
                pairs[(uint8_t)full[c] | (uint8_t)full[c + 1] << 8]++;
        }
    }
    memset(g->tok_len, 0, sizeof(g->tok_len));
    for (int c = 0; c < 256; c++)
        if (used[c]) {
            g->tok[c][0] = (char)c;
            g->tok_len[c] = 1;
        }
    for (int slot = 255; slot >= 0; slot--) {
        if (used[slot])
            continue;
        uint32_t best = 0, bestc = 0;
        for (uint32_t p = 0; p < 65536; p++)
            if (pairs[p] > bestc) {
                bestc = pairs[p];
                best = p;
            }
        if (bestc < 2)
            break;
        pairs[best] = 0;
        g->tok[slot][0] = (char)(best & 0xff);
        g->tok[slot][1] = (char)(best >> 8);
        g->tok_len[slot] = 2;
    }
}

static size_t compress(gen_t *g, const gsym_t *s, uint8_t *out)
{
    char full[410];
    g_snprintf(full, sizeof(full), "%c%s", s->type, s->name);
    size_t o = 0;
    for (size_t c = 0; full[c];) {
        int pick = -1;
        if (full[c + 1])
            for (int t = 0; t < 256; t++)
                if (g->tok_len[t] == 2 && g->tok[t][0] == full[c] && g->tok[t][1] == full[c + 1]) {
                    pick = t;
                    break;
                }
        if (pick >= 0) {
            out[o++] = (uint8_t)pick;
            c += 2;
        } else {
            out[o++] = (uint8_t)full[c];
            c += 1;
        }
    }
    return o;
}

static void emit_addresses(gen_t *g, const glayout_t *L, unsigned A)
{
    addr_t rb = 0;
    for (uint32_t i = 0; i < g->n; i++)
        if (!g->sym[i].percpu) {
            rb = g->sym[i].addr;
            break;
        }
    align(g, A);
    g->want.addresses = here(g);
    for (uint32_t i = 0; i < g->n; i++) {
        const gsym_t *s = &g->sym[i];
        switch (L->amode) {
        case A_ABS:
            put(g->img, s->addr, L->ptr);
            break;
        case A_ABS32:
            put(g->img, s->addr, 4);
            break;
        case A_REL:
            put(g->img, s->addr - rb, 4);
            break;
        case A_PERCPU:
            put(g->img, s->percpu ? s->addr : (uint64_t)(uint32_t)(int32_t)(rb - s->addr - 1), 4);
            break;
        case A_PCREL:
            put(g->img, (uint32_t)(s->addr - here(g)), 4);
            break;
        }
    }
    if (L->amode == A_REL || L->amode == A_PERCPU) {
        align(g, A);
        g->want.relative_base_addr = here(g);
        g->want.relative_base = rb;
        put(g->img, rb, L->ptr);
    }
}

static void emit_seqs(gen_t *g, const glayout_t *L, unsigned A)
{
    uint32_t *ix = g_new(uint32_t, g->n);
    for (uint32_t i = 0; i < g->n; i++)
        ix[i] = i;
    sort_ctx = g;
    qsort(ix, g->n, sizeof(*ix), cmp_by_name);
    align(g, A);
    g->want.seqs_of_names = here(g);
    for (uint32_t i = 0; i < g->n; i++) {
        if (L->seq_size == 3) {
            uint8_t b[3] = {(uint8_t)(ix[i] >> 16), (uint8_t)(ix[i] >> 8), (uint8_t)ix[i]};
            g_byte_array_append(g->img, b, 3);
        } else {
            put(g->img, ix[i], 4);
        }
    }
    g_free(ix);
}

static void emit_names_markers(gen_t *g, const glayout_t *L, unsigned A)
{
    unsigned cs = L->ulong ? L->ptr : 4;
    align(g, A);
    g->want.num_syms_addr = here(g);
    g->want.num_syms = g->n;
    put(g->img, g->n, cs);
    align(g, A);
    g->want.names = here(g);
    uint32_t *mk = g_new0(uint32_t, (g->n + 255) / 256);
    uint32_t off = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        uint8_t buf[512];
        size_t l = compress(g, &g->sym[i], buf);
        if ((i & 0xff) == 0)
            mk[i >> 8] = off;
        if (l > 0x7f) {
            put(g->img, (l & 0x7f) | 0x80, 1);
            put(g->img, l >> 7, 1);
            off += 2;
            g->want.big_lengths = true;
        } else {
            put(g->img, l, 1);
            off += 1;
        }
        g_byte_array_append(g->img, buf, (guint)l);
        off += (uint32_t)l;
    }
    align(g, A);
    g->want.markers = here(g);
    for (uint32_t i = 0; i < (g->n + 255) / 256; i++)
        put(g->img, mk[i], cs);
    g_free(mk);
}

static void emit_tokens(gen_t *g, unsigned A)
{
    align(g, A);
    g->want.token_table = here(g);
    uint16_t idx[256];
    uint32_t off = 0;
    for (int t = 0; t < 256; t++) {
        idx[t] = (uint16_t)off;
        g_byte_array_append(g->img, (const uint8_t *)g->tok[t], (guint)g->tok_len[t]);
        put(g->img, 0, 1);
        off += (uint32_t)g->tok_len[t] + 1;
    }
    align(g, A);
    g->want.token_index = here(g);
    for (int t = 0; t < 256; t++)
        put(g->img, idx[t], 2);
}

static gen_t *generate(const glayout_t *L, uint32_t n, uint32_t seed)
{
    gen_t *g = g_new0(gen_t, 1);
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    make_symbols(g, r, L, n);
    make_tokens(g);
    g->img = g_byte_array_new();
    g->base = L->ptr == 8 ? 0xffffffff82000000ull : 0xc1800000ull;
    unsigned A = L->order == ORD_70 ? 4 : L->ptr;
    /* rodata before the tables, with a decoy digit string */
    junk(g, r, 3000);
    g_byte_array_append(g->img, (const uint8_t *)"0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9", 20);
    junk(g, r, 1000 + (seed % 7));
    g->want.ptr_size = L->ptr;
    g->want.base_relative = L->amode == A_REL || L->amode == A_PERCPU;
    g->want.absolute_percpu = L->amode == A_PERCPU;
    g->want.pc_relative = L->amode == A_PCREL;
    g->want.tables_after_tokens = L->order >= ORD_64;
    if (L->order <= ORD_62) {
        emit_addresses(g, L, A);
        emit_names_markers(g, L, A);
        if (L->order == ORD_62)
            emit_seqs(g, L, A);
        emit_tokens(g, A);
    } else {
        emit_names_markers(g, L, A);
        emit_tokens(g, A);
        emit_addresses(g, L, A);
        emit_seqs(g, L, A);
    }
    junk(g, r, 2000);
    return g;
}

static void gen_free(gen_t *g)
{
    g_free(g->sym);
    g_byte_array_unref(g->img);
    g_free(g);
}

static const glayout_t layouts[] = {
    {"4.x-abs-ulong-64", ORD_OLD, A_ABS, 8, true, false, 0},
    {"4.x-abs-ulong-32", ORD_OLD, A_ABS, 4, true, false, 0},
    {"4.x-rel-ulong-64", ORD_OLD, A_REL, 8, true, false, 0},
    {"4.x-percpu-ulong-64", ORD_OLD, A_PERCPU, 8, true, false, 0},
    {"5.x-abs-64", ORD_OLD, A_ABS, 8, false, false, 0},
    {"5.x-rel-64", ORD_OLD, A_REL, 8, false, false, 0},
    {"5.x-rel-32", ORD_OLD, A_REL, 4, false, false, 0},
    {"5.x-percpu-64", ORD_OLD, A_PERCPU, 8, false, false, 0},
    {"6.1-percpu-big-64", ORD_OLD, A_PERCPU, 8, false, true, 0},
    {"6.1-rel-big-32", ORD_OLD, A_REL, 4, false, true, 0},
    {"6.2-percpu-seqs-64", ORD_62, A_PERCPU, 8, false, true, 3},
    {"6.2-percpu-seqs4-64", ORD_62, A_PERCPU, 8, false, true, 4},
    {"6.2-rel-seqs-32", ORD_62, A_REL, 4, false, true, 3},
    {"6.2-abs-seqs-64", ORD_62, A_ABS, 8, false, true, 3},
    {"6.4-percpu-64", ORD_64, A_PERCPU, 8, false, true, 3},
    {"6.4-rel-64", ORD_64, A_REL, 8, false, true, 3},
    {"6.4-rel-32", ORD_64, A_REL, 4, false, true, 3},
    {"6.4-abs-64", ORD_64, A_ABS, 8, false, true, 3},
    {"6.4-abs-32", ORD_64, A_ABS, 4, false, true, 3},
    {"7.0-pcrel-64", ORD_70, A_PCREL, 8, false, true, 3},
    {"7.0-pcrel-32", ORD_70, A_PCREL, 4, false, true, 3},
    {"7.0-abs32-32", ORD_70, A_ABS32, 4, false, true, 3},
};

/* ------------------------------------------------------------ checks */

static void check_layout(const ksyms_layout_t *got, const ksyms_layout_t *want)
{
    g_assert_cmphex(got->token_table, ==, want->token_table);
    g_assert_cmphex(got->token_index, ==, want->token_index);
    g_assert_cmphex(got->markers, ==, want->markers);
    g_assert_cmphex(got->names, ==, want->names);
    g_assert_cmphex(got->num_syms_addr, ==, want->num_syms_addr);
    g_assert_cmphex(got->addresses, ==, want->addresses);
    g_assert_cmphex(got->relative_base_addr, ==, want->relative_base_addr);
    g_assert_cmphex(got->relative_base, ==, want->relative_base);
    g_assert_cmphex(got->seqs_of_names, ==, want->seqs_of_names);
    g_assert_cmpuint(got->num_syms, ==, want->num_syms);
    g_assert_cmpint(got->base_relative, ==, want->base_relative);
    g_assert_cmpint(got->absolute_percpu, ==, want->absolute_percpu);
    g_assert_cmpint(got->pc_relative, ==, want->pc_relative);
    g_assert_cmpint(got->big_lengths, ==, want->big_lengths);
    g_assert_cmpint(got->tables_after_tokens, ==, want->tables_after_tokens);
    g_assert_cmpuint(got->ptr_size, ==, want->ptr_size);
}

/* Every symbol by index, by name (first of duplicates), by address (first
 * at that address) and just above its address. */
static void check_all(ksyms_t *ks, const gen_t *g)
{
    g_assert_cmpuint(ksyms_count(ks), ==, g->n);
    g_autoptr(GHashTable) first = g_hash_table_new(g_str_hash, g_str_equal);
    for (uint32_t i = g->n; i-- > 0;)
        g_hash_table_insert(first, g->sym[i].name, GUINT_TO_POINTER(i));
    char name[512], t;
    addr_t a;
    for (uint32_t i = 0; i < g->n; i++) {
        const gsym_t *s = &g->sym[i];
        g_assert_true(ksyms_get(ks, i, name, sizeof(name), &a, &t));
        g_assert_cmpstr(name, ==, s->name);
        g_assert_cmphex(a, ==, s->addr);
        g_assert_cmpint(t, ==, s->type);
        uint32_t fi = GPOINTER_TO_UINT(g_hash_table_lookup(first, s->name));
        g_assert_true(ksyms_lookup(ks, s->name, &a, &t));
        g_assert_cmphex(a, ==, g->sym[fi].addr);
        g_assert_cmpint(t, ==, g->sym[fi].type);
        uint32_t lo = i;
        while (lo > 0 && g->sym[lo - 1].addr == s->addr)
            lo--;
        g_assert_true(ksyms_nearest(ks, s->addr, name, sizeof(name), &a, &t));
        g_assert_cmpstr(name, ==, g->sym[lo].name);
        g_assert_cmphex(a, ==, s->addr);
        if (i + 1 < g->n && g->sym[i + 1].addr > s->addr + 1) {
            g_assert_true(ksyms_nearest(ks, s->addr + 1, name, sizeof(name), &a, NULL));
            g_assert_cmphex(a, ==, s->addr);
        }
    }
    /* past the end, below the start, unknown names, truncation */
    g_assert_false(ksyms_nearest(ks, g->sym[g->n - 1].addr + 1, name, sizeof(name), &a, &t));
    if (g->sym[0].addr > 0)
        g_assert_false(ksyms_nearest(ks, g->sym[0].addr - 1, name, sizeof(name), &a, &t));
    g_assert_false(ksyms_lookup(ks, "no_such_symbol", &a, &t));
    g_assert_false(ksyms_lookup(ks, "dup_symbo", &a, &t));
    g_assert_false(ksyms_get(ks, g->n, name, sizeof(name), &a, &t));
    g_assert_true(ksyms_get(ks, 0, name, 4, NULL, NULL));
    g_assert_cmpuint(strlen(name), <=, 3);
    const char *names[] = {g->sym[g->n / 2].name, "no_such_symbol", g->sym[g->n - 1].name, g->sym[0].name};
    addr_t addrs[4];
    bool found[4];
    g_assert_cmpuint(ksyms_lookup_many(ks, names, 4, addrs, found), ==, 3);
    g_assert_true(found[0] && !found[1] && found[2] && found[3]);
    g_assert_cmphex(addrs[2], ==, g->sym[g->n - 1].addr);
}

static ksyms_t *find_in(const gen_t *g, mem_t *m, unsigned ptr, GError **err)
{
    memset(m, 0, sizeof(*m));
    m->seg[0] = (seg_t){g->base, g->img->data, g->img->len};
    m->nseg = 1;
    return ksyms_find(mem_read, m, g->base, g->base + g->img->len, ptr, NULL, err);
}

static void test_synthetic(gconstpointer data)
{
    const glayout_t *L = data;
    for (uint32_t seed = 1; seed <= 3; seed++) {
        uint32_t n = seed == 1 ? 1300 : seed == 2 ? 256 : 200;
        gen_t *g = generate(L, n, seed * 7919 + (uint32_t)(L - layouts));
        mem_t m;
        g_autoptr(GError) err = NULL;
        ksyms_t *ks = find_in(g, &m, L->ptr, &err);
        g_assert_no_error(err);
        g_assert_nonnull(ks);
        check_layout(ksyms_layout(ks), &g->want);
        check_all(ks, g);
        /* the same tables again, with the layout as a hint */
        uint64_t fp = ksyms_fingerprint(ks);
        ksyms_layout_t hint = *ksyms_layout(ks);
        ksyms_free(ks);
        ks = ksyms_find(mem_read, &m, g->base, g->base + g->img->len, L->ptr, &hint, &err);
        g_assert_no_error(err);
        g_assert_cmphex(ksyms_fingerprint(ks), ==, fp);
        ksyms_free(ks);
        /* a wrong hint is an error */
        hint.names += 4;
        ks = ksyms_find(mem_read, &m, g->base, g->base + g->img->len, L->ptr, &hint, &err);
        g_assert_null(ks);
        g_assert_error(err, VMI_ERROR, VMI_ERROR_CORRUPT);
        g_clear_error(&err);
        const char *dir = g_getenv("KSYMS_WRITE_CORPUS");
        if (dir && seed == 3) {
            GByteArray *f = g_byte_array_new();
            uint64_t b = g->base | (L->ptr == 4 ? 1 : 0);
            g_byte_array_append(f, (const uint8_t *)&b, 8);
            g_byte_array_append(f, g->img->data, g->img->len);
            g_autofree char *path = g_strdup_printf("%s/%s.bin", dir, L->label);
            g_assert_true(g_file_set_contents(path, (const char *)f->data, f->len, NULL));
            g_byte_array_unref(f);
        }
        gen_free(g);
    }
}

/* Nothing there, or only a decoy: NOT_FOUND. */
static void test_absent(void)
{
    static uint8_t zeros[65536];
    memcpy(zeros + 100, "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9", 20);
    mem_t m = {.seg = {{0x1000, zeros, sizeof(zeros)}}, .nseg = 1};
    g_autoptr(GError) err = NULL;
    g_assert_null(ksyms_find(mem_read, &m, 0x1000, 0x1000 + sizeof(zeros), 8, NULL, &err));
    g_assert_nonnull(err);
    g_assert_true(err->code == VMI_ERROR_NOT_FOUND || err->code == VMI_ERROR_CORRUPT);
    g_clear_error(&err);
    zeros[100] = 'x';
    g_assert_null(ksyms_find(mem_read, &m, 0x1000, 0x1000 + sizeof(zeros), 8, NULL, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_NOT_FOUND);
    g_clear_error(&err);
    g_assert_null(ksyms_find(mem_read, &m, 0x1000, 0x1000, 8, NULL, &err));
    g_assert_error(err, VMI_ERROR, VMI_ERROR_INVALID);
}

/* ------------------------------------------------------------ corruption */

typedef struct truth {
    GHashTable *first;   /* name -> first address (as pointer-sized key) */
    GPtrArray *names;    /* sample of names */
} truth_t;

/* Flips bytes of the structural tables (token index, markers, num_syms,
 * seqs) and truncates: each result must be an error or fully right on a
 * sample.  Payload bytes (a name's tokens, an address) carry no redundancy
 * in the kernel's format, so a flip there cannot be told from a different
 * kernel and is not part of this check. */
static void corrupt_run(const seg_t *orig, int nseg, addr_t start, addr_t end, unsigned ptr,
                        const ksyms_layout_t *L, uint32_t nsyms, GHashTable *first, GPtrArray *sample,
                        const gsym_t *syms, unsigned rounds)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(42);
    /* regions: [va, len) */
    addr_t reg[8][2];
    int nreg = 0;
    reg[nreg][0] = L->token_index, reg[nreg++][1] = 512;
    reg[nreg][0] = L->markers, reg[nreg++][1] = 4ull * ((nsyms + 255) / 256);
    reg[nreg][0] = L->num_syms_addr, reg[nreg++][1] = 4;
    if (L->seqs_of_names)
        reg[nreg][0] = L->seqs_of_names, reg[nreg++][1] = 3ull * nsyms;
    addr_t tlo = MIN(MIN(L->names, L->addresses), L->num_syms_addr);
    addr_t thi = MAX(L->token_index + 512, L->seqs_of_names);
    unsigned errors = 0, decoded = 0;
    for (unsigned round = 0; round < rounds; round++) {
        mem_t m = {.nseg = nseg};
        uint8_t *copy[16] = {NULL};
        for (int i = 0; i < nseg; i++) {
            m.seg[i] = orig[i];
        }
        bool trunc = round % 4 == 3;
        if (trunc) {
            m.cut = tlo + (addr_t)g_rand_int_range(r, 0, (gint32)MIN(thi - tlo, (addr_t)INT32_MAX));
        } else {
            int k = g_rand_int_range(r, 0, nreg);
            addr_t va = reg[k][0] + (addr_t)g_rand_int_range(r, 0, (gint32)reg[k][1]);
            for (int i = 0; i < nseg; i++)
                if (va >= orig[i].va && va < orig[i].va + orig[i].len) {
                    copy[i] = g_memdup2(orig[i].data, orig[i].len);
                    copy[i][va - orig[i].va] ^= (uint8_t)(1u << g_rand_int_range(r, 0, 8));
                    m.seg[i].data = copy[i];
                }
        }
        g_autoptr(GError) err = NULL;
        ksyms_t *ks = ksyms_find(mem_read, &m, start, end, ptr, NULL, &err);
        if (!ks) {
            g_assert_nonnull(err);
            g_assert_true(err->code == VMI_ERROR_CORRUPT || err->code == VMI_ERROR_NOT_FOUND);
            errors++;
        } else {
            decoded++;
            for (guint s = 0; s < sample->len; s++) {
                const char *nm = g_ptr_array_index(sample, s);
                addr_t a;
                addr_t *want = g_hash_table_lookup(first, nm);
                if (ksyms_lookup(ks, nm, &a, NULL))
                    g_assert_cmphex(a, ==, *want);
            }
            /* by index too (the markers give random access) */
            for (uint32_t i = 0; syms && i < nsyms; i += 7) {
                char name[512];
                addr_t a;
                if (ksyms_get(ks, i, name, sizeof(name), &a, NULL)) {
                    g_assert_cmpstr(name, ==, syms[i].name);
                    g_assert_cmphex(a, ==, syms[i].addr);
                }
            }
            ksyms_free(ks);
        }
        for (int i = 0; i < nseg; i++)
            g_free(copy[i]);
    }
    g_test_message("corruption: %u rounds, %u errors, %u still decoded (all right)", rounds, errors,
                   decoded);
    g_assert_cmpuint(errors, >, 0);
}

static void test_corrupt_synthetic(void)
{
    for (size_t li = 0; li < G_N_ELEMENTS(layouts); li++) {
        const glayout_t *L = &layouts[li];
        gen_t *g = generate(L, 700, 99);
        mem_t m;
        g_autoptr(GError) err = NULL;
        ksyms_t *ks = find_in(g, &m, L->ptr, &err);
        g_assert_no_error(err);
        GHashTable *first = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        GPtrArray *sample = g_ptr_array_new();
        for (uint32_t i = 0; i < g->n; i++)
            if (!g_hash_table_contains(first, g->sym[i].name)) {
                g_hash_table_insert(first, g->sym[i].name, g_memdup2(&g->sym[i].addr, sizeof(addr_t)));
                if (i % 5 == 0)
                    g_ptr_array_add(sample, g->sym[i].name);
            }
        seg_t seg = {g->base, g->img->data, g->img->len};
        corrupt_run(&seg, 1, g->base, g->base + g->img->len, L->ptr, ksyms_layout(ks), g->n, first, sample,
                    g->sym, 24);
        ksyms_free(ks);
        g_hash_table_destroy(first);
        g_ptr_array_unref(sample);
        gen_free(g);
    }
}

/* ------------------------------------------------------------ real kernels */

typedef struct elfimg {
    uint8_t *map;
    size_t size;
    seg_t seg[16];
    int nseg;
    addr_t lo, hi;
    unsigned ptr;
    bool has_symtab;
} elfimg_t;

static bool elf_open(const char *path, elfimg_t *e)
{
    memset(e, 0, sizeof(*e));
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return false;
    }
    e->size = (size_t)st.st_size;
    e->map = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (e->map == MAP_FAILED)
        return false;
    e->lo = UINT64_MAX;
    bool is64 = e->map[EI_CLASS] == ELFCLASS64;
    e->ptr = is64 ? 8 : 4;
    unsigned phnum = is64 ? ((Elf64_Ehdr *)e->map)->e_phnum : ((Elf32_Ehdr *)e->map)->e_phnum;
    uint64_t shoff = is64 ? ((Elf64_Ehdr *)e->map)->e_shoff : ((Elf32_Ehdr *)e->map)->e_shoff;
    unsigned shnum = is64 ? ((Elf64_Ehdr *)e->map)->e_shnum : ((Elf32_Ehdr *)e->map)->e_shnum;
    size_t shsz = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    for (unsigned i = 0; shoff && shoff < e->size && i < shnum && shoff + (i + 1) * shsz <= e->size; i++) {
        uint32_t type = is64 ? ((Elf64_Shdr *)(e->map + shoff))[i].sh_type
                             : ((Elf32_Shdr *)(e->map + shoff))[i].sh_type;
        if (type == SHT_SYMTAB)
            e->has_symtab = true;
    }
    for (unsigned i = 0; i < phnum && e->nseg < 16; i++) {
        uint64_t type, va, off, fsz;
        if (is64) {
            Elf64_Phdr *p = (Elf64_Phdr *)(e->map + ((Elf64_Ehdr *)e->map)->e_phoff) + i;
            type = p->p_type, va = p->p_vaddr, off = p->p_offset, fsz = p->p_filesz;
        } else {
            Elf32_Phdr *p = (Elf32_Phdr *)(e->map + ((Elf32_Ehdr *)e->map)->e_phoff) + i;
            type = p->p_type, va = p->p_vaddr, off = p->p_offset, fsz = p->p_filesz;
        }
        /* the x86-64 percpu segment is linked at 0: not part of the image */
        if (type != PT_LOAD || va == 0 || off > e->size || fsz > e->size - off)
            continue;
        e->seg[e->nseg++] = (seg_t){va, e->map + off, fsz};
        e->lo = MIN(e->lo, va);
        e->hi = MAX(e->hi, va + fsz);
    }
    return e->nseg > 0;
}

static bool is_weak(char t)
{
    return t == 'W' || t == 'w' || t == 'V' || t == 'v';
}

static void test_real(void)
{
    const char *dir = g_getenv("LIBVMI_TEST_KERNELS");
    if (!dir) {
        g_test_skip("LIBVMI_TEST_KERNELS is not set");
        return;
    }
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (!d) {
        g_test_skip("LIBVMI_TEST_KERNELS is not a directory");
        return;
    }
    unsigned tested = 0;
    const char *ent;
    g_autoptr(GPtrArray) kdirs = g_ptr_array_new_with_free_func(g_free);
    while ((ent = g_dir_read_name(d)))
        g_ptr_array_add(kdirs, g_strdup(ent));
    for (guint k = 0; k < kdirs->len; k++) {
        const char *kv = g_ptr_array_index(kdirs, k);
        g_autofree char *kd = g_build_filename(dir, kv, NULL);
        /* the current-* entries repeat kernel directories */
        if (g_str_has_prefix(kv, "current") || g_file_test(kd, G_FILE_TEST_IS_SYMLINK))
            continue;
        g_autofree char *vml = g_build_filename(kd, "vmlinux", NULL);
        g_autofree char *map = g_build_filename(kd, "System.map", NULL);
        if (!g_file_test(vml, G_FILE_TEST_EXISTS) || !g_file_test(map, G_FILE_TEST_EXISTS))
            continue;
        elfimg_t e;
        g_assert_true(elf_open(vml, &e));
        mem_t m = {.nseg = e.nseg};
        memcpy(m.seg, e.seg, sizeof(seg_t) * (size_t)e.nseg);
        g_autoptr(GError) err = NULL;
        gint64 t0 = g_get_monotonic_time();
        ksyms_t *ks = ksyms_find(mem_read, &m, e.lo, e.hi, e.ptr, NULL, &err);
        gint64 t1 = g_get_monotonic_time();
        g_assert_no_error(err);
        const ksyms_layout_t *L = ksyms_layout(ks);
        g_test_message("%s: %u symbols in %.1f ms: token_table 0x%" PRIx64 " names 0x%" PRIx64
                       " markers 0x%" PRIx64 " addresses 0x%" PRIx64 " seqs 0x%" PRIx64
                       " relative_base 0x%" PRIx64 "%s%s%s%s%s, %zu bytes held",
                       kv, L->num_syms, (t1 - t0) / 1e3, L->token_table, L->names, L->markers,
                       L->addresses, L->seqs_of_names, L->relative_base,
                       L->base_relative ? " base-relative" : " absolute",
                       L->absolute_percpu ? " absolute-percpu" : "", L->pc_relative ? " pc-relative" : "",
                       L->big_lengths ? " big-lengths" : "", L->tables_after_tokens ? " 6.4-order" : "",
                       ksyms_memory_size(ks));
        /* System.map: from /proc/kallsyms (amd64: every symbol) or from nm
         * (i386 -dbg: more symbols than kallsyms keeps) */
        g_autofree char *text = NULL;
        gsize tlen;
        g_assert_true(g_file_get_contents(map, &text, &tlen, NULL));
        g_autoptr(GHashTable) first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autoptr(GHashTable) pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        unsigned nlines = 0;
        for (char **l = lines; *l; l++) {
            char name[1024], t;
            unsigned long long a;
            char extra;
            int nf = sscanf(*l, "%llx %c %1023s %c", &a, &t, name, &extra);
            if (nf != 3)
                continue;
            nlines++;
            if (!g_hash_table_contains(first, name))
                g_hash_table_insert(first, g_strdup(name), g_memdup2(&a, sizeof(addr_t)));
            g_hash_table_add(pairs, g_strdup_printf("%llx %s", a, name));
        }
        /* a vmlinux with a symbol table came with an nm System.map (i386
         * -dbg), which lists more than kallsyms keeps; the amd64 maps were
         * made from the guest's /proc/kallsyms (without its weak 'W'
         * symbols, W/w/V/v, it turns out) */
        bool nm_map = e.has_symtab;
        g_test_message("%s: System.map has %u symbols, from %s", kv, nlines,
                       nm_map ? "nm (vmlinux has a symtab)" : "/proc/kallsyms");
        unsigned checked = 0, weak_first = 0, absent = 0, not_in_map = 0;
        GHashTableIter it;
        gpointer kname, kaddr;
        g_hash_table_iter_init(&it, first);
        while (g_hash_table_iter_next(&it, &kname, &kaddr)) {
            addr_t a;
            char t;
            if (!ksyms_lookup(ks, kname, &a, &t)) {
                if (!nm_map)
                    g_error("%s: %s not found", kv, (char *)kname);
                absent++;
                continue;
            }
            if (a != *(addr_t *)kaddr) {
                /* only an earlier weak symbol the map left out may differ */
                g_autofree char *pair = g_strdup_printf("%" PRIx64 " %s", a, (char *)kname);
                if (is_weak(t) && !g_hash_table_contains(pairs, pair) && !nm_map) {
                    weak_first++;
                    continue;
                }
                g_error("%s: %s at 0x%" PRIx64 ", System.map 0x%" PRIx64, kv, (char *)kname, a,
                        *(addr_t *)kaddr);
            }
            checked++;
        }
        /* every kallsyms symbol by index, and its reverse resolution */
        char name[1024], t;
        addr_t a, a2;
        for (uint32_t i = 0; i < ksyms_count(ks); i++) {
            g_assert_true(ksyms_get(ks, i, name, sizeof(name), &a, &t));
            g_autofree char *pair = g_strdup_printf("%" PRIx64 " %s", a, name);
            if (!g_hash_table_contains(pairs, pair)) {
                if (nm_map || !is_weak(t))
                    g_error("%s: kallsyms symbol %u (%s) is not in System.map", kv, i, pair);
                not_in_map++;
            }
            char n2[1024], t2;
            if (!ksyms_nearest(ks, a, n2, sizeof(n2), &a2, &t2) || a2 != a)
                g_error("%s: nearest(0x%" PRIx64 ") failed", kv, a);
            g_autofree char *pair2 = g_strdup_printf("%" PRIx64 " %s", a2, n2);
            if (!g_hash_table_contains(pairs, pair2) && !is_weak(t2))
                g_error("%s: nearest(0x%" PRIx64 ") is %s, not in System.map", kv, a, n2);
        }
        g_test_message("%s: %u System.map names resolved to their first address, %u absent from "
                       "kallsyms, %u preceded by a weak symbol the map lacks; %u kallsyms symbols "
                       "reverse-resolved, %u (weak) not in the map",
                       kv, checked, absent, weak_first, ksyms_count(ks), not_in_map);
        if (!nm_map)
            g_assert_cmpuint(checked + weak_first, ==, g_hash_table_size(first));
        bool full = !nm_map;
        /* timing of name lookups */
        g_autoptr(GPtrArray) sample = g_ptr_array_new();
        g_hash_table_iter_init(&it, first);
        while (g_hash_table_iter_next(&it, &kname, &kaddr) && sample->len < 1000)
            g_ptr_array_add(sample, kname);
        gint64 t2 = g_get_monotonic_time();
        for (guint s = 0; s < sample->len; s++)
            ksyms_lookup(ks, g_ptr_array_index(sample, s), &a, NULL);
        gint64 t3 = g_get_monotonic_time();
        g_test_message("%s: %u lookups in %.2f ms", kv, sample->len, (t3 - t2) / 1e3);
        /* corruption of the real tables (a window around them) */
        if (full) {
            GPtrArray *cs = g_ptr_array_new();
            for (guint s = 0; s < sample->len && s < 200; s++)
                g_ptr_array_add(cs, g_ptr_array_index(sample, s));
            corrupt_run(e.seg, e.nseg, MIN(L->names, L->addresses) - (1u << 20),
                        MAX(L->token_index + 512, L->seqs_of_names) + (1u << 20), e.ptr, L,
                        ksyms_count(ks), first, cs, NULL, 40);
            g_ptr_array_unref(cs);
        }
        ksyms_free(ks);
        munmap(e.map, e.size);
        tested++;
    }
    if (!tested)
        g_test_skip("no kernel directory with vmlinux and System.map");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        g_autofree char *path = g_strdup_printf("/kallsyms/synthetic/%s", layouts[i].label);
        g_test_add_data_func(path, &layouts[i], test_synthetic);
    }
    g_test_add_func("/kallsyms/absent", test_absent);
    g_test_add_func("/kallsyms/corrupt-synthetic", test_corrupt_synthetic);
    g_test_add_func("/kallsyms/real", test_real);
    return g_test_run();
}
