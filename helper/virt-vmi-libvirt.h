/*
 * virt-vmi-libvirt.h - what virt-vmi asks libvirt directly: the defined
 * domains and their introspection setting (list), and rewriting the
 * persistent XML through xml/ (enable, disable). These work on domains
 * that are not running, which have no helper object.
 */
#pragma once

#include <glib.h>

#include "vmi-domxml.h"

G_BEGIN_DECLS

typedef struct {
    char *name;
    char *uuid;
    const char *state;           /* "running", "shutoff", ... (static) */
    gboolean persistent;
    vmi_domxml_mode_t xml_mode;  /* what the persistent XML enables; 0: nothing */
} vv_libvirt_domain_t;

void vv_libvirt_domain_free(vv_libvirt_domain_t *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vv_libvirt_domain_t, vv_libvirt_domain_free)

/* Every domain at @uri (NULL: libvirt's default), sorted by name. Errors
 * in VV_BACKEND_ERROR. */
GPtrArray *vv_libvirt_list(const char *uri, GError **error);

typedef struct {
    char *name;          /* the domain's name */
    gboolean changed;    /* FALSE: the XML already was as asked */
    gboolean active;     /* the domain runs: the change waits for its next start */
    vmi_domxml_mode_t mode_before;
} vv_libvirt_change_t;

void vv_libvirt_change_free(vv_libvirt_change_t *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vv_libvirt_change_t, vv_libvirt_change_free)

/*
 * Turns introspection on (@enable, in @mode, gdbstub socket in
 * @socket_dir or the default) or off in the persistent XML of @spec (name,
 * UUID or helper object path) and redefines the domain when that changed
 * something. Errors in VV_BACKEND_ERROR: NO_DOMAIN, DENIED, FAILED.
 */
vv_libvirt_change_t *vv_libvirt_set_introspection(const char *uri, const char *spec,
                                                  gboolean enable, vmi_domxml_mode_t mode,
                                                  const char *socket_dir, GError **error);

G_END_DECLS
