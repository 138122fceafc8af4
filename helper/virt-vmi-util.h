/*
 * virt-vmi-util.h - the parts of virt-vmi that need no peer: exit codes,
 * number parsing, the option parser, the hex dump, error classification.
 * tests/cli/test-virt-vmi-util.c tests them without a bus or a guest.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Exit codes scripts can rely on (doc/virt-vmi.1, EXIT STATUS). */
typedef enum {
    VV_EXIT_OK = 0,
    VV_EXIT_FAILED = 1,      /* the operation failed (helper, guest, libvirt) */
    VV_EXIT_USAGE = 2,       /* bad command line */
    VV_EXIT_NO_DOMAIN = 3,   /* domain not found or not running */
    VV_EXIT_DENIED = 4,      /* bus policy, AccessDenied, WritesDisabled */
    VV_EXIT_NO_HELPER = 5,   /* vmi-helperd not reachable */
} vv_exit_t;

/* The D-Bus names of the helper (design.md, "Names that are fixed"). */
#define VV_BUS_NAME      "org.libvmi.helper1"
#define VV_MANAGER_PATH  "/org/libvmi/helper1"
#define VV_MANAGER_IFACE "org.libvmi.helper1.Manager"
#define VV_DOMAIN_IFACE  "org.libvmi.helper1.Domain"
#define VV_DOMAIN_PREFIX "/org/libvmi/helper1/domain/_"
#define VV_ERROR_PREFIX  "org.libvmi.helper1.Error."

/* Parses "0x..." hex or decimal; FALSE on garbage, a sign or overflow. */
gboolean vv_parse_u64(const char *text, guint64 *value);

/* The same, bounded by @max. */
gboolean vv_parse_u64_max(const char *text, guint64 max, guint64 *value);

/* A guest pid: decimal or hex, 0 .. G_MAXINT32. */
gboolean vv_parse_pid(const char *text, gint32 *pid);

/*
 * Appends a hex dump of @data to @out, one line per 16 bytes, in the
 * layout of "hexdump -C" with guest addresses instead of offsets:
 *   "ffffffff82000100  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 36 2e  |Linux version 6.|"
 * The address is 16 hex digits; the first line starts at @addr itself
 * (no alignment), a short last line is padded so that the text column
 * stays aligned; lines are never squeezed.
 */
void vv_hexdump(GString *out, guint64 addr, const guint8 *data, gsize len);

/* @data as lower-case hex digits, no separators. */
char *vv_hex_string(const guint8 *data, gsize len);

/* ---------------------------------------------------------------- options */

typedef enum {
    VV_OPT_FLAG,     /* --name */
    VV_OPT_VALUE,    /* --name VALUE or --name=VALUE */
} vv_opt_kind_t;

typedef struct {
    const char *name;    /* long name without "--" */
    char short_name;     /* 0: none */
    vv_opt_kind_t kind;
    const char *value;   /* placeholder in the help, e.g. "ADDR" */
    const char *help;
} vv_option_t;

/* What vv_parse_args() found: options by long name (a flag maps to ""),
 * the last one wins; positional arguments in order. */
typedef struct {
    GHashTable *options;   /* char * -> char * */
    GPtrArray *args;       /* char * */
} vv_args_t;

void vv_args_free(vv_args_t *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vv_args_t, vv_args_free)

/*
 * Parses @argv (without the program or command name) against the option
 * tables @tables (a NULL-terminated array of { .name = NULL }-terminated
 * tables). "--" ends the options. Options and positional arguments may be
 * mixed. Returns NULL with @error set (G_OPTION_ERROR) on an unknown
 * option or a missing value.
 */
vv_args_t *vv_parse_args(int argc, char **argv, const vv_option_t *const *tables,
                         GError **error);

/* The value of option @name, or NULL when it was not given. */
const char *vv_args_get(const vv_args_t *args, const char *name);
gboolean vv_args_has(const vv_args_t *args, const char *name);

/* Appends the option table to @out, one option per line, for --help. */
void vv_options_help(GString *out, const vv_option_t *options);

/* ----------------------------------------------------------------- errors */

/*
 * The exit code for a D-Bus error name (org.freedesktop.DBus.Error.* or
 * org.libvmi.helper1.Error.*) received from the bus or the helper.
 */
vv_exit_t vv_exit_for_dbus_error(const char *error_name);

/* Joins the lines of @text with "; " so an error stays on one line. */
char *vv_one_line(const char *text);

/* ------------------------------------------------------------------- misc */

/* Object path of a domain UUID (canonical text form), or NULL when @uuid
 * does not look like one. */
char *vv_path_for_uuid(const char *uuid);

/* Whether @text is a canonical UUID (8-4-4-4-12 hex digits). */
gboolean vv_is_uuid(const char *text);

/* Writes all of @data to @fd; FALSE with errno set on failure. */
gboolean vv_write_all(int fd, const void *data, gsize len);

/* @s for a terminal: printable ASCII as is, a backslash doubled, every
 * other byte (escapes, newlines, UTF-8) as \xNN, as the examples' tools
 * print guest text; a new string. */
char *vv_escape(const char *s);

G_END_DECLS
