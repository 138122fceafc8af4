/*
 * virt-vmi-direct.c - the libvmi backend of virt-vmi, used when vmi-helperd
 * is not on the bus: the domain is opened in this process (which then
 * needs the rights the helper would have had: root, or access to the
 * domain's memory file or gdbstub). Only the read-only methods exist here;
 * they are the helper's own operations (vmi-domain-ops.c), so the replies,
 * the checks and the messages are the helper's, and printing does not care.
 */
#include <libvmi.h>
#include <string.h>

#include "virt-vmi-backend.h"
#include "virt-vmi-util.h"
#include "vmi-domain-ops.h"

/* The helper's read limit (Domain.xml): the same answer either way. */
#define DIRECT_READ_LIMIT (16u << 20)

typedef struct {
    vmi_instance_t vmi;
    gboolean xen;               /* -c xen://...: libvmi's xen driver */
} direct_t;

static GVariant *
props_for(vmi_instance_t vmi, const char *name)
{
    g_autofree char *banner = vmi_domops_kernel_version(vmi);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "Name", g_variant_new_string(name));
    g_variant_builder_add(&b, "{sv}", "Introspectable", g_variant_new_boolean(TRUE));
    g_variant_builder_add(&b, "{sv}", "IntrospectableReason", g_variant_new_string(""));
    g_variant_builder_add(&b, "{sv}", "AccessPath", g_variant_new_string(vmi_get_access_path(vmi)));
    g_variant_builder_add(&b, "{sv}", "OSType",
                          g_variant_new_string(vmi_domops_os_name(vmi_get_ostype(vmi))));
    g_variant_builder_add(&b, "{sv}", "PageMode",
                          g_variant_new_string(vmi_domops_page_mode_name(vmi_get_page_mode(vmi))));
    g_variant_builder_add(&b, "{sv}", "MemorySize", g_variant_new_uint64(vmi_get_memsize(vmi)));
    g_variant_builder_add(&b, "{sv}", "KernelVersion", g_variant_new_string(banner));
    return g_variant_builder_end(&b);
}

static vv_domain_t *
direct_lookup(vv_backend_t *backend, const char *spec, GError **error)
{
    direct_t *d = backend->priv;
    vv_domain_t *dom;

    if (d->vmi != NULL) {
        vmi_destroy(d->vmi);
        d->vmi = NULL;
    }
    /* A name with a slash is a snapshot file; any other is a domain, never
     * a file of that name in the working directory (VMI_AUTO would open
     * ./NAME first: a file someone left there would stand in for the
     * domain). */
    uint32_t mode = strchr(spec, '/') ? VMI_FILE : d->xen ? VMI_XEN : VMI_KVM;
    if (vmi_init(&d->vmi, mode | VMI_INIT_COMPLETE, (char *)spec) == VMI_FAILURE) {
        d->vmi = NULL;
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_NO_DOMAIN,
                    "libvmi cannot open domain '%s': %s", spec, vmi_get_last_error(NULL));
        return NULL;
    }
    dom = g_new0(vv_domain_t, 1);
    dom->name = g_strdup(spec);
    dom->props = g_variant_ref_sink(props_for(d->vmi, spec));
    return dom;
}

/* The shared operations (vmi-domain-ops.c), as the helper runs them. */
static GVariant *
m_read_physical(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    guint64 addr;
    guint32 len;

    g_variant_get(params, "(tu)", &addr, &len);
    if (!vmi_domops_check_len(dom, len, DIRECT_READ_LIMIT, "a read", "", error))
        return NULL;
    return vmi_domops_read_physical(vmi, dom, addr, len, error);
}

static GVariant *
m_read_virtual(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    guint64 addr;
    gint32 pid;
    guint32 len;

    g_variant_get(params, "(tiu)", &addr, &pid, &len);
    if (!vmi_domops_check_len(dom, len, DIRECT_READ_LIMIT, "a read", "", error))
        return NULL;
    return vmi_domops_read_virtual(vmi, dom, addr, pid, len, error);
}

static GVariant *
m_read_symbol(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    const char *sym;
    guint32 len;

    g_variant_get(params, "(&su)", &sym, &len);
    if (!vmi_domops_check_len(dom, len, DIRECT_READ_LIMIT, "a read", "", error))
        return NULL;
    return vmi_domops_read_symbol(vmi, dom, sym, len, error);
}

static GVariant *
m_lookup_symbol(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    const char *sym;

    g_variant_get(params, "(&s)", &sym);
    return vmi_domops_lookup_symbol(vmi, dom, sym, error);
}

static GVariant *
m_translate_kernel(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    guint64 va;

    g_variant_get(params, "(t)", &va);
    return vmi_domops_translate(vmi, dom, va, 0, error);
}

static GVariant *
m_translate_user(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    guint64 va;
    gint32 pid;

    g_variant_get(params, "(ti)", &va, &pid);
    return vmi_domops_translate(vmi, dom, va, pid, error);
}

static GVariant *
m_list_processes(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    return vmi_domops_list_processes(vmi, dom, error);
}

static GVariant *
m_get_registers(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error)
{
    guint32 vcpu;

    g_variant_get(params, "(u)", &vcpu);
    return vmi_domops_get_registers(vmi, dom, vcpu, error);
}

/* The read-only methods of Domain.xml that libvmi alone can serve; the
 * others need the helper (writes, control, watches, libvirt). */
static const struct {
    const char *name;
    const char *signature;     /* the in-arguments */
    GVariant *(*run)(vmi_instance_t vmi, const char *dom, GVariant *params, GError **error);
} direct_methods[] = {
    { "ReadPhysical", "(tu)", m_read_physical },
    { "ReadVirtual", "(tiu)", m_read_virtual },
    { "ReadSymbol", "(su)", m_read_symbol },
    { "TranslateKernel", "(t)", m_translate_kernel },
    { "TranslateUser", "(ti)", m_translate_user },
    { "LookupSymbol", "(s)", m_lookup_symbol },
    { "ListProcesses", "()", m_list_processes },
    { "GetRegisters", "(u)", m_get_registers },
};

static GVariant *
direct_call(vv_backend_t *backend, vv_domain_t *dom, const char *method, GVariant *params,
            const GVariantType *reply_type G_GNUC_UNUSED, int timeout_ms G_GNUC_UNUSED,
            GError **error)
{
    direct_t *d = backend->priv;
    g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink(params) : NULL;
    const char *type = params != NULL ? g_variant_get_type_string(params) : "()";
    GError *local = NULL;
    GVariant *reply;

    for (gsize i = 0; i < G_N_ELEMENTS(direct_methods); i++) {
        if (!g_str_equal(direct_methods[i].name, method))
            continue;
        if (!g_str_equal(direct_methods[i].signature, type)) {
            g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED,
                        "%s takes arguments of type %s, not %s", method,
                        direct_methods[i].signature, type);
            return NULL;
        }
        reply = direct_methods[i].run(d->vmi, dom->name, params, &local);
        if (reply == NULL) {
            /* exit 1, as for the helper's errors; a guest gone is exit 3,
             * as for its DomainGone */
            gboolean gone = local->code != VMI_DOMOPS_ERROR_ARGUMENT &&
                            local->code != VMI_DOMOPS_ERROR_TOO_LARGE &&
                            vmi_get_last_error_code(d->vmi) == VMI_ERR_GONE;
            g_set_error_literal(error, VV_BACKEND_ERROR,
                                gone ? VV_BACKEND_ERROR_NO_DOMAIN : VV_BACKEND_ERROR_FAILED,
                                local->message);
            g_error_free(local);
        }
        return reply;
    }
    g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_UNSUPPORTED,
                "%s needs vmi-helperd; libvmi alone cannot do it here", method);
    return NULL;
}

static void
direct_free(vv_backend_t *backend)
{
    direct_t *d = backend->priv;

    if (d != NULL && d->vmi != NULL)
        vmi_destroy(d->vmi);
    g_free(d);
    backend->priv = NULL;
}

static const vv_backend_ops_t direct_ops = {
    .name = "libvmi",
    .lookup = direct_lookup,
    .call = direct_call,
    .free = direct_free,
};

vv_backend_t *
vv_direct_backend_new(gboolean xen)
{
    vv_backend_t *backend = g_new0(vv_backend_t, 1);
    direct_t *d = g_new0(direct_t, 1);

    d->xen = xen;
    backend->ops = &direct_ops;
    backend->priv = d;
    return backend;
}
