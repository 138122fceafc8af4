/*
 * common.h - what the example programs share: option parsing conventions,
 * opening a guest, JSON string escaping.
 */
#ifndef VMI_EXAMPLES_COMMON_H
#define VMI_EXAMPLES_COMMON_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <libvmi.h>

/* Exit codes scripts can rely on. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,    /* the operation failed (error on stderr) */
    EXIT_USAGE = 2,     /* bad command line */
};

/* Options every example takes. */
typedef struct {
    char *config;       /* --config FILE */
    gboolean json;      /* --json */
    gboolean partial;   /* physical access only */
    gboolean verbose;   /* --verbose: how the guest was reached, on stderr */
} common_opts_t;

/* Adds --config/--json to @ctx (filled into @opts). */
void common_add_options(GOptionContext *ctx, common_opts_t *opts, bool with_json);

/* Parses argv; prints errors and exits with EXIT_USAGE on bad usage. */
void common_parse(GOptionContext *ctx, int *argc, char ***argv, int min_args, int max_args);

/* Opens @name (domain or snapshot) or prints why not and returns NULL. */
vmi_instance_t common_open(const char *name, const common_opts_t *opts);

/* The same, and refuses (with the reason, NULL) a guest that is not Linux. */
vmi_instance_t common_open_linux(const char *name, const common_opts_t *opts);

/* Prints @s as a JSON string (with quotes). */
void json_string(FILE *out, const char *s);

/* Guest text (a task's name, the banner) for a terminal: printable ASCII
 * as it is, every other byte as \xNN, and a backslash as \\.  A hostile
 * guest's bytes cannot move the cursor, recolour or retitle the terminal,
 * nor pass for another line.  Caller frees. */
char *text_escape(const char *s);

/* Parses a number (0x.. hex or decimal); false on garbage. */
bool parse_u64(const char *s, uint64_t *v);

#endif
