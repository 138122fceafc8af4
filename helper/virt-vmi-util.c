/*
 * virt-vmi-util.c - number parsing, options, hex dump and error codes of
 * virt-vmi; no bus, no libvirt, no guest.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "virt-vmi-util.h"

gboolean
vv_parse_u64(const char *text, guint64 *value)
{
    const char *digits = text;
    char *end = NULL;
    guint base = 10;

    if (text == NULL || *text == '\0')
        return FALSE;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        digits = text + 2;
        base = 16;
    }
    /* g_ascii_strtoull accepts a sign and blanks; an address never has them. */
    if (!g_ascii_isxdigit(*digits) || (base == 10 && !g_ascii_isdigit(*digits)))
        return FALSE;
    errno = 0;
    *value = g_ascii_strtoull(digits, &end, base);
    return errno == 0 && end != NULL && *end == '\0';
}

gboolean
vv_parse_u64_max(const char *text, guint64 max, guint64 *value)
{
    guint64 v;

    if (!vv_parse_u64(text, &v) || v > max)
        return FALSE;
    *value = v;
    return TRUE;
}

gboolean
vv_parse_pid(const char *text, gint32 *pid)
{
    guint64 v;

    if (!vv_parse_u64_max(text, G_MAXINT32, &v))
        return FALSE;
    *pid = (gint32)v;
    return TRUE;
}

void
vv_hexdump(GString *out, guint64 addr, const guint8 *data, gsize len)
{
    for (gsize off = 0; off < len; off += 16) {
        gsize n = MIN(len - off, 16);

        g_string_append_printf(out, "%016" G_GINT64_MODIFIER "x ", addr + off);
        for (gsize i = 0; i < 16; i++) {
            if (i == 8)
                g_string_append_c(out, ' ');
            if (i < n)
                g_string_append_printf(out, " %02x", data[off + i]);
            else
                g_string_append(out, "   ");
        }
        g_string_append(out, "  |");
        for (gsize i = 0; i < n; i++) {
            guint8 c = data[off + i];
            g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : '.');
        }
        g_string_append(out, "|\n");
    }
}

char *
vv_hex_string(const guint8 *data, gsize len)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = g_malloc(len * 2 + 1);

    for (gsize i = 0; i < len; i++) {
        hex[2 * i] = digits[data[i] >> 4];
        hex[2 * i + 1] = digits[data[i] & 0xf];
    }
    hex[len * 2] = '\0';
    return hex;
}

/* ---------------------------------------------------------------- options */

void
vv_args_free(vv_args_t *args)
{
    if (args == NULL)
        return;
    g_clear_pointer(&args->options, g_hash_table_unref);
    g_clear_pointer(&args->args, g_ptr_array_unref);
    g_free(args);
}

static const vv_option_t *
find_option(const vv_option_t *const *tables, const char *name, gsize name_len, char short_name)
{
    for (gsize t = 0; tables[t] != NULL; t++) {
        for (const vv_option_t *o = tables[t]; o->name != NULL; o++) {
            if (short_name != 0 ? o->short_name == short_name
                                : strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0)
                return o;
        }
    }
    return NULL;
}

vv_args_t *
vv_parse_args(int argc, char **argv, const vv_option_t *const *tables, GError **error)
{
    g_autoptr(vv_args_t) args = g_new0(vv_args_t, 1);
    gboolean options_done = FALSE;

    args->options = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    args->args = g_ptr_array_new_with_free_func(g_free);

    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const vv_option_t *opt;
        const char *value = NULL;

        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            g_ptr_array_add(args->args, g_strdup(arg));
            continue;
        }
        if (g_str_equal(arg, "--")) {
            options_done = TRUE;
            continue;
        }
        if (arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            gsize len = eq != NULL ? (gsize)(eq - (arg + 2)) : strlen(arg + 2);

            opt = find_option(tables, arg + 2, len, 0);
            if (opt == NULL) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                            "unknown option '%.*s'", (int)len + 2, arg);
                return NULL;
            }
            if (eq != NULL) {
                if (opt->kind == VV_OPT_FLAG) {
                    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "option '--%s' takes no value", opt->name);
                    return NULL;
                }
                value = eq + 1;
            }
        } else {
            /* A negative number is not an option; single-letter options only. */
            opt = arg[2] == '\0' ? find_option(tables, NULL, 0, arg[1]) : NULL;
            if (opt == NULL) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                            "unknown option '%s'", arg);
                return NULL;
            }
        }
        if (opt->kind == VV_OPT_VALUE && value == NULL) {
            if (i + 1 >= argc) {
                g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "option '--%s' needs a value (%s)", opt->name, opt->value);
                return NULL;
            }
            value = argv[++i];
        }
        g_hash_table_replace(args->options, (gpointer)opt->name, g_strdup(value ? value : ""));
    }
    return g_steal_pointer(&args);
}

const char *
vv_args_get(const vv_args_t *args, const char *name)
{
    return g_hash_table_lookup(args->options, name);
}

gboolean
vv_args_has(const vv_args_t *args, const char *name)
{
    return g_hash_table_contains(args->options, name);
}

void
vv_options_help(GString *out, const vv_option_t *options)
{
    for (const vv_option_t *o = options; o->name != NULL; o++) {
        g_autofree char *left = g_strdup_printf("%s%c%s--%s%s%s",
                                                o->short_name ? "-" : "",
                                                o->short_name ? o->short_name : ' ',
                                                o->short_name ? ", " : " ",
                                                o->name,
                                                o->kind == VV_OPT_VALUE ? " " : "",
                                                o->kind == VV_OPT_VALUE ? o->value : "");
        /* "-c, --connect URI" or "    --json": short options line up. */
        if (o->short_name == 0)
            g_string_append_printf(out, "      %-22s %s\n", left + 2, o->help);
        else
            g_string_append_printf(out, "  %-26s %s\n", left, o->help);
    }
}

/* ----------------------------------------------------------------- errors */

vv_exit_t
vv_exit_for_dbus_error(const char *error_name)
{
    static const struct {
        const char *name;
        vv_exit_t code;
    } map[] = {
        /* the bus refused the call: policy, or no such name */
        { "org.freedesktop.DBus.Error.AccessDenied", VV_EXIT_DENIED },
        { "org.freedesktop.DBus.Error.AuthFailed", VV_EXIT_DENIED },
        { "org.freedesktop.DBus.Error.ServiceUnknown", VV_EXIT_NO_HELPER },
        { "org.freedesktop.DBus.Error.NameHasNoOwner", VV_EXIT_NO_HELPER },
        { "org.freedesktop.DBus.Error.NoServer", VV_EXIT_NO_HELPER },
        { "org.freedesktop.DBus.Error.Disconnected", VV_EXIT_NO_HELPER },
        { "org.freedesktop.DBus.Error.Spawn.ChildExited", VV_EXIT_NO_HELPER },
        { "org.freedesktop.DBus.Error.Spawn.ExecFailed", VV_EXIT_NO_HELPER },
        /* the object went away between lookup and call */
        { "org.freedesktop.DBus.Error.UnknownObject", VV_EXIT_NO_DOMAIN },
        /* the helper's own errors */
        { VV_ERROR_PREFIX "AccessDenied", VV_EXIT_DENIED },
        { VV_ERROR_PREFIX "WritesDisabled", VV_EXIT_DENIED },
        { VV_ERROR_PREFIX "DomainGone", VV_EXIT_NO_DOMAIN },
    };

    if (error_name == NULL)
        return VV_EXIT_FAILED;
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (g_str_equal(map[i].name, error_name))
            return map[i].code;
    }
    return VV_EXIT_FAILED;
}

char *
vv_one_line(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();

    for (gsize i = 0; lines[i] != NULL; i++) {
        g_strstrip(lines[i]);
        if (lines[i][0] != '\0')
            g_ptr_array_add(kept, lines[i]);
    }
    g_ptr_array_add(kept, NULL);
    return g_strjoinv("; ", (char **)kept->pdata);
}

/* ------------------------------------------------------------------- misc */

gboolean
vv_is_uuid(const char *text)
{
    static const int dashes[] = { 8, 13, 18, 23 };

    if (text == NULL || strlen(text) != 36)
        return FALSE;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dashes[d]) {
            if (text[i] != '-')
                return FALSE;
            d++;
        } else if (!g_ascii_isxdigit(text[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

char *
vv_path_for_uuid(const char *uuid)
{
    char *path;

    if (!vv_is_uuid(uuid))
        return NULL;
    path = g_strconcat(VV_DOMAIN_PREFIX, uuid, NULL);
    for (char *p = path + strlen(VV_DOMAIN_PREFIX); *p != '\0'; p++)
        *p = *p == '-' ? '_' : g_ascii_tolower(*p);
    return path;
}

gboolean
vv_write_all(int fd, const void *data, gsize len)
{
    const guint8 *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

char *vv_escape(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\\')
            g_string_append(o, "\\\\");
        else if (*c >= 0x20 && *c < 0x7f)
            g_string_append_c(o, (char)*c);
        else
            g_string_append_printf(o, "\\x%02x", *c);
    }
    return g_string_free(o, FALSE);
}
