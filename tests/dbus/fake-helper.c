/*
 * fake-helper: a stand-in for vmi-helperd on a private bus, for the policy
 * and hook tests (tests/dbus/test-policy.sh, tests/dbus/test-hook.sh).
 *
 * It loads the real interface XML from dbus/, so the tests also prove that
 * GDBus accepts it, then owns org.libvmi.helper1 on the bus at --address and
 * exports:
 *   /org/libvmi/helper1            Manager + ObjectManager
 *   /org/libvmi/helper1/domain/_<FAKE_UUID>   Domain (one fake domain)
 * Every call is logged on stdout as one tab-separated line, so a test can
 * check what arrived. NotifyLifecycle "started"/"stopped" also emits
 * DomainAdded/DomainRemoved, so a test can check who receives signals.
 * Domain methods answer org.libvmi.helper1.Error.NotIntrospectable: enough
 * to tell "the policy let the call through" from "the bus refused it".
 *
 * Exit status: 0 after SIGTERM/SIGINT or when the bus goes away, 2 on bad
 * usage or unreadable XML, 3 when the name cannot be owned.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>

#define BUS_NAME     "org.libvmi.helper1"
#define MANAGER_PATH "/org/libvmi/helper1"
#define FAKE_UUID    "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define DOMAIN_PATH  MANAGER_PATH "/domain/_c7a5fdbd_cdaf_9455_926a_d65c16db1809"
#define DOMAIN_NAME  "fake-domain"

static const char object_manager_xml[] =
    "<node><interface name='org.freedesktop.DBus.ObjectManager'>"
    "<method name='GetManagedObjects'>"
    "<arg name='objects' type='a{oa{sa{sv}}}' direction='out'/>"
    "</method>"
    "<signal name='InterfacesAdded'><arg type='o'/><arg type='a{sa{sv}}'/></signal>"
    "<signal name='InterfacesRemoved'><arg type='o'/><arg type='as'/></signal>"
    "</interface></node>";

static GDBusNodeInfo *manager_info;
static GDBusNodeInfo *domain_info;
static GDBusNodeInfo *om_info;

static void
log_call(GDBusMethodInvocation *invocation, const char *what)
{
    GDBusMessage *msg = g_dbus_method_invocation_get_message(invocation);
    gboolean no_reply = (g_dbus_message_get_flags(msg) &
                         G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) != 0;

    printf("%s\tsender=%s\tno_reply=%d\n", what,
           g_dbus_method_invocation_get_sender(invocation), no_reply);
    fflush(stdout);
}

static GVariant *
domain_property(const char *name)
{
    if (g_str_equal(name, "Name"))
        return g_variant_new_string(DOMAIN_NAME);
    if (g_str_equal(name, "UUID"))
        return g_variant_new_string(FAKE_UUID);
    if (g_str_equal(name, "Hypervisor"))
        return g_variant_new_string("qemu");
    if (g_str_equal(name, "State"))
        return g_variant_new_string("running");
    if (g_str_equal(name, "Introspectable") || g_str_equal(name, "WritesEnabled"))
        return g_variant_new_boolean(FALSE);
    if (g_str_equal(name, "IntrospectableReason"))
        return g_variant_new_string("Domain '" DOMAIN_NAME "' is a fake.");
    if (g_str_equal(name, "OSType") || g_str_equal(name, "PageMode"))
        return g_variant_new_string("unknown");
    if (g_str_equal(name, "MemorySize"))
        return g_variant_new_uint64(0);
    if (g_str_equal(name, "AccessPath") || g_str_equal(name, "KernelVersion"))
        return g_variant_new_string("");
    return NULL;
}

static GVariant *
manager_get_property(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                     const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
                     const char *name, GError **error, gpointer data G_GNUC_UNUSED)
{
    if (g_str_equal(name, "Version"))
        return g_variant_new_string("fake");
    g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                "No property '%s'.", name);
    return NULL;
}

static GVariant *
domain_get_property(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                    const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
                    const char *name, GError **error, gpointer data G_GNUC_UNUSED)
{
    GVariant *value = domain_property(name);

    if (value == NULL)
        g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
                    "No property '%s'.", name);
    return value;
}

static void
manager_call(GDBusConnection *conn, const char *sender G_GNUC_UNUSED,
             const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
             const char *method, GVariant *params,
             GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    if (g_str_equal(method, "ListDomains")) {
        const char *paths[] = { DOMAIN_PATH, NULL };

        log_call(invocation, "ListDomains");
        g_dbus_method_invocation_return_value(
            invocation, g_variant_new("(^ao)", paths));
        return;
    }
    if (g_str_equal(method, "NotifyLifecycle")) {
        const char *name, *uuid, *op, *subop;
        g_autofree char *what = NULL;
        const char *signal = NULL;

        g_variant_get(params, "(&s&s&s&s)", &name, &uuid, &op, &subop);
        what = g_strdup_printf("NotifyLifecycle\t%s\t%s\t%s\t%s", name, uuid, op, subop);
        log_call(invocation, what);
        if (g_str_equal(op, "started"))
            signal = "DomainAdded";
        else if (g_str_equal(op, "stopped"))
            signal = "DomainRemoved";
        if (signal != NULL)
            g_dbus_connection_emit_signal(conn, NULL, MANAGER_PATH,
                                          "org.libvmi.helper1.Manager", signal,
                                          g_variant_new("(os)", DOMAIN_PATH, name),
                                          NULL);
        g_dbus_method_invocation_return_value(invocation, NULL);
        return;
    }
    g_dbus_method_invocation_return_dbus_error(invocation,
                                               "org.libvmi.helper1.Error.Failed",
                                               "The fake helper does not implement this.");
}

static void
domain_call(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
            const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
            const char *method, GVariant *params G_GNUC_UNUSED,
            GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    log_call(invocation, method);
    g_dbus_method_invocation_return_dbus_error(
        invocation, "org.libvmi.helper1.Error.NotIntrospectable",
        "Domain '" DOMAIN_NAME "' cannot be introspected: it is a fake.");
}

static void
om_call(GDBusConnection *conn G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
        const char *path G_GNUC_UNUSED, const char *iface G_GNUC_UNUSED,
        const char *method G_GNUC_UNUSED, GVariant *params G_GNUC_UNUSED,
        GDBusMethodInvocation *invocation, gpointer data G_GNUC_UNUSED)
{
    GDBusInterfaceInfo *info = domain_info->interfaces[0];
    GVariantBuilder props, ifaces, objects;

    log_call(invocation, "GetManagedObjects");
    g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
    for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++) {
        GVariant *value = domain_property(info->properties[i]->name);

        if (value != NULL)
            g_variant_builder_add(&props, "{sv}", info->properties[i]->name, value);
    }
    g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
    g_variant_builder_add(&ifaces, "{sa{sv}}", info->name, &props);
    g_variant_builder_init(&objects, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
    g_variant_builder_add(&objects, "{oa{sa{sv}}}", DOMAIN_PATH, &ifaces);
    g_dbus_method_invocation_return_value(invocation,
                                          g_variant_new("(a{oa{sa{sv}}})", &objects));
}

static const GDBusInterfaceVTable manager_vtable = { manager_call, manager_get_property, NULL, { 0 } };
static const GDBusInterfaceVTable domain_vtable = { domain_call, domain_get_property, NULL, { 0 } };
static const GDBusInterfaceVTable om_vtable = { om_call, NULL, NULL, { 0 } };

static GDBusNodeInfo *
load_xml(const char *dir, const char *file, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    return g_dbus_node_info_new_for_xml(text, error);
}

static gboolean
quit_cb(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void
closed_cb(GDBusConnection *conn G_GNUC_UNUSED, gboolean remote_peer_vanished G_GNUC_UNUSED,
          GError *error G_GNUC_UNUSED, gpointer loop)
{
    g_main_loop_quit(loop);
}

int
main(int argc, char **argv)
{
    g_autofree char *address = NULL;
    g_autofree char *xml_dir = NULL;
    GOptionEntry entries[] = {
        { "address", 0, 0, G_OPTION_ARG_STRING, &address, "D-Bus address of the bus", "ADDR" },
        { "xml-dir", 0, 0, G_OPTION_ARG_FILENAME, &xml_dir, "Directory of the interface XML", "DIR" },
        G_OPTION_ENTRY_NULL
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- fake vmi-helperd for tests");
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    guint32 result = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || address == NULL || xml_dir == NULL) {
        fprintf(stderr, "usage: fake-helper --address ADDR --xml-dir DIR (%s)\n",
                error != NULL ? error->message : "missing option");
        return 2;
    }
    if ((manager_info = load_xml(xml_dir, "org.libvmi.helper1.Manager.xml", &error)) == NULL ||
        (domain_info = load_xml(xml_dir, "org.libvmi.helper1.Domain.xml", &error)) == NULL ||
        (om_info = g_dbus_node_info_new_for_xml(object_manager_xml, &error)) == NULL) {
        fprintf(stderr, "fake-helper: cannot load the interface XML: %s\n", error->message);
        return 2;
    }

    conn = g_dbus_connection_new_for_address_sync(
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    if (conn == NULL) {
        fprintf(stderr, "fake-helper: cannot connect to %s: %s\n", address, error->message);
        return 3;
    }
    g_dbus_connection_set_exit_on_close(conn, FALSE);

    /* Objects first, name second: no call can arrive before its object. */
    if (!g_dbus_connection_register_object(conn, MANAGER_PATH, manager_info->interfaces[0],
                                           &manager_vtable, NULL, NULL, &error) ||
        !g_dbus_connection_register_object(conn, MANAGER_PATH, om_info->interfaces[0],
                                           &om_vtable, NULL, NULL, &error) ||
        !g_dbus_connection_register_object(conn, DOMAIN_PATH, domain_info->interfaces[0],
                                           &domain_vtable, NULL, NULL, &error)) {
        fprintf(stderr, "fake-helper: cannot export objects: %s\n", error->message);
        return 2;
    }

    reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "RequestName",
                                        g_variant_new("(su)", BUS_NAME, 4 /* DO_NOT_QUEUE */),
                                        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                        5000, NULL, &error);
    if (reply == NULL) {
        g_autofree char *remote = g_dbus_error_get_remote_error(error);

        printf("OWN-FAILED\t%s\n", remote != NULL ? remote : error->message);
        fflush(stdout);
        return 3;
    }
    g_variant_get(reply, "(u)", &result);
    if (result != 1 /* PRIMARY_OWNER */) {
        printf("OWN-FAILED\tRequestName returned %u\n", result);
        fflush(stdout);
        return 3;
    }
    printf("READY\n");
    fflush(stdout);

    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, quit_cb, loop);
    g_unix_signal_add(SIGINT, quit_cb, loop);
    g_signal_connect(conn, "closed", G_CALLBACK(closed_cb), loop);
    g_main_loop_run(loop);
    return 0;
}
