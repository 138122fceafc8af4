/*
 * helperd-xen-list.c - vmi-helperd: the Xen domains xenstore lists, and
 * what changed since the last look.  Pure: the store is a table of
 * operations (libxenstore's in helperd-xen.c, a recorded one here for the
 * tests), so this file needs no Xen.
 *
 * xenstore is partly written by the guests themselves: every value read
 * is checked (length, UTF-8, the UUID's form) before it names an object.
 */
#include <string.h>
#include <stdlib.h>

#include "helperd-xen.h"

G_DEFINE_QUARK(helperd-xen-error-quark, helperd_xen_error)

void helperd_xen_dom_free(HelperdXenDom *d)
{
    if (!d)
        return;
    g_free(d->name);
    g_free(d->uuid);
    g_free(d);
}

HelperdXenDom *helperd_xen_dom_new(guint32 domid, const char *name, const char *uuid)
{
    HelperdXenDom *d = g_new0(HelperdXenDom, 1);
    d->domid = domid;
    d->name = g_strdup(name);
    d->uuid = g_strdup(uuid);
    return d;
}

gboolean helperd_xen_name_valid(const char *name)
{
    if (!name || !*name)
        return FALSE;
    size_t n = strnlen(name, HELPERD_XEN_NAME_MAX + 1);
    if (n > HELPERD_XEN_NAME_MAX || !g_utf8_validate(name, (gssize)n, NULL))
        return FALSE;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

/* 8-4-4-4-12 hex digits */
static gboolean uuid_form(const char *s, size_t len)
{
    if (len != 36)
        return FALSE;
    for (size_t i = 0; i < 36; i++) {
        gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
            return FALSE;
    }
    return TRUE;
}

char *helperd_xen_uuid_parse(const char *vm_path, const char *uuid_value)
{
    if (uuid_value) {
        g_autofree char *v = g_strstrip(g_strdup(uuid_value));
        if (uuid_form(v, strlen(v)))
            return g_ascii_strdown(v, -1);
    }
    if (!vm_path || strncmp(vm_path, "/vm/", 4) != 0)
        return NULL;
    const char *u = vm_path + 4;
    size_t len = strlen(u);
    if (len > 36) {
        /* "/vm/UUID-N" */
        if (u[36] != '-' || len == 37)
            return NULL;
        for (size_t i = 37; i < len; i++)
            if (!g_ascii_isdigit(u[i]))
                return NULL;
        len = 36;
    }
    if (!uuid_form(u, len))
        return NULL;
    return g_ascii_strdown(u, 36);
}

static gint domid_cmp(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    return x < y ? -1 : x > y;
}

static void skip(GPtrArray *skipped, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void skip(GPtrArray *skipped, const char *fmt, ...)
{
    if (!skipped)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(skipped, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* A domain ID as xenstore's directory names it: decimal, no sign, no
 * leading zero, below Xen's first reserved ID (DOMID_FIRST_RESERVED). */
static gboolean parse_domid(const char *s, guint32 *out)
{
    guint64 v;
    if (!s || !*s || (s[0] == '0' && s[1]) ||
        !g_ascii_string_to_unsigned(s, 10, 0, HELPERD_XEN_MAX_DOMAINS - 1, &v, NULL))
        return FALSE;
    *out = (guint32)v;
    return TRUE;
}

GPtrArray *helperd_xen_list(const HelperdXenStore *st, GPtrArray *skipped, GError **error)
{
    g_auto(GStrv) ids = st->directory(st->ctx, "/local/domain");
    if (!ids) {
        g_set_error(error, HELPERD_XEN_ERROR, HELPERD_XEN_ERROR_NO_STORE,
                    "xenstore: /local/domain cannot be listed");
        return NULL;
    }
    /* in domain ID order: of two domains with one UUID, the older
     * (lower ID) is the one published, whatever order xenstore lists */
    g_autoptr(GArray) domids = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint n = 0;
    for (char **id = ids; *id; id++) {
        guint32 domid;
        if (++n > HELPERD_XEN_MAX_DOMAINS) {
            skip(skipped, "xenstore lists more than %d domains: the rest is ignored",
                 HELPERD_XEN_MAX_DOMAINS);
            break;
        }
        if (!parse_domid(*id, &domid)) {
            skip(skipped, "xenstore: /local/domain/%.40s is not a domain ID", *id);
            continue;
        }
        g_array_append_val(domids, domid);
    }
    g_array_sort(domids, domid_cmp);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_xen_dom_free);
    g_autoptr(GHashTable) uuids = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < domids->len; i++) {
        guint32 domid = g_array_index(domids, guint32, i);
        if (i > 0 && domid == g_array_index(domids, guint32, i - 1))
            continue;
        if (domid == 0)
            continue;   /* dom0: where we run */
        if (st->introduced && !st->introduced(st->ctx, domid))
            continue;   /* being built, or dying: not (or no longer) a guest to open */
        g_autofree char *base = g_strdup_printf("/local/domain/%u", domid);
        g_autofree char *npath = g_strconcat(base, "/name", NULL);
        g_autofree char *name = st->read(st->ctx, npath);
        if (!helperd_xen_name_valid(name)) {
            skip(skipped, "xenstore: domain %u has %s", domid,
                 name ? "a name that is too long, not UTF-8 or has control characters"
                      : "no name");
            continue;
        }
        g_autofree char *vpath = g_strconcat(base, "/vm", NULL);
        g_autofree char *vm = st->read(st->ctx, vpath);
        g_autofree char *uval = NULL;
        if (vm && vm[0] == '/' && strnlen(vm, 256) < 256) {
            g_autofree char *upath = g_strconcat(vm, "/uuid", NULL);
            uval = st->read(st->ctx, upath);
        }
        g_autofree char *uuid = helperd_xen_uuid_parse(vm, uval);
        if (!uuid) {
            skip(skipped, "xenstore: domain %u ('%s') has no UUID (%s/vm, and its /vm/UUID/uuid)",
                 domid, name, base);
            continue;
        }
        if (g_hash_table_contains(uuids, uuid)) {
            skip(skipped, "xenstore: domain %u ('%s') has the UUID %s of another domain: "
                 "only the first is published", domid, name, uuid);
            continue;
        }
        HelperdXenDom *d = helperd_xen_dom_new(domid, name, uuid);
        g_hash_table_add(uuids, d->uuid);
        g_ptr_array_add(out, d);
    }
    return out;
}

static gboolean same(const HelperdXenDom *a, const HelperdXenDom *b)
{
    return a->domid == b->domid && strcmp(a->uuid, b->uuid) == 0;
}

void helperd_xen_diff(GPtrArray *published, GPtrArray *listed, GPtrArray *removed,
                      GPtrArray *added)
{
    g_autoptr(GHashTable) by_uuid = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < listed->len; i++) {
        HelperdXenDom *l = listed->pdata[i];
        g_hash_table_insert(by_uuid, l->uuid, l);
    }
    g_autoptr(GHashTable) kept = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint i = 0; i < published->len; i++) {
        HelperdXenDom *p = published->pdata[i];
        HelperdXenDom *l = g_hash_table_lookup(by_uuid, p->uuid);
        if (l && same(p, l))
            g_hash_table_add(kept, l);
        else
            g_ptr_array_add(removed, p);
    }
    for (guint i = 0; i < listed->len; i++)
        if (!g_hash_table_contains(kept, listed->pdata[i]))
            g_ptr_array_add(added, listed->pdata[i]);
}

/* ------------------------------------------------------------ a recorded store */

struct HelperdXenRecorded {
    GHashTable *values;         /* path -> value */
    GHashTable *children;       /* path -> GPtrArray of child names (ordered) */
    GHashTable *introduced;     /* domid -> 1; NULL: no @introduced line */
};

static void add_child(HelperdXenRecorded *r, const char *path)
{
    /* every prefix of @path is a directory with its next component */
    g_autofree char *p = g_strdup(path);
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash)
            return;
        const char *child = slash + 1;
        g_autofree char *parent = slash == p ? g_strdup("/") : g_strndup(p, (gsize)(slash - p));
        GPtrArray *kids = g_hash_table_lookup(r->children, parent);
        if (!kids) {
            kids = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(r->children, g_strdup(parent), kids);
        }
        gboolean have = FALSE;
        for (guint i = 0; i < kids->len && !have; i++)
            have = strcmp(kids->pdata[i], child) == 0;
        if (have)
            return;     /* the parent's own parents are known already */
        if (*child)
            g_ptr_array_add(kids, g_strdup(child));
        if (slash == p)
            return;
        *slash = '\0';
    }
}

static char *unquote(const char *v)
{
    size_t n = strlen(v);
    if (n < 2 || v[0] != '"' || v[n - 1] != '"')
        return g_strdup(v);
    GString *s = g_string_sized_new(n);
    for (size_t i = 1; i + 1 < n; i++) {
        if (v[i] == '\\' && i + 2 < n && (v[i + 1] == '"' || v[i + 1] == '\\'))
            i++;
        g_string_append_c(s, v[i]);
    }
    return g_string_free(s, FALSE);
}

HelperdXenRecorded *helperd_xen_recorded_new(const char *text, gsize len)
{
    HelperdXenRecorded *r = g_new0(HelperdXenRecorded, 1);
    r->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    r->children = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_ptr_array_unref);
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = g_strstrip(*l);
        if (g_str_has_prefix(line, "@introduced")) {
            if (!r->introduced)
                r->introduced = g_hash_table_new(g_direct_hash, g_direct_equal);
            g_auto(GStrv) ids = g_strsplit_set(line + strlen("@introduced"), " \t", -1);
            for (char **i = ids; *i; i++) {
                guint32 id;
                if (parse_domid(*i, &id))
                    g_hash_table_add(r->introduced, GUINT_TO_POINTER(id));
            }
            continue;
        }
        if (line[0] != '/')
            continue;
        char *eq = strstr(line, " = ");
        g_autofree char *path = g_strdup(line);
        g_autofree char *value = NULL;
        if (eq) {
            path[eq - line] = '\0';
            value = unquote(eq + 3);
        } else {
            value = g_strdup("");
        }
        g_strchomp(path);
        /* a path: absolute, no empty component, no trailing slash */
        if (!path[1] || strstr(path, "//") || g_str_has_suffix(path, "/"))
            continue;
        add_child(r, path);
        g_hash_table_replace(r->values, g_steal_pointer(&path), g_steal_pointer(&value));
    }
    return r;
}

void helperd_xen_recorded_free(HelperdXenRecorded *r)
{
    if (!r)
        return;
    g_hash_table_unref(r->values);
    g_hash_table_unref(r->children);
    if (r->introduced)
        g_hash_table_unref(r->introduced);
    g_free(r);
}

static char *rec_read(void *ctx, const char *path)
{
    HelperdXenRecorded *r = ctx;
    return g_strdup(g_hash_table_lookup(r->values, path));
}

static char **rec_directory(void *ctx, const char *path)
{
    HelperdXenRecorded *r = ctx;
    GPtrArray *kids = g_hash_table_lookup(r->children, path);
    if (!kids)
        return g_hash_table_contains(r->values, path) ? g_new0(char *, 1) : NULL;
    char **out = g_new0(char *, kids->len + 1);
    for (guint i = 0; i < kids->len; i++)
        out[i] = g_strdup(kids->pdata[i]);
    return out;
}

static gboolean rec_introduced(void *ctx, guint32 domid)
{
    HelperdXenRecorded *r = ctx;
    return !r->introduced || g_hash_table_contains(r->introduced, GUINT_TO_POINTER(domid));
}

HelperdXenStore helperd_xen_recorded_store(HelperdXenRecorded *r)
{
    return (HelperdXenStore){
        .read = rec_read,
        .directory = rec_directory,
        .introduced = rec_introduced,
        .ctx = r,
    };
}

/* ------------------------------------------------------------ the switch */

static const char *const mode_names[] = {
    [HELPERD_XEN_AUTO] = "auto",
    [HELPERD_XEN_ON] = "on",
    [HELPERD_XEN_OFF] = "off",
};

gboolean helperd_xen_mode_from_string(const char *s, HelperdXenMode *mode)
{
    for (guint i = 0; i < G_N_ELEMENTS(mode_names); i++) {
        if (s && g_ascii_strcasecmp(s, mode_names[i]) == 0) {
            *mode = (HelperdXenMode)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *helperd_xen_mode_to_string(HelperdXenMode mode)
{
    return (guint)mode < G_N_ELEMENTS(mode_names) ? mode_names[mode] : "?";
}
