/*
 * btf.c - the kernel's BTF: validation in one pass over the type section,
 * then member offsets and type sizes by name.
 *
 * Layout (include/uapi/linux/btf.h, Documentation/bpf/btf.rst): a header
 * (magic 0xeB9F, version 1, hdr_len, then the type and string sections'
 * offsets and lengths, relative to the end of the header), a type section
 * of variable-length records whose ids are their positions (1, 2, ...; id 0
 * is void), and a string section of NUL-terminated names referenced by
 * byte offset.  Each record is 12 bytes (name_off, info, size-or-type)
 * followed by data whose length depends on the kind.
 *
 * What is kept: the offset of every record (so a type id is one array
 * index) and an open-addressing hash of the names of the kinds a lookup
 * can ask for (struct, union, enum, typedef, int, float, fwd).
 */
#include <string.h>
#include "private.h"
#include "btf.h"

#define BTF_MAGIC       0xeB9F
#define BTF_MAGIC_BE    0x9FEB  /* the magic read with the wrong byte order */
#define BTF_VERSION     1
#define BTF_HDR_MIN     24      /* magic..str_len */
#define BTF_REC         12      /* struct btf_type */

enum {
    K_VOID = 0, K_INT = 1, K_PTR = 2, K_ARRAY = 3, K_STRUCT = 4, K_UNION = 5,
    K_ENUM = 6, K_FWD = 7, K_TYPEDEF = 8, K_VOLATILE = 9, K_CONST = 10,
    K_RESTRICT = 11, K_FUNC = 12, K_FUNC_PROTO = 13, K_VAR = 14,
    K_DATASEC = 15, K_FLOAT = 16, K_DECL_TAG = 17, K_TYPE_TAG = 18,
    K_ENUM64 = 19, K_COUNT
};

static const char *const kind_names[K_COUNT] = {
    [K_VOID] = "void", [K_INT] = "int", [K_PTR] = "pointer", [K_ARRAY] = "array",
    [K_STRUCT] = "struct", [K_UNION] = "union", [K_ENUM] = "enum",
    [K_FWD] = "forward declaration", [K_TYPEDEF] = "typedef",
    [K_VOLATILE] = "volatile", [K_CONST] = "const", [K_RESTRICT] = "restrict",
    [K_FUNC] = "function", [K_FUNC_PROTO] = "function prototype",
    [K_VAR] = "variable", [K_DATASEC] = "data section", [K_FLOAT] = "float",
    [K_DECL_TAG] = "declaration tag", [K_TYPE_TAG] = "type tag",
    [K_ENUM64] = "enum64",
};

struct btf {
    void *owned;                /* btf_parse_take's buffer, or NULL */
    const uint8_t *types;       /* type section */
    uint32_t types_len;
    const char *strs;           /* string section: starts and ends with NUL */
    uint32_t strs_len;
    uint32_t nr;                /* type ids, counting void */
    uint32_t *off;              /* off[id]: offset of record id in types (id >= 1) */
    uint32_t *hash;             /* type ids by name (0: empty slot) */
    uint32_t hash_mask;
    uint32_t ptr_size;          /* sizeof(long) found in the BTF, or 0 */
};

/* A record, decoded. */
typedef struct {
    uint32_t id;
    uint32_t name_off;
    uint32_t kind, vlen;
    bool kflag;
    uint32_t size_type;         /* size or referenced type */
    const uint8_t *extra;       /* the data after the 12 bytes */
} rec_t;

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static inline uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_LE(v);
}

static const char *kind_name(uint32_t kind)
{
    return kind < K_COUNT && kind_names[kind] ? kind_names[kind] : "unknown kind";
}

/* Only after btf_parse has validated @id < nr. */
static rec_t get(const btf_t *btf, uint32_t id)
{
    rec_t r = { .id = id };
    if (id == 0 || id >= btf->nr)
        return r;               /* void */
    const uint8_t *p = btf->types + btf->off[id];
    r.name_off = rd32(p);
    uint32_t info = rd32(p + 4);
    r.kind = (info >> 24) & 0x1f;
    r.vlen = info & 0xffff;
    r.kflag = info >> 31;
    r.size_type = rd32(p + 8);
    r.extra = p + BTF_REC;
    return r;
}

static const char *name_at(const btf_t *btf, uint32_t off)
{
    return off < btf->strs_len ? btf->strs + off : "";
}

static const char *type_name(const btf_t *btf, const rec_t *r)
{
    const char *n = name_at(btf, r->name_off);
    return *n ? n : "(anonymous)";
}

/* FNV-1a */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static bool indexed_kind(uint32_t kind)
{
    switch (kind) {
    case K_INT: case K_STRUCT: case K_UNION: case K_ENUM: case K_FWD:
    case K_TYPEDEF: case K_FLOAT: case K_ENUM64:
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------- parsing */

static bool parse_header(btf_t *btf, const uint8_t *d, size_t len, GError **error)
{
    if (len < BTF_HDR_MIN) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: %zu bytes, shorter than the %d-byte header", len, BTF_HDR_MIN);
        return false;
    }
    uint16_t magic = rd16(d);
    if (magic == BTF_MAGIC_BE) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "BTF: big-endian BTF (magic bytes eb 9f at offset 0) is not supported");
        return false;
    }
    if (magic != BTF_MAGIC) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: bad magic 0x%04x at offset 0 (0xeb9f expected)", magic);
        return false;
    }
    if (d[2] != BTF_VERSION) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: version %u at offset 2, only version %d is known", d[2], BTF_VERSION);
        return false;
    }
    uint32_t hdr_len = rd32(d + 4);
    uint32_t type_off = rd32(d + 8), type_len = rd32(d + 12);
    uint32_t str_off = rd32(d + 16), str_len = rd32(d + 20);
    if (hdr_len < BTF_HDR_MIN || hdr_len > len) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: header length %u (offset 4) is not within %d..%zu",
                    hdr_len, BTF_HDR_MIN, len);
        return false;
    }
    /* sums of u32 values cannot wrap in 64 bits */
    uint64_t type_start = (uint64_t)hdr_len + type_off, type_end = type_start + type_len;
    uint64_t str_start = (uint64_t)hdr_len + str_off, str_end = str_start + str_len;
    if (type_end > len) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: type section at %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                    " runs past the end of the %zu-byte buffer", type_start, type_end, len);
        return false;
    }
    if (str_end > len) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: string section at %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                    " runs past the end of the %zu-byte buffer", str_start, str_end, len);
        return false;
    }
    if (type_start < str_end && str_start < type_end) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: type section (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                    ") and string section (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ") overlap",
                    type_start, type_end, str_start, str_end);
        return false;
    }
    if (str_len == 0 || d[str_start] != '\0' || d[str_end - 1] != '\0') {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: string section at %" G_GUINT64_FORMAT " (%u bytes) does not start "
                    "and end with a NUL byte", str_start, str_len);
        return false;
    }
    btf->types = d + type_start;
    btf->types_len = type_len;
    btf->strs = (const char *)d + str_start;
    btf->strs_len = str_len;
    return true;
}

/* Length of the data after the 12-byte record of @kind, or -1 for an
 * unknown kind. */
static int64_t extra_len(uint32_t kind, uint32_t vlen)
{
    switch (kind) {
    case K_INT: case K_VAR: case K_DECL_TAG:
        return 4;
    case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST:
    case K_RESTRICT: case K_FUNC: case K_FLOAT: case K_TYPE_TAG:
        return 0;
    case K_ARRAY:
        return 12;
    case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
        return (int64_t)vlen * 12;
    case K_ENUM: case K_FUNC_PROTO:
        return (int64_t)vlen * 8;
    default:
        return -1;
    }
}

/* The reference to another type that is furthest on, for one check after
 * the walk (the number of types is known only then). */
typedef struct {
    uint32_t max;
    uint32_t from;
} refs_t;

static inline void ref(refs_t *refs, uint32_t to, uint32_t from)
{
    if (to > refs->max) {
        refs->max = to;
        refs->from = from;
    }
}

static bool bad_name(const btf_t *btf, uint32_t name_off, uint32_t id, size_t at,
                     GError **error)
{
    if (name_off < btf->strs_len)
        return false;
    g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                "BTF: type %u: name offset %u (at type section offset %zu) is outside the "
                "%u-byte string section", id, name_off, at, btf->strs_len);
    return true;
}

static bool walk_types(btf_t *btf, GArray *named, GError **error)
{
    refs_t refs = { 0, 0 };
    size_t pos = 0, cap = 1024;
    uint32_t id = 1;
    btf->off = g_new(uint32_t, cap);
    btf->off[0] = 0;
    while (pos < btf->types_len) {
        const uint8_t *p = btf->types + pos;
        size_t left = btf->types_len - pos;
        if (left < BTF_REC) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "BTF: type %u at type section offset %zu: record runs past the end "
                        "of the section (%zu bytes left)", id, pos, left);
            return false;
        }
        uint32_t name_off = rd32(p), info = rd32(p + 4), st = rd32(p + 8);
        uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
        int64_t extra = extra_len(kind, vlen);
        if (extra < 0) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "BTF: type %u at type section offset %zu: unknown kind %u",
                        id, pos, kind);
            return false;
        }
        if ((uint64_t)extra > left - BTF_REC) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "BTF: type %u (%s) at type section offset %zu: its %" G_GINT64_FORMAT
                        " bytes of data run past the end of the section", id,
                        kind_name(kind), pos, extra);
            return false;
        }
        if (bad_name(btf, name_off, id, pos, error))
            return false;
        const uint8_t *x = p + BTF_REC;
        switch (kind) {
        case K_PTR: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
        case K_FUNC: case K_FUNC_PROTO: case K_VAR: case K_DECL_TAG: case K_TYPE_TAG:
            ref(&refs, st, id);
            break;
        default:
            break;
        }
        switch (kind) {
        case K_ARRAY:
            ref(&refs, rd32(x), id);
            ref(&refs, rd32(x + 4), id);
            break;
        case K_STRUCT: case K_UNION:
            for (uint32_t i = 0; i < vlen; i++, x += 12) {
                if (bad_name(btf, rd32(x), id, pos + BTF_REC + (size_t)i * 12, error))
                    return false;
                ref(&refs, rd32(x + 4), id);
            }
            break;
        case K_ENUM: case K_ENUM64: {
            size_t step = kind == K_ENUM ? 8 : 12;
            for (uint32_t i = 0; i < vlen; i++, x += step)
                if (bad_name(btf, rd32(x), id, pos + BTF_REC + i * step, error))
                    return false;
            break;
        }
        case K_FUNC_PROTO:
            for (uint32_t i = 0; i < vlen; i++, x += 8) {
                if (bad_name(btf, rd32(x), id, pos + BTF_REC + (size_t)i * 8, error))
                    return false;
                ref(&refs, rd32(x + 4), id);
            }
            break;
        case K_DATASEC:
            for (uint32_t i = 0; i < vlen; i++, x += 12)
                ref(&refs, rd32(x), id);
            break;
        default:
            break;
        }
        if (id == cap) {
            /* cannot wrap: every id has 12 bytes of a section of < 4 GiB */
            cap *= 2;
            btf->off = g_renew(uint32_t, btf->off, cap);
        }
        btf->off[id] = (uint32_t)pos;
        if (name_off && indexed_kind(kind))
            g_array_append_val(named, id);
        id++;
        pos += BTF_REC + (size_t)extra;
    }
    btf->nr = id;
    btf->off = g_renew(uint32_t, btf->off, btf->nr);
    if (refs.max >= btf->nr) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: type %u (at type section offset %u) refers to type %u, but there "
                    "are only %u types", refs.from, btf->off[refs.from], refs.max, btf->nr);
        return false;
    }
    return true;
}

static void build_index(btf_t *btf, const GArray *named)
{
    uint32_t size = 16;
    while (size < 2 * named->len)
        size *= 2;
    btf->hash = g_new0(uint32_t, size);
    btf->hash_mask = size - 1;
    for (guint i = 0; i < named->len; i++) {
        uint32_t id = g_array_index(named, uint32_t, i);
        uint32_t h = name_hash(btf->strs + rd32(btf->types + btf->off[id])) & btf->hash_mask;
        while (btf->hash[h])
            h = (h + 1) & btf->hash_mask;
        btf->hash[h] = id;
    }
}

static bool find_named(const btf_t *btf, const char *type, uint32_t *id, GError **error);

btf_t *btf_parse(const void *data, size_t len, GError **error)
{
    g_return_val_if_fail(data || len == 0, NULL);
    g_autoptr(btf_t) btf = g_new0(btf_t, 1);
    if (len > UINT32_MAX) {
        /* offsets in the header are 32-bit: a larger buffer is not a BTF */
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "BTF: %zu bytes is more than a BTF can describe", len);
        return NULL;
    }
    if (!parse_header(btf, data, len, error))
        return NULL;
    g_autoptr(GArray) named = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (!walk_types(btf, named, error))
        return NULL;
    build_index(btf, named);
    /* BTF does not say how large a pointer is: the kernel's long is. */
    static const char *const longs[] = { "long unsigned int", "long int", "unsigned long",
                                         "long" };
    for (size_t i = 0; i < G_N_ELEMENTS(longs) && !btf->ptr_size; i++) {
        uint32_t lid;
        if (find_named(btf, longs[i], &lid, NULL)) {
            rec_t r = get(btf, lid);
            if (r.kind == K_INT && (r.size_type == 4 || r.size_type == 8))
                btf->ptr_size = r.size_type;
        }
    }
    return g_steal_pointer(&btf);
}

btf_t *btf_parse_take(void *data, size_t len, GError **error)
{
    btf_t *btf = btf_parse(data, len, error);
    if (!btf) {
        g_free(data);
        return NULL;
    }
    btf->owned = data;
    return btf;
}

void btf_free(btf_t *btf)
{
    if (!btf)
        return;
    g_free(btf->off);
    g_free(btf->hash);
    g_free(btf->owned);
    g_free(btf);
}

uint32_t btf_type_count(const btf_t *btf)
{
    return btf ? btf->nr : 0;
}

size_t btf_memory_size(const btf_t *btf)
{
    return btf ? sizeof(*btf) + (size_t)btf->nr * sizeof(uint32_t) +
                 ((size_t)btf->hash_mask + 1) * sizeof(uint32_t) : 0;
}

/* ------------------------------------------------------------- lookups */

typedef enum { WANT_ANY, WANT_STRUCT, WANT_UNION, WANT_ENUM } want_t;

/* How well @r answers a name asked with @want: 0 not at all; higher wins.
 * Complete definitions beat forward declarations. */
static int rank(const rec_t *r, want_t want)
{
    bool su_full = (r->kind == K_STRUCT || r->kind == K_UNION) && (r->vlen || r->size_type);
    switch (want) {
    case WANT_STRUCT:
    case WANT_UNION: {
        uint32_t k = want == WANT_STRUCT ? K_STRUCT : K_UNION;
        if (r->kind == k)
            return su_full ? 3 : 2;
        if (r->kind == K_FWD && r->kflag == (want == WANT_UNION))
            return 1;
        return 0;
    }
    case WANT_ENUM:
        if (r->kind == K_ENUM || r->kind == K_ENUM64)
            return r->vlen ? 3 : 2;
        return 0;
    case WANT_ANY:
    default:
        switch (r->kind) {
        case K_STRUCT: case K_UNION:
            return su_full ? 6 : 3;
        case K_TYPEDEF:
            return 5;
        case K_INT: case K_FLOAT:
            return 4;
        case K_ENUM: case K_ENUM64:
            return r->vlen ? 3 : 2;
        case K_FWD:
            return 1;
        default:
            return 0;
        }
    }
}

static const char *skip_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(s, word, n) || s[n] != ' ')
        return NULL;
    s += n;
    while (*s == ' ')
        s++;
    return s;
}

/* The best-ranked type named @type (see rank); a forward declaration only
 * is NOT_FOUND. */
static bool find_named(const btf_t *btf, const char *type, uint32_t *id, GError **error)
{
    want_t want = WANT_ANY;
    const char *name = type, *rest;
    if ((rest = skip_word(type, "struct"))) {
        want = WANT_STRUCT;
        name = rest;
    } else if ((rest = skip_word(type, "union"))) {
        want = WANT_UNION;
        name = rest;
    } else if ((rest = skip_word(type, "enum"))) {
        want = WANT_ENUM;
        name = rest;
    }
    if (!*name) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "BTF: empty type name '%s'", type);
        return false;
    }
    uint32_t best = 0;
    int best_rank = 0;
    uint32_t h = name_hash(name) & btf->hash_mask;
    for (uint32_t n = 0; n <= btf->hash_mask && btf->hash[h]; n++, h = (h + 1) & btf->hash_mask) {
        rec_t r = get(btf, btf->hash[h]);
        if (strcmp(btf->strs + r.name_off, name))
            continue;
        int k = rank(&r, want);
        if (k > best_rank || (k == best_rank && k && r.id < best)) {
            best_rank = k;
            best = r.id;
        }
    }
    if (!best) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "BTF: no type '%s'", type);
        return false;
    }
    if (get(btf, best).kind == K_FWD) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "BTF: '%s' is only declared (type %u is a forward declaration)", type, best);
        return false;
    }
    *id = best;
    return true;
}

/* Follows typedefs and qualifiers from @id to the type they name. */
static bool strip(const btf_t *btf, uint32_t id, rec_t *out, GError **error)
{
    for (int depth = 0; depth <= BTF_MAX_DEPTH; depth++) {
        rec_t r = get(btf, id);
        switch (r.kind) {
        case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG:
            id = r.size_type;
            break;
        default:
            *out = r;
            return true;
        }
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                "BTF: type %u: more than %d typedefs and qualifiers in a row (a cycle?)",
                id, BTF_MAX_DEPTH);
    return false;
}

/* One member, as found by find_member. */
typedef struct {
    uint64_t bit_offset;
    uint32_t type;          /* the member's type id */
    uint32_t bitfield;      /* width of a bitfield, else 0 */
} member_t;

/* Searches @s (a struct or union) for @name, descending into anonymous
 * members.  1 found, 0 absent, -1 error.  An anonymous member whose type
 * is one of the aggregates being searched is a cycle, refused at once; one
 * already searched in vain during this lookup is not searched again.  A
 * hostile BTF (a struct containing itself, or a DAG of anonymous members)
 * otherwise made every lookup cost the whole visit budget (fuzzer). */
typedef struct {
    uint32_t path[BTF_MAX_DEPTH + 1];   /* the aggregates being searched, outermost first */
    uint32_t done[64];                  /* anonymous aggregates searched in vain */
    unsigned ndone;
    uint32_t visits;
} search_t;

static int find_member(const btf_t *btf, const rec_t *s, const char *name, int depth,
                       search_t *st, member_t *out, GError **error)
{
    st->path[depth] = s->id;
    uint32_t *visits = &st->visits;
    const uint8_t *m = s->extra;
    for (uint32_t i = 0; i < s->vlen; i++, m += 12) {
        if (++*visits > BTF_MAX_VISITS) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "BTF: looking for '%s' visited more than %u members (a struct "
                        "that contains itself?)", name, BTF_MAX_VISITS);
            return -1;
        }
        uint32_t mname = rd32(m), mtype = rd32(m + 4), moff = rd32(m + 8);
        uint64_t bit = s->kflag ? (moff & 0xffffff) : moff;
        uint32_t bits = s->kflag ? (moff >> 24) : 0;
        if (mname) {
            if (strcmp(btf->strs + mname, name))
                continue;
            if (!s->kflag) {
                /* without kind_flag a bitfield is told by its int type */
                rec_t t;
                if (!strip(btf, mtype, &t, error))
                    return -1;
                if (t.kind == K_INT) {
                    uint32_t enc = rd32(t.extra);
                    uint32_t ibits = enc & 0xff, ioff = (enc >> 16) & 0xff;
                    bit += ioff;
                    if (ioff || (uint64_t)ibits != (uint64_t)t.size_type * 8)
                        bits = ibits;
                }
            }
            out->bit_offset = bit;
            out->type = mtype;
            out->bitfield = bits;
            return 1;
        }
        /* anonymous member: a struct or union whose members are ours */
        rec_t t;
        if (!strip(btf, mtype, &t, error))
            return -1;
        if (t.kind != K_STRUCT && t.kind != K_UNION)
            continue;
        if (depth >= BTF_MAX_DEPTH) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "BTF: %s %s: anonymous members nested more than %d deep",
                        kind_name(s->kind), type_name(btf, s), BTF_MAX_DEPTH);
            return -1;
        }
        bool searched = false;
        for (unsigned a = 0; a < st->ndone && !searched; a++)
            searched = st->done[a] == t.id;
        if (searched)
            continue;
        for (int a = 0; a <= depth; a++) {
            if (st->path[a] == t.id) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                            "BTF: %s %s (type %u) contains itself through anonymous members",
                            kind_name(t.kind), type_name(btf, &t), t.id);
                return -1;
            }
        }
        int found = find_member(btf, &t, name, depth + 1, st, out, error);
        if (found) {
            if (found > 0)
                out->bit_offset += bit;
            return found;
        }
        if (st->ndone < G_N_ELEMENTS(st->done))
            st->done[st->ndone++] = t.id;
    }
    return 0;
}

/* @type's struct or union (through typedefs). */
static bool find_aggregate(const btf_t *btf, const char *type, rec_t *out, GError **error)
{
    uint32_t id;
    if (!find_named(btf, type, &id, error) || !strip(btf, id, out, error))
        return false;
    if (out->kind != K_STRUCT && out->kind != K_UNION) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "BTF: '%s' is a %s (type %u), not a struct or union", type,
                    kind_name(out->kind), out->id);
        return false;
    }
    return true;
}

/* Resolves the dotted @path in @type. */
static bool lookup(const btf_t *btf, const char *type, const char *path, member_t *out,
                   GError **error)
{
    g_return_val_if_fail(btf && type && path, false);
    rec_t s;
    if (!find_aggregate(btf, type, &s, error))
        return false;
    size_t plen = strnlen(path, BTF_MAX_PATH + 1);
    if (plen == 0 || plen > BTF_MAX_PATH) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "BTF: member path of %zu characters (1..%d allowed)", plen, BTF_MAX_PATH);
        return false;
    }
    char buf[BTF_MAX_PATH + 1];
    memcpy(buf, path, plen + 1);
    uint64_t total = 0;
    search_t st;
    char *part = buf;
    for (;;) {
        char *dot = strchr(part, '.');
        if (dot)
            *dot = '\0';
        if (!*part) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "BTF: member path '%s' has an empty component", path);
            return false;
        }
        st.ndone = 0;
        st.visits = 0;
        int found = find_member(btf, &s, part, 0, &st, out, error);
        if (found < 0)
            return false;
        if (found == 0) {
            if (dot || part != buf)
                g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                            "BTF: %s %s (type %u) has no member '%s' (looking for '%s' in %s)",
                            kind_name(s.kind), type_name(btf, &s), s.id, part, path, type);
            else
                g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                            "BTF: %s %s (type %u) has no member '%s'",
                            kind_name(s.kind), type_name(btf, &s), s.id, part);
            return false;
        }
        total += out->bit_offset;
        if (!dot)
            break;
        if (!strip(btf, out->type, &s, error))
            return false;
        if (s.kind != K_STRUCT && s.kind != K_UNION) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "BTF: '%s' in '%s' of %s is a %s, not a struct or union", part, path,
                        type, kind_name(s.kind));
            return false;
        }
        part = dot + 1;
    }
    out->bit_offset = total;
    return true;
}

bool btf_member_bit_offset(const btf_t *btf, const char *type, const char *member,
                           uint64_t *bit_offset, GError **error)
{
    member_t m;
    if (!lookup(btf, type, member, &m, error))
        return false;
    *bit_offset = m.bit_offset;
    return true;
}

bool btf_member_offset(const btf_t *btf, const char *type, const char *member,
                       uint64_t *offset, GError **error)
{
    member_t m;
    if (!lookup(btf, type, member, &m, error))
        return false;
    if (m.bit_offset % 8) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "BTF: %s.%s is a bitfield at bit %" G_GUINT64_FORMAT
                    ", not at a byte boundary", type, member, m.bit_offset);
        return false;
    }
    *offset = m.bit_offset / 8;
    return true;
}

bool btf_member_bitfield_size(const btf_t *btf, const char *type, const char *member,
                              uint32_t *bits, GError **error)
{
    member_t m;
    if (!lookup(btf, type, member, &m, error))
        return false;
    *bits = m.bitfield;
    return true;
}

/* Size in bytes of type @id. */
static bool size_of(const btf_t *btf, uint32_t id, uint64_t *size, GError **error)
{
    uint64_t mult = 1;
    for (int depth = 0; depth <= BTF_MAX_DEPTH; depth++) {
        rec_t r;
        if (!strip(btf, id, &r, error))
            return false;
        uint64_t one;
        switch (r.kind) {
        case K_INT: case K_ENUM: case K_ENUM64: case K_STRUCT: case K_UNION:
        case K_FLOAT: case K_DATASEC:
            one = r.size_type;
            break;
        case K_PTR:
            if (!btf->ptr_size) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                            "BTF: the size of a pointer is unknown (no 'long' type)");
                return false;
            }
            one = btf->ptr_size;
            break;
        case K_ARRAY: {
            /* validated: the array record has its 12 bytes */
            uint32_t nelems = rd32(r.extra + 8);
            if (!g_uint64_checked_mul(&mult, mult, nelems))
                goto overflow;
            id = rd32(r.extra);
            continue;
        }
        default:
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "BTF: type %u is a %s, which has no size", r.id, kind_name(r.kind));
            return false;
        }
        if (!g_uint64_checked_mul(size, one, mult))
            goto overflow;
        return true;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                "BTF: type %u: arrays nested more than %d deep", id, BTF_MAX_DEPTH);
    return false;
overflow:
    g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                "BTF: type %u: the array's size does not fit in 64 bits", id);
    return false;
}

bool btf_type_size(const btf_t *btf, const char *type, uint64_t *size, GError **error)
{
    g_return_val_if_fail(btf && type, false);
    uint32_t id;
    return find_named(btf, type, &id, error) && size_of(btf, id, size, error);
}

bool btf_member_size(const btf_t *btf, const char *type, const char *member,
                     uint64_t *size, GError **error)
{
    member_t m;
    return lookup(btf, type, member, &m, error) && size_of(btf, m.type, size, error);
}

/* ----------------------------------------------------------- iteration */

G_STATIC_ASSERT((int)BTF_K_ENUM64 == (int)K_ENUM64 && (int)BTF_K_STRUCT == (int)K_STRUCT &&
                (int)BTF_K_TYPE_TAG == (int)K_TYPE_TAG);

bool btf_type_info(const btf_t *btf, uint32_t id, btf_info_t *out)
{
    memset(out, 0, sizeof(*out));
    out->name = "";
    out->id = id;
    if (!btf || id >= btf->nr)
        return false;
    if (id == 0)
        return true;
    rec_t r = get(btf, id);
    out->kind = r.kind;
    out->name = name_at(btf, r.name_off);
    out->vlen = r.vlen;
    out->kflag = r.kflag;
    switch (r.kind) {
    case K_INT: {
        uint32_t enc = rd32(r.extra);
        out->size = r.size_type;
        out->int_encoding = (enc >> 24) & 0xf;
        out->int_offset = (enc >> 16) & 0xff;
        out->int_bits = enc & 0xff;
        break;
    }
    case K_FLOAT: case K_STRUCT: case K_UNION: case K_ENUM: case K_ENUM64: case K_DATASEC:
        out->size = r.size_type;
        break;
    case K_ARRAY:
        out->array_elem = rd32(r.extra);
        out->array_nelems = rd32(r.extra + 8);
        break;
    case K_FWD:
        break;
    default:
        out->ref = r.size_type;
        break;
    }
    return true;
}

bool btf_member_at(const btf_t *btf, uint32_t id, uint32_t i, const char **name,
                   uint32_t *type, uint64_t *bit_offset, uint32_t *bitfield)
{
    if (!btf || id == 0 || id >= btf->nr)
        return false;
    rec_t s = get(btf, id);
    if ((s.kind != K_STRUCT && s.kind != K_UNION) || i >= s.vlen)
        return false;
    const uint8_t *m = s.extra + (size_t)i * 12;
    uint32_t mname = rd32(m), mtype = rd32(m + 4), moff = rd32(m + 8);
    uint64_t bit = s.kflag ? (moff & 0xffffff) : moff;
    uint32_t bits = s.kflag ? (moff >> 24) : 0;
    if (!s.kflag) {
        rec_t t;
        if (strip(btf, mtype, &t, NULL) && t.kind == K_INT) {
            uint32_t enc = rd32(t.extra);
            uint32_t ibits = enc & 0xff, ioff = (enc >> 16) & 0xff;
            bit += ioff;
            if (ioff || (uint64_t)ibits != (uint64_t)t.size_type * 8)
                bits = ibits;
        }
    }
    *name = name_at(btf, mname);
    *type = mtype;
    *bit_offset = bit;
    *bitfield = bits;
    return true;
}

bool btf_enum_at(const btf_t *btf, uint32_t id, uint32_t i, const char **name, int64_t *value)
{
    if (!btf || id == 0 || id >= btf->nr)
        return false;
    rec_t e = get(btf, id);
    if (e.kind == K_ENUM && i < e.vlen) {
        const uint8_t *x = e.extra + (size_t)i * 8;
        uint32_t v = rd32(x + 4);
        *name = name_at(btf, rd32(x));
        *value = e.kflag ? (int64_t)(int32_t)v : (int64_t)v;
        return true;
    }
    if (e.kind == K_ENUM64 && i < e.vlen) {
        const uint8_t *x = e.extra + (size_t)i * 12;
        uint64_t v = (uint64_t)rd32(x + 8) << 32 | rd32(x + 4);
        *name = name_at(btf, rd32(x));
        *value = (int64_t)v;
        return true;
    }
    return false;
}

bool btf_datasec_at(const btf_t *btf, uint32_t id, uint32_t i, uint32_t *var, uint32_t *offset,
                    uint32_t *size)
{
    if (!btf || id == 0 || id >= btf->nr)
        return false;
    rec_t d = get(btf, id);
    if (d.kind != K_DATASEC || i >= d.vlen)
        return false;
    const uint8_t *x = d.extra + (size_t)i * 12;
    *var = rd32(x);
    *offset = rd32(x + 4);
    *size = rd32(x + 8);
    return true;
}

uint32_t btf_pointer_size(const btf_t *btf)
{
    return btf ? btf->ptr_size : 0;
}

bool btf_id_size(const btf_t *btf, uint32_t id, uint64_t *size, GError **error)
{
    g_return_val_if_fail(btf, false);
    if (id >= btf->nr) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "BTF: no type %u", id);
        return false;
    }
    return size_of(btf, id, size, error);
}
