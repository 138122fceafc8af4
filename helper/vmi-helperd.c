/*
 * vmi-helperd - the libvmi host helper daemon.
 *
 * Follows the libvirt domain lifecycle on one or more connections and
 * publishes one D-Bus object per running domain (org.libvmi.helper1.Domain,
 * backed by libvmi), under a manager object (org.libvmi.helper1.Manager and
 * org.freedesktop.DBus.ObjectManager) at /org/libvmi/helper1.  The
 * interfaces are dbus/org.libvmi.helper1.*.xml, compiled in; see
 * vmi-helperd(8), vmi-helperd.conf(5) and vmi-helperd-dbus(7).
 *
 * This file: options, the bus, the manager object, libvirt connections
 * (events on the GLib main loop through libvirt-glib, reconnection when
 * libvirtd restarts), lifecycle events and hints from the qemu hook.  Xen
 * domains come from xenstore (helperd-xen.c), beside these.
 */
#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/virterror.h>

#include "helperd.h"
#include "helperd-interfaces.h"

#define RECONNECT_MS 1000

Helperd helperd;

static const char object_manager_xml[] =
    "<node>"
    "<interface name='org.freedesktop.DBus.ObjectManager'>"
    "<method name='GetManagedObjects'>"
    "<arg name='objects' type='a{oa{sa{sv}}}' direction='out'/>"
    "</method>"
    "<signal name='InterfacesAdded'>"
    "<arg name='object_path' type='o'/>"
    "<arg name='interfaces_and_properties' type='a{sa{sv}}'/>"
    "</signal>"
    "<signal name='InterfacesRemoved'>"
    "<arg name='object_path' type='o'/>"
    "<arg name='interfaces' type='as'/>"
    "</signal>"
    "</interface>"
    "</node>";

/* ============================================================ libvirt */

static void conn_connect(HelperdConn *c);
static void conn_closed(virConnectPtr conn, int reason, void *opaque);

static void quiet_libvirt(void *data, virErrorPtr err)
{
}

static gboolean conn_retry(gpointer data)
{
    HelperdConn *c = data;
    c->retry_id = 0;
    conn_connect(c);
    return G_SOURCE_REMOVE;
}

static void conn_schedule(HelperdConn *c)
{
    if (!c->retry_id)
        c->retry_id = g_timeout_add(RECONNECT_MS, conn_retry, c);
}

/* Drops a dead connection; the objects stay until the reconnection
 * says which domains still run. */
static void conn_drop(HelperdConn *c)
{
    if (!c->conn)
        return;
    if (c->lifecycle_id >= 0)
        virConnectDomainEventDeregisterAny(c->conn, c->lifecycle_id);
    c->lifecycle_id = -1;
    /* the close callback holds a reference on the connection: without
     * this, every reconnection would leak the old one */
    virConnectUnregisterCloseCallback(c->conn, conn_closed);
    virConnectClose(c->conn);
    c->conn = NULL;
}

static gboolean conn_lost_idle(gpointer data)
{
    HelperdConn *c = data;
    conn_drop(c);
    conn_schedule(c);
    return G_SOURCE_REMOVE;
}

static void conn_closed(virConnectPtr conn, int reason, void *opaque)
{
    HelperdConn *c = opaque;
    static const char *const why[] = { "error", "end of file", "keepalive timeout", "client closed" };
    if (c->conn != conn)
        return;
    helperd_log("lost %s (%s), reconnecting", c->uri,
                reason >= 0 && reason < (int)G_N_ELEMENTS(why) ? why[reason] : "unknown");
    c->failure_logged = TRUE;
    g_idle_add(conn_lost_idle, c);
}

/* ------------------------------------------------------------ auto_enable */

static void auto_enable(HelperdConn *c, virDomainPtr dom)
{
    g_autoptr(HelperdConfig) cfg = helperd_config_get();
    const char *name = virDomainGetName(dom);
    if (!name || !helperd_config_auto_enable(cfg, name))
        return;
    gboolean changed = FALSE;
    HelperdError code;
    g_autofree char *msg = NULL;
    if (helperd_enable_domain(dom, cfg->auto_enable_mode, cfg->gdbstub_dir, &changed, &code, &msg))
        helperd_log("auto_enable: domain %s %s (%s)", name,
                    changed ? "enabled" : "was enabled already",
                    vmi_domxml_mode_to_string(cfg->auto_enable_mode));
    else
        helperd_log("auto_enable: domain %s not enabled: %s", name, msg);
}

/* QEMU cannot start a domain whose gdbstub socket directory is missing:
 * for a domain whose persistent XML has our gdbstub, make it (virt-vmi
 * enable, an edited XML or a directory removed since may have left it
 * missing). */
static void ensure_socket_dir(virDomainPtr dom)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    g_autofree char *sock = NULL;
    vmi_domxml_mode_t mode = 0;
    if (!xml || !vmi_domxml_status(xml, &mode, &sock, NULL) || !(mode & VMI_DOMXML_GDBSTUB) || !sock)
        return;
    g_autofree char *dir = g_path_get_dirname(sock);
    g_autofree char *msg = NULL;
    if (!helperd_ensure_gdb_dir(dir, &msg))
        helperd_log("domain %s: %s", virDomainGetName(dom), msg);
}

/* ------------------------------------------------------------ lifecycle */

static const char *event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    case VIR_DOMAIN_EVENT_STARTED: return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED: return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED: return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED: return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED: return "crashed";
    default: return "unknown";
    }
}

static int lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    HelperdConn *c = opaque;
    if (helperd.stopping)
        return 0;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    const char *name = virDomainGetName(dom);
    helperd_debug("libvirt event: domain %s %s (detail %d) at %s", name, event_name(event), detail,
                  c->uri);
    HelperdDomain *d = helperd_domain_find_uuid(uuid);
    switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
        helperd_domain_publish(c, dom);
        break;
    case VIR_DOMAIN_EVENT_STOPPED:
        if (d)
            helperd_domain_remove(d, "stopped");
        break;
    case VIR_DOMAIN_EVENT_UNDEFINED:
        if (d && virDomainIsActive(dom) != 1)
            helperd_domain_remove(d, "undefined");
        break;
    case VIR_DOMAIN_EVENT_DEFINED:
        if (d && name && strcmp(d->name, name) != 0)
            helperd_log("domain %s renamed to %s", d->name, name);
        if (detail == VIR_DOMAIN_EVENT_DEFINED_ADDED)
            auto_enable(c, dom);
        ensure_socket_dir(dom);
        break;
    default: {
        /* a state change of a running domain */
        if (d) {
            int state = VIR_DOMAIN_NOSTATE;
            if (virDomainGetState(dom, &state, NULL, 0) == 0)
                helperd_domain_set_state(d, helperd_state_name(state));
        } else if (virDomainIsActive(dom) == 1) {
            helperd_domain_publish(c, dom);
        }
        break;
    }
    }
    return 0;
}

/* Publishes what runs, removes what does not (at connection time). */
static void conn_sync(HelperdConn *c, gboolean reconnected)
{
    if (helperd.stopping)
        return;
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(c->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        helperd_log("listing the domains at %s failed: %s", c->uri, helperd_virt_error());
        return;
    }
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(doms[i], uuid) == 0) {
            HelperdDomain *d = helperd_domain_find_uuid(uuid);
            if (d && (reconnected || d->conn != c)) {
                helperd_log("domain %s still runs at %s: libvmi is reopened on it", d->name, c->uri);
                helperd_domain_reset(d, c, doms[i]);
            }
            d = helperd_domain_publish(c, doms[i]);
            if (d)
                g_hash_table_add(seen, g_strdup(d->path));
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    doms = NULL;
    n = virConnectListAllDomains(c->conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
    for (int i = 0; i < n; i++) {
        ensure_socket_dir(doms[i]);
        virDomainFree(doms[i]);
    }
    free(doms);
    GPtrArray *gone = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        if (d->conn == c && !g_hash_table_contains(seen, d->path))
            g_ptr_array_add(gone, d);
    }
    for (guint i = 0; i < gone->len; i++)
        helperd_domain_remove(gone->pdata[i], "not running after reconnecting");
    g_ptr_array_free(gone, TRUE);
}

static void conn_connect(HelperdConn *c)
{
    if (c->conn)
        return;
    virConnectPtr conn = virConnectOpen(c->uri);
    if (!conn) {
        if (!c->failure_logged)
            helperd_log("cannot connect to %s: %s; retrying every %d ms", c->uri,
                        helperd_virt_error(), RECONNECT_MS);
        c->failure_logged = TRUE;
        conn_schedule(c);
        return;
    }
    const char *type = virConnectGetType(conn);
    if (!type || g_ascii_strcasecmp(type, "QEMU") != 0)
        helperd_log("%s manages %s domains: only QEMU domains can be introspected", c->uri,
                    type ? type : "unknown");
    c->conn = conn;
    virConnSetErrorFunc(conn, NULL, quiet_libvirt);
    if (virConnectRegisterCloseCallback(conn, conn_closed, c, NULL) < 0)
        helperd_log("%s: no close callback: %s", c->uri, helperd_virt_error());
    virConnectSetKeepAlive(conn, 5, 3);
    c->lifecycle_id = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                       VIR_DOMAIN_EVENT_CALLBACK(lifecycle), c,
                                                       NULL);
    if (c->lifecycle_id < 0)
        helperd_log("%s: lifecycle events cannot be had: %s", c->uri, helperd_virt_error());
    gboolean reconnected = c->ever_connected;
    c->ever_connected = TRUE;
    c->failure_logged = FALSE;
    helperd_log("connected to %s%s", c->uri, reconnected ? " again" : "");
    conn_sync(c, reconnected);
}

/* ============================================================ the hook */

typedef struct {
    char *name, *uuid, *op, *subop;
    int tries;
} Hint;

static void hint_free(Hint *h)
{
    g_free(h->name);
    g_free(h->uuid);
    g_free(h->op);
    g_free(h->subop);
    g_free(h);
}

static virDomainPtr hint_lookup(HelperdConn *c, const Hint *h)
{
    virDomainPtr dom = NULL;
    if (*h->uuid && g_uuid_string_is_valid(h->uuid))
        dom = virDomainLookupByUUIDString(c->conn, h->uuid);
    if (!dom)
        dom = virDomainLookupByName(c->conn, h->name);
    return dom;
}

/* A domain the hook says runs: publish it once libvirt agrees. */
static gboolean hint_started(gpointer data)
{
    Hint *h = data;
    for (guint i = 0; i < helperd.conns->len; i++) {
        HelperdConn *c = helperd.conns->pdata[i];
        if (!c->conn)
            continue;
        virDomainPtr dom = hint_lookup(c, h);
        if (!dom)
            continue;
        gboolean active = virDomainIsActive(dom) == 1;
        if (active)
            helperd_domain_publish(c, dom);
        virDomainFree(dom);
        if (active)
            return G_SOURCE_REMOVE;
    }
    return ++h->tries < 10 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void hint(const char *name, const char *uuid, const char *op, const char *subop)
{
    if (strcmp(op, "started") == 0 || strcmp(op, "reconnect") == 0) {
        Hint *h = g_new0(Hint, 1);
        h->name = g_strdup(name);
        h->uuid = g_strdup(uuid);
        h->op = g_strdup(op);
        h->subop = g_strdup(subop);
        g_timeout_add_full(G_PRIORITY_DEFAULT, 300, hint_started, h, (GDestroyNotify)hint_free);
    } else if (strcmp(op, "stopped") == 0 || strcmp(op, "release") == 0) {
        HelperdDomain *d = NULL;
        if (*uuid && g_uuid_string_is_valid(uuid))
            d = helperd_domain_find_uuid(uuid);
        if (!d)
            d = helperd_domain_find_name(NULL, name);
        if (d)
            helperd_domain_recheck(d, 10);
    }
}

typedef struct {
    GDBusMethodInvocation *inv;
    char *name, *uuid, *op, *subop;
} HookCall;

static void hook_uid_done(GObject *src, GAsyncResult *res, gpointer data)
{
    HookCall *hc = data;
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    guint32 uid = 0;
    if (r)
        g_variant_get(r, "(u)", &uid);
    if (r && uid != 0) {
        helperd_log("hook: NotifyLifecycle from uid %u refused (root only)", uid);
        helperd_return_error(hc->inv, HELPERD_ERROR_ACCESS_DENIED, "NotifyLifecycle is reserved "
                             "for root (the libvirt hook); the caller is uid %u.", uid);
    } else {
        /* The hook sends and exits at once, so its connection is often
         * gone by now: on the system bus, only root may send this (the
         * policy), and it is only a hint to look at libvirt again. */
        helperd_log("hook: %s %s/%s%s", hc->name, hc->op, hc->subop,
                    r ? "" : " (sender already gone)");
        hint(hc->name, hc->uuid, hc->op, hc->subop);
        g_dbus_method_invocation_return_value(hc->inv, NULL);
    }
    g_free(hc->name);
    g_free(hc->uuid);
    g_free(hc->op);
    g_free(hc->subop);
    g_free(hc);
}

/* ============================================================ manager */

static gint compare_paths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The Manager's methods (main loop). */
static void m_list_domains(GDBusMethodInvocation *inv, GVariant *params)
{
    g_autoptr(GPtrArray) paths = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(paths, k);
    g_ptr_array_sort(paths, compare_paths);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < paths->len; i++)
        g_variant_builder_add(&b, "o", (const char *)paths->pdata[i]);
    g_dbus_method_invocation_return_value(inv, g_variant_new("(ao)", &b));
}

/* Root's (the hook), checked here rather than by helperd_auth_call: the
 * hook's connection is often gone before the daemon can ask the bus for its
 * groups, and the uid alone decides. */
static void m_notify_lifecycle(GDBusMethodInvocation *inv, GVariant *params)
{
    const char *name, *uuid, *op, *subop;
    g_variant_get(params, "(&s&s&s&s)", &name, &uuid, &op, &subop);
    if (!*name) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT,
                             "NotifyLifecycle: the domain name is empty.");
        return;
    }
    HookCall *hc = g_new0(HookCall, 1);
    hc->inv = inv;
    hc->name = g_strndup(name, 256);
    hc->uuid = g_strndup(uuid, 64);
    hc->op = g_strndup(op, 32);
    hc->subop = g_strndup(subop, 32);
    g_dbus_connection_call(g_dbus_method_invocation_get_connection(inv), "org.freedesktop.DBus",
                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "GetConnectionUnixUser",
                           g_variant_new("(s)", g_dbus_method_invocation_get_sender(inv)),
                           G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL,
                           hook_uid_done, hc);
}

static void m_get_managed_objects(GDBusMethodInvocation *inv, GVariant *params)
{
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, helperd.domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        HelperdDomain *d = v;
        GVariantBuilder ifaces;
        g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
        g_variant_builder_add(&ifaces, "{s@a{sv}}", HELPERD_DOMAIN_IFACE,
                              helperd_domain_properties(d));
        g_variant_builder_add(&b, "{oa{sa{sv}}}", d->path, &ifaces);
    }
    g_dbus_method_invocation_return_value(inv, g_variant_new("(a{oa{sa{sv}}})", &b));
}

typedef struct {
    const char *name;
    const char *signature;      /* the in-arguments, as in the interface XML */
    HelperdMethodFlags flags;
    void (*run)(GDBusMethodInvocation *inv, GVariant *params);
} ManagerMethod;

/* One table per interface served at /org/libvmi/helper1, in the order of
 * its XML. */
static const ManagerMethod manager_methods[] = {
    { "ListDomains", "()", 0, m_list_domains },
    { "NotifyLifecycle", "(ssss)", HELPERD_METHOD_NO_AUTH, m_notify_lifecycle },
};

static const ManagerMethod om_methods[] = {
    { "GetManagedObjects", "()", 0, m_get_managed_objects },
};

static const ManagerMethod *find_method(const char *iface, const char *name)
{
    const ManagerMethod *table = NULL;
    size_t n = 0;
    if (strcmp(iface, HELPERD_MANAGER_IFACE) == 0) {
        table = manager_methods;
        n = G_N_ELEMENTS(manager_methods);
    } else if (strcmp(iface, HELPERD_OM_IFACE) == 0) {
        table = om_methods;
        n = G_N_ELEMENTS(om_methods);
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static gboolean table_matches(GDBusNodeInfo *node, const char *iface, const ManagerMethod *table,
                              size_t n, GError **error)
{
    g_autofree const char **names = g_new(const char *, n);
    g_autofree const char **sigs = g_new(const char *, n);
    for (size_t i = 0; i < n; i++) {
        names[i] = table[i].name;
        sigs[i] = table[i].signature;
    }
    return helperd_methods_match(g_dbus_node_info_lookup_interface(node, iface), names, sigs, n,
                                 error);
}

/* Serves a method of the Manager or the ObjectManager (authorized, or
 * NO_AUTH). */
static void manager_run(GDBusMethodInvocation *inv)
{
    const char *iface = g_dbus_method_invocation_get_interface_name(inv);
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *params = g_dbus_method_invocation_get_parameters(inv);
    if (strcmp(iface, HELPERD_PROPS_IFACE) == 0) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "Version", g_variant_new_string(PACKAGE_VERSION));
        helperd_return_properties(inv, HELPERD_MANAGER_IFACE, g_variant_builder_end(&b));
        return;
    }
    const ManagerMethod *m = find_method(iface, method);
    if (!m) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "Method %s is not implemented.", method);
        return;
    }
    g_autoptr(GError) e = NULL;
    if (!helperd_method_args_check(method, m->signature, params, &e)) {
        helperd_return_error(inv, HELPERD_ERROR_INVALID_ARGUMENT, "%s", e->message);
        return;
    }
    m->run(inv, params);
}

static void manager_method_call(GDBusConnection *bus, const gchar *sender, const gchar *path,
                                const gchar *iface, const gchar *method, GVariant *params,
                                GDBusMethodInvocation *inv, gpointer user_data)
{
    if (helperd.stopping) {
        helperd_return_error(inv, HELPERD_ERROR_FAILED, "vmi-helperd is stopping (%s): the "
                             "call was not run.", helperd.stop_why);
        return;
    }
    const ManagerMethod *m = find_method(iface, method);
    if (m && (m->flags & HELPERD_METHOD_NO_AUTH))
        manager_run(inv);
    else
        helperd_auth_call(inv, manager_run);
}

static const GDBusInterfaceVTable manager_vtable = {
    .method_call = manager_method_call,
    /* no get_property: Properties calls come to method_call, behind the
     * same authorization */
};

/* ============================================================ the bus */

static void name_owner_changed(GDBusConnection *bus, const gchar *sender, const gchar *path,
                               const gchar *iface, const gchar *signal, GVariant *params,
                               gpointer data)
{
    const char *name, *old_owner, *new_owner;
    g_variant_get(params, "(&s&s&s)", &name, &old_owner, &new_owner);
    if (!*new_owner)
        helperd_auth_forget(name);
    if (*new_owner || !g_hash_table_contains(helperd.watchers, name))
        return;
    g_hash_table_remove(helperd.watchers, name);
    helperd_domains_drop_owner(name);
}

static void bus_closed(GDBusConnection *bus, gboolean remote, GError *error, gpointer data)
{
    helperd_log("the bus connection closed%s%s: exiting", error ? ": " : "",
                error ? error->message : "");
    helperd.exit_status = 1;
    if (!helperd.stop_why)
        helperd.stop_why = "the bus connection closed";
    g_main_loop_quit(helperd.loop);
}

static gboolean name_acquired_once;

static void name_acquired(GDBusConnection *bus, const gchar *name, gpointer data)
{
    name_acquired_once = TRUE;
    helperd_log("owns %s on the bus", name);
}

static void name_lost(GDBusConnection *bus, const gchar *name, gpointer data)
{
    if (name_acquired_once)
        helperd_log("lost the bus name %s: exiting", name);
    else
        helperd_log("cannot own %s on the bus (another helper runs, or the bus policy does not "
                    "allow this user to own it): exiting", name);
    helperd.exit_status = 3;
    if (!helperd.stop_why)
        helperd.stop_why = "the bus name was lost";
    g_main_loop_quit(helperd.loop);
}

static gboolean load_interfaces(GError **error)
{
    helperd.manager_node = g_dbus_node_info_new_for_xml(helperd_manager_xml, error);
    if (!helperd.manager_node)
        return FALSE;
    helperd.domain_node = g_dbus_node_info_new_for_xml(helperd_domain_xml, error);
    if (!helperd.domain_node)
        return FALSE;
    helperd.om_node = g_dbus_node_info_new_for_xml(object_manager_xml, error);
    if (!helperd.om_node)
        return FALSE;
    if (!g_dbus_node_info_lookup_interface(helperd.manager_node, HELPERD_MANAGER_IFACE) ||
        !g_dbus_node_info_lookup_interface(helperd.domain_node, HELPERD_DOMAIN_IFACE)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the compiled-in interface XML lacks the Manager or Domain interface");
        return FALSE;
    }
    g_dbus_interface_info_cache_build(
        g_dbus_node_info_lookup_interface(helperd.domain_node, HELPERD_DOMAIN_IFACE));
    /* every method of the XML has its entry in the tables, and no other */
    return helperd_iface_domain_check(
               g_dbus_node_info_lookup_interface(helperd.domain_node, HELPERD_DOMAIN_IFACE),
               error) &&
           table_matches(helperd.manager_node, HELPERD_MANAGER_IFACE, manager_methods,
                         G_N_ELEMENTS(manager_methods), error) &&
           table_matches(helperd.om_node, HELPERD_OM_IFACE, om_methods,
                         G_N_ELEMENTS(om_methods), error);
}

static gboolean register_objects(GError **error)
{
    if (!g_dbus_connection_register_object(
            helperd.bus, HELPERD_MANAGER_PATH,
            g_dbus_node_info_lookup_interface(helperd.manager_node, HELPERD_MANAGER_IFACE),
            &manager_vtable, NULL, NULL, error))
        return FALSE;
    if (!g_dbus_connection_register_object(
            helperd.bus, HELPERD_MANAGER_PATH,
            g_dbus_node_info_lookup_interface(helperd.om_node, HELPERD_OM_IFACE), &manager_vtable,
            NULL, NULL, error))
        return FALSE;
    return helperd_domains_register(error);
}

/* ============================================================ signals */

static const char *config_arg;

static gboolean on_quit(gpointer data)
{
    helperd_log("%s: exiting", (const char *)data);
    if (!helperd.stop_why)
        helperd.stop_why = data;
    g_main_loop_quit(helperd.loop);
    return G_SOURCE_CONTINUE;
}

static gboolean on_hup(gpointer data)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(HelperdConfig) old = helperd_config_get();
    g_autoptr(HelperdConfig) cfg = helperd_config_load(config_arg, &e);
    if (!cfg) {
        helperd_log("SIGHUP: the configuration was not reloaded: %s", e->message);
        return G_SOURCE_CONTINUE;
    }
    /* the libvirt connections stay those of the start */
    g_strfreev(cfg->uris);
    cfg->uris = g_strdupv(old->uris);
    cfg->xen = old->xen;
    helperd_config_set(cfg);
    helperd_log("SIGHUP: configuration reloaded from %s", cfg->file ? cfg->file : "defaults");
    helperd_domains_config_changed();
    return G_SOURCE_CONTINUE;
}

/* ============================================================ main */

int main(int argc, char **argv)
{
    gboolean opt_system = FALSE, opt_session = FALSE, opt_version = FALSE;
    g_autofree char *opt_address = NULL;
    g_auto(GStrv) opt_uris = NULL;
    g_autofree char *opt_config = NULL;
    g_autofree char *opt_xen = NULL;
    GOptionEntry entries[] = {
        { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system, "Use the system bus (the default)", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session, "Use the session bus", NULL },
        { "address", 0, 0, G_OPTION_ARG_STRING, &opt_address, "Use the bus at ADDR", "ADDR" },
        { "connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &opt_uris,
          "Follow the libvirt URI (repeatable; default: the configuration's uris, else "
          HELPERD_DEFAULT_URI ")", "URI" },
        { "xen", 0, 0, G_OPTION_ARG_STRING, &opt_xen,
          "Follow Xen's domains (xenstore): auto, on or off (default: the configuration's "
          "xen, else auto)", "MODE" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
          "Read FILE (default: " HELPERD_CONFIG_FILE ")", "FILE" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &helperd_verbose, "Log more (libvmi's debug "
          "messages too)", NULL },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
        { NULL }
    };
    g_autoptr(GError) e = NULL;
    g_autoptr(GOptionContext) ctx = g_option_context_new("- the libvmi host helper daemon");
    g_option_context_set_summary(ctx, "Publishes the running libvirt (and Xen) domains on D-Bus as "
                                 HELPERD_BUS_NAME " objects backed by libvmi.");
    g_option_context_set_description(ctx, "See vmi-helperd(8), vmi-helperd.conf(5) and "
                                     "vmi-helperd-dbus(7).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
        fprintf(stderr, "vmi-helperd: %s (try --help)\n", e->message);
        return 2;
    }
    if (opt_version) {
        printf("vmi-helperd %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "vmi-helperd: unexpected argument '%s' (try --help)\n", argv[1]);
        return 2;
    }
    if ((opt_system + opt_session + (opt_address != NULL)) > 1) {
        fprintf(stderr, "vmi-helperd: give at most one of --system, --session and --address\n");
        return 2;
    }
    HelperdXenMode xen_mode = HELPERD_XEN_AUTO;
    if (opt_xen && !helperd_xen_mode_from_string(opt_xen, &xen_mode)) {
        fprintf(stderr, "vmi-helperd: --xen=%s: use auto, on or off\n", opt_xen);
        return 2;
    }
    helperd_log_init();
    config_arg = opt_config;
    g_autoptr(HelperdConfig) cfg = helperd_config_load(opt_config, &e);
    if (!cfg) {
        helperd_log("error: %s", e->message);
        return 2;
    }
    if (opt_uris && opt_uris[0]) {
        g_strfreev(cfg->uris);
        cfg->uris = g_strdupv(opt_uris);
    }
    if (opt_xen)
        cfg->xen = xen_mode;
    helperd_config_set(cfg);
    helperd_bench_keep_caches = g_strcmp0(g_getenv("VMI_HELPERD_BENCH_KEEP_CACHES"), "1") == 0;
    if (helperd_bench_keep_caches)
        helperd_log("VMI_HELPERD_BENCH_KEEP_CACHES=1: translation and pid caches are kept "
                    "between calls (BENCH ONLY: stale translations may reach other processes' "
                    "pages; never use this on a production host)");
    helperd_log("vmi-helperd %s starting (configuration %s, libvmi entries from %s)",
                PACKAGE_VERSION, cfg->file ? cfg->file : "defaults", cfg->libvmi_conf);

    /* libvirt: events on the GLib main loop; no errors on stderr */
    if (!gvir_init_check(&argc, &argv, &e)) {
        helperd_log("error: libvirt-glib: %s", e->message);
        return 1;
    }
    gvir_event_register();
    virSetErrorFunc(NULL, quiet_libvirt);

    if (!load_interfaces(&e)) {
        helperd_log("error: the interface XML: %s", e->message);
        return 1;
    }
    helperd.loop = g_main_loop_new(NULL, FALSE);
    helperd.domains = g_hash_table_new(g_str_hash, g_str_equal);
    helperd.stale = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_queue_init(&helperd.stale_order);
    helperd.watchers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    helperd.conns = g_ptr_array_new();

    if (opt_address) {
        helperd.bus = g_dbus_connection_new_for_address_sync(
            opt_address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &e);
    } else {
        helperd.bus = g_bus_get_sync(opt_session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &e);
    }
    if (!helperd.bus) {
        helperd_log("error: cannot connect to the %s bus: %s",
                    opt_address ? opt_address : opt_session ? "session" : "system", e->message);
        return 1;
    }
    g_dbus_connection_set_exit_on_close(helperd.bus, FALSE);
    g_signal_connect(helperd.bus, "closed", G_CALLBACK(bus_closed), NULL);
    if (!register_objects(&e)) {
        helperd_log("error: cannot register the objects: %s", e->message);
        return 1;
    }
    g_dbus_connection_signal_subscribe(helperd.bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                       "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                       G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed, NULL, NULL);
    guint own_id = g_bus_own_name_on_connection(helperd.bus, HELPERD_BUS_NAME,
                                                G_BUS_NAME_OWNER_FLAGS_NONE, name_acquired,
                                                name_lost, NULL, NULL);
    g_unix_signal_add(SIGTERM, on_quit, "SIGTERM");
    g_unix_signal_add(SIGINT, on_quit, "SIGINT");
    g_unix_signal_add(SIGHUP, on_hup, NULL);

    for (char **u = cfg->uris; *u; u++) {
        HelperdConn *c = g_new0(HelperdConn, 1);
        c->uri = g_strdup(*u);
        c->lifecycle_id = -1;
        g_ptr_array_add(helperd.conns, c);
        conn_connect(c);
    }
    /* Xen's domains (xenstore), beside libvirt's */
    if (!helperd_xen_start(cfg->xen, &e)) {
        helperd_log("error: %s", e->message);
        return 1;
    }

    g_main_loop_run(helperd.loop);

    /* the name stays ours while the domains detach: a call sent meanwhile
     * is refused by the daemon (Failed, "stopping"), not lost */
    helperd_xen_stop();
    helperd_domains_shutdown(helperd.stop_why ? helperd.stop_why : "exiting");
    /* Then the name goes (ReleaseName), and one round trip to the bus
     * after it: the bus delivers in order, so every call it routed to us
     * before the release is here once the reply is, and is answered
     * (refused) below.  Later calls get ServiceUnknown from the bus. */
    g_bus_unown_name(own_id);
    if (!g_dbus_connection_is_closed(helperd.bus)) {
        GVariant *r = g_dbus_connection_call_sync(helperd.bus, "org.freedesktop.DBus",
                                                  "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                  "GetId", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                                  5000, NULL, NULL);
        if (r)
            g_variant_unref(r);
    }
    while (g_main_context_iteration(NULL, FALSE))
        ;
    for (guint i = 0; i < helperd.conns->len; i++) {
        HelperdConn *c = helperd.conns->pdata[i];
        if (c->retry_id)
            g_source_remove(c->retry_id);
        conn_drop(c);
        g_free(c->uri);
        g_free(c);
    }
    g_ptr_array_free(helperd.conns, TRUE);
    g_dbus_connection_flush_sync(helperd.bus, NULL, NULL);
    helperd_log("stopped");
    helperd_config_set(NULL);
    return helperd.exit_status;
}
