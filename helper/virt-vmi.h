/*
 * virt-vmi.h - what the command implementations (virt-vmi-cmd.c) share
 * with the driver (virt-vmi.c): the run context, the command table, and
 * the helpers every command uses to reach a domain and to print.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "virt-vmi-backend.h"
#include "virt-vmi-util.h"

G_BEGIN_DECLS

/* Global options and what was opened for the command. */
typedef struct {
    const char *uri;           /* -c URI: libvirt connection (list/enable/disable) */
    gboolean json;             /* --json */
    vv_bus_kind_t bus;         /* --system (default), --session, --address */
    const char *address;
    gboolean no_direct;        /* --no-direct: never fall back to libvmi */
    gboolean stderr_tty;       /* progress messages only for a person */
    vv_backend_t *backend;     /* set by vv_open_domain() */
} vv_ctx_t;

typedef struct vv_command vv_command_t;

struct vv_command {
    const char *name;
    const char *synopsis;      /* after "virt-vmi NAME " */
    const char *summary;       /* one line, for the command list */
    const char *description;   /* the rest of "virt-vmi help NAME": output formats */
    const vv_option_t *options;
    int min_args, max_args;
    gboolean direct_ok;        /* may use libvmi when the helper is not on the bus */
    int (*run)(vv_ctx_t *ctx, const vv_command_t *cmd, vv_args_t *args);
};

/* The commands, sorted by name, NULL-terminated (virt-vmi-cmd.c). */
extern const vv_command_t *const vv_commands[];

/*
 * Prints "virt-vmi: ..." for @error on stderr, on one line, naming @domain
 * (when not NULL) and the D-Bus error name (when there is one), and
 * returns the exit code for it.
 */
int vv_report(const GError *error, const char *domain);

/* The one-line message vv_report() prints, without "virt-vmi: ". */
char *vv_error_message(const GError *error, const char *domain);

/* Prints "virt-vmi: <message>" and returns VV_EXIT_USAGE. */
int vv_usage_error(const vv_command_t *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Finds @spec through the helper (ctx->backend is then the bus backend),
 * or, for commands that allow it and when the helper is not on the bus,
 * through libvmi directly (with a note on stderr). Returns an exit code;
 * *@dom is set on VV_EXIT_OK.
 */
int vv_open_domain(vv_ctx_t *ctx, const vv_command_t *cmd, const char *spec, vv_domain_t **dom);

/* Prints @node compactly on one line of stdout. Takes ownership of @node. */
void vv_print_json(JsonNode *node);

G_END_DECLS
