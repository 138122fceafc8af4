/*
 * isf_write.c - BTF + symbols -> Volatility 3 ISF JSON; see isf_write.h.
 *
 * Two passes over the type ids: the first names every struct, union and
 * enum (own name, else the name of a typedef of it, else one made from its
 * id; taken names get the id appended), the second writes them.  Type
 * descriptors are written by following typedefs and qualifiers, as
 * Volatility's ISF has none of its own.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "private.h"
#include "isf_write.h"

#define ISF_FORMAT "6.2.0"

typedef struct {
    const isf_write_input_t *in;
    const btf_t *btf;
    uint32_t nr;
    char **name;                /* name[id]: struct/union/fwd/enum name in the ISF */
    GHashTable *user_names;     /* name -> id+1 (user_types) */
    GHashTable *enum_names;     /* name -> id+1 (enums) */
    GHashTable *base_names;     /* name -> size (base_types, in output order) */
    GString *out;
    isf_write_stats_t *st;
} wctx_t;

/* ----------------------------------------------------------------- JSON */

/* A JSON string of guest bytes: ASCII out, whatever comes in. */
static void jstr(GString *o, const char *s)
{
    g_string_append_c(o, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            g_string_append_c(o, '\\');
            g_string_append_c(o, (char)*c);
        } else if (*c < 0x20 || *c > 0x7e) {
            g_string_append_printf(o, "\\u%04x", *c);
        } else {
            g_string_append_c(o, (char)*c);
        }
    }
    g_string_append_c(o, '"');
}

static void base64(GString *o, const uint8_t *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    g_string_append_c(o, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        g_string_append_c(o, tab[(v >> 18) & 63]);
        g_string_append_c(o, tab[(v >> 12) & 63]);
        g_string_append_c(o, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        g_string_append_c(o, i + 2 < n ? tab[v & 63] : '=');
    }
    g_string_append_c(o, '"');
}

/* ---------------------------------------------------------------- names */

static bool is_aggregate(uint32_t kind)
{
    return kind == BTF_K_STRUCT || kind == BTF_K_UNION;
}

static bool is_enum(uint32_t kind)
{
    return kind == BTF_K_ENUM || kind == BTF_K_ENUM64;
}

static bool is_qualifier(uint32_t kind)
{
    return kind == BTF_K_TYPEDEF || kind == BTF_K_VOLATILE || kind == BTF_K_CONST ||
           kind == BTF_K_RESTRICT || kind == BTF_K_TYPE_TAG;
}

/* Follows typedefs and qualifiers; false (void) for a chain too long. */
static bool strip(const wctx_t *w, uint32_t id, btf_info_t *out)
{
    for (int depth = 0; depth <= ISF_WRITE_MAX_DEPTH; depth++) {
        if (!btf_type_info(w->btf, id, out))
            return false;
        if (!is_qualifier(out->kind))
            return true;
        id = out->ref;
    }
    return false;
}

/* @want, or the first free "@want_btf<id>[_k]" in @names. */
static char *unique_name(wctx_t *w, GHashTable *names, const char *want, uint32_t id)
{
    if (!g_hash_table_contains(names, want))
        return g_strdup(want);
    w->st->renamed++;
    char *n = g_strdup_printf("%s_btf%u", want, id);
    for (unsigned k = 1; g_hash_table_contains(names, n); k++) {
        g_free(n);
        n = g_strdup_printf("%s_btf%u_%u", want, id, k);
    }
    return n;
}

static void name_types(wctx_t *w)
{
    /* an anonymous struct, union or enum takes the name of its typedef */
    char **tdname = g_new0(char *, w->nr);
    for (uint32_t id = 1; id < w->nr; id++) {
        btf_info_t t, r;
        if (!btf_type_info(w->btf, id, &t) || t.kind != BTF_K_TYPEDEF || !*t.name)
            continue;
        if (btf_type_info(w->btf, t.ref, &r) && (is_aggregate(r.kind) || is_enum(r.kind)) &&
            !*r.name && !tdname[r.id])
            tdname[r.id] = (char *)t.name;
    }
    /* definitions first, so that a definition keeps its own name; then the
     * anonymous ones (a typedef's name must not take a real type's) */
    for (uint32_t n = 0; n < 2 * w->nr; n++) {
        uint32_t id = n % w->nr;
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if ((!is_aggregate(t.kind) && !is_enum(t.kind)) || (n < w->nr) != (*t.name != '\0'))
            continue;
        GHashTable *names = is_enum(t.kind) ? w->enum_names : w->user_names;
        const char *want = *t.name ? t.name : tdname[id];
        g_autofree char *made = NULL;
        if (!want || strlen(want) > ISF_WRITE_MAX_NAME)
            want = made = g_strdup_printf(is_enum(t.kind) ? "unnamed_enum_btf_%u" : "unnamed_btf_%u", id);
        w->name[id] = unique_name(w, names, want, id);
        g_hash_table_insert(names, w->name[id], GUINT_TO_POINTER(id + 1));
    }
    /* forward declarations: the definition of that name, else an empty type */
    for (uint32_t id = 1; id < w->nr; id++) {
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if (t.kind != BTF_K_FWD)
            continue;
        if (*t.name && strlen(t.name) <= ISF_WRITE_MAX_NAME) {
            gpointer def = g_hash_table_lookup(w->user_names, t.name);
            if (def) {
                w->name[id] = g_strdup(t.name);
                continue;
            }
            w->name[id] = g_strdup(t.name);
        } else {
            w->name[id] = g_strdup_printf("unnamed_btf_%u", id);
        }
        g_hash_table_insert(w->user_names, w->name[id], GUINT_TO_POINTER(id + 1));
    }
    g_free(tdname);
}

/* ---------------------------------------------------------- base types */

static void add_base(wctx_t *w, const char *name, uint32_t size)
{
    if (g_hash_table_contains(w->base_names, name))
        return;
    char *n = g_strdup(name);
    g_hash_table_insert(w->base_names, n, GUINT_TO_POINTER(size + 1));
}

/* The name of a base type of @size bytes and @sign, for enums and nameless ints. */
static const char *int_name(uint32_t size, bool sign)
{
    switch (size) {
    case 1: return sign ? "signed char" : "unsigned char";
    case 2: return sign ? "short int" : "short unsigned int";
    case 4: return sign ? "int" : "unsigned int";
    case 8: return sign ? "long int" : "long unsigned int";
    default: return sign ? "int" : "unsigned int";
    }
}

static void write_base_types(wctx_t *w)
{
    GString *o = w->out;
    g_string_append(o, "  \"base_types\": {\n");
    bool first = true;
    uint32_t ptr = btf_pointer_size(w->btf);
    /* pointer and void first, then the BTF's ints and floats */
    g_string_append_printf(o, "    \"pointer\": {\"kind\": \"int\", \"size\": %u, \"signed\": false, "
                           "\"endian\": \"little\"},\n"
                           "    \"void\": {\"kind\": \"void\", \"size\": 0, \"signed\": false, "
                           "\"endian\": \"little\"}", ptr);
    first = false;
    g_hash_table_insert(w->base_names, g_strdup("pointer"), GUINT_TO_POINTER(ptr + 1));
    g_hash_table_insert(w->base_names, g_strdup("void"), GUINT_TO_POINTER(1));
    w->st->base_types += 2;
    /* the names enums and nameless ints are written with */
    static const uint32_t sizes[] = { 1, 2, 4, 8 };
    for (uint32_t id = 1; id < w->nr; id++) {
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if ((t.kind != BTF_K_INT && t.kind != BTF_K_FLOAT) || !*t.name ||
            strlen(t.name) > ISF_WRITE_MAX_NAME || g_hash_table_contains(w->base_names, t.name))
            continue;
        const char *kind = "int";
        bool sign = t.int_encoding & BTF_INT_ENC_SIGNED;
        if (t.kind == BTF_K_FLOAT) {
            kind = "float";
            sign = true;
        } else if ((t.int_encoding & BTF_INT_ENC_BOOL) || strcmp(t.name, "_Bool") == 0 ||
                   strcmp(t.name, "bool") == 0) {
            kind = "bool";
            sign = false;
        } else if (t.size == 1 && ((t.int_encoding & BTF_INT_ENC_CHAR) || strstr(t.name, "char"))) {
            kind = "char";
            /* plain char is signed on x86 */
            if (strcmp(t.name, "char") == 0)
                sign = true;
        }
        g_string_append(o, first ? "" : ",\n");
        first = false;
        g_string_append(o, "    ");
        jstr(o, t.name);
        g_string_append_printf(o, ": {\"kind\": \"%s\", \"size\": %u, \"signed\": %s, "
                               "\"endian\": \"little\"}", kind, t.size, sign ? "true" : "false");
        add_base(w, t.name, t.size);
        w->st->base_types++;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        for (int sign = 0; sign < 2; sign++) {
            const char *n = int_name(sizes[i], sign);
            if (g_hash_table_contains(w->base_names, n))
                continue;
            g_string_append_printf(o, ",\n    \"%s\": {\"kind\": \"%s\", \"size\": %u, \"signed\": %s, "
                                   "\"endian\": \"little\"}", n, sizes[i] == 1 ? "char" : "int",
                                   sizes[i], sign ? "true" : "false");
            add_base(w, n, sizes[i]);
            w->st->base_types++;
        }
    }
    g_string_append(o, "\n  },\n");
}

/* --------------------------------------------------------- descriptors */

static void desc(wctx_t *w, uint32_t id, int depth);

static void base_desc(GString *o, const char *name)
{
    g_string_append(o, "{\"kind\": \"base\", \"name\": ");
    jstr(o, name);
    g_string_append_c(o, '}');
}

/* The descriptor of an int: its name, or one by size for a nameless one. */
static void int_desc(wctx_t *w, const btf_info_t *t)
{
    if (*t->name && g_hash_table_contains(w->base_names, t->name))
        base_desc(w->out, t->name);
    else
        base_desc(w->out, int_name(t->size, t->int_encoding & BTF_INT_ENC_SIGNED));
}

static void desc(wctx_t *w, uint32_t id, int depth)
{
    GString *o = w->out;
    btf_info_t t;
    if (depth > ISF_WRITE_MAX_DEPTH || !strip(w, id, &t)) {
        w->st->cut++;
        base_desc(o, "void");
        return;
    }
    switch (t.kind) {
    case BTF_K_INT: case BTF_K_FLOAT:
        int_desc(w, &t);
        return;
    case BTF_K_PTR: {
        btf_info_t target;
        g_string_append(o, "{\"kind\": \"pointer\", \"subtype\": ");
        if (strip(w, t.ref, &target) && target.kind == BTF_K_FUNC_PROTO)
            g_string_append(o, "{\"kind\": \"function\"}");
        else
            desc(w, t.ref, depth + 1);
        g_string_append_c(o, '}');
        return;
    }
    case BTF_K_ARRAY:
        g_string_append_printf(o, "{\"kind\": \"array\", \"count\": %u, \"subtype\": ",
                               t.array_nelems);
        desc(w, t.array_elem, depth + 1);
        g_string_append_c(o, '}');
        return;
    case BTF_K_STRUCT: case BTF_K_UNION: case BTF_K_FWD: {
        bool un = t.kind == BTF_K_UNION || (t.kind == BTF_K_FWD && t.kflag);
        g_string_append_printf(o, "{\"kind\": \"%s\", \"name\": ", un ? "union" : "struct");
        jstr(o, w->name[t.id]);
        g_string_append_c(o, '}');
        return;
    }
    case BTF_K_ENUM: case BTF_K_ENUM64:
        g_string_append(o, "{\"kind\": \"enum\", \"name\": ");
        jstr(o, w->name[t.id]);
        g_string_append_c(o, '}');
        return;
    case BTF_K_FUNC: case BTF_K_FUNC_PROTO:
        g_string_append(o, "{\"kind\": \"function\"}");
        return;
    default:
        base_desc(o, "void");
        return;
    }
}

/* ---------------------------------------------------------- user types */

static void write_field(wctx_t *w, uint32_t type, uint64_t bit, uint32_t bits, bool anonymous)
{
    GString *o = w->out;
    if (!bits) {
        g_string_append_printf(o, "{\"offset\": %" PRIu64 ", ", bit / 8);
        if (anonymous)
            g_string_append(o, "\"anonymous\": true, ");
        g_string_append(o, "\"type\": ");
        desc(w, type, 0);
        g_string_append_c(o, '}');
        return;
    }
    /* A bitfield: Volatility reads the base type at the offset and takes
     * bits [bit_position, bit_position + bit_length) of it.  The storage
     * unit of the declared type, when the bits fit in it; else the byte. */
    btf_info_t t;
    uint32_t size = 4;
    bool ok = strip(w, type, &t) && (t.kind == BTF_K_INT || is_enum(t.kind));
    if (ok && (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8))
        size = t.size;
    uint64_t unit = (uint64_t)size * 8, off, pos;
    if (bit % unit + bits <= unit) {
        off = bit / unit * size;
        pos = bit % unit;
    } else {
        off = bit / 8;
        pos = bit % 8;
    }
    g_string_append_printf(o, "{\"offset\": %" PRIu64 ", \"type\": {\"kind\": \"bitfield\", "
                           "\"bit_position\": %" PRIu64 ", \"bit_length\": %u, \"type\": ",
                           off, pos, bits);
    if (ok && is_enum(t.kind)) {
        g_string_append(o, "{\"kind\": \"enum\", \"name\": ");
        jstr(o, w->name[t.id]);
        g_string_append_c(o, '}');
    } else if (ok) {
        int_desc(w, &t);
    } else {
        base_desc(o, int_name(size, false));
    }
    g_string_append(o, "}}");
}

static void write_user_type(wctx_t *w, const btf_info_t *t, bool *first)
{
    GString *o = w->out;
    g_string_append(o, *first ? "    " : ",\n    ");
    *first = false;
    jstr(o, w->name[t->id]);
    bool un = t->kind == BTF_K_UNION || (t->kind == BTF_K_FWD && t->kflag);
    g_string_append_printf(o, ": {\"kind\": \"%s\", \"size\": %u, \"fields\": {",
                           un ? "union" : "struct", t->size);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool ffirst = true;
    for (uint32_t i = 0; is_aggregate(t->kind) && i < t->vlen; i++) {
        const char *name;
        uint32_t type, bits;
        uint64_t bit;
        if (!btf_member_at(w->btf, t->id, i, &name, &type, &bit, &bits))
            break;
        char made[32];
        bool anonymous = false;
        if (!*name) {
            btf_info_t m;
            /* nameless padding bitfields carry nothing */
            if (!strip(w, type, &m) || !is_aggregate(m.kind))
                continue;
            g_snprintf(made, sizeof(made), "unnamed_field_%u", i);
            name = made;
            anonymous = true;
        }
        if (strlen(name) > ISF_WRITE_MAX_NAME || g_hash_table_contains(seen, name)) {
            w->st->dropped++;
            continue;
        }
        g_hash_table_add(seen, g_strdup(name));
        g_string_append(o, ffirst ? "\n      " : ",\n      ");
        ffirst = false;
        jstr(o, name);
        g_string_append(o, ": ");
        write_field(w, type, bit, bits, anonymous);
    }
    g_string_append(o, ffirst ? "}}" : "\n    }}");
    w->st->user_types++;
}

static void progress(wctx_t *w, const char *stage, uint64_t done, uint64_t total)
{
    if (w->in->progress)
        w->in->progress(w->in->progress_ctx, stage, done, total);
}

static void write_user_types(wctx_t *w)
{
    GString *o = w->out;
    g_string_append(o, "  \"user_types\": {\n");
    bool first = true;
    g_autoptr(GHashTable) fwd_done = g_hash_table_new(g_str_hash, g_str_equal);
    for (uint32_t id = 1; id < w->nr; id++) {
        if ((id & 0xffff) == 0)
            progress(w, "types", id, w->nr);
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if (is_aggregate(t.kind)) {
            write_user_type(w, &t, &first);
        } else if (t.kind == BTF_K_FWD &&
                   GPOINTER_TO_UINT(g_hash_table_lookup(w->user_names, w->name[id])) == id + 1 &&
                   !g_hash_table_contains(fwd_done, w->name[id])) {
            /* declared only: an empty type, so that references resolve */
            g_hash_table_add(fwd_done, w->name[id]);
            write_user_type(w, &t, &first);
        }
    }
    g_string_append(o, "\n  },\n");
}

/* --------------------------------------------------------------- enums */

static void write_enums(wctx_t *w)
{
    GString *o = w->out;
    g_string_append(o, "  \"enums\": {\n");
    bool first = true;
    for (uint32_t id = 1; id < w->nr; id++) {
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if (!is_enum(t.kind))
            continue;
        g_string_append(o, first ? "    " : ",\n    ");
        first = false;
        jstr(o, w->name[id]);
        uint32_t size = t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8 ? t.size : 4;
        g_string_append_printf(o, ": {\"size\": %u, \"base\": \"%s\", \"constants\": {", size,
                               int_name(size, t.kflag));
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        bool cfirst = true;
        for (uint32_t i = 0; i < t.vlen; i++) {
            const char *name;
            int64_t v;
            if (!btf_enum_at(w->btf, id, i, &name, &v))
                break;
            if (!*name || strlen(name) > ISF_WRITE_MAX_NAME || g_hash_table_contains(seen, name)) {
                w->st->dropped++;
                continue;
            }
            g_hash_table_add(seen, (char *)name);
            g_string_append(o, cfirst ? "" : ", ");
            cfirst = false;
            jstr(o, name);
            if (t.kflag || t.kind == BTF_K_ENUM)
                g_string_append_printf(o, ": %" PRId64, v);
            else
                g_string_append_printf(o, ": %" PRIu64, (uint64_t)v);
        }
        g_string_append(o, "}}");
        w->st->enums++;
    }
    g_string_append(o, "\n  },\n");
}

/* ------------------------------------------------------------- symbols */

/* The kernel's well-known variables that Volatility's Linux plugins read
 * through their symbol's type, which BTF does not carry (it types only
 * per-CPU variables).  Each is written only when its type is in the BTF. */
static const struct {
    const char *name, *type;
} known_vars[] = {
    { "init_task", "struct task_struct" },
    { "init_mm", "struct mm_struct" },
    { "init_files", "struct files_struct" },
    { "init_pid_ns", "struct pid_namespace" },
    { "modules", "struct list_head" },
    { "module_kset", "struct kset *" },
    { "prb", "struct printk_ringbuffer *" },
    { "printk_rb_static", "struct printk_ringbuffer" },
    { "printk_rb_dynamic", "struct printk_ringbuffer" },
    { "log_buf", "char *" },
    { "log_buf_len", "unsigned int" },
    { "log_first_idx", "unsigned int" },
    { "log_next_idx", "unsigned int" },
    { "log_end", "unsigned int" },
    { "log_first_seq", "long long unsigned int" },
    { "log_next_seq", "long long unsigned int" },
    { "clear_seq", "long long unsigned int" },
    { "net_namespace_list", "struct list_head" },
    { "tty_drivers", "struct list_head" },
    { "cap_last_cap", "int" },
    { "vmemmap_base", "long unsigned int" },
    { "page_offset_base", "long unsigned int" },
    { "mem_map", "struct page *" },
    { "socket_file_ops", "struct file_operations" },
    { "sockfs_dentry_operations", "struct dentry_operations" },
    { "prog_idr", "struct idr" },
    { "pidhash_shift", "unsigned int" },
    { "pid_hash", "struct hlist_head *" },
    { "keyboard_notifier_list", "struct atomic_notifier_head" },
    { "idt_table", "struct gate_struct[256]" },
    { "iomem_resource", "struct resource" },
    { "jiffies", "long unsigned int" },
    { "jiffies_64", "long long unsigned int" },
    { "_text", "char" },
    { "_etext", "char" },
    { "_stext", "char" },
    { "_end", "char" },
};

/* Writes the descriptor of a type spelt "struct x", "union x", a base
 * name, then " *"s and an optional "[N]"; false when not in the output. */
static bool spelt_desc(wctx_t *w, const char *spelling)
{
    char buf[128];
    g_strlcpy(buf, spelling, sizeof(buf));
    unsigned count = 0, ptrs = 0;
    char *br = strchr(buf, '[');
    if (br) {
        count = (unsigned)strtoul(br + 1, NULL, 10);
        *br = '\0';
    }
    g_strchomp(buf);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '*') {
        ptrs++;
        buf[--n] = '\0';
        g_strchomp(buf);
        n = strlen(buf);
    }
    const char *kind = NULL, *name = buf;
    if (g_str_has_prefix(buf, "struct ")) {
        kind = "struct";
        name = buf + 7;
    } else if (g_str_has_prefix(buf, "union ")) {
        kind = "union";
        name = buf + 6;
    }
    if (kind) {
        gpointer id = g_hash_table_lookup(w->user_names, name);
        if (!id)
            return false;
        btf_info_t t;
        btf_type_info(w->btf, GPOINTER_TO_UINT(id) - 1, &t);
        kind = t.kind == BTF_K_UNION || (t.kind == BTF_K_FWD && t.kflag) ? "union" : "struct";
    } else if (!g_hash_table_contains(w->base_names, name)) {
        return false;
    }
    GString *o = w->out;
    if (br)
        g_string_append_printf(o, "{\"kind\": \"array\", \"count\": %u, \"subtype\": ", count);
    for (unsigned i = 0; i < ptrs; i++)
        g_string_append(o, "{\"kind\": \"pointer\", \"subtype\": ");
    if (kind) {
        g_string_append_printf(o, "{\"kind\": \"%s\", \"name\": ", kind);
        jstr(o, name);
        g_string_append_c(o, '}');
    } else {
        base_desc(o, name);
    }
    for (unsigned i = 0; i < ptrs; i++)
        g_string_append_c(o, '}');
    if (br)
        g_string_append_c(o, '}');
    return true;
}

static void write_symbols(wctx_t *w)
{
    const isf_write_input_t *in = w->in;
    GString *o = w->out;
    /* per-CPU variables: their VAR records */
    g_autoptr(GHashTable) var_type = g_hash_table_new(g_str_hash, g_str_equal);
    for (uint32_t id = 1; id < w->nr; id++) {
        btf_info_t t;
        btf_type_info(w->btf, id, &t);
        if (t.kind == BTF_K_VAR && *t.name && !g_hash_table_contains(var_type, t.name))
            g_hash_table_insert(var_type, (char *)t.name, GUINT_TO_POINTER(t.ref + 1));
    }
    g_autoptr(GHashTable) known = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < G_N_ELEMENTS(known_vars); i++)
        g_hash_table_insert(known, (char *)known_vars[i].name, (char *)known_vars[i].type);

    g_string_append(o, "  \"symbols\": {\n");
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool first = true;
    char name[ISF_WRITE_MAX_NAME + 1];
    for (uint32_t i = 0; i < in->nsyms; i++) {
        if ((i & 0xffff) == 0)
            progress(w, "symbols", i, in->nsyms);
        uint64_t addr;
        char type;
        name[0] = '\0';
        if (!in->sym(in->sym_ctx, i, name, sizeof(name), &addr, &type))
            continue;
        name[sizeof(name) - 1] = '\0';
        if (!*name || g_hash_table_contains(seen, name)) {
            w->st->dropped += *name != '\0';
            continue;
        }
        g_hash_table_add(seen, g_strdup(name));
        g_string_append(o, first ? "    " : ",\n    ");
        first = false;
        jstr(o, name);
        g_string_append_printf(o, ": {\"address\": %" PRIu64, addr);
        w->st->symbols++;
        if (strcmp(name, "linux_banner") == 0 && in->banner && in->banner_len) {
            g_string_append_printf(o, ", \"type\": {\"kind\": \"array\", \"count\": %zu, "
                                   "\"subtype\": {\"kind\": \"base\", \"name\": \"char\"}}, "
                                   "\"constant_data\": ", in->banner_len);
            base64(o, in->banner, in->banner_len);
            w->st->typed_symbols++;
        } else {
            gpointer v = g_hash_table_lookup(var_type, name);
            const char *spelling = g_hash_table_lookup(known, name);
            gsize mark = o->len;
            if (v) {
                g_string_append(o, ", \"type\": ");
                desc(w, GPOINTER_TO_UINT(v) - 1, 0);
                w->st->typed_symbols++;
            } else if (spelling) {
                g_string_append(o, ", \"type\": ");
                if (spelt_desc(w, spelling))
                    w->st->typed_symbols++;
                else
                    g_string_truncate(o, mark);
            }
        }
        g_string_append_c(o, '}');
    }
    g_string_append(o, "\n  }\n");
}

/* ------------------------------------------------------------ the file */

GString *isf_write_json(const isf_write_input_t *in, isf_write_stats_t *stats, GError **error)
{
    isf_write_stats_t dummy;
    isf_write_stats_t *st = stats ? stats : &dummy;
    memset(st, 0, sizeof(*st));
    if (!in || !in->btf || (in->nsyms && !in->sym)) {
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_INVALID, "ISF writer: no BTF given");
        return NULL;
    }
    if (!btf_pointer_size(in->btf)) {
        g_set_error_literal(error, VMI_ERROR, VMI_ERROR_INVALID,
                            "ISF writer: the BTF has no 'long' type, so the size of a pointer "
                            "is unknown");
        return NULL;
    }
    wctx_t w = {
        .in = in,
        .btf = in->btf,
        .nr = btf_type_count(in->btf),
        .user_names = g_hash_table_new(g_str_hash, g_str_equal),
        .enum_names = g_hash_table_new(g_str_hash, g_str_equal),
        .base_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .out = g_string_sized_new((gsize)btf_type_count(in->btf) * 256 + (gsize)in->nsyms * 48),
        .st = st,
    };
    w.name = g_new0(char *, w.nr ? w.nr : 1);
    name_types(&w);

    GString *o = w.out;
    g_string_append(o, "{\n  \"metadata\": {\n    \"format\": \"" ISF_FORMAT "\",\n"
                    "    \"producer\": {\"name\": ");
    jstr(o, in->producer ? in->producer : "vmi-isf");
    g_string_append(o, ", \"version\": ");
    jstr(o, in->producer_version ? in->producer_version : "0.0.0");
    g_string_append(o, "},\n    \"linux\": {\"symbols\": [{\"kind\": \"symtab\", \"name\": "
                    "\"kallsyms\"}], \"types\": [{\"kind\": \"dwarf\", \"name\": \"BTF\"}]}\n  },\n");
    write_base_types(&w);
    write_user_types(&w);
    write_enums(&w);
    write_symbols(&w);
    g_string_append(o, "}\n");

    for (uint32_t id = 0; id < w.nr; id++)
        g_free(w.name[id]);
    g_free(w.name);
    g_hash_table_destroy(w.user_names);
    g_hash_table_destroy(w.enum_names);
    g_hash_table_destroy(w.base_names);
    return o;
}
