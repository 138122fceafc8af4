/*
 * virt-vmi-backend.h - how virt-vmi reaches a domain.
 *
 * A command asks a backend for one org.libvmi.helper1.Domain method and
 * gets the reply as the same GVariant the helper would send, whichever
 * backend answered: the helper over D-Bus (virt-vmi-bus.c), or libvmi in
 * this process when the helper is not on the bus (virt-vmi-direct.c,
 * read-only methods only). Printing code therefore has one input shape.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A domain as the backend knows it. */
typedef struct {
    char *path;        /* D-Bus object path; NULL for the direct backend */
    char *name;        /* Name property (or the name given, direct) */
    char *uuid;        /* UUID property; NULL when unknown */
    GVariant *props;   /* a{sv} of org.libvmi.helper1.Domain; never NULL */
} vv_domain_t;

void vv_domain_free(vv_domain_t *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vv_domain_t, vv_domain_free)

typedef struct vv_backend vv_backend_t;

/* The table of operations; a NULL slot means "this backend cannot". */
typedef struct {
    const char *name;   /* "vmi-helperd", "libvmi" */
    /* Finds the domain named by @spec (name, UUID or object path). NULL
     * with VV_BACKEND_ERROR_NO_DOMAIN when there is none. */
    vv_domain_t *(*lookup)(vv_backend_t *backend, const char *spec, GError **error);
    /* All domains, sorted by name (GPtrArray of vv_domain_t). */
    GPtrArray *(*list)(vv_backend_t *backend, GError **error);
    /* Calls Domain.@method; the reply has the method's out signature. */
    GVariant *(*call)(vv_backend_t *backend, vv_domain_t *dom, const char *method,
                      GVariant *params, const GVariantType *reply_type, int timeout_ms,
                      GError **error);
    void (*free)(vv_backend_t *backend);
} vv_backend_ops_t;

struct vv_backend {
    const vv_backend_ops_t *ops;
    GDBusConnection *conn;    /* bus backend */
    char *bus_description;    /* "the system bus", "the bus at ADDR" */
    gpointer priv;            /* direct backend */
};

void vv_backend_free(vv_backend_t *backend);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vv_backend_t, vv_backend_free)

/* Errors the backends raise themselves (the helper's come as D-Bus errors). */
#define VV_BACKEND_ERROR (vv_backend_error_quark())
typedef enum {
    VV_BACKEND_ERROR_NO_DOMAIN,   /* no such (running) domain: exit 3 */
    VV_BACKEND_ERROR_NO_HELPER,   /* the helper is not on the bus: exit 5 */
    VV_BACKEND_ERROR_FAILED,      /* anything else: exit 1 */
    VV_BACKEND_ERROR_UNSUPPORTED, /* this backend cannot do it: exit 1 */
    VV_BACKEND_ERROR_DENIED,      /* libvirt refused us: exit 4 */
} vv_backend_error_t;
GQuark vv_backend_error_quark(void);

typedef enum {
    VV_BUS_SYSTEM,
    VV_BUS_SESSION,
    VV_BUS_ADDRESS,
} vv_bus_kind_t;

/*
 * Connects to the bus and checks that the helper answers (a Peer.Ping to
 * org.libvmi.helper1, which the bus may activate). Errors:
 * VV_BACKEND_ERROR_NO_HELPER when the bus or the name is not there; a
 * D-Bus error (e.g. org.freedesktop.DBus.Error.AccessDenied) otherwise.
 */
vv_backend_t *vv_bus_backend_new(vv_bus_kind_t kind, const char *address, GError **error);

/* Opens nothing yet: lookup() opens the domain with libvmi (a name with a
 * slash: a snapshot file; else a domain, with the xen driver when @xen,
 * -c xen://..., else the kvm one). */
vv_backend_t *vv_direct_backend_new(gboolean xen);

/* The GError -> exit code mapping shared by every command. */
int vv_exit_for_error(const GError *error);

G_END_DECLS
