/*
 * helperd-xen.h - vmi-helperd: Xen domains, beside the libvirt ones.
 *
 *   helperd-xen-list.c  what xenstore says runs: the list of domUs (name,
 *                       UUID, domain ID) read through a table of store
 *                       operations, its checks, the difference with what is
 *                       published; a recorded store (xenstore-ls -f text)
 *                       for the tests and the fuzz target.  No Xen needed.
 *   helperd-xen.c       the live source: libxenstore loaded with dlopen by
 *                       its versioned soname (the daemon runs on hosts
 *                       without Xen), watches on @introduceDomain and
 *                       @releaseDomain on the main loop, a re-list on each.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest domain name taken from xenstore (libxl's limit is 64 bytes
 * in practice; a longer one is refused, not cut). */
#define HELPERD_XEN_NAME_MAX  128
/* At most this many domains are listed (Xen's domain IDs end at 0x7ff0). */
#define HELPERD_XEN_MAX_DOMAINS 0x7ff0

/* The lister's errors (no GIO needed: the fuzz target links GLib only). */
#define HELPERD_XEN_ERROR (helperd_xen_error_quark())
GQuark helperd_xen_error_quark(void);
typedef enum {
    HELPERD_XEN_ERROR_NO_STORE,     /* /local/domain cannot be listed */
} HelperdXenError;

/* A running domU as xenstore lists it. */
typedef struct {
    guint32 domid;
    char *name;
    char *uuid;                 /* lower case, 36 characters */
} HelperdXenDom;

void helperd_xen_dom_free(HelperdXenDom *d);
HelperdXenDom *helperd_xen_dom_new(guint32 domid, const char *name, const char *uuid);

/* The store operations the lister needs (libxenstore's, or a recorded
 * store's).  read and directory return NULL when the path is absent. */
typedef struct {
    char *(*read)(void *ctx, const char *path);             /* g_free */
    char **(*directory)(void *ctx, const char *path);       /* g_strfreev */
    /* whether xenstored knows the domain as introduced (a released one is
     * dying even while its entries remain); NULL: always */
    gboolean (*introduced)(void *ctx, guint32 domid);
    void *ctx;
} HelperdXenStore;

/* Whether @name is a domain name we publish: 1..HELPERD_XEN_NAME_MAX
 * bytes, valid UTF-8, no control characters. */
gboolean helperd_xen_name_valid(const char *name);
/* The UUID of a domain from its /vm/UUID/uuid value @uuid_value (may be
 * NULL) or else its vm path @vm_path ("/vm/UUID", or libxl's
 * "/vm/UUID-N" of a renamed/rebooted domain); lower case, or NULL when
 * neither holds a well-formed UUID. */
char *helperd_xen_uuid_parse(const char *vm_path, const char *uuid_value);

/* The domUs the store lists under /local/domain (dom0 skipped), sorted by
 * domain ID: each with a valid name and UUID, introduced; an entry that is
 * not is skipped, the reason added to @skipped (when not NULL) as a
 * sentence.  NULL with @error when /local/domain cannot be read. */
GPtrArray *helperd_xen_list(const HelperdXenStore *st, GPtrArray *skipped, GError **error);

/* What changed from @published to @listed (both HelperdXenDom*): @removed
 * gets the published ones that are no longer listed (or listed under
 * another domain ID: a rebooted domain is a new one), @added the listed
 * ones that are not published.  Both arrays hold borrowed pointers. */
void helperd_xen_diff(GPtrArray *published, GPtrArray *listed, GPtrArray *removed,
                      GPtrArray *added);

/* A recorded store: the text of `xenstore-ls -f` ("/path = \"value\""
 * lines; the quotes may be missing, \" and \\ are escapes), and optionally
 * lines "@introduced ID..." naming the introduced domains (without such a
 * line every domain counts as introduced).  Bad lines are skipped. */
typedef struct HelperdXenRecorded HelperdXenRecorded;
HelperdXenRecorded *helperd_xen_recorded_new(const char *text, gsize len);
void helperd_xen_recorded_free(HelperdXenRecorded *r);
/* The store operations of @r. */
HelperdXenStore helperd_xen_recorded_store(HelperdXenRecorded *r);

/* ------------------------------------------------------------ the live source */

typedef enum {
    HELPERD_XEN_AUTO,   /* followed when libxenstore loads and xenstored answers */
    HELPERD_XEN_ON,     /* must be: the daemon does not start otherwise */
    HELPERD_XEN_OFF,
} HelperdXenMode;

gboolean helperd_xen_mode_from_string(const char *s, HelperdXenMode *mode);
const char *helperd_xen_mode_to_string(HelperdXenMode mode);

/* Starts following Xen domains (main loop).  TRUE also when @mode is auto
 * and Xen is not there (logged); FALSE with @error when @mode is on and it
 * is not. */
gboolean helperd_xen_start(HelperdXenMode mode, GError **error);
/* Re-lists the domains now (a worker saw its domain fail). */
void helperd_xen_relist(void);
/* Whether the Xen source runs. */
gboolean helperd_xen_active(void);
void helperd_xen_stop(void);

G_END_DECLS
