/*
 * helperd-config.c - vmi-helperd's configuration file (GKeyFile), see
 * vmi-helperd.conf(5):
 *
 *   [helper]
 *   uris=qemu:///system
 *   read_limit=16M
 *   snapshot_timeout=600
 *   libvmi_conf=/etc/libvmi.conf
 *   auto_enable=web*;db-?
 *   auto_enable_mode=shm
 *   gdbstub_dir=/var/lib/libvirt/qemu/libvmi
 *   xen=auto
 *
 *   [domain 6695eb01-f6a4-8304-79aa-97f2502e193f]
 *   writes=true
 *   control=true
 *
 * Domain groups are keyed by UUID (a name can be reused by another domain
 * once the first is undefined, or changed by a rename).
 *
 * The configuration is immutable once loaded and reference counted: a
 * reload (SIGHUP) swaps it, threads that hold the old one keep it.
 */
#include <errno.h>
#include <string.h>

#include "helperd.h"

#ifndef HELPERD_CONFIG_FILE
#define HELPERD_CONFIG_FILE "/etc/libvmi/vmi-helperd.conf"
#endif
#ifndef SYSCONFDIR_LIBVMI_CONF
#define SYSCONFDIR_LIBVMI_CONF "/etc/libvmi.conf"
#endif

#define MAX_CONFIG_SIZE (1 << 20)

typedef struct {
    gint refs;
    HelperdConfig cfg;
} ConfigBox;

static HelperdConfig *config_new(void)
{
    ConfigBox *box = g_new0(ConfigBox, 1);
    box->refs = 1;
    HelperdConfig *cfg = &box->cfg;
    cfg->read_limit = HELPERD_DEFAULT_READ_LIMIT;
    cfg->snapshot_timeout = HELPERD_DEFAULT_SNAPSHOT_TIMEOUT;
    cfg->libvmi_conf = g_strdup(SYSCONFDIR_LIBVMI_CONF);
    cfg->gdbstub_dir = g_strdup(VMI_DOMXML_DEFAULT_GDB_DIR);
    cfg->auto_enable_mode = VMI_DOMXML_SHM;
    cfg->writes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    cfg->control = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return cfg;
}

HelperdConfig *helperd_config_ref(HelperdConfig *cfg)
{
    ConfigBox *box = (ConfigBox *)((char *)cfg - G_STRUCT_OFFSET(ConfigBox, cfg));
    g_atomic_int_inc(&box->refs);
    return cfg;
}

void helperd_config_unref(HelperdConfig *cfg)
{
    if (!cfg)
        return;
    ConfigBox *box = (ConfigBox *)((char *)cfg - G_STRUCT_OFFSET(ConfigBox, cfg));
    if (!g_atomic_int_dec_and_test(&box->refs))
        return;
    g_free(cfg->file);
    g_strfreev(cfg->uris);
    g_free(cfg->libvmi_conf);
    g_strfreev(cfg->auto_enable);
    g_free(cfg->gdbstub_dir);
    g_hash_table_unref(cfg->writes);
    g_hash_table_unref(cfg->control);
    g_free(box);
}

/* "16777216", "16M", "16MiB", "512K", "1G" */
static gboolean parse_size(const char *text, guint64 *out)
{
    g_autofree char *s = g_strstrip(g_strdup(text));
    char *end = NULL;
    errno = 0;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    if (errno || end == s)
        return FALSE;
    guint64 mult = 1;
    if (*end) {
        switch (g_ascii_toupper(*end)) {
        case 'K': mult = 1ull << 10; break;
        case 'M': mult = 1ull << 20; break;
        case 'G': mult = 1ull << 30; break;
        default: return FALSE;
        }
        end++;
        if (*end && g_ascii_strcasecmp(end, "iB") != 0 && g_ascii_strcasecmp(end, "B") != 0)
            return FALSE;
    }
    if (v > G_MAXUINT64 / mult)
        return FALSE;
    *out = v * mult;
    return TRUE;
}

static gboolean fail(GError **error, const char *file, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **error, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: %s", file, msg);
    return FALSE;
}

static gboolean parse_helper_group(GKeyFile *kf, const char *file, HelperdConfig *cfg,
                                   GError **error)
{
    const char *g = "helper";
    g_auto(GStrv) keys = g_key_file_get_keys(kf, g, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
        static const char *const known[] = { "uris", "read_limit", "libvmi_conf", "auto_enable",
                                             "auto_enable_mode", "gdbstub_dir", "snapshot_timeout",
                                             "xen", NULL };
        if (!g_strv_contains(known, *k))
            helperd_log("%s: [helper] %s: unknown key, ignored", file, *k);
    }
    GError *e = NULL;
    if (g_key_file_has_key(kf, g, "uris", NULL)) {
        g_auto(GStrv) uris = g_key_file_get_string_list(kf, g, "uris", NULL, &e);
        if (!uris)
            return fail(error, file, "[helper] uris: %s", e->message), g_clear_error(&e), FALSE;
        GPtrArray *list = g_ptr_array_new();
        for (char **u = uris; *u; u++) {
            g_strstrip(*u);
            gboolean dup = FALSE;
            for (guint i = 0; i < list->len && !dup; i++)
                dup = strcmp(list->pdata[i], *u) == 0;
            if (**u && !dup)
                g_ptr_array_add(list, g_strdup(*u));
        }
        g_ptr_array_add(list, NULL);
        cfg->uris = (char **)g_ptr_array_free(list, FALSE);
    }
    if (g_key_file_has_key(kf, g, "read_limit", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "read_limit", NULL);
        guint64 n = 0;
        if (!v || !parse_size(v, &n) || n == 0 || n > HELPERD_MAX_READ_LIMIT)
            return fail(error, file, "[helper] read_limit=%s: give a size from 1 to %u bytes "
                        "(suffixes K, M, G allowed)", v ? v : "", HELPERD_MAX_READ_LIMIT);
        cfg->read_limit = (guint32)n;
    }
    if (g_key_file_has_key(kf, g, "snapshot_timeout", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "snapshot_timeout", NULL);
        guint64 n = 0;
        if (!v || !g_ascii_string_to_unsigned(g_strstrip(v), 10, 1, 86400, &n, NULL))
            return fail(error, file, "[helper] snapshot_timeout=%s: give seconds from 1 to 86400",
                        v ? v : "");
        cfg->snapshot_timeout = (guint)n;
    }
    if (g_key_file_has_key(kf, g, "libvmi_conf", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "libvmi_conf", NULL);
        if (!v || !g_path_is_absolute(g_strstrip(v)))
            return fail(error, file, "[helper] libvmi_conf=%s: give an absolute path", v ? v : "");
        g_free(cfg->libvmi_conf);
        cfg->libvmi_conf = g_steal_pointer(&v);
    }
    if (g_key_file_has_key(kf, g, "gdbstub_dir", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "gdbstub_dir", NULL);
        if (!v || !g_path_is_absolute(g_strstrip(v)))
            return fail(error, file, "[helper] gdbstub_dir=%s: give an absolute path", v ? v : "");
        g_free(cfg->gdbstub_dir);
        cfg->gdbstub_dir = g_steal_pointer(&v);
    }
    if (g_key_file_has_key(kf, g, "auto_enable", NULL)) {
        g_auto(GStrv) pats = g_key_file_get_string_list(kf, g, "auto_enable", NULL, &e);
        if (!pats)
            return fail(error, file, "[helper] auto_enable: %s", e->message), g_clear_error(&e), FALSE;
        GPtrArray *list = g_ptr_array_new();
        for (char **p = pats; *p; p++) {
            g_strstrip(*p);
            if (**p)
                g_ptr_array_add(list, g_strdup(*p));
        }
        g_ptr_array_add(list, NULL);
        cfg->auto_enable = (char **)g_ptr_array_free(list, FALSE);
    }
    if (g_key_file_has_key(kf, g, "xen", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "xen", NULL);
        if (!v || !helperd_xen_mode_from_string(g_strstrip(v), &cfg->xen))
            return fail(error, file, "[helper] xen=%s: use auto, on or off", v ? v : "");
    }
    if (g_key_file_has_key(kf, g, "auto_enable_mode", NULL)) {
        g_autofree char *v = g_key_file_get_string(kf, g, "auto_enable_mode", NULL);
        if (!v || !vmi_domxml_mode_from_string(g_strstrip(v), &cfg->auto_enable_mode))
            return fail(error, file, "[helper] auto_enable_mode=%s: use shm, gdbstub or both",
                        v ? v : "");
    }
    return TRUE;
}

static gboolean parse_domain_group(GKeyFile *kf, const char *file, const char *group,
                                   HelperdConfig *cfg, GError **error)
{
    const char *name = group + strlen("domain ");
    while (*name == ' ')
        name++;
    if (!*name)
        return fail(error, file, "[%s]: the group names no domain", group);
    if (!g_uuid_string_is_valid(name)) {
        g_autofree char *esc = g_strescape(name, NULL);
        helperd_log("%s: [domain %s]: ignored: domain groups are keyed by UUID (a name can be "
                    "reused or renamed); write [domain <uuid>] (virsh domuuid NAME)", file, esc);
        return TRUE;
    }
    g_autofree char *uuid = g_ascii_strdown(name, -1);
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
        GHashTable *table = strcmp(*k, "writes") == 0 ? cfg->writes :
                            strcmp(*k, "control") == 0 ? cfg->control : NULL;
        if (!table) {
            helperd_log("%s: [%s] %s: unknown key, ignored", file, group, *k);
            continue;
        }
        GError *e = NULL;
        gboolean on = g_key_file_get_boolean(kf, group, *k, &e);
        if (e) {
            fail(error, file, "[%s] %s: %s (use true or false)", group, *k, e->message);
            g_error_free(e);
            return FALSE;
        }
        if (on)
            g_hash_table_replace(table, g_strdup(uuid), GINT_TO_POINTER(1));
        else
            g_hash_table_remove(table, uuid);
    }
    return TRUE;
}

HelperdConfig *helperd_config_load(const char *file, GError **error)
{
    g_autoptr(HelperdConfig) cfg = config_new();
    gboolean given = file != NULL;
    if (!file)
        file = HELPERD_CONFIG_FILE;
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(file, &text, &len, &e)) {
        if (!given && g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(e);
            cfg->uris = g_new0(char *, 2);
            cfg->uris[0] = g_strdup(HELPERD_DEFAULT_URI);
            return g_steal_pointer(&cfg);
        }
        g_propagate_prefixed_error(error, e, "cannot read the configuration file: ");
        return NULL;
    }
    if (len > MAX_CONFIG_SIZE) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: larger than %d bytes", file,
                    MAX_CONFIG_SIZE);
        return NULL;
    }
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
        g_propagate_prefixed_error(error, e, "%s: ", file);
        return NULL;
    }
    cfg->file = g_strdup(file);
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        if (strcmp(*g, "helper") == 0) {
            if (!parse_helper_group(kf, file, cfg, error))
                return NULL;
        } else if (g_str_has_prefix(*g, "domain ")) {
            if (!parse_domain_group(kf, file, *g, cfg, error))
                return NULL;
        } else {
            helperd_log("%s: [%s]: unknown group, ignored", file, *g);
        }
    }
    /* "uris=" given empty: no libvirt at all (a Xen dom0 without
     * libvirt); absent: the default */
    if (!cfg->uris) {
        cfg->uris = g_new0(char *, 2);
        cfg->uris[0] = g_strdup(HELPERD_DEFAULT_URI);
    }
    return g_steal_pointer(&cfg);
}

gboolean helperd_config_writes(const HelperdConfig *cfg, const char *uuid)
{
    if (!uuid)
        return FALSE;
    g_autofree char *key = g_ascii_strdown(uuid, -1);
    return g_hash_table_contains(cfg->writes, key);
}

gboolean helperd_config_control(const HelperdConfig *cfg, const char *uuid)
{
    if (!uuid)
        return FALSE;
    g_autofree char *key = g_ascii_strdown(uuid, -1);
    return g_hash_table_contains(cfg->control, key) || g_hash_table_contains(cfg->writes, key);
}

gboolean helperd_config_auto_enable(const HelperdConfig *cfg, const char *name)
{
    for (char **p = cfg->auto_enable; p && *p; p++)
        if (g_pattern_match_simple(*p, name))
            return TRUE;
    return FALSE;
}

/* ------------------------------------------------------------ in force */

static GMutex current_lock;
static HelperdConfig *current;

HelperdConfig *helperd_config_get(void)
{
    g_mutex_lock(&current_lock);
    HelperdConfig *cfg = current ? helperd_config_ref(current) : NULL;
    g_mutex_unlock(&current_lock);
    return cfg;
}

void helperd_config_set(HelperdConfig *cfg)
{
    g_mutex_lock(&current_lock);
    HelperdConfig *old = current;
    current = cfg ? helperd_config_ref(cfg) : NULL;
    g_mutex_unlock(&current_lock);
    helperd_config_unref(old);
}
