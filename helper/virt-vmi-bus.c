/*
 * virt-vmi-bus.c - the vmi-helperd backend of virt-vmi: domains are the
 * helper's objects (ObjectManager.GetManagedObjects), methods are D-Bus
 * calls on them. The helper's errors are passed up unchanged, so the
 * command can print their D-Bus names.
 */
#include <string.h>

#include "virt-vmi-backend.h"
#include "virt-vmi-util.h"

G_DEFINE_QUARK(virt-vmi-backend-error-quark, vv_backend_error)

void
vv_domain_free(vv_domain_t *dom)
{
    if (dom == NULL)
        return;
    g_free(dom->path);
    g_free(dom->name);
    g_free(dom->uuid);
    g_clear_pointer(&dom->props, g_variant_unref);
    g_free(dom);
}

void
vv_backend_free(vv_backend_t *backend)
{
    if (backend == NULL)
        return;
    if (backend->ops != NULL && backend->ops->free != NULL)
        backend->ops->free(backend);
    g_clear_object(&backend->conn);
    g_free(backend->bus_description);
    g_free(backend);
}

int
vv_exit_for_error(const GError *error)
{
    g_autofree char *remote = NULL;

    if (error == NULL)
        return VV_EXIT_OK;
    if (error->domain == VV_BACKEND_ERROR) {
        switch ((vv_backend_error_t)error->code) {
        case VV_BACKEND_ERROR_NO_DOMAIN:
            return VV_EXIT_NO_DOMAIN;
        case VV_BACKEND_ERROR_NO_HELPER:
            return VV_EXIT_NO_HELPER;
        case VV_BACKEND_ERROR_DENIED:
            return VV_EXIT_DENIED;
        case VV_BACKEND_ERROR_FAILED:
        case VV_BACKEND_ERROR_UNSUPPORTED:
            return VV_EXIT_FAILED;
        }
    }
    remote = g_dbus_error_get_remote_error(error);
    if (remote != NULL)
        return vv_exit_for_dbus_error(remote);
    return VV_EXIT_FAILED;
}

/* The helper is not there (no owner and no activation), as opposed to the
 * bus refusing us or the helper failing. */
static gboolean
is_no_helper(const GError *error)
{
    g_autofree char *remote = g_dbus_error_get_remote_error(error);

    return remote != NULL && vv_exit_for_dbus_error(remote) == VV_EXIT_NO_HELPER;
}

static void
set_no_helper(vv_backend_t *backend, GError **error, const GError *cause)
{
    g_autoptr(GError) copy = g_error_copy(cause);

    g_dbus_error_strip_remote_error(copy);
    g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_HELPER,
                "vmi-helperd is not running on %s (" VV_BUS_NAME "): %s",
                backend->bus_description, copy->message);
}

static const char *
prop_string(GVariant *props, const char *name)
{
    const char *value = NULL;

    if (!g_variant_lookup(props, name, "&s", &value))
        return NULL;
    return value;
}

static vv_domain_t *
domain_new(const char *path, GVariant *props)
{
    vv_domain_t *dom = g_new0(vv_domain_t, 1);
    const char *name = prop_string(props, "Name");
    const char *uuid = prop_string(props, "UUID");

    dom->path = g_strdup(path);
    dom->name = g_strdup(name != NULL ? name : path);
    dom->uuid = g_strdup(uuid);
    dom->props = g_variant_ref_sink(props);
    return dom;
}

static gint
compare_domains(gconstpointer a, gconstpointer b)
{
    const vv_domain_t *da = *(vv_domain_t *const *)a;
    const vv_domain_t *db = *(vv_domain_t *const *)b;

    return g_strcmp0(da->name, db->name);
}

static GPtrArray *
bus_list(vv_backend_t *backend, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariantIter) objects = NULL;
    g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)vv_domain_free);
    const char *path;
    GVariant *ifaces;

    reply = g_dbus_connection_call_sync(backend->conn, VV_BUS_NAME, VV_MANAGER_PATH,
                                        "org.freedesktop.DBus.ObjectManager",
                                        "GetManagedObjects", NULL,
                                        G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
                                        G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &local);
    if (reply == NULL) {
        if (is_no_helper(local))
            set_no_helper(backend, error, local);
        else
            g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    g_variant_get(reply, "(a{oa{sa{sv}}})", &objects);
    while (g_variant_iter_next(objects, "{&o@a{sa{sv}}}", &path, &ifaces)) {
        g_autoptr(GVariant) owned = ifaces;
        GVariant *props = g_variant_lookup_value(ifaces, VV_DOMAIN_IFACE, G_VARIANT_TYPE("a{sv}"));

        if (props != NULL)
            g_ptr_array_add(domains, domain_new(path, props));
    }
    g_ptr_array_sort(domains, compare_domains);
    return g_steal_pointer(&domains);
}

static vv_domain_t *
bus_lookup(vv_backend_t *backend, const char *spec, GError **error)
{
    g_autoptr(GPtrArray) domains = bus_list(backend, error);

    if (domains == NULL)
        return NULL;
    /* Exact name first, then UUID (any case), then object path. */
    for (int pass = 0; pass < 3; pass++) {
        for (guint i = 0; i < domains->len; i++) {
            vv_domain_t *dom = g_ptr_array_index(domains, i);
            gboolean match;

            switch (pass) {
            case 0:
                match = g_strcmp0(dom->name, spec) == 0;
                break;
            case 1:
                match = dom->uuid != NULL && g_ascii_strcasecmp(dom->uuid, spec) == 0;
                break;
            default:
                match = g_strcmp0(dom->path, spec) == 0;
                break;
            }
            if (match)
                return g_ptr_array_steal_index(domains, i);
        }
    }
    g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_DOMAIN,
                "domain '%s' is not running or not known to vmi-helperd "
                "(it publishes running domains only; see 'virt-vmi list')", spec);
    return NULL;
}

static GVariant *
bus_call(vv_backend_t *backend, vv_domain_t *dom, const char *method, GVariant *params,
         const GVariantType *reply_type, int timeout_ms, GError **error)
{
    g_autoptr(GError) local = NULL;
    GVariant *reply;

    reply = g_dbus_connection_call_sync(backend->conn, VV_BUS_NAME, dom->path, VV_DOMAIN_IFACE,
                                        method, params, reply_type, G_DBUS_CALL_FLAGS_NONE,
                                        timeout_ms, NULL, &local);
    if (reply == NULL) {
        if (is_no_helper(local))
            set_no_helper(backend, error, local);
        else
            g_propagate_error(error, g_steal_pointer(&local));
    }
    return reply;
}

static const vv_backend_ops_t bus_ops = {
    .name = "vmi-helperd",
    .lookup = bus_lookup,
    .list = bus_list,
    .call = bus_call,
};

vv_backend_t *
vv_bus_backend_new(vv_bus_kind_t kind, const char *address, GError **error)
{
    g_autoptr(vv_backend_t) backend = g_new0(vv_backend_t, 1);
    g_autoptr(GError) local = NULL;

    backend->ops = &bus_ops;
    switch (kind) {
    case VV_BUS_SYSTEM:
        backend->bus_description = g_strdup("the system bus");
        backend->conn = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &local);
        break;
    case VV_BUS_SESSION:
        backend->bus_description = g_strdup("the session bus");
        backend->conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &local);
        break;
    case VV_BUS_ADDRESS:
        backend->bus_description = g_strdup_printf("the bus at %s", address);
        backend->conn = g_dbus_connection_new_for_address_sync(
            address,
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, NULL, &local);
        break;
    }
    if (backend->conn == NULL) {
        g_dbus_error_strip_remote_error(local);
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_HELPER,
                    "vmi-helperd is not reachable: cannot connect to %s: %s",
                    backend->bus_description, local->message);
        return NULL;
    }
    /* A closed connection must not kill us: it is an error to report. */
    g_dbus_connection_set_exit_on_close(backend->conn, FALSE);
    return g_steal_pointer(&backend);
}
