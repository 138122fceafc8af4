/*
 * virt-vmi-direct.c - the libvmi backend of virt-vmi, used when vmi-helperd
 * is not on the bus: the domain is opened in this process (which then
 * needs the rights the helper would have had: root, or access to the
 * domain's memory file or gdbstub). Only the read-only methods exist here;
 * their replies have the helper's shapes, so printing does not care.
 */
#include <libvmi.h>
#include <string.h>

#include "virt-vmi-backend.h"
#include "virt-vmi-util.h"

/* The helper's read limit (Domain.xml): the same answer either way. */
#define DIRECT_READ_LIMIT (16u << 20)

typedef struct {
    vmi_instance_t vmi;
} direct_t;

static void
set_vmi_error(vmi_instance_t vmi, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
set_vmi_error(vmi_instance_t vmi, GError **error, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED, "%s: %s", what,
                vmi_get_last_error(vmi));
}

static GVariant *
props_for(vmi_instance_t vmi, const char *name)
{
    static const char *const modes[] = {
        [VMI_PM_UNKNOWN] = "unknown", [VMI_PM_LEGACY] = "legacy", [VMI_PM_PAE] = "pae",
        [VMI_PM_IA32E] = "ia32e", [VMI_PM_LA57] = "la57",
    };
    page_mode_t pm = vmi_get_page_mode(vmi);
    os_t os = vmi_get_ostype(vmi);
    g_autofree char *banner = vmi_get_kernel_version(vmi);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "Name", g_variant_new_string(name));
    g_variant_builder_add(&b, "{sv}", "Introspectable", g_variant_new_boolean(TRUE));
    g_variant_builder_add(&b, "{sv}", "IntrospectableReason", g_variant_new_string(""));
    g_variant_builder_add(&b, "{sv}", "AccessPath", g_variant_new_string(vmi_get_access_path(vmi)));
    g_variant_builder_add(&b, "{sv}", "OSType",
                          g_variant_new_string(os == VMI_OS_LINUX ? "linux"
                                               : os == VMI_OS_WINDOWS ? "windows" : "unknown"));
    g_variant_builder_add(&b, "{sv}", "PageMode",
                          g_variant_new_string((unsigned)pm < G_N_ELEMENTS(modes) && modes[pm] ? modes[pm] : "unknown"));
    g_variant_builder_add(&b, "{sv}", "MemorySize", g_variant_new_uint64(vmi_get_memsize(vmi)));
    g_variant_builder_add(&b, "{sv}", "KernelVersion",
                          g_variant_new_string(banner != NULL && g_utf8_validate(banner, -1, NULL)
                                               ? g_strchomp(banner) : ""));
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
    uint32_t mode = strchr(spec, '/') ? VMI_FILE : VMI_KVM;
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

static GVariant *
reply_bytes(const guint8 *buf, gsize len)
{
    GVariant *data = g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1);

    return g_variant_new_tuple(&data, 1);
}

static gboolean
check_len(guint32 len, GError **error)
{
    if (len > DIRECT_READ_LIMIT) {
        g_set_error(error, VV_BACKEND_ERROR, VV_BACKEND_ERROR_FAILED,
                    "%u bytes is more than the read limit of %u bytes", len, DIRECT_READ_LIMIT);
        return FALSE;
    }
    return TRUE;
}

static GVariant *
do_read(vmi_instance_t vmi, const char *method, GVariant *params, const char *domain,
        GError **error)
{
    g_autofree guint8 *buf = NULL;
    guint64 addr = 0;
    gint32 pid = 0;
    guint32 len = 0;
    const char *sym = NULL;
    size_t got;

    if (g_str_equal(method, "ReadPhysical"))
        g_variant_get(params, "(tu)", &addr, &len);
    else if (g_str_equal(method, "ReadVirtual"))
        g_variant_get(params, "(tiu)", &addr, &pid, &len);
    else
        g_variant_get(params, "(&su)", &sym, &len);
    if (!check_len(len, error))
        return NULL;
    buf = g_malloc0(MAX(len, 1));
    if (g_str_equal(method, "ReadPhysical"))
        got = vmi_read_pa(vmi, addr, buf, len);
    else if (g_str_equal(method, "ReadVirtual"))
        got = vmi_read_va(vmi, addr, pid, buf, len);
    else
        got = vmi_read_ksym(vmi, (char *)sym, buf, len);
    /* The helper has no short reads: neither have we. */
    if (got != len) {
        if (sym != NULL)
            set_vmi_error(vmi, error, "cannot read %u bytes at symbol '%s' of domain '%s'",
                          len, sym, domain);
        else
            set_vmi_error(vmi, error, "cannot read %u bytes at 0x%" G_GINT64_MODIFIER "x of domain '%s'",
                          len, addr, domain);
        return NULL;
    }
    return reply_bytes(buf, len);
}

static GVariant *
do_processes(vmi_instance_t vmi, const char *domain, GError **error)
{
    vmi_process_t *list = NULL;
    size_t count = 0;
    GVariantBuilder b;

    if (vmi_get_processes(vmi, &list, &count) == VMI_FAILURE) {
        set_vmi_error(vmi, error, "cannot list the processes of domain '%s'", domain);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ist)"));
    for (size_t i = 0; i < count; i++) {
        g_autofree char *name = g_utf8_make_valid(list[i].name, -1);

        g_variant_builder_add(&b, "(ist)", list[i].pid, name, (guint64)list[i].dtb);
    }
    free(list);
    return g_variant_new("(a(ist))", &b);
}

/* GetRegisters names (Domain.xml) of the registers libvmi reads. */
static const struct {
    const char *name;
    reg_t reg;
} register_names[] = {
    { "rax", RAX }, { "rbx", RBX }, { "rcx", RCX }, { "rdx", RDX },
    { "rsi", RSI }, { "rdi", RDI }, { "rbp", RBP }, { "rsp", RSP },
    { "r8", R8 }, { "r9", R9 }, { "r10", R10 }, { "r11", R11 },
    { "r12", R12 }, { "r13", R13 }, { "r14", R14 }, { "r15", R15 },
    { "rip", RIP }, { "rflags", RFLAGS },
    { "cr0", CR0 }, { "cr2", CR2 }, { "cr3", CR3 }, { "cr4", CR4 },
    { "efer", MSR_EFER },
    { "cs", CS_SEL }, { "ds", DS_SEL }, { "es", ES_SEL },
    { "fs", FS_SEL }, { "gs", GS_SEL }, { "ss", SS_SEL },
    { "fs_base", FS_BASE }, { "gs_base", GS_BASE },
};

static GVariant *
do_registers(vmi_instance_t vmi, GVariant *params, const char *domain, GError **error)
{
    GVariantBuilder b;
    guint32 vcpu = 0;
    guint found = 0;

    g_variant_get(params, "(u)", &vcpu);
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
    for (gsize i = 0; i < G_N_ELEMENTS(register_names); i++) {
        reg_t value = 0;

        /* Registers the access path cannot read are left out, as by the helper. */
        if (vmi_get_vcpureg(vmi, &value, register_names[i].reg, vcpu) == VMI_SUCCESS) {
            g_variant_builder_add(&b, "{st}", register_names[i].name, (guint64)value);
            found++;
        }
    }
    if (found == 0) {
        g_variant_builder_clear(&b);
        set_vmi_error(vmi, error, "cannot read the registers of vCPU %u of domain '%s'", vcpu, domain);
        return NULL;
    }
    return g_variant_new("(a{st})", &b);
}

static GVariant *
direct_call(vv_backend_t *backend, vv_domain_t *dom, const char *method, GVariant *params,
            const GVariantType *reply_type G_GNUC_UNUSED, int timeout_ms G_GNUC_UNUSED,
            GError **error)
{
    direct_t *d = backend->priv;
    g_autoptr(GVariant) owned = params != NULL ? g_variant_ref_sink(params) : NULL;
    addr_t value;

    if (g_str_equal(method, "ReadPhysical") || g_str_equal(method, "ReadVirtual") ||
        g_str_equal(method, "ReadSymbol"))
        return do_read(d->vmi, method, params, dom->name, error);
    if (g_str_equal(method, "ListProcesses"))
        return do_processes(d->vmi, dom->name, error);
    if (g_str_equal(method, "GetRegisters"))
        return do_registers(d->vmi, params, dom->name, error);
    if (g_str_equal(method, "LookupSymbol")) {
        const char *sym;

        g_variant_get(params, "(&s)", &sym);
        value = vmi_translate_ksym2v(d->vmi, sym);
        if (value == 0) {
            set_vmi_error(d->vmi, error, "unknown symbol '%s' in domain '%s'", sym, dom->name);
            return NULL;
        }
        return g_variant_new("(t)", (guint64)value);
    }
    if (g_str_equal(method, "TranslateKernel")) {
        guint64 va;

        g_variant_get(params, "(t)", &va);
        value = vmi_translate_kv2p(d->vmi, va);
        if (value == 0) {
            set_vmi_error(d->vmi, error, "address 0x%" G_GINT64_MODIFIER "x is not mapped in "
                          "the kernel of domain '%s'", va, dom->name);
            return NULL;
        }
        return g_variant_new("(t)", (guint64)value);
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
vv_direct_backend_new(void)
{
    vv_backend_t *backend = g_new0(vv_backend_t, 1);

    backend->ops = &direct_ops;
    backend->priv = g_new0(direct_t, 1);
    return backend;
}
