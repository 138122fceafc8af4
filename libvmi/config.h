/*
 * config.h - the classic LibVMI configuration syntax:
 *     name { key = value; key = "string"; ... }
 * parsed with flex and bison (config_lexer.l, config_parser.y).
 */
#ifndef VMI_CONFIG_H
#define VMI_CONFIG_H

#include <glib.h>
#include <stdint.h>

typedef enum { CONFIG_NUM, CONFIG_STR } config_type_t;

typedef struct config_value {
    config_type_t type;
    guint64 num;        /* CONFIG_NUM */
    char *str;          /* CONFIG_STR (owned) */
    int line;           /* where it was set */
} config_value_t;

/* A parsed file: GHashTable<char *entry_name, GHashTable<char *key, config_value_t *>>
 * (all owned by the tables).  @origin names the source in errors ("FILE:LINE: ...").
 * Errors: VMI_CONFIG_ERROR domain; the message names origin, line and key/token. */
GHashTable *config_parse_string(const char *text, const char *origin, GError **error);
GHashTable *config_parse_file(const char *path, GError **error);

/* The body of one entry given without the surrounding "name { }" is also
 * accepted by config_parse_entry_string: "key = value; ..." or a full
 * "name { ... }" (then the first entry is returned). Returns the key table. */
GHashTable *config_parse_entry_string(const char *text, const char *origin, GError **error);

/* Checks types of the known keys (strings: name ostype sysmap qmp gdb shm
 * socket ...; numbers: offsets, domid, linux_kaslr ...).  Unknown keys are
 * accepted.  Error names origin, line and key. */
gboolean config_validate_entry(GHashTable *entry, const char *origin, GError **error);

void config_value_free(config_value_t *v);

GQuark vmi_config_error_quark(void);
#define VMI_CONFIG_ERROR (vmi_config_error_quark())

typedef enum {
    VMI_CONFIG_ERROR_IO,        /* the file cannot be read */
    VMI_CONFIG_ERROR_SYNTAX,    /* not the config syntax */
    VMI_CONFIG_ERROR_LIMIT,     /* a size limit below, or a number over 64 bits */
    VMI_CONFIG_ERROR_INVALID,   /* well formed, but a known key has a wrong type or value */
} vmi_config_error_t;

/* Limits that keep a hostile or corrupt file from costing more than a
 * moment and a few MiB. */
#define CONFIG_MAX_INPUT    (16 << 20)
#define CONFIG_MAX_STRING   4096
#define CONFIG_MAX_ENTRIES  10000

/* Internal to config.c and config_parser.y: parses @len bytes (a NUL byte
 * is an error, not the end).  With @first_entry, a bare body is accepted
 * too, and the first entry (or the body) is returned there, as a
 * reference of its own that the caller releases. */
GHashTable *config_parse_bytes(const char *text, gsize len, const char *origin,
                               GHashTable **first_entry, GError **error);

/* Internal: appends @s to @out with everything but printable ASCII as
 * \xNN, cut after @max bytes, so messages stay readable and valid UTF-8. */
void config_parse_escape(GString *out, const char *s, gsize len, gsize max);

#endif
