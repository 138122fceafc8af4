/*
 * config.c - entry points to the configuration parser (config_parser.y)
 * and the type checks of the keys LibVMI knows.  The grammar checks only
 * the syntax; what a key must hold is decided here, so that a key added
 * for a new driver needs no change to the grammar.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "config.h"

G_DEFINE_QUARK(vmi-config-error-quark, vmi_config_error)

void config_value_free(config_value_t *v)
{
    if (!v)
        return;
    g_free(v->str);
    g_free(v);
}

GHashTable *config_parse_string(const char *text, const char *origin, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    return config_parse_bytes(text, strlen(text), origin, NULL, error);
}

GHashTable *config_parse_file(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);

    /* Look before reading: g_file_get_contents would read /dev/zero or a
     * huge file to the end before we could refuse it. */
    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO,
                    "%s: cannot read configuration file: %s", path, g_strerror(saved));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO,
                    "%s: cannot read configuration file: %s", path, g_strerror(EISDIR));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO,
                    "%s: cannot read configuration file: not a regular file", path);
        return NULL;
    }
    if (st.st_size > CONFIG_MAX_INPUT) {
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_LIMIT,
                    "%s: larger than %d MiB", path, CONFIG_MAX_INPUT >> 20);
        return NULL;
    }

    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(path, &text, &len, &local)) {
        /* GLib's message already names the file and the OS reason. */
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_IO,
                    "cannot read configuration file: %s", local->message);
        return NULL;
    }
    /* The file may have grown since g_stat; config_parse_bytes checks again. */
    return config_parse_bytes(text, len, path, NULL, error);
}

GHashTable *config_parse_entry_string(const char *text, const char *origin, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);

    GHashTable *entry = NULL;
    g_autoptr(GHashTable) all = config_parse_bytes(text, strlen(text), origin, &entry, error);
    return all ? entry : NULL;
}

/* Keys with a fixed type; keys not listed here may hold either. */
static const char *const config_string_keys[] = {
    "name", "ostype", "sysmap", "qmp", "gdb", "shm", "socket",
    "rekall_profile", "volatility_ist", "kvmi_socket", "path",
};

static const char *const config_number_keys[] = {
    "domid",
    "linux_tasks", "linux_mm", "linux_pid", "linux_name", "linux_pgd",
    "linux_kaslr", "linux_kaslr_phys", "linux_tgid", "linux_active_mm",
    "win_ntoskrnl", "win_tasks", "win_pdbase", "win_pid", "win_pname",
    "win_kdvb", "win_sysproc", "win_kpcr",
};

static gboolean config_key_in(const char *key, const char *const *keys, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return TRUE;
    return FALSE;
}

/* Returns the problem with one key/value, or NULL when there is none. */
static char *config_check_value(const char *key, const config_value_t *v)
{
    if (config_key_in(key, config_string_keys, G_N_ELEMENTS(config_string_keys))
        && v->type != CONFIG_STR)
        return g_strdup_printf("key '%s' must be a quoted string, not a number", key);
    if (config_key_in(key, config_number_keys, G_N_ELEMENTS(config_number_keys))
        && v->type != CONFIG_NUM)
        return g_strdup_printf("key '%s' must be a number, not a string", key);
    if (strcmp(key, "ostype") == 0 && g_ascii_strcasecmp(v->str, "Linux") != 0
        && g_ascii_strcasecmp(v->str, "Windows") != 0) {
        g_autoptr(GString) shown = g_string_new(NULL);
        config_parse_escape(shown, v->str, strlen(v->str), 64);
        return g_strdup_printf("key 'ostype' is '%s', expected \"Linux\" or \"Windows\"",
                               shown->str);
    }
    return NULL;
}

gboolean config_validate_entry(GHashTable *entry, const char *origin, GError **error)
{
    g_return_val_if_fail(entry != NULL, FALSE);

    /* Report the first problem in the file, not the first in hash order,
     * so the message does not change from run to run. */
    g_autofree char *first = NULL;
    int first_line = 0;
    const char *first_key = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, entry);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const config_value_t *value = v;
        if (first && (value->line > first_line
                      || (value->line == first_line && strcmp(k, first_key) > 0)))
            continue;
        char *problem = config_check_value(k, value);
        if (problem) {
            g_free(first);
            first = problem;
            first_line = value->line;
            first_key = k;
        }
    }
    if (!first)
        return TRUE;
    if (!origin)
        origin = "<string>";
    if (first_line > 0)
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_INVALID, "%s:%d: %s",
                    origin, first_line, first);
    else
        g_set_error(error, VMI_CONFIG_ERROR, VMI_CONFIG_ERROR_INVALID, "%s: %s", origin, first);
    return FALSE;
}
