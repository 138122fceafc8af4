/*
 * isf.c - Volatility 3 ISF symbol files; see isf.h.
 *
 * Loading is: read (or xz-decompress) the file, bound its nesting depth,
 * let json-glib build the tree, then copy out the symbols and the reduced
 * types and drop the tree.  Every number taken from the file is checked for
 * kind and range before it is stored.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "isf.h"
#include "private.h"
#include "json_scan.h"
#ifdef HAVE_JSON_GLIB
#include <json-glib/json-glib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Sizes and offsets above this are not those of a kernel structure. */
#define ISF_MAX_VALUE ((uint64_t)1 << 32)
/* Anonymous members nest a few levels in real kernels (mm_struct: 2);
 * the bound also stops a type that contains itself anonymously. */
#define ISF_MAX_ANON_DEPTH 16
/* Components of a dotted member path. */
#define ISF_MAX_PATH 32

static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

typedef struct isf_sym {
    const char *name;           /* in isf->strings */
    addr_t addr;
    size_t order;               /* position in the file: ties in isf_nearest */
} isf_sym_t;

typedef struct isf_field {
    const char *name;
    uint64_t offset;
    const char *aggregate;      /* the struct/union this field is, or NULL */
    bool anonymous;
} isf_field_t;

typedef struct isf_type {
    const char *name;
    uint64_t size;
    size_t nfields;
    isf_field_t *fields;        /* in file order */
} isf_type_t;

struct isf {
    GStringChunk *strings;
    isf_sym_t *syms;            /* sorted by address, then file order */
    size_t nsyms;
    GHashTable *sym_by_name;    /* name -> isf_sym_t* */
    GHashTable *types;          /* name -> isf_type_t* (user types) */
    GHashTable *scalar_sizes;   /* name -> uint64_t* (base types, enums) */
    char *banner;
    char *format;
};

static void type_free(gpointer p)
{
    isf_type_t *t = p;
    g_free(t->fields);
    g_free(t);
}

void isf_free(isf_t *isf)
{
    if (!isf)
        return;
    if (isf->types)
        g_hash_table_destroy(isf->types);
    if (isf->scalar_sizes)
        g_hash_table_destroy(isf->scalar_sizes);
    if (isf->sym_by_name)
        g_hash_table_destroy(isf->sym_by_name);
    g_free(isf->syms);
    if (isf->strings)
        g_string_chunk_free(isf->strings);
    g_free(isf->banner);
    g_free(isf->format);
    g_free(isf);
}

/* ------------------------------------------------------------------ input */

/* Refuses what json-glib would mishandle (json_scan.h): nesting deeper
 * than ISF_MAX_DEPTH (a file of a million '[' would exhaust the stack),
 * more than one top-level value (all but one leaked). */
static bool check_depth(const char *json, size_t len, GError **error)
{
    vmi_json_scan_t scan;
    vmi_json_scan(json, len, ISF_MAX_DEPTH, &scan);
    if (scan.depth > ISF_MAX_DEPTH) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "ISF data nests deeper than %d levels (at byte %zu)", ISF_MAX_DEPTH,
                    scan.deep_at);
        return false;
    }
    if (scan.values > 1) {
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                            "ISF data is not valid JSON: more than one value at the top level");
        return false;
    }
    return true;
}

#ifdef HAVE_LZMA
/* Decompresses @in into a new buffer of at most ISF_MAX_BYTES. */
static char *xz_decompress(const uint8_t *in, size_t in_len, size_t *out_len, GError **error)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    /* the decoder's own memory: xz -9 needs 65 MiB */
    lzma_ret r = lzma_stream_decoder(&strm, 256u << 20, LZMA_CONCATENATED);
    if (r != LZMA_OK) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_FAILED, "cannot start the xz decoder (liblzma %d)",
                    (int)r);
        return NULL;
    }
    size_t cap = MIN(ISF_MAX_BYTES, MAX(in_len * 4, (size_t)1 << 20));
    uint8_t *out = g_malloc(cap);
    strm.next_in = in;
    strm.avail_in = in_len;
    strm.next_out = out;
    strm.avail_out = cap;
    for (;;) {
        r = lzma_code(&strm, LZMA_FINISH);
        if (r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK && strm.avail_out == 0) {
            if (cap >= ISF_MAX_BYTES) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                            "xz-compressed ISF data expands to more than %zu MiB",
                            ISF_MAX_BYTES >> 20);
                goto fail;
            }
            size_t done = cap;
            cap = MIN(ISF_MAX_BYTES, cap * 2);
            out = g_realloc(out, cap);
            strm.next_out = out + done;
            strm.avail_out = cap - done;
            continue;
        }
        if (r == LZMA_OK || r == LZMA_BUF_ERROR) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "xz-compressed ISF data is truncated");
            goto fail;
        }
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "xz-compressed ISF data is not valid xz (liblzma error %d)", (int)r);
        goto fail;
    }
    *out_len = cap - strm.avail_out;
    lzma_end(&strm);
    return (char *)out;
fail:
    lzma_end(&strm);
    g_free(out);
    return NULL;
}
#endif

isf_t *isf_open(const char *path, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, &err);
    if (!map) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_IO, "cannot read ISF file '%s': %s", path,
                    err->message);
        return NULL;
    }
    const char *data = g_mapped_file_get_contents(map);
    size_t len = g_mapped_file_get_length(map);
    if (len > ISF_MAX_BYTES) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "ISF file '%s' is larger than %zu MiB", path, ISF_MAX_BYTES >> 20);
        return NULL;
    }
    if (len == 0) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "ISF file '%s' is empty", path);
        return NULL;
    }
    isf_t *isf;
    if (len >= sizeof xz_magic && memcmp(data, xz_magic, sizeof xz_magic) == 0) {
#ifdef HAVE_LZMA
        size_t plain_len = 0;
        g_autofree char *plain = xz_decompress((const uint8_t *)data, len, &plain_len, &err);
        isf = plain ? isf_new_from_data(plain, plain_len, &err) : NULL;
#else
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "ISF file '%s' is xz-compressed, and libvmi was built without liblzma: "
                    "decompress it (unxz) first", path);
        return NULL;
#endif
    } else {
        isf = isf_new_from_data(data, len, &err);
    }
    if (!isf) {
        g_set_error(error, VMI_ERROR, err->code, "ISF file '%s': %s", path, err->message);
        return NULL;
    }
    return isf;
}

#ifndef HAVE_JSON_GLIB

isf_t *isf_new_from_data(const char *json, size_t len, GError **error)
{
    (void)json;
    (void)len;
    (void)check_depth;
    (void)type_free;
    g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                "libvmi was built without json-glib: ISF symbol files cannot be read");
    return NULL;
}

#else

/* ------------------------------------------------------------ JSON access */

static JsonObject *member_object(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *member_string(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

/* A size, offset or count: an integer in [0, ISF_MAX_VALUE]. */
static bool member_small(JsonObject *o, const char *name, bool required, uint64_t *value,
                         const char *what, GError **error)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n) {
        if (!required) {
            *value = 0;
            return true;
        }
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s has no '%s'", what, name);
        return false;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s: '%s' is not an integer", what, name);
        return false;
    }
    gint64 v = json_node_get_int(n);
    if (v < 0 || (uint64_t)v > ISF_MAX_VALUE) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "%s: '%s' is %" G_GINT64_FORMAT ", outside [0, 2^32]", what, name, v);
        return false;
    }
    *value = (uint64_t)v;
    return true;
}

/* A symbol's address: any 64-bit value.  json-glib reads integers above
 * INT64_MAX (every kernel address) into the same 64 bits as a cast. */
static bool member_address(JsonObject *o, addr_t *addr, const char *sym, GError **error)
{
    JsonNode *n = json_object_get_member(o, "address");
    if (n && JSON_NODE_HOLDS_VALUE(n)) {
        GType t = json_node_get_value_type(n);
        if (t == G_TYPE_INT64) {
            *addr = (addr_t)json_node_get_int(n);
            return true;
        }
        if (t == G_TYPE_DOUBLE) {
            double d = json_node_get_double(n);
            /* 2^64 as a double: larger values do not fit */
            if (d >= 0 && d < 18446744073709551616.0 && d == (double)(uint64_t)d) {
                *addr = (addr_t)d;
                return true;
            }
        }
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                "symbol '%s' has no address, or one that is not a 64-bit integer", sym);
    return false;
}

/* ---------------------------------------------------------------- loading */

static int sym_cmp(const void *a, const void *b)
{
    const isf_sym_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void set_banner(isf_t *isf, JsonObject *sym)
{
    const char *b64 = member_string(sym, "constant_data");
    if (!b64)
        return;
    gsize n = 0;
    /* g_base64_decode skips characters outside the alphabet: a hostile
     * string yields some bytes, never an overrun */
    g_autofree guchar *raw = g_base64_decode(b64, &n);
    if (!raw || n == 0)
        return;
    size_t len = strnlen((const char *)raw, n);
    isf->banner = g_strndup((const char *)raw, len);
}

static bool load_symbols(isf_t *isf, JsonObject *symbols, GError **error)
{
    g_autoptr(GList) names = json_object_get_members(symbols);
    size_t n = g_list_length(names);
    isf->syms = g_new0(isf_sym_t, MAX(n, 1));
    isf->sym_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i = 0;
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonObject *s = member_object(symbols, name);
        if (!s) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "symbol '%s' is not an object", name);
            return false;
        }
        addr_t addr;
        if (!member_address(s, &addr, name, error))
            return false;
        /* json-glib keeps the last of duplicate keys: one entry per name */
        if (g_hash_table_contains(isf->sym_by_name, name))
            continue;
        isf_sym_t *sym = &isf->syms[i];
        sym->name = g_string_chunk_insert(isf->strings, name);
        sym->addr = addr;
        sym->order = i;
        i++;
        if (strcmp(name, "linux_banner") == 0)
            set_banner(isf, s);
        g_hash_table_insert(isf->sym_by_name, (gpointer)sym->name, NULL);
    }
    isf->nsyms = i;
    qsort(isf->syms, isf->nsyms, sizeof *isf->syms, sym_cmp);
    /* pointers into the array only now that it is sorted */
    for (size_t k = 0; k < isf->nsyms; k++)
        g_hash_table_insert(isf->sym_by_name, (gpointer)isf->syms[k].name, &isf->syms[k]);
    return true;
}

static bool is_aggregate_kind(const char *kind)
{
    return kind && (!strcmp(kind, "struct") || !strcmp(kind, "union") || !strcmp(kind, "class"));
}

static bool load_field(isf_t *isf, const char *tname, const char *fname, JsonObject *f,
                       isf_field_t *out, GError **error)
{
    g_autofree char *what = g_strdup_printf("field '%s' of type '%s'", fname, tname);
    if (!member_small(f, "offset", true, &out->offset, what, error))
        return false;
    JsonObject *type = member_object(f, "type");
    const char *kind = type ? member_string(type, "kind") : NULL;
    if (!kind) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s has no type (with a 'kind')", what);
        return false;
    }
    if (is_aggregate_kind(kind)) {
        const char *ref = member_string(type, "name");
        if (!ref) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s is a %s with no name", what,
                        kind);
            return false;
        }
        out->aggregate = g_string_chunk_insert_const(isf->strings, ref);
    }
    out->name = g_string_chunk_insert(isf->strings, fname);
    JsonNode *anon = json_object_get_member(f, "anonymous");
    if (anon && JSON_NODE_HOLDS_VALUE(anon) && json_node_get_value_type(anon) == G_TYPE_BOOLEAN)
        out->anonymous = json_node_get_boolean(anon);
    else if (anon) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s: 'anonymous' is not a boolean",
                    what);
        return false;
    }
    /* files before the flag (format < 6.2) only name them so */
    if (!anon && out->aggregate && g_str_has_prefix(fname, "unnamed_"))
        out->anonymous = true;
    return true;
}

static bool load_user_types(isf_t *isf, JsonObject *user_types, GError **error)
{
    g_autoptr(GList) names = json_object_get_members(user_types);
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonObject *t = member_object(user_types, name);
        if (!t) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "user type '%s' is not an object",
                        name);
            return false;
        }
        g_autofree char *what = g_strdup_printf("user type '%s'", name);
        uint64_t size;
        if (!member_small(t, "size", true, &size, what, error))
            return false;
        JsonObject *fields = member_object(t, "fields");
        if (!fields) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s has no 'fields' object", what);
            return false;
        }
        g_autoptr(GList) fnames = json_object_get_members(fields);
        size_t nf = g_list_length(fnames);
        isf_type_t *type = g_new0(isf_type_t, 1);
        type->name = g_string_chunk_insert(isf->strings, name);
        type->size = size;
        type->fields = g_new0(isf_field_t, MAX(nf, 1));
        g_hash_table_replace(isf->types, (gpointer)type->name, type);
        for (GList *fl = fnames; fl; fl = fl->next) {
            JsonObject *f = member_object(fields, fl->data);
            if (!f) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                            "field '%s' of %s is not an object", (const char *)fl->data, what);
                return false;
            }
            if (!load_field(isf, name, fl->data, f, &type->fields[type->nfields], error))
                return false;
            type->nfields++;
        }
    }
    return true;
}

/* base_types and enums: only their sizes are needed */
static bool load_sizes(isf_t *isf, JsonObject *section, const char *section_name, GError **error)
{
    g_autoptr(GList) names = json_object_get_members(section);
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonObject *t = member_object(section, name);
        g_autofree char *what = g_strdup_printf("%s entry '%s'", section_name, name);
        if (!t) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "%s is not an object", what);
            return false;
        }
        uint64_t size;
        if (!member_small(t, "size", true, &size, what, error))
            return false;
        if (g_hash_table_contains(isf->scalar_sizes, name))
            continue;           /* a base type wins over an enum of its name */
        uint64_t *v = g_new(uint64_t, 1);
        *v = size;
        g_hash_table_insert(isf->scalar_sizes, g_string_chunk_insert(isf->strings, name), v);
    }
    return true;
}

static bool load_root(isf_t *isf, JsonNode *root, GError **error)
{
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "ISF data is not a JSON object");
        return false;
    }
    JsonObject *o = json_node_get_object(root);
    JsonObject *meta = member_object(o, "metadata");
    const char *format = meta ? member_string(meta, "format") : NULL;
    if (!format) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                    "not an ISF file: no metadata.format string");
        return false;
    }
    isf->format = g_strndup(format, 32);
    static const char *const sections[] = { "symbols", "user_types", "base_types", "enums" };
    JsonObject *sec[G_N_ELEMENTS(sections)];
    for (size_t i = 0; i < G_N_ELEMENTS(sections); i++) {
        JsonNode *n = json_object_get_member(o, sections[i]);
        sec[i] = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        /* symbols and user_types are what we are here for; the others
         * may be missing in hand-made files */
        if ((n && !sec[i]) || (!n && i < 2)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT,
                        "not an ISF file: '%s' is missing or not an object", sections[i]);
            return false;
        }
    }
    return load_symbols(isf, sec[0], error) && load_user_types(isf, sec[1], error) &&
           (!sec[2] || load_sizes(isf, sec[2], "base_types", error)) &&
           (!sec[3] || load_sizes(isf, sec[3], "enums", error));
}

isf_t *isf_new_from_data(const char *json, size_t len, GError **error)
{
    if (len > ISF_MAX_BYTES || len > G_MAXSSIZE) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "ISF data is larger than %zu MiB",
                    ISF_MAX_BYTES >> 20);
        return NULL;
    }
    if (!check_depth(json, len, error))
        return NULL;
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_data(parser, json, (gssize)len, &err)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_CORRUPT, "ISF data is not valid JSON: %s",
                    err->message);
        return NULL;
    }
    isf_t *isf = g_new0(isf_t, 1);
    isf->strings = g_string_chunk_new(1 << 16);
    isf->types = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, type_free);
    isf->scalar_sizes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    bool ok = load_root(isf, json_parser_get_root(parser), error);
    g_clear_object(&parser);
#ifdef __GLIBC__
    /* the tree is ~10 times the file, in small blocks: give it back, or
     * the process keeps it resident long after */
    malloc_trim(0);
#endif
    if (!ok) {
        isf_free(isf);
        return NULL;
    }
    return isf;
}

#endif /* HAVE_JSON_GLIB */

/* ---------------------------------------------------------------- lookups */

bool isf_symbol(const isf_t *isf, const char *name, addr_t *addr)
{
    const isf_sym_t *s = g_hash_table_lookup(isf->sym_by_name, name);
    if (!s)
        return false;
    if (addr)
        *addr = s->addr;
    return true;
}

const char *isf_nearest(const isf_t *isf, addr_t addr, addr_t *sym_addr)
{
    /* the first index whose address is above @addr */
    size_t lo = 0, hi = isf->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (isf->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    /* back to the first of the symbols at that address */
    size_t i = lo - 1;
    while (i > 0 && isf->syms[i - 1].addr == isf->syms[i].addr)
        i--;
    if (sym_addr)
        *sym_addr = isf->syms[i].addr;
    return isf->syms[i].name;
}

size_t isf_symbol_count(const isf_t *isf)
{
    return isf->nsyms;
}

size_t isf_type_count(const isf_t *isf)
{
    return g_hash_table_size(isf->types);
}

const char *isf_banner(const isf_t *isf)
{
    return isf->banner;
}

const char *isf_format(const isf_t *isf)
{
    return isf->format;
}

/* "struct task_struct" -> "task_struct" */
static const char *bare_type_name(const char *type)
{
    static const char *const prefixes[] = { "struct ", "union ", "class ", "enum " };
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
        if (g_str_has_prefix(type, prefixes[i]))
            return type + strlen(prefixes[i]);
    return type;
}

/* @name among @t's fields, then inside its anonymous members in file order
 * (C forbids a name in two of them; the first wins). */
static const isf_field_t *find_field(const isf_t *isf, const isf_type_t *t, const char *name,
                                     unsigned depth, uint64_t *offset)
{
    for (size_t i = 0; i < t->nfields; i++) {
        if (strcmp(t->fields[i].name, name) == 0) {
            *offset = t->fields[i].offset;
            return &t->fields[i];
        }
    }
    if (depth >= ISF_MAX_ANON_DEPTH)
        return NULL;
    for (size_t i = 0; i < t->nfields; i++) {
        const isf_field_t *f = &t->fields[i];
        if (!f->anonymous || !f->aggregate)
            continue;
        const isf_type_t *inner = g_hash_table_lookup(isf->types, f->aggregate);
        uint64_t sub;
        const isf_field_t *hit = inner ? find_field(isf, inner, name, depth + 1, &sub) : NULL;
        if (hit) {
            *offset = f->offset + sub;
            return hit;
        }
    }
    return NULL;
}

bool isf_member_offset(const isf_t *isf, const char *type, const char *member, uint64_t *offset,
                       GError **error)
{
    const char *bare = bare_type_name(type);
    const isf_type_t *t = g_hash_table_lookup(isf->types, bare);
    if (!t) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "no struct or union '%s' in the ISF file",
                    bare);
        return false;
    }
    g_auto(GStrv) parts = g_strsplit(member, ".", ISF_MAX_PATH + 1);
    if (!parts[0]) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "no member named for '%s'", bare);
        return false;
    }
    if (g_strv_length(parts) > ISF_MAX_PATH) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "member path '%s' has more than %d parts",
                    member, ISF_MAX_PATH);
        return false;
    }
    uint64_t total = 0;     /* at most 32 * 17 offsets of <= 2^32: no overflow */
    for (size_t i = 0; parts[i]; i++) {
        if (!parts[i][0]) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "member path '%s' has an empty part",
                        member);
            return false;
        }
        uint64_t off;
        const isf_field_t *f = find_field(isf, t, parts[i], 0, &off);
        if (!f) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "no member '%s' in '%s' (%s.%s)",
                        parts[i], t->name, bare, member);
            return false;
        }
        total += off;
        if (parts[i + 1]) {
            const isf_type_t *next = f->aggregate ? g_hash_table_lookup(isf->types, f->aggregate)
                                                  : NULL;
            if (!next) {
                g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                            "member '%s' of '%s' is not a struct or union defined in the ISF "
                            "file (%s.%s)", parts[i], t->name, bare, member);
                return false;
            }
            t = next;
        }
    }
    *offset = total;
    return true;
}

bool isf_type_size(const isf_t *isf, const char *type, uint64_t *size, GError **error)
{
    const char *bare = bare_type_name(type);
    const isf_type_t *t = g_hash_table_lookup(isf->types, bare);
    if (t) {
        *size = t->size;
        return true;
    }
    const uint64_t *s = g_hash_table_lookup(isf->scalar_sizes, bare);
    if (s) {
        *size = *s;
        return true;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "no type '%s' in the ISF file", bare);
    return false;
}
