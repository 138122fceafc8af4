/*
 * helperd-auth.c - vmi-helperd: who may call, decided by the daemon itself.
 *
 * The bus policy (dbus/org.libvmi.helper1.conf) is the first gate; this is
 * the second, so that a stray allow rule, a looser bus or a non-system bus
 * does not open guest memory.  A caller is served when its uid is 0 or when
 * it is a member of the group "libvmi": the bus's credentials of the
 * connection (GetConnectionCredentials: UnixUserID, and UnixGroupIDs when
 * the bus gives them, which is the process's groups at connection time;
 * else the user database's groups of that uid, which is what the bus
 * policy itself uses).  Anything that cannot be told (no sender, no uid,
 * the bus does not answer) is refused.
 *
 * The answer is looked up once per unique bus name, asynchronously (the
 * main loop never waits for the bus or for NSS); calls that arrive
 * meanwhile wait in the entry.  Unique names are never reused on a bus, so
 * the entry is dropped when the name leaves (helperd_auth_forget).
 */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "helperd.h"

#define AUTH_GROUP        "libvmi"
#define AUTH_TIMEOUT_MS   5000
#define AUTH_MAX_WAITING  64        /* calls of one caller waiting for its answer */
#define AUTH_MAX_ENTRIES  4096

typedef enum { AUTH_PENDING, AUTH_ALLOWED, AUTH_DENIED } AuthState;

typedef struct {
    GDBusMethodInvocation *inv;
    HelperdAuthFunc fn;
} Waiting;

typedef struct {
    char *name;
    AuthState state;
    guint32 uid;
    char *why;                  /* AUTH_DENIED: the reason */
    GQueue waiting;             /* Waiting* */
    gboolean forgotten;         /* the name left while the answer was pending */
} AuthEntry;

static GHashTable *entries;     /* unique name -> AuthEntry* */

static void entry_free(AuthEntry *a)
{
    g_free(a->name);
    g_free(a->why);
    g_free(a);
}

/* ------------------------------------------------------------ the decision */

typedef struct {
    char *name;
    gboolean have_uid;
    guint32 uid;
    gboolean have_gids;
    GArray *gids;               /* guint32, from the bus */
    /* out */
    gboolean allowed;
    char *why;
} Decide;

static void decide_free(Decide *d)
{
    g_free(d->name);
    if (d->gids)
        g_array_unref(d->gids);
    g_free(d->why);
    g_free(d);
}

/* Whether @uid is in group @gid in the user database. */
static gboolean user_in_group(uid_t uid, gid_t gid, char **why)
{
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    if (size < 1024 || size > (1 << 20))
        size = 16384;
    g_autofree char *buf = g_malloc((gsize)size);
    struct passwd pw, *pwp = NULL;
    if (getpwuid_r(uid, &pw, buf, (size_t)size, &pwp) != 0 || !pwp) {
        *why = g_strdup_printf("uid %u has no entry in the user database", (unsigned)uid);
        return FALSE;
    }
    if (pw.pw_gid == gid)
        return TRUE;
    int n = 64;
    for (int round = 0; round < 8; round++) {
        g_autofree gid_t *groups = g_new(gid_t, n);
        int got = n;
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &got) >= 0) {
            for (int i = 0; i < got; i++)
                if (groups[i] == gid)
                    return TRUE;
            *why = g_strdup_printf("uid %u is not in the group " AUTH_GROUP, (unsigned)uid);
            return FALSE;
        }
        if (got <= n || got > 65536)
            break;
        n = got;
    }
    *why = g_strdup_printf("the groups of uid %u cannot be read", (unsigned)uid);
    return FALSE;
}

static void decide(Decide *d)
{
    if (!d->have_uid) {
        d->why = g_strdup("the bus does not say which user the caller is");
        return;
    }
    if (d->uid == 0) {
        d->allowed = TRUE;
        return;
    }
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    if (size < 1024 || size > (1 << 20))
        size = 16384;
    g_autofree char *buf = g_malloc((gsize)size);
    struct group gr, *grp = NULL;
    if (getgrnam_r(AUTH_GROUP, &gr, buf, (size_t)size, &grp) != 0 || !grp) {
        d->why = g_strdup_printf("uid %u is not root and the group " AUTH_GROUP " does not exist",
                                 (unsigned)d->uid);
        return;
    }
    if (d->have_gids) {
        for (guint i = 0; i < d->gids->len; i++)
            if (g_array_index(d->gids, guint32, i) == (guint32)gr.gr_gid) {
                d->allowed = TRUE;
                return;
            }
        d->why = g_strdup_printf("uid %u: the process is not in the group " AUTH_GROUP,
                                 (unsigned)d->uid);
        return;
    }
    d->allowed = user_in_group((uid_t)d->uid, gr.gr_gid, &d->why);
}

/* In a worker thread of GIO's pool: NSS may take its time. */
static void decide_thread(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
    decide(data);
    g_task_return_boolean(task, TRUE);
}

static void run_waiting(AuthEntry *a)
{
    Waiting *wt;
    while ((wt = g_queue_pop_head(&a->waiting)) != NULL) {
        if (a->state == AUTH_ALLOWED)
            wt->fn(wt->inv);
        else
            helperd_return_error(wt->inv, HELPERD_ERROR_ACCESS_DENIED, "Access denied: %s "
                                 "(vmi-helperd serves root and members of the group "
                                 AUTH_GROUP ").", a->why ? a->why : "the caller is unknown");
        g_free(wt);
    }
}

static void decide_done(GObject *src, GAsyncResult *res, gpointer data)
{
    Decide *d = g_task_get_task_data(G_TASK(res));
    AuthEntry *a = entries ? g_hash_table_lookup(entries, d->name) : NULL;
    if (!a || a->state != AUTH_PENDING)
        return;
    a->state = d->allowed ? AUTH_ALLOWED : AUTH_DENIED;
    a->uid = d->uid;
    if (!d->allowed) {
        a->why = g_strdup(d->why);
        helperd_log("caller %s refused: %s", a->name, a->why);
    } else {
        helperd_debug("caller %s (uid %u) allowed", a->name, (unsigned)a->uid);
    }
    gboolean forgotten = a->forgotten;
    g_hash_table_steal(entries, a->name);
    run_waiting(a);
    if (forgotten)
        entry_free(a);
    else
        g_hash_table_insert(entries, a->name, a);
}

static void credentials_done(GObject *src, GAsyncResult *res, gpointer data)
{
    Decide *d = data;
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    if (r) {
        g_autoptr(GVariant) dict = g_variant_get_child_value(r, 0);
        d->have_uid = g_variant_lookup(dict, "UnixUserID", "u", &d->uid);
        g_autoptr(GVariant) gids = g_variant_lookup_value(dict, "UnixGroupIDs",
                                                          G_VARIANT_TYPE("au"));
        if (gids) {
            gsize n = 0;
            const guint32 *v = g_variant_get_fixed_array(gids, &n, sizeof(guint32));
            d->have_gids = TRUE;
            d->gids = g_array_sized_new(FALSE, FALSE, sizeof(guint32), (guint)MIN(n, 65536));
            g_array_append_vals(d->gids, v, (guint)MIN(n, 65536));
        }
    } else {
        d->why = g_strdup_printf("the bus did not give the caller's credentials (%s)",
                                 e->message);
    }
    GTask *task = g_task_new(NULL, NULL, decide_done, NULL);
    g_task_set_task_data(task, d, (GDestroyNotify)decide_free);
    if (d->why)
        g_task_return_boolean(task, FALSE);     /* denied with that reason */
    else
        g_task_run_in_thread(task, decide_thread);
    g_object_unref(task);
}

/* ------------------------------------------------------------ the entry points */

void helperd_auth_call(GDBusMethodInvocation *inv, HelperdAuthFunc fn)
{
    const char *sender = g_dbus_method_invocation_get_sender(inv);
    if (!sender || !*sender) {
        helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Access denied: the caller has "
                             "no bus name, so its user cannot be told.");
        return;
    }
    if (!entries)
        entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)entry_free);
    AuthEntry *a = g_hash_table_lookup(entries, sender);
    if (a && a->state == AUTH_ALLOWED) {
        fn(inv);
        return;
    }
    if (a && a->state == AUTH_DENIED) {
        helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Access denied: %s (vmi-helperd "
                             "serves root and members of the group " AUTH_GROUP ").", a->why);
        return;
    }
    if (!a) {
        if (g_hash_table_size(entries) >= AUTH_MAX_ENTRIES) {
            helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Access denied: too many "
                                 "callers at once; try again.");
            return;
        }
        a = g_new0(AuthEntry, 1);
        a->name = g_strdup(sender);
        a->state = AUTH_PENDING;
        g_queue_init(&a->waiting);
        g_hash_table_insert(entries, a->name, a);
        Decide *d = g_new0(Decide, 1);
        d->name = g_strdup(sender);
        g_dbus_connection_call(g_dbus_method_invocation_get_connection(inv),
                               "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "GetConnectionCredentials",
                               g_variant_new("(s)", sender), G_VARIANT_TYPE("(a{sv})"),
                               G_DBUS_CALL_FLAGS_NONE, AUTH_TIMEOUT_MS, NULL, credentials_done, d);
    }
    if (g_queue_get_length(&a->waiting) >= AUTH_MAX_WAITING) {
        helperd_return_error(inv, HELPERD_ERROR_ACCESS_DENIED, "Access denied: the caller's "
                             "credentials are still being looked up; too many calls wait.");
        return;
    }
    Waiting *wt = g_new0(Waiting, 1);
    wt->inv = inv;
    wt->fn = fn;
    g_queue_push_tail(&a->waiting, wt);
}

void helperd_auth_forget(const char *name)
{
    AuthEntry *a = entries ? g_hash_table_lookup(entries, name) : NULL;
    if (!a)
        return;
    if (a->state == AUTH_PENDING)
        a->forgotten = TRUE;    /* decide_done frees it */
    else
        g_hash_table_remove(entries, name);
}

gboolean helperd_auth_uid(const char *name, guint32 *uid)
{
    AuthEntry *a = entries ? g_hash_table_lookup(entries, name) : NULL;
    if (!a || a->state != AUTH_ALLOWED)
        return FALSE;
    *uid = a->uid;
    return TRUE;
}
