/*
 * kallsyms.c - finds and decodes the kernel's kallsyms tables by their
 * structure.  Format facts (scripts/kallsyms.c, kernel/kallsyms.c):
 *
 *  - kallsyms_token_table: 256 NUL-terminated expanded tokens; a character
 *    used in some name keeps its own single-character slot, so "0\0".."9\0"
 *    are consecutive.  kallsyms_token_index: 256 u16 offsets into it.
 *  - kallsyms_names: per symbol a length (one byte; 6.1+: two bytes, ULEB128,
 *    when >= 0x80) and that many token indices; the first expanded character
 *    is the type letter.
 *  - kallsyms_markers: the names offset of every 256th symbol (u32; unsigned
 *    long in kernels before 5.x).  kallsyms_num_syms: u32 (unsigned long then).
 *  - addresses: kallsyms_addresses (absolute, pointer-sized), or
 *    kallsyms_offsets (s32) with kallsyms_relative_base (pointer): base +
 *    (u32)off; with ABSOLUTE_PERCPU off >= 0 is absolute and off < 0 is
 *    base - 1 - off; 7.0: no base, the entry's own address + off (or, on
 *    non-relocatable 32-bit kernels, the u32 value itself).
 *  - kallsyms_seqs_of_names (6.2+): symbol indices in name order, 3 bytes
 *    big-endian (4 in early 6.2 development).  Names compare after cutting at
 *    the first '.' (clang LTO); equal names by address.
 *  - order: addresses, relative_base, num_syms, names, markers, [seqs],
 *    token_table, token_index; since 6.4 num_syms, names, markers,
 *    token_table, token_index, addresses, [relative_base], seqs.  Every table
 *    is aligned to the pointer size (.balign 4 everywhere since 7.0).
 *
 * Search: the digit tokens locate the token table; the index must describe it
 * exactly; the markers end just before the token table (or before the seqs);
 * num_syms precedes the names; a walk of num_syms names must hit every marker
 * and end where the markers begin; the addresses must be sorted; the seqs a
 * permutation that sorts the names.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include "private.h"
#include "kallsyms.h"

#define KS_CHUNK (1u << 20)          /* read size while scanning */
#define KS_PAGE 4096u
#define KS_MAX_SYMS (4u << 20)       /* a plausible upper bound on num_syms */
#define KS_MAX_MARKERS (KS_MAX_SYMS / 256)
#define KS_MAX_ENTRY (512u + 2)      /* two-byte length + at most KSYM_NAME_LEN tokens */
#define KS_MAX_TOKEN 512u            /* KSYM_NAME_LEN */
#define KS_NAME_MAX 1024u            /* decoded names are cut here */
#define KS_MAX_COPY (96u << 20)      /* refuse tables larger than this */

static const char digit_tokens[] = "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9";
#define DIGITS_LEN 20                /* including the final NUL */

typedef enum { AM_ABS, AM_REL, AM_REL_PERCPU, AM_PCREL, AM_ABS32 } addr_mode_t;

struct ksyms {
    ksyms_layout_t lay;
    /* token k is the NUL-terminated string at token_raw + tok_off[k]: the
     * table's own bytes (followed by its index, for the fingerprint), held
     * once and at their size (~2 KiB for a kernel, not 200 KiB of fixed
     * arrays per instance) */
    uint16_t tok_off[256];
    uint16_t tok_len[256];
    bool tok_dot[256];               /* token holds a '.' */
    uint8_t *token_raw;
    size_t token_raw_len;
    uint8_t *names;
    size_t names_len;
    uint32_t *markers;
    uint32_t nmarkers;
    unsigned marker_size;
    uint8_t *addrs;                  /* raw addresses / offsets table */
    unsigned addr_size;
    addr_mode_t mode;
    uint8_t *seqs;
    unsigned seq_size;
    /* sequential access cursor */
    uint32_t cur_i;
    uint32_t cur_off;
    bool cur_valid;
    /* without seqs: a name hash index (symbol index + 1 per slot, first of
     * duplicates), built at the second lookup */
    uint32_t *hidx;
    uint32_t hmask;
    unsigned lookups;
    /* extent of the last symbol (_end), looked up once */
    int end_state;                   /* 0 unknown, 1 known, -1 none */
    addr_t end_addr;
};

/* ------------------------------------------------------------ byte helpers */

static inline const char *tok_str(const ksyms_t *ks, uint8_t k)
{
    return (const char *)ks->token_raw + ks->tok_off[k];
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* align @v up to @a (a power of two); false on overflow */
static inline bool align_up(addr_t v, unsigned a, addr_t *out)
{
    addr_t r = (v + (a - 1)) & ~(addr_t)(a - 1);
    if (r < v)
        return false;
    *out = r;
    return true;
}

/* [va, va+len) as an addr_t range without wrap */
static inline bool range_ok(addr_t va, uint64_t len)
{
    return len <= UINT64_MAX - va;
}

/* Reads [va, va+len) into a new buffer in chunks; NULL if unreadable. */
static uint8_t *read_span(ksyms_read_fn rd, void *ctx, addr_t va, size_t len)
{
    if (!range_ok(va, len) || len > KS_MAX_COPY)
        return NULL;
    uint8_t *buf = g_try_malloc(len ? len : 1);
    if (!buf)
        return NULL;
    for (size_t done = 0; done < len;) {
        size_t n = MIN(len - done, (size_t)KS_CHUNK);
        if (!rd(ctx, va + done, buf + done, n)) {
            g_free(buf);
            return NULL;
        }
        done += n;
    }
    return buf;
}

/* ------------------------------------------------------------ the view
 * A cached window [lo, hi) of memory that grows downwards on demand, to
 * look backwards from the token table without reading a fixed large area. */
typedef struct view {
    ksyms_read_fn rd;
    void *ctx;
    addr_t floor;     /* never read below */
    addr_t lo, hi;
    uint8_t *buf;
} view_t;

static bool view_init(view_t *v, ksyms_read_fn rd, void *ctx, addr_t floor, addr_t lo, addr_t hi)
{
    memset(v, 0, sizeof(*v));
    v->rd = rd;
    v->ctx = ctx;
    v->floor = floor;
    v->buf = read_span(rd, ctx, lo, hi - lo);
    if (!v->buf)
        return false;
    v->lo = lo;
    v->hi = hi;
    return true;
}

static void view_clear(view_t *v)
{
    g_free(v->buf);
    v->buf = NULL;
}

static bool view_grow(view_t *v, addr_t want)
{
    if (want < v->floor)
        return false;
    addr_t cur = v->hi - v->lo;
    /* try to at least double, fall back to just what is wanted */
    addr_t target = want & ~(addr_t)(KS_PAGE - 1);
    if (target < v->floor)
        target = v->floor;
    addr_t dbl = v->lo - MIN(v->lo - v->floor, MAX(cur, (addr_t)KS_CHUNK));
    for (int attempt = 0; attempt < 2; attempt++) {
        addr_t nlo = attempt == 0 ? MIN(dbl, target) : target;
        if (nlo >= v->lo)
            return true;
        if (v->hi - nlo > KS_MAX_COPY)
            return false;
        uint8_t *add = read_span(v->rd, v->ctx, nlo, v->lo - nlo);
        if (!add)
            continue;
        uint8_t *nb = g_try_malloc(v->hi - nlo);
        if (!nb) {
            g_free(add);
            return false;
        }
        memcpy(nb, add, v->lo - nlo);
        memcpy(nb + (v->lo - nlo), v->buf, v->hi - v->lo);
        g_free(add);
        g_free(v->buf);
        v->buf = nb;
        v->lo = nlo;
        return true;
    }
    return false;
}

/* Pointer to [va, va+len) inside the view, growing it if needed; NULL if
 * outside [floor, hi) or unreadable. */
static const uint8_t *view_get(view_t *v, addr_t va, size_t len)
{
    if (!range_ok(va, len) || va + len > v->hi || va < v->floor)
        return NULL;
    if (va < v->lo && !view_grow(v, va))
        return NULL;
    return v->buf + (va - v->lo);
}

/* ------------------------------------------------------------ finder */

typedef struct finder {
    ksyms_read_fn rd;
    void *ctx;
    addr_t start, end;
    unsigned ptr;
    /* the most advanced reason a token table found did not validate */
    int stage;
    char *why;
} finder_t;

static void why(finder_t *f, int stage, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void why(finder_t *f, int stage, const char *fmt, ...)
{
    if (stage < f->stage)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_free(f->why);
    f->why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    f->stage = stage;
}

/* A candidate being assembled. */
typedef struct cand {
    addr_t T, I;                 /* token table, token index */
    addr_t Ms;                   /* markers start */
    uint32_t nm;
    unsigned ms;                 /* marker element size */
    uint32_t *markers;           /* the first nm in use, room for markers_cap */
    uint32_t markers_cap;
    addr_t seqs_between;         /* 6.2-6.3 seqs between markers and tokens */
    unsigned seq_between_size;
    addr_t names, nsa;
    uint32_t n;
    size_t names_len;
    bool big;
    uint32_t *offs;              /* per-symbol names offset (temporary) */
} cand_t;

/* Room for @n markers in @c (@n <= KS_MAX_MARKERS): a candidate holds a
 * few, a big kernel ~1000. */
static bool cand_markers(cand_t *c, uint32_t n)
{
    if (n <= c->markers_cap)
        return true;
    uint32_t cap = MAX(n, MIN(2 * c->markers_cap, (uint32_t)KS_MAX_MARKERS));
    uint32_t *m = g_try_renew(uint32_t, c->markers, cap);
    if (!m)
        return false;
    c->markers = m;
    c->markers_cap = cap;
    return true;
}

/* Checks the token table whose '0' token is at @P: walks the tokens after it,
 * finds the index after them and checks the index describes the table. */
static bool check_tokens(finder_t *f, ksyms_t *ks, addr_t P, addr_t *T_out, addr_t *I_out)
{
    /* the table is < 64 KiB (u16 index), so a window around P holds it */
    addr_t lo = P - MIN(P - f->start, (addr_t)65536);
    addr_t hi = P + MIN(f->end - P, (addr_t)(65536 + 2048));
    g_autofree uint8_t *b = read_span(f->rd, f->ctx, lo, hi - lo);
    if (!b)
        return false;
    size_t p = P - lo, len = hi - lo;
    /* tokens 48 ('0') .. 255 */
    size_t q = p;
    for (unsigned t = '0'; t < 256; t++) {
        const uint8_t *z = memchr(b + q, 0, MIN(len - q, (size_t)KS_MAX_TOKEN + 1));
        if (!z)
            return false;
        q = (size_t)(z - b) + 1;
        if (q >= len)
            return false;
    }
    addr_t tok_end = lo + q;
    for (unsigned a = 4; a <= 8; a *= 2) {
        addr_t I;
        if (!align_up(tok_end, a, &I) || I + 512 > hi || I + 512 < I)
            continue;
        const uint8_t *ix = b + (I - lo);
        if (le16(ix) != 0)
            continue;
        uint16_t i48 = le16(ix + 2 * '0');
        if (i48 > P - lo)
            continue;
        addr_t T = P - i48;
        if (T < lo || tok_end - T > 65535 + KS_MAX_TOKEN + 1)
            continue;
        /* every token k must start at T + index[k] and end where k+1 starts */
        size_t off = 0;
        bool ok = true;
        for (unsigned k = 0; k < 256 && ok; k++) {
            if (le16(ix + 2 * k) != off) {
                ok = false;
                break;
            }
            const uint8_t *s = b + (T - lo) + off;
            size_t room = (size_t)(tok_end - T) - off;
            const uint8_t *z = memchr(s, 0, MIN(room, (size_t)KS_MAX_TOKEN + 1));
            if (!z) {
                ok = false;
                break;
            }
            size_t tl = (size_t)(z - s);
            for (size_t c = 0; c < tl; c++)
                if (s[c] < 0x20 || s[c] >= 0x7f)
                    ok = false;
            if (!ok)
                break;
            ks->tok_off[k] = (uint16_t)off;
            ks->tok_len[k] = (uint16_t)tl;
            ks->tok_dot[k] = memchr(s, '.', tl) != NULL;
            off += tl + 1;
        }
        if (!ok || T + off != tok_end)
            continue;
        /* the digits are single characters of themselves; and since every
         * other token is a pair expanded, a one-character token is always
         * the character of its own slot */
        for (unsigned d = '0'; d <= '9'; d++)
            if (ks->tok_len[d] != 1)
                ok = false;
        for (unsigned k = 0; k < 256; k++)
            if (ks->tok_len[k] == 1 && b[(T - lo) + ks->tok_off[k]] != k)
                ok = false;
        if (!ok)
            continue;
        size_t raw = (size_t)(tok_end - T);
        uint8_t *copy = g_try_malloc(raw + 512);
        if (!copy)
            return false;
        memcpy(copy, b + (T - lo), raw);
        memcpy(copy + raw, ix, 512);
        g_free(ks->token_raw);
        ks->token_raw = copy;
        ks->token_raw_len = raw + 512;
        *T_out = T;
        *I_out = I;
        return true;
    }
    return false;
}

/* Walks @count entries of names from @off in @b[0, len); returns the end
 * offset or SIZE_MAX.  Sets *big when a two-byte length is seen. */
static size_t walk_names(const uint8_t *b, size_t len, size_t off, uint32_t count, bool *big,
                         const uint16_t *tok_len)
{
    for (uint32_t i = 0; i < count; i++) {
        if (off >= len)
            return SIZE_MAX;
        size_t l = b[off];
        if (l & 0x80) {
            if (off + 1 >= len || (b[off + 1] & 0x80))
                return SIZE_MAX;
            l = (l & 0x7F) | (size_t)b[off + 1] << 7;
            off += 2;
            *big = true;
        } else {
            off += 1;
        }
        if (l == 0 || l > len - off || tok_len[b[off]] == 0)
            return SIZE_MAX;
        off += l;
    }
    return off;
}

/* The full names walk: every marker hit, end at @names_end exactly; fills
 * c->offs. */
static bool walk_all(finder_t *f, ksyms_t *ks, cand_t *c, const uint8_t *b, size_t names_len)
{
    g_free(c->offs);
    c->offs = g_try_new(uint32_t, c->n);
    if (!c->offs)
        return false;
    size_t off = 0;
    bool big = false;
    for (uint32_t i = 0; i < c->n; i++) {
        if ((i & 0xFF) == 0 && c->markers[i >> 8] != off) {
            why(f, 3, "kallsyms_markers[%u] is %u but the names walk is at %zu", i >> 8,
                c->markers[i >> 8], off);
            return false;
        }
        if (off > UINT32_MAX)
            return false;
        c->offs[i] = (uint32_t)off;
        off = walk_names(b, names_len, off, 1, &big, ks->tok_len);
        if (off == SIZE_MAX) {
            why(f, 3, "kallsyms_names entry %u is malformed", i);
            return false;
        }
    }
    if (off != names_len) {
        why(f, 3, "the names walk ends at %zu, not at %zu", off, names_len);
        return false;
    }
    c->big = big;
    return true;
}

/* Candidate markers arrays ending at @E (exclusive): walks backwards to the
 * zero first marker.  Fills c->Ms, nm, markers. */
static bool markers_back(view_t *v, cand_t *c, addr_t E, unsigned ms)
{
    uint64_t prev = UINT64_MAX;
    uint32_t k = 0;
    for (;;) {
        if (k >= KS_MAX_MARKERS || E < (addr_t)(k + 1) * ms)
            return false;
        addr_t at = E - (addr_t)(k + 1) * ms;
        const uint8_t *p = view_get(v, at, ms);
        if (!p)
            return false;
        uint64_t val = ms == 8 ? le64(p) : le32(p);
        if (val > UINT32_MAX)
            return false;
        if (prev != UINT64_MAX) {
            if (val >= prev || prev - val < 256 * 2 || prev - val > 256ull * KS_MAX_ENTRY)
                return false;
        }
        k++;
        prev = val;
        if (val == 0)
            break;
    }
    if (!cand_markers(c, k))
        return false;
    c->nm = k;
    c->ms = ms;
    c->Ms = E - (addr_t)k * ms;
    for (uint32_t i = 0; i < k; i++) {
        const uint8_t *p = view_get(v, c->Ms + (addr_t)i * ms, ms);
        c->markers[i] = (uint32_t)(ms == 8 ? le64(p) : le32(p));
    }
    return true;
}

static bool try_addresses(finder_t *f, ksyms_t *ks, cand_t *c);

/* With markers known: find num_syms before the names, walk them all, then
 * the addresses. */
static bool try_markers(finder_t *f, ksyms_t *ks, view_t *v, cand_t *c)
{
    uint32_t nm = c->nm;
    uint32_t mlast = c->markers[nm - 1];
    uint32_t nmin = (nm - 1) * 256 + 1, nmax = nm * 256;
    if (c->Ms < (addr_t)mlast + 2)
        return false;
    /* names start s: s + names_len = names_end in (Ms-8, Ms]; the last block
     * holds 1..256 entries of 2..KS_MAX_ENTRY bytes */
    addr_t hi_s = (c->Ms - mlast - 2) & ~(addr_t)3;
    addr_t span = 256ull * KS_MAX_ENTRY + 8;
    addr_t lo_s = hi_s > span ? hi_s - span : 0;
    if (lo_s < v->floor + 8)
        lo_s = (v->floor + 8 + 3) & ~(addr_t)3;
    for (addr_t s = hi_s; s >= lo_s && s <= hi_s; s -= 4) {
        const uint8_t *p = view_get(v, s - 8, 8);
        if (!p)
            break;
        uint32_t cnt = le32(p + 4);
        addr_t nsa = s - 4;
        if (cnt == 0) {
            cnt = le32(p);
            nsa = s - 8;
        }
        if (cnt < nmin || cnt > nmax)
            continue;
        if (nsa % 4)
            continue;
        /* quick check: the last block ends at the markers */
        addr_t names_end_max = c->Ms;
        size_t room = (size_t)(names_end_max - s);
        const uint8_t *nb = view_get(v, s, room);
        if (!nb)
            continue;
        bool big = false;
        size_t e = walk_names(nb, room, mlast, cnt - (nm - 1) * 256, &big, ks->tok_len);
        if (e == SIZE_MAX || room - e >= 8)
            continue;
        addr_t a4, a8;
        if (!align_up(s + e, 4, &a4) || !align_up(s + e, 8, &a8) || (a4 != c->Ms && a8 != c->Ms))
            continue;
        why(f, 2, "kallsyms_num_syms candidate %u at 0x%" PRIx64 " does not check out", cnt, nsa);
        c->n = cnt;
        c->names = s;
        c->nsa = nsa;
        c->names_len = e;
        if (!walk_all(f, ks, c, nb, e))
            continue;
        g_free(ks->names);
        ks->names = g_memdup2(nb, e ? e : 1);
        ks->names_len = e;
        if (try_addresses(f, ks, c))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ decoding */

/* address of symbol @i from the raw table */
static addr_t sym_addr(const ksyms_t *ks, uint32_t i)
{
    const uint8_t *p = ks->addrs + (size_t)i * ks->addr_size;
    addr_t mask = ks->lay.ptr_size == 4 ? 0xffffffffull : ~0ull;
    switch (ks->mode) {
    case AM_ABS:
        return ks->addr_size == 8 ? le64(p) : le32(p);
    case AM_ABS32:
        return le32(p);
    case AM_REL:
        return (ks->lay.relative_base + le32(p)) & mask;
    case AM_REL_PERCPU: {
        int32_t o = (int32_t)le32(p);
        if (o >= 0)
            return (addr_t)o;
        return (ks->lay.relative_base - 1 - (addr_t)(int64_t)o) & mask;
    }
    case AM_PCREL: {
        int32_t o = (int32_t)le32(p);
        return (ks->lay.addresses + (addr_t)i * 4 + (addr_t)(int64_t)o) & mask;
    }
    }
    return 0;
}

/* Decodes the entry at @off: name (without type) into @out (truncated to
 * @size, NUL-terminated; @out may be NULL), type into *type; returns the
 * next entry's offset or SIZE_MAX.  *@full_len, if given, gets the
 * untruncated name length. */
static size_t decode_full(const ksyms_t *ks, size_t off, char *out, size_t size, char *type,
                          size_t *full_len)
{
    const uint8_t *b = ks->names;
    size_t len = ks->names_len;
    if (off >= len)
        return SIZE_MAX;
    size_t l = b[off];
    if (l & 0x80) {
        if (off + 1 >= len)
            return SIZE_MAX;
        l = (l & 0x7F) | (size_t)b[off + 1] << 7;
        off += 2;
    } else {
        off += 1;
    }
    if (l == 0 || l > len - off)
        return SIZE_MAX;
    const uint8_t *e = b + off, *end = e + l;
    /* the type is the first character of the first non-empty token */
    size_t skip = 1;
    if (type)
        *type = '?';
    size_t o = 0, cap = out && size ? size - 1 : 0;
    for (; e < end; e++) {
        const char *s = tok_str(ks, *e);
        size_t tl = ks->tok_len[*e];
        if (skip && tl) {
            if (type)
                *type = s[0];
            s++;
            tl--;
            skip = 0;
        }
        /* tokens are short: a byte loop beats a memcpy call */
        if (o + tl <= cap) {
            for (size_t j = 0; j < tl; j++)
                out[o + j] = s[j];
        } else if (o < cap) {
            memcpy(out + o, s, cap - o);
        }
        o += tl;
    }
    if (out && size)
        out[MIN(o, cap)] = 0;
    if (full_len)
        *full_len = o;
    return off + l;
}

static size_t decode_at(const ksyms_t *ks, size_t off, char *out, size_t size, char *type)
{
    return decode_full(ks, off, out, size, type, NULL);
}

/* names offset of symbol @i via the markers */
static size_t sym_off(ksyms_t *ks, uint32_t i)
{
    if (ks->cur_valid && ks->cur_i == i)
        return ks->cur_off;
    size_t off;
    uint32_t from;
    if (ks->cur_valid && ks->cur_i < i && (ks->cur_i >> 8) == (i >> 8)) {
        off = ks->cur_off;
        from = ks->cur_i;
    } else {
        off = ks->markers[i >> 8];
        from = i & ~0xFFu;
    }
    bool big = false;
    off = walk_names(ks->names, ks->names_len, off, i - from, &big, ks->tok_len);
    if (off == SIZE_MAX)
        return SIZE_MAX;
    ks->cur_valid = true;
    ks->cur_i = i;
    ks->cur_off = (uint32_t)off;
    return off;
}

/* The name cut at the first '.', as the kernel sorts the seqs. */
static size_t cleaned_len(const char *s)
{
    const char *d = strchr(s, '.');
    return d ? (size_t)(d - s) : strlen(s);
}

static int cmp_cleaned(const char *a, const char *b)
{
    size_t la = cleaned_len(a), lb = cleaned_len(b);
    int r = memcmp(a, b, MIN(la, lb));
    if (r)
        return r;
    return la < lb ? -1 : la > lb;
}

static uint32_t seq_at(const ksyms_t *ks, uint32_t k)
{
    const uint8_t *p = ks->seqs + (size_t)k * ks->seq_size;
    if (ks->seq_size == 3)
        return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    return le32(p);
}

/* ------------------------------------------------------------ validation */

/* The addresses must be non-decreasing. */
static bool check_sorted(finder_t *f, ksyms_t *ks)
{
    addr_t prev = 0;
    uint32_t n = ks->lay.num_syms;
    for (uint32_t i = 0; i < n; i++) {
        addr_t a = sym_addr(ks, i);
        if (i && a < prev) {
            why(f, 4, "the symbol addresses are not sorted (entry %u)", i);
            return false;
        }
        prev = a;
    }
    return true;
}

/* A character-at-a-time reader of one entry's name, past the type, ending
 * at the first '.' (the kernel sorts names cut there). */
typedef struct nameit {
    const uint8_t *e, *end;
    const char *t;
    size_t rem;
} nameit_t;

static bool nameit_init(const ksyms_t *ks, size_t off, nameit_t *it)
{
    const uint8_t *b = ks->names;
    size_t len = ks->names_len;
    if (off >= len)
        return false;
    size_t l = b[off];
    if (l & 0x80) {
        if (off + 1 >= len)
            return false;
        l = (l & 0x7F) | (size_t)b[off + 1] << 7;
        off += 2;
    } else {
        off += 1;
    }
    if (l == 0 || l > len - off)
        return false;
    it->e = b + off;
    it->end = b + off + l;
    it->rem = 0;
    /* skip the type character */
    while (it->e < it->end && it->rem == 0) {
        it->t = tok_str(ks, *it->e);
        it->rem = ks->tok_len[*it->e];
        it->e++;
    }
    if (it->rem) {
        it->t++;
        it->rem--;
    }
    return true;
}

/* next character, or -1 at the end (or at a '.') */
static inline int nameit_next(const ksyms_t *ks, nameit_t *it)
{
    while (it->rem == 0) {
        if (it->e >= it->end)
            return -1;
        it->t = tok_str(ks, *it->e);
        it->rem = ks->tok_len[*it->e];
        it->e++;
    }
    int c = (unsigned char)*it->t++;
    it->rem--;
    return c == '.' ? -1 : c;
}

/* Compares two names as the kernel sorts them; equal token indices at
 * token boundaries expand alike and are skipped whole. */
static int cmp_names(const ksyms_t *ks, nameit_t *a, nameit_t *b)
{
    for (;;) {
        if (a->rem == 0 && b->rem == 0) {
            while (a->e < a->end && b->e < b->end && *a->e == *b->e) {
                if (ks->tok_dot[*a->e])
                    return 0;
                a->e++;
                b->e++;
            }
        }
        int ca = nameit_next(ks, a), cb = nameit_next(ks, b);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
}

/* The seqs must be a permutation sorting the names. */
static bool check_seqs(finder_t *f, ksyms_t *ks, const cand_t *c)
{
    uint32_t n = ks->lay.num_syms;
    g_autofree uint8_t *seen = g_try_malloc0(n / 8 + 1);
    if (!seen)
        return false;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = seq_at(ks, k);
        if (s >= n || (seen[s >> 3] & (1u << (s & 7)))) {
            why(f, 5, "kallsyms_seqs_of_names is not a permutation (entry %u)", k);
            return false;
        }
        seen[s >> 3] |= (uint8_t)(1u << (s & 7));
    }
    /* Compare neighbours only up to their first difference, and on a large
     * table only ~2048 pairs spread over it: the seqs only steer the name
     * binary search, whose every answer is checked against the decoded
     * name, so a wrong order can cost a "not found", never a wrong
     * address; the full check took most of a zero-config init. */
    uint32_t step = n > 4096 ? n / 2048 : 1;
    for (uint32_t k = 1; k < n; k += step) {
        nameit_t a, b;
        if (!nameit_init(ks, c->offs[seq_at(ks, k - 1)], &a) ||
            !nameit_init(ks, c->offs[seq_at(ks, k)], &b))
            return false;
        if (cmp_names(ks, &a, &b) > 0) {
            why(f, 5, "kallsyms_seqs_of_names does not sort the names (entry %u)", k);
            return false;
        }
    }
    return true;
}

/* Copies the tables into @ks and validates the addresses (and seqs). */
static bool try_one(finder_t *f, ksyms_t *ks, cand_t *c, addr_mode_t mode, addr_t tab,
                    addr_t rb_addr, addr_t seqs, unsigned seq_size, bool after)
{
    unsigned asz = (mode == AM_ABS) ? f->ptr : 4;
    uint64_t tlen = (uint64_t)c->n * asz;
    if (!range_ok(tab, tlen) || tab < f->start || tab + tlen > f->end)
        return false;
    g_free(ks->addrs);
    ks->addrs = read_span(f->rd, f->ctx, tab, tlen);
    if (!ks->addrs)
        return false;
    ks->addr_size = asz;
    ks->mode = mode;
    ks->lay.addresses = tab;
    ks->lay.num_syms = c->n;
    ks->lay.ptr_size = f->ptr;
    ks->lay.relative_base_addr = rb_addr;
    ks->lay.relative_base = 0;
    if (rb_addr) {
        uint8_t rb[8];
        if (!f->rd(f->ctx, rb_addr, rb, f->ptr))
            return false;
        ks->lay.relative_base = f->ptr == 8 ? le64(rb) : le32(rb);
    }
    if (mode == AM_REL || mode == AM_REL_PERCPU) {
        /* ABSOLUTE_PERCPU is the only layout with negative offsets */
        bool neg = false;
        for (uint32_t i = 0; i < c->n && !neg; i++)
            neg = (int32_t)le32(ks->addrs + (size_t)i * 4) < 0;
        if (neg != (mode == AM_REL_PERCPU))
            return false;
    }
    ks->lay.base_relative = (mode == AM_REL || mode == AM_REL_PERCPU);
    ks->lay.absolute_percpu = (mode == AM_REL_PERCPU);
    ks->lay.pc_relative = (mode == AM_PCREL);
    ks->lay.tables_after_tokens = after;
    if (!check_sorted(f, ks))
        return false;
    g_free(ks->seqs);
    ks->seqs = NULL;
    ks->lay.seqs_of_names = 0;
    if (seqs) {
        uint64_t slen = (uint64_t)c->n * seq_size;
        if (!range_ok(seqs, slen) || seqs < f->start || seqs + slen > f->end)
            return false;
        ks->seqs = read_span(f->rd, f->ctx, seqs, slen);
        if (!ks->seqs)
            return false;
        ks->seq_size = seq_size;
        if (!check_seqs(f, ks, c)) {
            g_free(ks->seqs);
            ks->seqs = NULL;
            return false;
        }
        ks->lay.seqs_of_names = seqs;
    }
    return true;
}

static bool try_addresses(finder_t *f, ksyms_t *ks, cand_t *c)
{
    unsigned P = f->ptr;
    uint64_t n = c->n;
    addr_t x, off, rb, sq;
    if (c->seqs_between) {
        /* 6.2-6.3: the old order, seqs before the token table */
        addr_t sb = c->seqs_between;
        unsigned ss = c->seq_between_size;
        if (c->nsa >= (addr_t)P && align_up(4 * n, P, &x) && c->nsa - P >= x &&
            try_one(f, ks, c, AM_REL_PERCPU, c->nsa - P - x, c->nsa - P, sb, ss, false))
            return true;
        if (c->nsa >= (addr_t)P && align_up(4 * n, P, &x) && c->nsa - P >= x &&
            try_one(f, ks, c, AM_REL, c->nsa - P - x, c->nsa - P, sb, ss, false))
            return true;
        if (c->nsa >= n * P && try_one(f, ks, c, AM_ABS, c->nsa - n * P, 0, sb, ss, false))
            return true;
        return false;
    }
    /* 6.4+: after the token index */
    addr_t x0 = c->I + 512;
    if (align_up(x0, P, &off) && align_up(off + 4 * n, P, &rb) && align_up(rb + P, P, &sq)) {
        if (try_one(f, ks, c, AM_REL_PERCPU, off, rb, sq, 3, true) ||
            try_one(f, ks, c, AM_REL, off, rb, sq, 3, true))
            return true;
    }
    if (align_up(x0, P, &off) && align_up(off + P * n, P, &sq) &&
        try_one(f, ks, c, AM_ABS, off, 0, sq, 3, true))
        return true;
    /* 7.0: .balign 4, place-relative offsets, no base */
    if (align_up(x0, 4, &off) && align_up(off + 4 * n, 4, &sq)) {
        if (P == 4 && try_one(f, ks, c, AM_ABS32, off, 0, sq, 3, true))
            return true;
        if (try_one(f, ks, c, AM_PCREL, off, 0, sq, 3, true))
            return true;
    }
    /* before 6.2: the old order, no seqs */
    if (c->nsa >= (addr_t)P && align_up(4 * n, P, &x) && c->nsa - P >= x) {
        if (try_one(f, ks, c, AM_REL_PERCPU, c->nsa - P - x, c->nsa - P, 0, 0, false) ||
            try_one(f, ks, c, AM_REL, c->nsa - P - x, c->nsa - P, 0, 0, false))
            return true;
    }
    if (c->nsa >= n * P && try_one(f, ks, c, AM_ABS, c->nsa - n * P, 0, 0, 0, false))
        return true;
    why(f, 4, "no kallsyms address table fits %u symbols with names at 0x%" PRIx64, c->n, c->names);
    return false;
}

/* The markers before the token table: right before it, or (6.2-6.3) before
 * the seqs that are right before it. */
static bool try_tables(finder_t *f, ksyms_t *ks, addr_t T, addr_t I)
{
    view_t v;
    addr_t lo = T - MIN(T - f->start, (addr_t)(256 * 1024));
    if (!view_init(&v, f->rd, f->ctx, f->start, lo, T))
        return false;
    cand_t *c = g_try_new0(cand_t, 1);
    if (!c) {
        view_clear(&v);
        return false;
    }
    c->T = T;
    c->I = I;
    bool ok = false;
    why(f, 1, "no kallsyms_markers found before the token table at 0x%" PRIx64, T);
    for (unsigned ms = 4; ms <= f->ptr && !ok; ms *= 2) {
        for (addr_t pad = 0; pad < 8 && !ok; pad += 4) {
            if (T - f->start < pad)
                break;
            if (markers_back(&v, c, T - pad, ms))
                ok = try_markers(f, ks, &v, c);
        }
    }
    /* 6.2-6.3: scan back for a marker array followed by seqs */
    uint64_t maxback = 4ull * KS_MAX_SYMS + 4ull * KS_MAX_MARKERS + 16;
    addr_t p = T & ~(addr_t)3;
    while (!ok) {
        if (p < f->start + 4 || p < 4)
            break;
        p -= 4;
        if (T - p > maxback)
            break;
        const uint8_t *q = view_get(&v, p, 4);
        if (!q)
            break;
        if (le32(q) != 0)
            continue;
        /* run of plausible increasing markers from p */
        uint32_t L = 1;
        uint32_t prev = 0;
        while (L < KS_MAX_MARKERS && p + 4ull * (L + 1) <= T) {
            uint32_t val = le32(v.buf + (p - v.lo) + 4 * L);
            if (val <= prev || val - prev < 512 || (uint64_t)(val - prev) > 256ull * KS_MAX_ENTRY)
                break;
            prev = val;
            L++;
        }
        for (uint32_t nm = L; nm >= 1 && nm + 2 >= L && !ok; nm--) {
            addr_t Em = p + 4ull * nm;
            for (unsigned ss = 3; ss <= 4 && !ok; ss++) {
                for (unsigned a = 4; a <= f->ptr && !ok; a *= 2) {
                    addr_t S;
                    if (!align_up(Em, a, &S) || S > T)
                        continue;
                    uint64_t len = T - S;
                    uint64_t n = len / ss;
                    if (len - n * ss >= a || n == 0 || (n + 255) / 256 != nm)
                        continue;
                    if (!cand_markers(c, nm))
                        continue;
                    c->nm = nm;
                    c->ms = 4;
                    c->Ms = p;
                    for (uint32_t i = 0; i < nm; i++)
                        c->markers[i] = le32(v.buf + (p - v.lo) + 4 * i);
                    c->seqs_between = S;
                    c->seq_between_size = ss;
                    ok = try_markers(f, ks, &v, c);
                    c->seqs_between = 0;
                    if (ok) {
                        c->seqs_between = S;
                    }
                }
            }
        }
    }
    if (ok) {
        ks->lay.token_table = T;
        ks->lay.token_index = I;
        ks->lay.markers = c->Ms;
        ks->lay.names = c->names;
        ks->lay.num_syms_addr = c->nsa;
        ks->lay.big_lengths = c->big;
        ks->markers = g_memdup2(c->markers, sizeof(uint32_t) * c->nm);
        ks->nmarkers = c->nm;
        ks->marker_size = c->ms;
    }
    g_free(c->offs);
    g_free(c->markers);
    g_free(c);
    view_clear(&v);
    return ok;
}

/* ------------------------------------------------------------ fingerprint */

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t compute_fingerprint(const ksyms_t *ks)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, ks->token_raw, ks->token_raw_len);
    for (uint32_t i = 0; i < ks->nmarkers; i++) {
        uint8_t m[4] = {(uint8_t)ks->markers[i], (uint8_t)(ks->markers[i] >> 8),
                        (uint8_t)(ks->markers[i] >> 16), (uint8_t)(ks->markers[i] >> 24)};
        h = fnv(h, m, 4);
    }
    uint8_t w[8];
    for (int i = 0; i < 4; i++)
        w[i] = (uint8_t)(ks->lay.num_syms >> (8 * i));
    h = fnv(h, w, 4);
    size_t k = MIN(ks->names_len, (size_t)4096);
    h = fnv(h, ks->names, k);
    h = fnv(h, ks->names + ks->names_len - k, k);
    for (int i = 0; i < 8; i++)
        w[i] = (uint8_t)(ks->lay.relative_base >> (8 * i));
    h = fnv(h, w, 8);
    return h;
}

/* ------------------------------------------------------------ public */

void ksyms_free(ksyms_t *ks)
{
    if (!ks)
        return;
    g_free(ks->token_raw);
    g_free(ks->names);
    g_free(ks->markers);
    g_free(ks->addrs);
    g_free(ks->seqs);
    g_free(ks->hidx);
    g_free(ks);
}

static ksyms_t *scan(finder_t *f, addr_t from, addr_t to)
{
    ksyms_t *ks = g_try_new0(ksyms_t, 1);
    /* a region smaller than a chunk needs no more */
    uint8_t *chunk = g_try_malloc((size_t)MIN((addr_t)KS_CHUNK, to > from ? to - from : 1));
    if (!ks || !chunk) {
        g_free(ks);
        g_free(chunk);
        return NULL;
    }
    const size_t overlap = 64;
    for (addr_t at = from; at < to;) {
        size_t n = (size_t)MIN((addr_t)KS_CHUNK, to - at);
        /* the whole chunk, or its readable pages one run at a time */
        size_t pos = 0;
        while (pos < n) {
            size_t rlen = n - pos;
            if (pos == 0 && f->rd(f->ctx, at, chunk, n)) {
                rlen = n;
            } else {
                /* collect a run of readable pages starting at pos */
                size_t r = pos;
                while (r < n) {
                    size_t pl = MIN((size_t)KS_PAGE - (size_t)((at + r) % KS_PAGE), n - r);
                    if (!f->rd(f->ctx, at + r, chunk + r, pl))
                        break;
                    r += pl;
                }
                rlen = r - pos;
                if (rlen == 0) {
                    /* skip the unreadable page */
                    pos += MIN((size_t)KS_PAGE - (size_t)((at + pos) % KS_PAGE), n - pos);
                    continue;
                }
            }
            const uint8_t *base = chunk + pos;
            size_t blen = rlen;
            const uint8_t *q = base;
            while (blen - (size_t)(q - base) >= DIGITS_LEN) {
                const uint8_t *hit = memmem(q, blen - (size_t)(q - base), digit_tokens, DIGITS_LEN);
                if (!hit)
                    break;
                addr_t P = at + pos + (size_t)(hit - base);
                addr_t T, I;
                if (check_tokens(f, ks, P, &T, &I)) {
                    why(f, 1, "a token table at 0x%" PRIx64 " has no valid kallsyms tables around it",
                        T);
                    if (try_tables(f, ks, T, I)) {
                        g_free(chunk);
                        return ks;
                    }
                }
                q = hit + 1;
            }
            pos += rlen;
        }
        if (to - at <= n)
            break;
        at += n > overlap ? n - overlap : n;
    }
    g_free(chunk);
    ksyms_free(ks);
    return NULL;
}

/* nonzero hint fields must agree */
static bool hint_agrees(const ksyms_layout_t *h, const ksyms_layout_t *l)
{
#define H(fld) (h->fld && h->fld != l->fld)
    return !(H(token_table) || H(token_index) || H(markers) || H(names) || H(num_syms_addr) ||
             H(addresses) || H(relative_base_addr) || H(seqs_of_names) || H(num_syms) ||
             H(relative_base));
#undef H
}

ksyms_t *ksyms_find(ksyms_read_fn read, void *ctx, addr_t start, addr_t end, unsigned ptr_size,
                    const ksyms_layout_t *hint, GError **error)
{
    if (!read || (ptr_size != 4 && ptr_size != 8) || end <= start) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "kallsyms: bad arguments (range 0x%" PRIx64 "-0x%" PRIx64 ", pointer size %u)",
                    start, end, ptr_size);
        return NULL;
    }
    finder_t f = {.rd = read, .ctx = ctx, .start = start, .end = end, .ptr = ptr_size};
    ksyms_t *ks = NULL;
    if (hint && hint->token_table >= start && hint->token_table < end)
        ks = scan(&f, hint->token_table, hint->token_table + MIN(end - hint->token_table, (addr_t)65536));
    if (!ks)
        ks = scan(&f, start, end);
    if (!ks) {
        if (f.why)
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "kallsyms tables are inconsistent: %s",
                        f.why);
        else
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "no kallsyms token table in 0x%" PRIx64 "-0x%" PRIx64, start, end);
        g_free(f.why);
        return NULL;
    }
    g_free(f.why);
    if (hint && !hint_agrees(hint, &ks->lay)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "the kallsyms tables found (token table at 0x%" PRIx64
                    ", %u symbols) disagree with the addresses given",
                    ks->lay.token_table, ks->lay.num_syms);
        ksyms_free(ks);
        return NULL;
    }
    return ks;
}

const ksyms_layout_t *ksyms_layout(const ksyms_t *ks)
{
    return &ks->lay;
}

uint32_t ksyms_count(const ksyms_t *ks)
{
    return ks ? ks->lay.num_syms : 0;
}

uint64_t ksyms_fingerprint(const ksyms_t *ks)
{
    return compute_fingerprint(ks);
}

size_t ksyms_memory_size(const ksyms_t *ks)
{
    return sizeof(*ks) + ks->names_len + (size_t)ks->nmarkers * 4 +
           (ks->hidx ? ((size_t)ks->hmask + 1) * 4 : 0) +
           (size_t)ks->lay.num_syms * ks->addr_size +
           (ks->seqs ? (size_t)ks->lay.num_syms * ks->seq_size : 0);
}

bool ksyms_get(ksyms_t *ks, uint32_t i, char *name, size_t size, addr_t *addr, char *type)
{
    if (!ks || i >= ks->lay.num_syms)
        return false;
    size_t off = sym_off(ks, i);
    if (off == SIZE_MAX)
        return false;
    char t = '?';
    size_t next = decode_at(ks, off, name, size, &t);
    if (next == SIZE_MAX)
        return false;
    /* the next sequential call continues from here */
    if (i + 1 < ks->lay.num_syms && next <= UINT32_MAX) {
        ks->cur_i = i + 1;
        ks->cur_off = (uint32_t)next;
        ks->cur_valid = true;
    }
    if (addr)
        *addr = sym_addr(ks, i);
    if (type)
        *type = t;
    return true;
}

/* Does the entry at @off spell @name exactly (after the type)? Stops at the
 * first difference. */
static bool entry_is(const ksyms_t *ks, size_t off, const char *name, size_t nlen, size_t *next)
{
    const uint8_t *b = ks->names;
    size_t len = ks->names_len;
    if (off >= len)
        return false;
    size_t l = b[off];
    if (l & 0x80) {
        if (off + 1 >= len)
            return false;
        l = (l & 0x7F) | (size_t)b[off + 1] << 7;
        off += 2;
    } else {
        off += 1;
    }
    if (l == 0 || l > len - off)
        return false;
    if (next)
        *next = off + l;
    size_t o = 0;
    bool first = true;
    for (size_t k = 0; k < l; k++) {
        const uint8_t t = b[off + k];
        const char *s = tok_str(ks, t);
        size_t tl = ks->tok_len[t];
        size_t j = 0;
        if (first && tl) {
            j = 1;
            first = false;
        }
        if (tl - j > nlen - o || memcmp(s + j, name + o, tl - j))
            return false;
        o += tl - j;
    }
    return o == nlen;
}

/* Binary search of the seqs: the lowest table index named @name. */
static bool lookup_seqs(ksyms_t *ks, const char *name, uint32_t *idx)
{
    uint32_t n = ks->lay.num_syms;
    char buf[KS_NAME_MAX];
    size_t lo = 0, hi = n;   /* first k with cleaned(name_k) >= cleaned(name) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t off = sym_off(ks, seq_at(ks, (uint32_t)mid));
        if (off == SIZE_MAX || decode_at(ks, off, buf, sizeof(buf), NULL) == SIZE_MAX)
            return false;
        if (cmp_cleaned(buf, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool found = false;
    uint32_t best = 0;
    size_t nlen = strlen(name);
    for (size_t k = lo; k < n; k++) {
        uint32_t s = seq_at(ks, (uint32_t)k);
        size_t off = sym_off(ks, s);
        if (off == SIZE_MAX || decode_at(ks, off, buf, sizeof(buf), NULL) == SIZE_MAX)
            return false;
        if (cmp_cleaned(buf, name) != 0)
            break;
        if (entry_is(ks, off, name, nlen, NULL) && (!found || s < best)) {
            best = s;
            found = true;
        }
    }
    if (found)
        *idx = best;
    return found;
}

static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

/* names offset of symbol @i via its marker, leaving the cursor alone */
static size_t sym_off_nocursor(const ksyms_t *ks, uint32_t i)
{
    bool big = false;
    return walk_names(ks->names, ks->names_len, ks->markers[i >> 8], i & 0xFF, &big, ks->tok_len);
}

/* One decode pass filling an open-addressing table of n / 0.7 slots. */
static bool build_index(ksyms_t *ks)
{
    uint32_t n = ks->lay.num_syms;
    uint64_t cap = 1;
    while (cap < (uint64_t)n + n / 2 + 1)
        cap <<= 1;
    uint32_t *h = g_try_new0(uint32_t, cap);
    if (!h)
        return false;
    char buf[KS_NAME_MAX];
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        size_t next = decode_full(ks, off, buf, sizeof(buf), NULL, &len);
        if (next == SIZE_MAX) {
            g_free(h);
            return false;
        }
        len = MIN(len, sizeof(buf) - 1);
        uint32_t slot = name_hash(buf, len) & (uint32_t)(cap - 1);
        for (;;) {
            if (!h[slot]) {
                h[slot] = i + 1;
                break;
            }
            size_t o2 = sym_off_nocursor(ks, h[slot] - 1);
            if (o2 != SIZE_MAX && entry_is(ks, o2, buf, len, NULL))
                break;   /* an earlier symbol of that name */
            slot = (slot + 1) & (uint32_t)(cap - 1);
        }
        off = next;
    }
    ks->hidx = h;
    ks->hmask = (uint32_t)(cap - 1);
    return true;
}

static bool lookup_index(ksyms_t *ks, const char *name, uint32_t *idx)
{
    size_t len = strlen(name);
    uint32_t slot = name_hash(name, len) & ks->hmask;
    for (uint32_t probes = 0; probes <= ks->hmask; probes++) {
        uint32_t v = ks->hidx[slot];
        if (!v)
            return false;
        size_t o = sym_off_nocursor(ks, v - 1);
        if (o != SIZE_MAX && entry_is(ks, o, name, len, NULL)) {
            *idx = v - 1;
            return true;
        }
        slot = (slot + 1) & ks->hmask;
    }
    return false;
}

bool ksyms_lookup(ksyms_t *ks, const char *name, addr_t *addr, char *type)
{
    if (!ks || !name)
        return false;
    uint32_t idx = 0;
    bool found = false;
    if (ks->seqs) {
        found = lookup_seqs(ks, name, &idx);
    } else if (ks->hidx || (++ks->lookups >= 2 && build_index(ks))) {
        found = lookup_index(ks, name, &idx);
    } else {
        size_t nlen = strlen(name), off = 0;
        for (uint32_t i = 0; i < ks->lay.num_syms; i++) {
            size_t next = SIZE_MAX;
            if (entry_is(ks, off, name, nlen, &next)) {
                idx = i;
                found = true;
                break;
            }
            if (next == SIZE_MAX)
                return false;
            off = next;
        }
    }
    if (!found)
        return false;
    if (addr)
        *addr = sym_addr(ks, idx);
    if (type) {
        size_t off = sym_off(ks, idx);
        if (off == SIZE_MAX || decode_at(ks, off, NULL, 0, type) == SIZE_MAX)
            return false;
    }
    return true;
}

size_t ksyms_lookup_many(ksyms_t *ks, const char *const *names, size_t n, addr_t *addrs, bool *found)
{
    size_t hits = 0;
    if (found)
        memset(found, 0, n * sizeof(*found));
    if (!ks || !names)
        return 0;
    if (ks->seqs) {
        for (size_t i = 0; i < n; i++) {
            addr_t a;
            if (names[i] && ksyms_lookup(ks, names[i], &a, NULL)) {
                if (addrs)
                    addrs[i] = a;
                if (found)
                    found[i] = true;
                hits++;
            }
        }
        return hits;
    }
    /* one pass: each decoded name is looked up among those still wanted */
    g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        GSList *l = g_hash_table_lookup(want, names[i]);
        /* keep the list in the hash table's value; duplicates chain */
        l = g_slist_prepend(l, GSIZE_TO_POINTER(i));
        g_hash_table_insert(want, (gpointer)names[i], l);
    }
    size_t pending = g_hash_table_size(want);
    char buf[KS_NAME_MAX];
    size_t off = 0;
    for (uint32_t s = 0; s < ks->lay.num_syms && pending; s++) {
        size_t next = decode_at(ks, off, buf, sizeof(buf), NULL);
        if (next == SIZE_MAX)
            break;
        GSList *l = g_hash_table_lookup(want, buf);
        if (l) {
            addr_t a = sym_addr(ks, s);
            for (GSList *e = l; e; e = e->next) {
                size_t i = GPOINTER_TO_SIZE(e->data);
                if (addrs)
                    addrs[i] = a;
                if (found)
                    found[i] = true;
                hits++;
            }
            g_slist_free(l);
            g_hash_table_remove(want, buf);
            pending--;
        }
        off = next;
    }
    GHashTableIter it;
    gpointer k, val;
    g_hash_table_iter_init(&it, want);
    while (g_hash_table_iter_next(&it, &k, &val))
        g_slist_free(val);
    return hits;
}

bool ksyms_nearest(ksyms_t *ks, addr_t va, char *name, size_t size, addr_t *sym_addr_out, char *type)
{
    if (!ks || ks->lay.num_syms == 0)
        return false;
    uint32_t n = ks->lay.num_syms;
    if (va < sym_addr(ks, 0))
        return false;
    /* last i with addr(i) <= va */
    uint32_t lo = 0, hi = n;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sym_addr(ks, mid) <= va)
            lo = mid;
        else
            hi = mid;
    }
    addr_t a = sym_addr(ks, lo);
    if (lo == n - 1 && va != a) {
        if (ks->end_state == 0) {
            addr_t e;
            ks->end_state = -1;
            if (ksyms_lookup(ks, "_end", &e, NULL) && e > a) {
                ks->end_addr = e;
                ks->end_state = 1;
            }
        }
        if (ks->end_state != 1 || va >= ks->end_addr)
            return false;
    }
    while (lo > 0 && sym_addr(ks, lo - 1) == a)
        lo--;
    return ksyms_get(ks, lo, name, size, sym_addr_out, type);
}
