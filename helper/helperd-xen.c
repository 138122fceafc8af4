/*
 * helperd-xen.c - vmi-helperd: the Xen source of domains, beside libvirt's
 * (vmi-helperd.c).  In a Xen dom0 it follows the domUs through xenstore:
 * watches on @introduceDomain and @releaseDomain (xenstored fires them when
 * a domain is introduced and when one is released on its death, and once
 * at registration), a re-list of /local/domain on each
 * (helperd-xen-list.c), one object per domU, opened with libvmi's xen
 * driver (helperd-worker.c), removed when the domain goes.
 *
 * libxenstore is loaded with dlopen by its versioned soname, as libvmi's
 * xen driver loads its libraries: the daemon needs no Xen library to start,
 * and LIBVMI_XEN_LIBDIR, when set, is the only directory it loads from (as
 * for the driver).  The prototypes are written here rather than taken from
 * <xenstore.h>, so the daemon builds without libxen-dev: these calls have
 * kept their ABI since libxenstore.so.3.0.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>

#include "helperd.h"

#define WATCH_TOKEN   "vmi-helperd"
/* After an event, one more look this much later: a domain's entries may
 * lag its introduction or release by a moment. */
#define RELIST_AGAIN_MS 1000
#define MAX_LOGGED_SKIPS 256

struct xs_handle;
typedef uint32_t xs_transaction_t;

static struct {
    void *lib;
    const char *soname;
    struct xs_handle *(*open)(unsigned long flags);
    void (*close)(struct xs_handle *h);
    void *(*read)(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len);
    char **(*directory)(struct xs_handle *h, xs_transaction_t t, const char *path,
                        unsigned int *num);
    bool (*watch)(struct xs_handle *h, const char *path, const char *token);
    bool (*unwatch)(struct xs_handle *h, const char *path, const char *token);
    int (*fileno)(struct xs_handle *h);
    char **(*check_watch)(struct xs_handle *h);
    bool (*is_domain_introduced)(struct xs_handle *h, unsigned int domid);

    struct xs_handle *h;
    guint fd_id, again_id;
    GHashTable *logged;         /* skip reasons logged already */
} xs;

/* ------------------------------------------------------------ loading */

static gboolean xs_load(GError **error)
{
    static const char *const sonames[] = { "libxenstore.so.4", "libxenstore.so.3.0" };
    const char *dir = g_getenv("LIBVMI_XEN_LIBDIR");
    g_autoptr(GString) tried = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(sonames) && !xs.lib; i++) {
        g_autofree char *path = dir ? g_build_filename(dir, sonames[i], NULL) : g_strdup(sonames[i]);
        xs.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (xs.lib)
            xs.soname = sonames[i];
        else
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
    }
    if (!xs.lib) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "libxenstore cannot be loaded (%s)", tried->str);
        return FALSE;
    }
    struct { void **slot; const char *name; gboolean optional; } syms[] = {
        { (void **)&xs.open, "xs_open", FALSE },
        { (void **)&xs.close, "xs_close", FALSE },
        { (void **)&xs.read, "xs_read", FALSE },
        { (void **)&xs.directory, "xs_directory", FALSE },
        { (void **)&xs.watch, "xs_watch", FALSE },
        { (void **)&xs.unwatch, "xs_unwatch", FALSE },
        { (void **)&xs.fileno, "xs_fileno", FALSE },
        { (void **)&xs.check_watch, "xs_check_watch", FALSE },
        /* without it, a dying domain is seen gone when its entries go */
        { (void **)&xs.is_domain_introduced, "xs_is_domain_introduced", TRUE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(syms); i++) {
        *syms[i].slot = dlsym(xs.lib, syms[i].name);
        if (!*syms[i].slot && !syms[i].optional) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "%s has no %s", xs.soname, syms[i].name);
            dlclose(xs.lib);
            xs.lib = NULL;
            return FALSE;
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------ the store */

static char *st_read(void *ctx, const char *path)
{
    unsigned int len = 0;
    char *v = xs.read(xs.h, 0, path, &len);
    if (!v)
        return NULL;
    /* (xs_read's value ends in a NUL of its own; a value with a NUL
     * inside is cut there) */
    char *out = g_strndup(v, len);
    free(v);
    return out;
}

static char **st_directory(void *ctx, const char *path)
{
    unsigned int n = 0;
    char **v = xs.directory(xs.h, 0, path, &n);
    if (!v)
        return NULL;
    char **out = g_new0(char *, (gsize)n + 1);
    for (unsigned int i = 0; i < n; i++)
        out[i] = g_strdup(v[i]);
    free(v);    /* one block: the array and its strings */
    return out;
}

static gboolean st_introduced(void *ctx, guint32 domid)
{
    return xs.is_domain_introduced(xs.h, domid);
}

/* ------------------------------------------------------------ the list */

static void log_skips(GPtrArray *skipped)
{
    for (guint i = 0; i < skipped->len; i++) {
        const char *why = skipped->pdata[i];
        if (g_hash_table_contains(xs.logged, why))
            continue;
        if (g_hash_table_size(xs.logged) >= MAX_LOGGED_SKIPS)
            g_hash_table_remove_all(xs.logged);
        helperd_log("%s: not published", why);
        g_hash_table_add(xs.logged, g_strdup(why));
    }
}

void helperd_xen_relist(void)
{
    if (!xs.h || helperd.stopping)
        return;
    HelperdXenStore st = {
        .read = st_read,
        .directory = st_directory,
        .introduced = xs.is_domain_introduced ? st_introduced : NULL,
    };
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) listed = helperd_xen_list(&st, skipped, &e);
    if (!listed) {
        helperd_log("Xen: %s (errno %d: %s)", e->message, errno, g_strerror(errno));
        return;
    }
    log_skips(skipped);

    /* what is published now, as the lister would list it */
    g_autoptr(GPtrArray) published = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_xen_dom_free);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        if (d->xen)
            g_ptr_array_add(published, helperd_xen_dom_new(d->domid, d->name, d->uuid));
    }
    g_autoptr(GPtrArray) removed = g_ptr_array_new();
    g_autoptr(GPtrArray) added = g_ptr_array_new();
    helperd_xen_diff(published, listed, removed, added);
    for (guint i = 0; i < removed->len; i++) {
        HelperdXenDom *x = removed->pdata[i];
        HelperdDomain *d = helperd_domain_find_uuid(x->uuid);
        if (d && d->xen)
            helperd_domain_remove(d, "its Xen domain is gone (released by xenstored)");
    }
    for (guint i = 0; i < added->len; i++) {
        HelperdXenDom *x = added->pdata[i];
        helperd_domain_publish_xen(x->domid, x->name, x->uuid);
    }
}

static gboolean relist_again(gpointer data)
{
    xs.again_id = 0;
    helperd_xen_relist();
    return G_SOURCE_REMOVE;
}

static gboolean on_watch(gint fd, GIOCondition cond, gpointer data)
{
    if (cond & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) {
        helperd_log("Xen: the xenstore connection closed: Xen domains are no longer followed "
                    "(their objects stay until the daemon restarts)");
        xs.fd_id = 0;
        return G_SOURCE_REMOVE;
    }
    guint events = 0;
    char **ev;
    /* every pending event, then one re-list for all of them */
    while ((ev = xs.check_watch(xs.h)) != NULL) {
        events++;
        free(ev);
    }
    if (events) {
        helperd_debug("Xen: %u xenstore watch event%s", events, events == 1 ? "" : "s");
        helperd_xen_relist();
        if (!xs.again_id)
            xs.again_id = g_timeout_add(RELIST_AGAIN_MS, relist_again, NULL);
    }
    return G_SOURCE_CONTINUE;
}

gboolean helperd_xen_active(void)
{
    return xs.h != NULL;
}

gboolean helperd_xen_start(HelperdXenMode mode, GError **error)
{
    if (mode == HELPERD_XEN_OFF) {
        helperd_debug("Xen: off (xen=off)");
        return TRUE;
    }
    g_autoptr(GError) e = NULL;
    if (!xs.lib && !xs_load(&e))
        goto fail;
    xs.h = xs.open(0);
    if (!xs.h) {
        int err = errno;
        g_set_error(&e, G_IO_ERROR, g_io_error_from_errno(err),
                    "xenstore cannot be reached (%s; is this a Xen dom0 with xenstored "
                    "running?)", g_strerror(err));
        goto fail;
    }
    if (!xs.watch(xs.h, "@introduceDomain", WATCH_TOKEN) ||
        !xs.watch(xs.h, "@releaseDomain", WATCH_TOKEN)) {
        int err = errno;
        g_set_error(&e, G_IO_ERROR, g_io_error_from_errno(err),
                    "xenstore refuses the watches on @introduceDomain and @releaseDomain (%s)",
                    g_strerror(err));
        xs.close(xs.h);
        xs.h = NULL;
        goto fail;
    }
    int fd = xs.fileno(xs.h);
    if (fd < 0) {
        g_set_error(&e, G_IO_ERROR, G_IO_ERROR_FAILED, "xenstore gives no watch descriptor");
        xs.close(xs.h);
        xs.h = NULL;
        goto fail;
    }
    xs.logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    xs.fd_id = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_watch, NULL);
    helperd_log("Xen: following the domains in xenstore (%s, xen=%s)", xs.soname,
                helperd_xen_mode_to_string(mode));
    helperd_xen_relist();
    return TRUE;
fail:
    if (mode == HELPERD_XEN_ON) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Xen (xen=on): %s", e->message);
        return FALSE;
    }
    helperd_log("Xen: not followed (xen=auto): %s", e->message);
    return TRUE;
}

void helperd_xen_stop(void)
{
    if (xs.again_id)
        g_source_remove(xs.again_id);
    xs.again_id = 0;
    if (xs.fd_id)
        g_source_remove(xs.fd_id);
    xs.fd_id = 0;
    if (xs.h) {
        xs.unwatch(xs.h, "@introduceDomain", WATCH_TOKEN);
        xs.unwatch(xs.h, "@releaseDomain", WATCH_TOKEN);
        xs.close(xs.h);
    }
    xs.h = NULL;
    g_clear_pointer(&xs.logged, g_hash_table_unref);
}
