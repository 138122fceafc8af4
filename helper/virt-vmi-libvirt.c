/*
 * virt-vmi-libvirt.c - defined domains and their persistent XML, straight
 * from libvirt: the helper only knows running domains, and enabling
 * introspection matters most before a domain first starts.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "virt-vmi-backend.h"
#include "virt-vmi-libvirt.h"
#include "virt-vmi-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

void
vv_libvirt_domain_free(vv_libvirt_domain_t *dom)
{
    if (dom == NULL)
        return;
    g_free(dom->name);
    g_free(dom->uuid);
    g_free(dom);
}

void
vv_libvirt_change_free(vv_libvirt_change_t *change)
{
    if (change == NULL)
        return;
    g_free(change->name);
    g_free(change);
}

/* libvirt prints every error on stderr unless told otherwise; we print
 * our own, one line each. */
static void
quiet_error(void *data G_GNUC_UNUSED, virErrorPtr err G_GNUC_UNUSED)
{
}

static void
set_libvirt_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
set_libvirt_error(GError **error, const char *fmt, ...)
{
    virErrorPtr err = virGetLastError();
    g_autofree char *what = NULL;
    g_autofree char *detail = NULL;
    int code = VV_BACKEND_ERROR_FAILED;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (err != NULL) {
        switch (err->code) {
        case VIR_ERR_NO_DOMAIN:
            code = VV_BACKEND_ERROR_NO_DOMAIN;
            break;
        case VIR_ERR_OPERATION_DENIED:
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_AUTH_CANCELLED:
        case VIR_ERR_AUTH_UNAVAILABLE:
        case VIR_ERR_ACCESS_DENIED:
            code = VV_BACKEND_ERROR_DENIED;
            break;
        default:
            break;
        }
    }
    detail = vv_one_line(err != NULL && err->message != NULL ? err->message : "unknown libvirt error");
    g_set_error(error, VV_BACKEND_ERROR, code, "%s: %s", what, detail);
}

static virConnectPtr
open_conn(const char *uri, GError **error)
{
    virConnectPtr conn;

    virSetErrorFunc(NULL, quiet_error);
    conn = virConnectOpen(uri);
    if (conn == NULL)
        set_libvirt_error(error, "cannot connect to libvirt at %s", uri != NULL ? uri : "the default URI");
    return conn;
}

static const char *
state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return "running";
    case VIR_DOMAIN_BLOCKED:
        return "blocked";
    case VIR_DOMAIN_PAUSED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
        return "shutdown";
    case VIR_DOMAIN_SHUTOFF:
        return "shutoff";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    case VIR_DOMAIN_PMSUSPENDED:
        return "pmsuspended";
    default:
        return "unknown";
    }
}

static gint
compare_domains(gconstpointer a, gconstpointer b)
{
    const vv_libvirt_domain_t *da = *(vv_libvirt_domain_t *const *)a;
    const vv_libvirt_domain_t *db = *(vv_libvirt_domain_t *const *)b;

    return g_strcmp0(da->name, db->name);
}

GPtrArray *
vv_libvirt_list(const char *uri, GError **error)
{
    g_autoptr(virConnect) conn = open_conn(uri, error);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)vv_libvirt_domain_free);
    virDomainPtr *doms = NULL;
    int n;

    if (conn == NULL)
        return NULL;
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        g_autofree char *where = virConnectGetURI(conn);

        set_libvirt_error(error, "cannot list the domains at %s", where);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        vv_libvirt_domain_t *d = g_new0(vv_libvirt_domain_t, 1);
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        int state = VIR_DOMAIN_NOSTATE, reason = 0;

        d->name = g_strdup(virDomainGetName(doms[i]));
        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            d->uuid = g_strdup(uuid);
        if (virDomainGetState(doms[i], &state, &reason, 0) < 0)
            state = VIR_DOMAIN_NOSTATE;
        d->state = state_name(state);
        d->persistent = virDomainIsPersistent(doms[i]) == 1;
        if (d->persistent) {
            g_autofree char *xml = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);

            /* A domain whose XML we cannot read is listed as not enabled. */
            if (xml == NULL || !vmi_domxml_status(xml, &d->xml_mode, NULL, NULL))
                d->xml_mode = 0;
        }
        g_ptr_array_add(out, d);
        virDomainFree(doms[i]);
    }
    free(doms);
    g_ptr_array_sort(out, compare_domains);
    return g_steal_pointer(&out);
}

/* Name, UUID, or the helper's object path (its last element is the UUID). */
static virDomainPtr
lookup(virConnectPtr conn, const char *spec, GError **error)
{
    virDomainPtr dom = NULL;
    g_autofree char *uuid = NULL;

    if (g_str_has_prefix(spec, VV_DOMAIN_PREFIX)) {
        uuid = g_strdup(spec + strlen(VV_DOMAIN_PREFIX));
        g_strdelimit(uuid, "_", '-');
    } else if (vv_is_uuid(spec)) {
        uuid = g_strdup(spec);
    }
    if (uuid == NULL || (dom = virDomainLookupByUUIDString(conn, uuid)) == NULL)
        dom = virDomainLookupByName(conn, spec);
    if (dom == NULL) {
        g_autofree char *where = virConnectGetURI(conn);

        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_DOMAIN,
                    "domain '%s' is not defined at %s", spec, where);
        return NULL;
    }
    return dom;
}

vv_libvirt_change_t *
vv_libvirt_set_introspection(const char *uri, const char *spec, gboolean enable,
                             vmi_domxml_mode_t mode, const char *socket_dir, GError **error)
{
    g_autoptr(virConnect) conn = open_conn(uri, error);
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(virDomain) defined = NULL;
    g_autoptr(vv_libvirt_change_t) change = g_new0(vv_libvirt_change_t, 1);
    g_autoptr(GError) local = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *new_xml = NULL;

    if (conn == NULL)
        return NULL;
    if ((dom = lookup(conn, spec, error)) == NULL)
        return NULL;
    change->name = g_strdup(virDomainGetName(dom));
    change->active = virDomainIsActive(dom) == 1;
    if (virDomainIsPersistent(dom) != 1) {
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED,
                    "domain '%s' is transient: it has no persistent XML to change "
                    "(define it with 'virsh define' first)", change->name);
        return NULL;
    }
    /* SECURE: the XML we define again must keep passwords (VNC, ...). */
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (xml == NULL) {
        set_libvirt_error(error, "cannot read the persistent XML of domain '%s'", change->name);
        return NULL;
    }
    if (!vmi_domxml_status(xml, &change->mode_before, NULL, &local)) {
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED,
                    "cannot read the XML of domain '%s': %s", change->name, local->message);
        return NULL;
    }
    if (enable)
        new_xml = vmi_domxml_enable(xml, mode, socket_dir, &local);
    else
        new_xml = vmi_domxml_disable(xml, &local);
    if (new_xml == NULL) {
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED,
                    "cannot %s introspection in the XML of domain '%s': %s",
                    enable ? "enable" : "disable", change->name, local->message);
        return NULL;
    }
    if (g_str_equal(xml, new_xml))
        return g_steal_pointer(&change);
    defined = virDomainDefineXML(conn, new_xml);
    if (defined == NULL) {
        set_libvirt_error(error, "cannot redefine domain '%s'", change->name);
        return NULL;
    }
    change->changed = TRUE;
    return g_steal_pointer(&change);
}
