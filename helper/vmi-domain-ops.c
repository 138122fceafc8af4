/*
 * vmi-domain-ops.c - the Domain operations on a libvmi instance, for
 * vmi-helperd and virt-vmi's direct mode (see vmi-domain-ops.h).
 */
#include <string.h>

#include "vmi-domain-ops.h"

G_DEFINE_QUARK(vmi-domops-error-quark, vmi_domops_error)

/* ------------------------------------------------------------ checks */

gboolean vmi_domops_check_len(const char *domain, guint64 len, guint32 limit, const char *what,
                              const char *hint, GError **error)
{
    if (len <= limit)
        return TRUE;
    g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_TOO_LARGE, "Domain '%s': %s of %"
                G_GUINT64_FORMAT " bytes exceeds the limit of %u bytes per call%s.", domain, what,
                len, limit, hint);
    return FALSE;
}

gboolean vmi_domops_check_range(const char *domain, guint64 addr, guint64 len, GError **error)
{
    if (!len || addr + len - 1 >= addr)
        return TRUE;
    g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT, "Domain '%s': %"
                G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x run past the end of the "
                "address space.", domain, len, addr);
    return FALSE;
}

gboolean vmi_domops_check_symbol(const char *domain, const char *name, GError **error)
{
    size_t n = strlen(name);
    if (n && n <= VMI_DOMOPS_MAX_SYMBOL)
        return TRUE;
    g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT, "Domain '%s': a symbol name "
                "must have 1 to %d bytes, not %zu.", domain, VMI_DOMOPS_MAX_SYMBOL, n);
    return FALSE;
}

gboolean vmi_domops_check_pid(vmi_instance_t vmi, const char *domain, gint32 pid, GError **error)
{
    if (pid < 0) {
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT, "Domain '%s': pid %d is "
                    "not a process id.", domain, pid);
        return FALSE;
    }
    if (pid > 0 && vmi_pid_to_dtb(vmi, pid) == 0) {
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_VALUE, "Domain '%s' has no process "
                    "with pid %d.", domain, pid);
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------ reads */

static GVariant *bytes_reply(guint8 *buf, gsize len)
{
    GVariant *ay = g_variant_new_from_data(G_VARIANT_TYPE_BYTESTRING, buf, len, TRUE, g_free, buf);
    return g_variant_new_tuple(&ay, 1);
}

GVariant *vmi_domops_read_physical(vmi_instance_t vmi, const char *domain, guint64 addr,
                                   guint32 len, GError **error)
{
    if (!vmi_domops_check_range(domain, addr, len, error))
        return NULL;
    guint8 *buf = g_malloc(len ? len : 1);
    size_t n = len ? vmi_read_pa(vmi, addr, buf, len) : 0;
    if (n < len) {
        g_free(buf);
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_VALUE, "Domain '%s': cannot read "
                    "%u bytes at physical address 0x%" G_GINT64_MODIFIER "x: 0x%" G_GINT64_MODIFIER
                    "x is not in guest RAM (%s).", domain, len, addr, addr + n,
                    vmi_get_last_error(vmi));
        return NULL;
    }
    return bytes_reply(buf, len);
}

static GVariant *read_virtual(vmi_instance_t vmi, const char *domain, guint64 addr, gint32 pid,
                              guint32 len, const char *what, GError **error)
{
    if (!vmi_domops_check_range(domain, addr, len, error))
        return NULL;
    guint8 *buf = g_malloc(len ? len : 1);
    size_t n = len ? vmi_read_va(vmi, addr, pid, buf, len) : 0;
    if (n < len) {
        g_free(buf);
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_VALUE, "Domain '%s': cannot read "
                    "%u bytes at %s0x%" G_GINT64_MODIFIER "x (pid %d): the page at 0x%"
                    G_GINT64_MODIFIER "x is not mapped (%s).", domain, len, what, addr, pid,
                    (addr + n) & ~(guint64)0xfff, vmi_get_last_error(vmi));
        return NULL;
    }
    return bytes_reply(buf, len);
}

GVariant *vmi_domops_read_virtual(vmi_instance_t vmi, const char *domain, guint64 addr,
                                  gint32 pid, guint32 len, GError **error)
{
    if (!vmi_domops_check_pid(vmi, domain, pid, error))
        return NULL;
    return read_virtual(vmi, domain, addr, pid, len, "virtual address ", error);
}

static gboolean lookup(vmi_instance_t vmi, const char *domain, const char *name, addr_t *va,
                       GError **error)
{
    if (!vmi_domops_check_symbol(domain, name, error))
        return FALSE;
    *va = vmi_translate_ksym2v(vmi, name);
    if (*va)
        return TRUE;
    g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_VALUE, "Domain '%s': the kernel symbol "
                "'%s' is unknown (%s).", domain, name, vmi_get_last_error(vmi));
    return FALSE;
}

GVariant *vmi_domops_read_symbol(vmi_instance_t vmi, const char *domain, const char *name,
                                 guint32 len, GError **error)
{
    addr_t va;
    if (!lookup(vmi, domain, name, &va, error))
        return NULL;
    return read_virtual(vmi, domain, va, 0, len, "kernel symbol address ", error);
}

GVariant *vmi_domops_lookup_symbol(vmi_instance_t vmi, const char *domain, const char *name,
                                   GError **error)
{
    addr_t va;
    if (!lookup(vmi, domain, name, &va, error))
        return NULL;
    return g_variant_new("(t)", (guint64)va);
}

GVariant *vmi_domops_translate(vmi_instance_t vmi, const char *domain, guint64 va, gint32 pid,
                               GError **error)
{
    if (!vmi_domops_check_pid(vmi, domain, pid, error))
        return NULL;
    addr_t pa = pid ? vmi_translate_uv2p(vmi, va, pid) : vmi_translate_kv2p(vmi, va);
    if (pa)
        return g_variant_new("(t)", (guint64)pa);
    g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_VALUE, "Domain '%s': the virtual "
                "address 0x%" G_GINT64_MODIFIER "x is not mapped in %s%.0d (%s).", domain, va,
                pid ? "process " : "the kernel", pid, vmi_get_last_error(vmi));
    return NULL;
}

/* ------------------------------------------------------------ listings */

GVariant *vmi_domops_list_processes(vmi_instance_t vmi, const char *domain, GError **error)
{
    vmi_process_t *list = NULL;
    size_t count = 0;
    if (vmi_get_processes(vmi, &list, &count) != VMI_SUCCESS) {
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_GUEST, "Domain '%s': listing the "
                    "processes failed: %s.", domain, vmi_get_last_error(vmi));
        return NULL;
    }
    if (count > VMI_DOMOPS_MAX_PROCESSES) {
        free(list);
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_GUEST, "Domain '%s': the task list "
                    "has more than %d entries; the guest's structures look corrupt.", domain,
                    VMI_DOMOPS_MAX_PROCESSES);
        return NULL;
    }
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ist)"));
    for (size_t i = 0; i < count; i++) {
        /* guest bytes: at most a comm's length, and valid UTF-8 */
        g_autofree char *name = g_utf8_make_valid(
            list[i].name, (gssize)strnlen(list[i].name, VMI_DOMOPS_PROCESS_NAME));
        g_variant_builder_add(&b, "(ist)", (gint32)list[i].pid, name, (guint64)list[i].dtb);
    }
    free(list);
    return g_variant_new("(a(ist))", &b);
}

/* In Domain.xml's order (GetRegisters), which the test checks it against. */
const vmi_domops_register_t vmi_domops_registers[] = {
    { "rax", "eax", RAX }, { "rbx", "ebx", RBX }, { "rcx", "ecx", RCX }, { "rdx", "edx", RDX },
    { "rsi", "esi", RSI }, { "rdi", "edi", RDI }, { "rbp", "ebp", RBP }, { "rsp", "esp", RSP },
    { "r8", NULL, R8 }, { "r9", NULL, R9 }, { "r10", NULL, R10 }, { "r11", NULL, R11 },
    { "r12", NULL, R12 }, { "r13", NULL, R13 }, { "r14", NULL, R14 }, { "r15", NULL, R15 },
    { "rip", "eip", RIP }, { "rflags", "eflags", RFLAGS },
    { "cr0", "cr0", CR0 }, { "cr2", "cr2", CR2 }, { "cr3", "cr3", CR3 }, { "cr4", "cr4", CR4 },
    { "efer", "efer", MSR_EFER },
    { "cs", "cs", CS_SEL }, { "ds", "ds", DS_SEL }, { "es", "es", ES_SEL },
    { "fs", "fs", FS_SEL }, { "gs", "gs", GS_SEL }, { "ss", "ss", SS_SEL },
    { "tr", "tr", TR_SEL }, { "ldtr", "ldtr", LDTR_SEL },
    { "cs_base", "cs_base", CS_BASE }, { "ds_base", "ds_base", DS_BASE },
    { "es_base", "es_base", ES_BASE }, { "fs_base", "fs_base", FS_BASE },
    { "gs_base", "gs_base", GS_BASE }, { "ss_base", "ss_base", SS_BASE },
    { "tr_base", "tr_base", TR_BASE }, { "ldtr_base", "ldtr_base", LDTR_BASE },
    { "kernel_gs_base", NULL, SHADOW_GS },
    { "gdtr_base", "gdtr_base", GDTR_BASE }, { "gdtr_limit", "gdtr_limit", GDTR_LIMIT },
    { "idtr_base", "idtr_base", IDTR_BASE }, { "idtr_limit", "idtr_limit", IDTR_LIMIT },
    { "dr0", "dr0", DR0 }, { "dr1", "dr1", DR1 }, { "dr2", "dr2", DR2 }, { "dr3", "dr3", DR3 },
    { "dr6", "dr6", DR6 }, { "dr7", "dr7", DR7 },
};
const size_t vmi_domops_n_registers = G_N_ELEMENTS(vmi_domops_registers);

GVariant *vmi_domops_get_registers(vmi_instance_t vmi, const char *domain, guint32 vcpu,
                                   GError **error)
{
    unsigned n = vmi_get_num_vcpus(vmi);
    if (n && vcpu >= n) {
        g_set_error(error, VMI_DOMOPS_ERROR, VMI_DOMOPS_ERROR_ARGUMENT, "Domain '%s' has %u "
                    "vCPU%s: vCPU %u does not exist.", domain, n, n == 1 ? "" : "s", vcpu);
        return NULL;
    }
    gboolean wide = vmi_get_address_width(vmi) != 4;
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
    unsigned got = 0;
    bool fatal = false;
    g_autofree char *first_error = NULL;
    vmi_error_code_t first_kind = VMI_ERR_NONE;
    for (size_t i = 0; i < G_N_ELEMENTS(vmi_domops_registers); i++) {
        const char *name = wide ? vmi_domops_registers[i].name64 : vmi_domops_registers[i].name32;
        reg_t v;
        if (!name)
            continue;
        if (vmi_get_vcpureg(vmi, &v, vmi_domops_registers[i].reg, vcpu) == VMI_SUCCESS) {
            g_variant_builder_add(&b, "{st}", name, (guint64)v);
            got++;
            continue;
        }
        vmi_error_code_t kind = vmi_get_last_error_code(vmi);
        /* A register the access path does not have (UNSUPPORTED: not in the
         * stub's target description nor in QMP's info registers) leaves the
         * others.  Any other failure (a missing vCPU, a guest gone, a broken
         * channel, an error reply to a register the path has) leaves none:
         * the registers read before it are no set the caller can trust (a
         * stub that answered one read with an error answered garbage before),
         * so the call fails whole. */
        bool this_fatal = kind != VMI_ERR_UNSUPPORTED;
        if (!first_error || (this_fatal && !fatal)) {
            g_free(first_error);
            first_error = g_strdup(vmi_get_last_error(vmi));
            first_kind = kind;
        }
        if (this_fatal) {
            fatal = true;
            break;
        }
    }
    if (!got || fatal) {
        g_variant_builder_clear(&b);
        /* a missing vCPU is the caller's value at fault */
        g_set_error(error, VMI_DOMOPS_ERROR,
                    first_kind == VMI_ERR_NOT_FOUND ? VMI_DOMOPS_ERROR_VALUE
                                                    : VMI_DOMOPS_ERROR_GUEST,
                    "Domain '%s': reading the registers of vCPU %u failed: %s.", domain, vcpu,
                    first_error ? first_error : "no register");
        return NULL;
    }
    return g_variant_new("(a{st})", &b);
}

/* ------------------------------------------------------------ names */

const char *vmi_domops_os_name(os_t os)
{
    switch (os) {
    case VMI_OS_LINUX: return "linux";
    case VMI_OS_WINDOWS: return "windows";
    default: return "unknown";
    }
}

const char *vmi_domops_page_mode_name(page_mode_t pm)
{
    switch (pm) {
    case VMI_PM_LEGACY: return "legacy";
    case VMI_PM_PAE: return "pae";
    case VMI_PM_IA32E: return "ia32e";
    case VMI_PM_LA57: return "la57";
    default: return "unknown";
    }
}

char *vmi_domops_kernel_version(vmi_instance_t vmi)
{
    g_autofree char *raw = vmi_get_kernel_version(vmi);
    if (!raw)
        return g_strdup("");
    size_t len = strnlen(raw, VMI_DOMOPS_MAX_KERNEL_VERSION);
    while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r' || raw[len - 1] == ' '))
        len--;
    /* cutting a multi-byte character at the bound leaves a U+FFFD: fine */
    return g_utf8_make_valid(raw, (gssize)len);
}
