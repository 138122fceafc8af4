/*
 * helperd-domain.c - vmi-helperd: one D-Bus object per running domain.
 *
 * The objects live in one D-Bus subtree under /org/libvmi/helper1/domain:
 * the subtree enumerates the published domains, and a call on the path of
 * a domain that was removed gets org.libvmi.helper1.Error.DomainGone
 * rather than "no such object".  This file holds the objects (publishing,
 * removal, properties and their signals) on the main loop; the calls are
 * helperd-iface.c's, the libvmi instance is the worker's
 * (helperd-worker.c).
 */
#include <string.h>
#include <libvirt/virterror.h>

#include "helperd-worker.h"

#define MAX_STALE          4096

char *helperd_domain_path(const char *uuid)
{
    g_autofree char *u = g_strdup(uuid);
    for (char *c = u; *c; c++)
        if (!g_ascii_isalnum(*c))
            *c = '_';
    return g_strdup_printf(HELPERD_DOMAIN_PREFIX "/_%s", u);
}

GVariant *helperd_domain_properties(HelperdDomain *d)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "Name", g_variant_new_string(d->name));
    g_variant_builder_add(&b, "{sv}", "UUID", g_variant_new_string(d->uuid));
    g_variant_builder_add(&b, "{sv}", "Hypervisor", g_variant_new_string(d->hypervisor));
    g_variant_builder_add(&b, "{sv}", "State", g_variant_new_string(d->state));
    g_variant_builder_add(&b, "{sv}", "Introspectable", g_variant_new_boolean(d->introspectable));
    g_variant_builder_add(&b, "{sv}", "IntrospectableReason", g_variant_new_string(d->reason));
    g_variant_builder_add(&b, "{sv}", "AccessPath", g_variant_new_string(d->access_path));
    g_variant_builder_add(&b, "{sv}", "OSType", g_variant_new_string(d->os_type));
    g_variant_builder_add(&b, "{sv}", "PageMode", g_variant_new_string(d->page_mode));
    g_variant_builder_add(&b, "{sv}", "MemorySize", g_variant_new_uint64(d->memory_size));
    g_variant_builder_add(&b, "{sv}", "KernelVersion", g_variant_new_string(d->kernel_version));
    g_variant_builder_add(&b, "{sv}", "WritesEnabled", g_variant_new_boolean(d->writes));
    return g_variant_builder_end(&b);
}

void helperd_domain_emit_changed(HelperdDomain *d, GVariantBuilder *changed)
{
    g_dbus_connection_emit_signal(helperd.bus, NULL, d->path, HELPERD_PROPS_IFACE,
                                  "PropertiesChanged",
                                  g_variant_new("(sa{sv}as)", HELPERD_DOMAIN_IFACE, changed, NULL),
                                  NULL);
}

static void emit_one(HelperdDomain *d, const char *prop, GVariant *value)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", prop, value);
    helperd_domain_emit_changed(d, &b);
}

/* A gdbstub stops the guest for every access, and QEMU reports every stop:
 * State is emitted at most every 50 ms, with the value it has then. */
static gboolean state_emit(gpointer data)
{
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, (const char *)data);
    if (!d)
        return G_SOURCE_REMOVE;
    d->state_id = 0;
    if (g_strcmp0(d->state, d->state_emitted) != 0) {
        helperd_debug("domain %s state %s -> %s", d->name, d->state_emitted, d->state);
        g_free(d->state_emitted);
        d->state_emitted = g_strdup(d->state);
        emit_one(d, "State", g_variant_new_string(d->state));
    }
    return G_SOURCE_REMOVE;
}

void helperd_domain_set_state(HelperdDomain *d, const char *state)
{
    if (g_strcmp0(d->state, state) == 0)
        return;
    g_free(d->state);
    d->state = g_strdup(state);
    if (!d->state_id)
        d->state_id = g_timeout_add_full(G_PRIORITY_DEFAULT, 50, state_emit, g_strdup(d->path),
                                         g_free);
}

HelperdDomain *helperd_domain_find_uuid(const char *uuid)
{
    g_autofree char *path = helperd_domain_path(uuid);
    return g_hash_table_lookup(helperd.domains, path);
}

HelperdDomain *helperd_domain_find_name(HelperdConn *conn, const char *name)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        if ((!conn || d->conn == conn) && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static void domain_free(HelperdDomain *d)
{
    if (d->recheck_id)
        g_source_remove(d->recheck_id);
    if (d->state_id)
        g_source_remove(d->state_id);
    g_free(d->state_emitted);
    g_free(d->path);
    g_free(d->name);
    g_free(d->uuid);
    g_free(d->hypervisor);
    g_free(d->state);
    g_free(d->reason);
    g_free(d->access_path);
    g_free(d->os_type);
    g_free(d->page_mode);
    g_free(d->kernel_version);
    g_free(d);
}

static HelperdDomain *domain_new(const char *path, const char *name, const char *uuid,
                                 const char *hypervisor, const char *state);
static void domain_announce(HelperdDomain *d);

HelperdDomain *helperd_domain_publish(HelperdConn *conn, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;
    const char *name = virDomainGetName(dom);
    if (!name)
        return NULL;
    int state = VIR_DOMAIN_NOSTATE;
    if (virDomainGetState(dom, &state, NULL, 0) < 0)
        state = VIR_DOMAIN_NOSTATE;
    g_autofree char *path = helperd_domain_path(uuid);
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, path);
    if (d) {
        helperd_domain_set_state(d, helperd_state_name(state));
        return d;
    }
    d = domain_new(path, name, uuid, "qemu", helperd_state_name(state));
    d->conn = conn;
    d->worker = helperd_worker_new(d, dom, conn->uri);
    domain_announce(d);
    return d;
}

/* A new object (not yet announced); the caller sets its source and starts
 * its worker. */
static HelperdDomain *domain_new(const char *path, const char *name, const char *uuid,
                                 const char *hypervisor, const char *state)
{
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    HelperdDomain *d = g_new0(HelperdDomain, 1);
    d->path = g_strdup(path);
    d->name = g_strdup(name);
    d->uuid = g_strdup(uuid);
    d->hypervisor = g_strdup(hypervisor);
    d->state = g_strdup(state);
    d->state_emitted = g_strdup(d->state);
    d->reason = g_strdup_printf("Domain '%s': libvmi is being opened on it.", name);
    d->access_path = g_strdup("");
    d->os_type = g_strdup("unknown");
    d->page_mode = g_strdup("unknown");
    d->kernel_version = g_strdup("");
    d->writes = helperd_config_writes(cfg, uuid);
    d->control = helperd_config_control(cfg, uuid);
    g_hash_table_insert(helperd.domains, d->path, d);
    g_hash_table_remove(helperd.stale, d->path);
    return d;
}

/* InterfacesAdded, DomainAdded, the log line. */
static void domain_announce(HelperdDomain *d)
{
    GVariantBuilder ifaces;
    g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&ifaces, "{s@a{sv}}", HELPERD_DOMAIN_IFACE, helperd_domain_properties(d));
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_OM_IFACE,
                                  "InterfacesAdded", g_variant_new("(oa{sa{sv}})", d->path, &ifaces),
                                  NULL);
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_MANAGER_IFACE,
                                  "DomainAdded", g_variant_new("(os)", d->path, d->name), NULL);
    helperd_log("domain %s (%s) published at %s, %s, state %s%s", d->name, d->uuid, d->path,
                d->xen ? "Xen" : "libvirt", d->state, d->writes ? ", writes enabled" : "");
}

HelperdDomain *helperd_domain_publish_xen(guint32 domid, const char *name, const char *uuid)
{
    g_autofree char *path = helperd_domain_path(uuid);
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, path);
    if (d) {
        if (!d->xen)
            helperd_debug("Xen domain %u (%s): published already by libvirt at %s", domid, name,
                          path);
        return d->xen ? d : NULL;
    }
    /* xenstore tells that the domain exists, not how it runs: the worker
     * reads that from the xen driver (Pause changes it) */
    d = domain_new(path, name, uuid, "xen", "running");
    d->xen = TRUE;
    d->domid = domid;
    d->worker = helperd_worker_new(d, NULL, NULL);
    domain_announce(d);
    return d;
}

void helperd_domain_remove(HelperdDomain *d, const char *why)
{
    g_hash_table_steal(helperd.domains, d->path);
    if (!g_hash_table_contains(helperd.stale, d->path)) {
        g_hash_table_insert(helperd.stale, g_strdup(d->path), g_strdup(d->name));
        g_queue_push_tail(&helperd.stale_order, g_strdup(d->path));
        while (g_queue_get_length(&helperd.stale_order) > MAX_STALE) {
            g_autofree char *old = g_queue_pop_head(&helperd.stale_order);
            if (!g_hash_table_contains(helperd.domains, old))
                g_hash_table_remove(helperd.stale, old);
        }
    }
    helperd_worker_stop(d->worker, FALSE, NULL);
    d->worker = NULL;
    const char *ifaces[] = { HELPERD_DOMAIN_IFACE, NULL };
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_OM_IFACE,
                                  "InterfacesRemoved", g_variant_new("(o^as)", d->path, ifaces),
                                  NULL);
    g_dbus_connection_emit_signal(helperd.bus, NULL, HELPERD_MANAGER_PATH, HELPERD_MANAGER_IFACE,
                                  "DomainRemoved", g_variant_new("(os)", d->path, d->name), NULL);
    helperd_log("domain %s removed (%s)", d->name, why);
    domain_free(d);
}

static gboolean recheck_timeout(gpointer data)
{
    HelperdDomain *d = g_hash_table_lookup(helperd.domains, (const char *)data);
    if (d) {
        d->recheck_id = 0;
        helperd_domain_recheck(d, d->recheck_left);
    }
    return G_SOURCE_REMOVE;
}

void helperd_domain_recheck(HelperdDomain *d, int tries)
{
    if (d->xen) {
        helperd_xen_relist();   /* removes the object when xenstore no longer has it */
        return;
    }
    if (!d->conn->conn)
        return;     /* the reconnection will look */
    virDomainPtr dom = virDomainLookupByUUIDString(d->conn->conn, d->uuid);
    if (!dom) {
        if (helperd_error_from_virt(HELPERD_ERROR_FAILED) == HELPERD_ERROR_DOMAIN_GONE)
            helperd_domain_remove(d, "undefined");
        return;
    }
    int state = VIR_DOMAIN_NOSTATE;
    int active = virDomainIsActive(dom);
    if (active == 0) {
        virDomainFree(dom);
        helperd_domain_remove(d, "stopped");
        return;
    }
    if (active == 1 && virDomainGetState(dom, &state, NULL, 0) == 0)
        helperd_domain_set_state(d, helperd_state_name(state));
    virDomainFree(dom);
    if (tries > 0 && !d->recheck_id) {
        d->recheck_left = tries - 1;
        d->recheck_id = g_timeout_add_full(G_PRIORITY_DEFAULT, 300, recheck_timeout,
                                           g_strdup(d->path), g_free);
    }
}

void helperd_domain_reset(HelperdDomain *d, HelperdConn *conn, virDomainPtr dom)
{
    d->conn = conn;
    helperd_worker_reset(d->worker, dom, conn->uri);
}

void helperd_domains_drop_owner(const char *owner)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        helperd_worker_drop_owner(d->worker, owner);
    }
}

void helperd_domains_config_changed(void)
{
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        d->control = helperd_config_control(cfg, d->uuid);
        gboolean writes = helperd_config_writes(cfg, d->uuid);
        if (writes != d->writes) {
            d->writes = writes;
            helperd_log("domain %s: writes %s", d->name, writes ? "enabled" : "disabled");
            emit_one(d, "WritesEnabled", g_variant_new_boolean(writes));
        }
    }
}

void helperd_domains_shutdown(const char *why)
{
    GHashTableIter it;
    gpointer v;
    GPtrArray *all = g_ptr_array_new();
    GPtrArray *status = g_ptr_array_new_with_free_func((GDestroyNotify)helperd_worker_status_unref);
    helperd.stopping = TRUE;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        g_ptr_array_add(status, helperd_worker_status_ref(d->worker->status));
        helperd_worker_stop(d->worker, FALSE, why);
        d->worker = NULL;
        g_ptr_array_add(all, d);
    }
    g_hash_table_steal_all(helperd.domains);
    for (guint i = 0; i < all->len; i++)
        domain_free(all->pdata[i]);
    g_ptr_array_free(all, TRUE);
    /* The workers detach in parallel: queued calls answered, watches
     * cleared from the guests, paused domains resumed, instances destroyed.
     * Each has HELPERD_STOP_WAIT_S; the main loop keeps turning meanwhile
     * (new calls are refused, the workers' messages go out). */
    gint64 deadline = g_get_monotonic_time() + (gint64)HELPERD_STOP_WAIT_S * G_USEC_PER_SEC;
    for (;;) {
        guint left = 0;
        for (guint i = 0; i < status->len; i++)
            left += !g_atomic_int_get(&((HelperdWorkerStatus *)status->pdata[i])->done);
        if (left == 0 || g_get_monotonic_time() >= deadline)
            break;
        while (g_main_context_iteration(NULL, FALSE))
            ;
        g_usleep(10 * 1000);
    }
    while (g_main_context_iteration(NULL, FALSE))
        ;
    guint unfinished = 0;
    for (guint i = 0; i < status->len; i++) {
        HelperdWorkerStatus *st = status->pdata[i];
        if (g_atomic_int_get(&st->done))
            continue;
        g_autofree char *doing = helperd_worker_status_doing(st);
        helperd_log("domain %s did not finish detaching within %d s (busy with %s): exiting "
                    "without it; a watch of it may remain in the guest", st->name,
                    HELPERD_STOP_WAIT_S, doing ? doing : "its last call");
        unfinished++;
    }
    if (status->len)
        helperd_log("%u domain%s detached%s", status->len - unfinished,
                    status->len - unfinished == 1 ? "" : "s",
                    unfinished ? "" : ": every watch cleared, no pause left behind");
    g_ptr_array_free(status, TRUE);
}

/* ------------------------------------------------------------ the subtree */

static gchar **subtree_enumerate(GDBusConnection *bus, const gchar *sender, const gchar *path,
                                 gpointer user_data)
{
    GPtrArray *nodes = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    /* (Introspection is GDBus's own, before any method call: the bus
     * policy alone decides who sees the node list, as busctl tree needs) */
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(nodes, g_strdup((const char *)k + strlen(HELPERD_DOMAIN_PREFIX "/")));
    g_ptr_array_sort(nodes, (GCompareFunc)g_strcmp0);
    g_ptr_array_add(nodes, NULL);
    return (gchar **)g_ptr_array_free(nodes, FALSE);
}

static GDBusInterfaceInfo **subtree_introspect(GDBusConnection *bus, const gchar *sender,
                                               const gchar *path, const gchar *node,
                                               gpointer user_data)
{
    if (!node)
        return NULL;
    g_autofree char *full = g_strdup_printf(HELPERD_DOMAIN_PREFIX "/%s", node);
    /* (while the daemon stops, every node still answers: the call is
     * refused as "stopping", not as an unknown method) */
    if (!helperd.stopping && !g_hash_table_contains(helperd.domains, full) &&
        !g_hash_table_contains(helperd.stale, full))
        return NULL;
    GDBusInterfaceInfo **ifaces = g_new0(GDBusInterfaceInfo *, 2);
    ifaces[0] = g_dbus_interface_info_ref(
        g_dbus_node_info_lookup_interface(helperd.domain_node, HELPERD_DOMAIN_IFACE));
    return ifaces;
}

static const GDBusInterfaceVTable *subtree_dispatch(GDBusConnection *bus, const gchar *sender,
                                                    const gchar *path, const gchar *iface,
                                                    const gchar *node, gpointer *out_user_data,
                                                    gpointer user_data)
{
    *out_user_data = NULL;
    return g_strcmp0(iface, HELPERD_DOMAIN_IFACE) == 0 ? &helperd_iface_domain_vtable : NULL;
}

static const GDBusSubtreeVTable subtree_vtable = {
    .enumerate = subtree_enumerate,
    .introspect = subtree_introspect,
    .dispatch = subtree_dispatch,
};

gboolean helperd_domains_register(GError **error)
{
    return g_dbus_connection_register_subtree(helperd.bus, HELPERD_DOMAIN_PREFIX, &subtree_vtable,
                                              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                              NULL, NULL, error) != 0;
}
