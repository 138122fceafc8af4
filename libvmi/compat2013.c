/*
 * compat2013.c - the 2013 API's entry points that differ from the modern
 * ones in more than their signature: its flag bits, access modes, page
 * modes and register numbers.
 *
 * Two kinds of callers reach these:
 *  - binaries built before the modern API, through NAME@LIBVMI_0.1: they
 *    pass the 2013 values (VMI_KVM = 1 << 2, VMI_INIT_EVENTS = 1 << 18,
 *    VMI_CONFIG_STRING = 1 << 26, R8 = 8, ...);
 *  - programs compiled against today's libvmi.h, through NAME__N and the
 *    default versions: they pass LibVMI 0.14's values (VMI_KVM = 1,
 *    VMI_INIT_EVENTS = 1 << 2, R8 = 10, ...), except that the header makes
 *    VMI_CONFIG_* the 2013 bits inside vmi_init_custom() and
 *    vmi_init_complete_custom() calls.
 */
#include <string.h>
#include "private.h"

/* The 2013 values, as binaries of LIBVMI_0.1 pass them. */
#define OLD_AUTO          (1u << 0)
#define OLD_XEN           (1u << 1)
#define OLD_KVM           (1u << 2)
#define OLD_FILE          (1u << 3)
#define OLD_INIT_EVENTS   (1u << 18)
#define CFG_GLOBAL        (1u << 25)
#define CFG_STRING        (1u << 26)
#define CFG_GHASHTABLE    (1u << 27)
#define CFG_JSON_PATH     (1u << 28)
#define CFG_FILE_PATH     (1u << 29)
#define CFG_BITS          (CFG_GLOBAL | CFG_STRING | CFG_GHASHTABLE | CFG_JSON_PATH | CFG_FILE_PATH)
#define CFG_NONE_GIVEN    (-1)

/* The config kind of 2013 bits: a vmi_config_t, or CFG_NONE_GIVEN. */
static int config_kind_of_bits(uint32_t flags, GError **error)
{
    uint32_t bits = flags & CFG_BITS;
    if (!bits)
        return CFG_NONE_GIVEN;
    if (__builtin_popcount(bits) != 1) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "more than one VMI_CONFIG_* type in the flags (0x%x)", flags);
        return -2;
    }
    return bits == CFG_GLOBAL ? VMI_CONFIG_GLOBAL_FILE_ENTRY
           : bits == CFG_STRING ? VMI_CONFIG_STRING
           : bits == CFG_GHASHTABLE ? VMI_CONFIG_GHASHTABLE
           : bits == CFG_JSON_PATH ? VMI_CONFIG_JSON_PATH : VMI_CONFIG_FILE_PATH;
}

/* Flags of a LIBVMI_0.1 binary. */
static bool decode_old(uint32_t flags, vmi_init_request_t *req, int *kind, GError **error)
{
    uint32_t mode = flags & (OLD_AUTO | OLD_XEN | OLD_KVM | OLD_FILE);
    memset(req, 0, sizeof(*req));
    req->domid = VMI_INVALID_DOMID;
    if (mode == 0 || mode == OLD_AUTO) {
        req->mode = VMI_AUTO;
    } else if (mode & OLD_AUTO) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "VMI_AUTO cannot be combined with an explicit access mode");
        return false;
    } else if (__builtin_popcount(mode) != 1) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "more than one access mode requested (flags 0x%x)", flags);
        return false;
    } else {
        req->mode = mode == OLD_XEN ? VMI_XEN : mode == OLD_KVM ? VMI_KVM : VMI_FILE;
    }
    req->complete = (flags & VMI_INIT_COMPLETE) || !(flags & VMI_INIT_PARTIAL);
    req->events = flags & OLD_INIT_EVENTS;
    req->shm_snapshot = flags & VMI_INIT_SHM_SNAPSHOT;
    req->no_config = flags & VMI_CONFIG_NONE;
    *kind = config_kind_of_bits(flags, error);
    return *kind != -2;
}

/* Flags of a 2013 call compiled against today's header. */
static bool decode_new(uint32_t flags, bool custom, vmi_init_request_t *req, int *kind,
                       GError **error)
{
    memset(req, 0, sizeof(*req));
    req->domid = VMI_INVALID_DOMID;
    unsigned low = flags & 3;
    *kind = config_kind_of_bits(flags, error);
    if (*kind == -2)
        return false;
    if (flags & VMI_AUTO) {
        req->mode = VMI_AUTO;
        /* a VMI_CONFIG_* or'ed in before the call has the 0.14 value */
        if (custom && *kind == CFG_NONE_GIVEN)
            *kind = low;
        else if (low) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "VMI_AUTO cannot be combined with an explicit access mode (flags 0x%x)",
                        flags);
            return false;
        }
    } else {
        if (custom && *kind == CFG_NONE_GIVEN && low) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "vmi_init_custom: the flags 0x%x do not say which VMI_CONFIG_* type the "
                        "configuration is: with an access mode, write the VMI_CONFIG_* constant "
                        "in the call (or compile with -DLIBVMI_API_2013), see libvmi.h", flags);
            return false;
        }
        /* VMI_XEN is 0: indistinguishable from no mode; VMI_AUTO probes Xen too */
        req->mode = low ? (int)low : VMI_AUTO;
    }
    req->complete = (flags & VMI_INIT_COMPLETE) || !(flags & VMI_INIT_PARTIAL);
    req->events = flags & VMI_INIT_EVENTS;
    req->shm_snapshot = flags & VMI_INIT_SHM_SNAPSHOT;
    req->no_config = flags & VMI_CONFIG_NONE;
    return true;
}

/* ------------------------------------------------------------ vmi_init */

static status_t init_2013(vmi_instance_t *vmi, const vmi_init_request_t *req, const char *name)
{
    GError *error = NULL;
    if (!vmi || !name || !*name) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init: %s is missing",
                   vmi ? "the name" : "the instance pointer");
        return VMI_FAILURE;
    }
    *vmi = NULL;
    if (!vmi_init_request(vmi, req, name, NULL, NULL, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

VMI_PUBLIC status_t vmi_init_2013_abi(vmi_instance_t *vmi, uint32_t flags, char *name)
{
    GError *error = NULL;
    vmi_init_request_t req;
    int kind;
    if (!decode_old(flags, &req, &kind, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return init_2013(vmi, &req, name);
}
VMI_2013_AS(vmi_init_2013_abi, vmi_init);

status_t vmi_init__3(vmi_instance_t *vmi, uint32_t flags, const char *name)
{
    GError *error = NULL;
    vmi_init_request_t req;
    int kind;
    if (!decode_new(flags, false, &req, &kind, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return init_2013(vmi, &req, name);
}

/* ------------------------------------------------------------ vmi_init_custom */

static status_t init_custom(vmi_instance_t *vmi, vmi_init_request_t *req, int kind, void *config)
{
    GError *error = NULL;
    char *origin = NULL;
    if (!vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_custom: the instance pointer is missing");
        return VMI_FAILURE;
    }
    *vmi = NULL;
    switch (kind) {
    case VMI_CONFIG_GLOBAL_FILE_ENTRY:
        /* @config is the name of the entry (and of the guest) */
        if (!config) {
            vmi_errorc(NULL, VMI_ERR_INVALID, "VMI_CONFIG_GLOBAL_FILE_ENTRY needs the entry name");
            return VMI_FAILURE;
        }
        return init_2013(vmi, req, config);
    case VMI_CONFIG_STRING:
    case VMI_CONFIG_GHASHTABLE:
        break;
    case CFG_NONE_GIVEN:
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_custom needs VMI_CONFIG_STRING or "
                   "VMI_CONFIG_GHASHTABLE (or VMI_CONFIG_GLOBAL_FILE_ENTRY with a name key)");
        return VMI_FAILURE;
    default:
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_custom: this configuration type names no "
                   "guest; use vmi_init_complete() with it");
        return VMI_FAILURE;
    }
    GHashTable *table = vmi_config_load(kind, config, NULL, &origin, &error);
    if (!table) {
        g_free(origin);
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    char *name = vmi_config_guest_name(table);
    if (!name) {
        g_hash_table_unref(table);
        g_free(origin);
        vmi_errorc(NULL, VMI_ERR_INVALID, "the configuration names no guest: give 'name' (domain name or "
                   "snapshot path) or 'domid'");
        return VMI_FAILURE;
    }
    bool ok = vmi_init_request(vmi, req, name, table, origin, &error);
    g_free(name);
    if (!ok) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

VMI_PUBLIC status_t vmi_init_custom_2013_abi(vmi_instance_t *vmi, uint32_t flags, void *config)
{
    GError *error = NULL;
    vmi_init_request_t req;
    int kind;
    if (!decode_old(flags, &req, &kind, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return init_custom(vmi, &req, kind, config);
}
VMI_2013_AS(vmi_init_custom_2013_abi, vmi_init_custom);

VMI_PUBLIC status_t vmi_init_custom_v14(vmi_instance_t *vmi, uint32_t flags, void *config)
{
    GError *error = NULL;
    vmi_init_request_t req;
    int kind;
    if (!decode_new(flags, true, &req, &kind, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return init_custom(vmi, &req, kind, config);
}
VMI_MODERN_AS(vmi_init_custom_v14, vmi_init_custom);

/* ------------------------------------------------------------ completing */

static status_t complete(vmi_instance_t *vmi, int kind, const void *config, bool shm)
{
    GError *error = NULL;
    char *origin = NULL;
    GHashTable *table = NULL;
    if (!vmi || !*vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_complete: no instance");
        return VMI_FAILURE;
    }
    vmi_instance_t v = *vmi;
    if (kind != CFG_NONE_GIVEN) {
        /* GLOBAL_FILE_ENTRY: @config names the entry; NULL: the guest's name */
        const char *name = kind == VMI_CONFIG_GLOBAL_FILE_ENTRY && config ? config : v->name;
        table = vmi_config_load(kind, kind == VMI_CONFIG_GLOBAL_FILE_ENTRY ? NULL : config, name,
                                &origin, &error);
        if (error) {
            g_free(origin);
            vmi_set_error(v, error);
            return VMI_FAILURE;
        }
    }
    if (!vmi_init_finish(v, table, origin, shm, &error)) {
        vmi_set_error(v, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_init_complete__2(vmi_instance_t *vmi, const char *config)
{
    return complete(vmi, config ? VMI_CONFIG_STRING : VMI_CONFIG_GLOBAL_FILE_ENTRY, config, false);
}
VMI_2013_AS(vmi_init_complete__2, vmi_init_complete);

VMI_PUBLIC status_t vmi_init_complete_custom_2013_abi(vmi_instance_t *vmi, uint32_t flags,
                                                      void *config)
{
    GError *error = NULL;
    int kind = config_kind_of_bits(flags, &error);
    if (kind == -2) {
        vmi_set_error(vmi && *vmi ? *vmi : NULL, error);
        return VMI_FAILURE;
    }
    return complete(vmi, kind, config, flags & VMI_INIT_SHM_SNAPSHOT);
}
VMI_2013_AS(vmi_init_complete_custom_2013_abi, vmi_init_complete_custom);

VMI_PUBLIC status_t vmi_init_complete_custom_v14(vmi_instance_t *vmi, uint32_t flags, void *config)
{
    GError *error = NULL;
    int kind = config_kind_of_bits(flags, &error);
    if (kind == -2) {
        vmi_set_error(vmi && *vmi ? *vmi : NULL, error);
        return VMI_FAILURE;
    }
    /* no mode in these flags: a VMI_CONFIG_* from outside the call (0.14
     * value) is the low bits; 0 (VMI_CONFIG_GLOBAL_FILE_ENTRY) keeps the
     * instance's configuration, as no type did before */
    if (kind == CFG_NONE_GIVEN && (flags & 7) && (flags & 7) <= VMI_CONFIG_FILE_PATH)
        kind = flags & 7;
    return complete(vmi, kind, config, flags & VMI_INIT_SHM_SNAPSHOT);
}
VMI_MODERN_AS(vmi_init_complete_custom_v14, vmi_init_complete_custom);

/* ------------------------------------------------------------ getters */

VMI_PUBLIC uint32_t vmi_get_access_mode_2013_abi(vmi_instance_t vmi)
{
    switch (vmi ? vmi->mode : -1) {
    case VMI_XEN: return OLD_XEN;
    case VMI_KVM: return OLD_KVM;
    case VMI_FILE: return OLD_FILE;
    default: return 0;
    }
}
VMI_2013_AS(vmi_get_access_mode_2013_abi, vmi_get_access_mode);

/* The 2013 enum page_mode: UNKNOWN, LEGACY, PAE, IA32E, then our LA57. */
VMI_PUBLIC uint32_t vmi_get_page_mode_2013_abi(vmi_instance_t vmi)
{
    page_mode_t pm = vmi ? vmi->page_mode : VMI_PM_UNKNOWN;
    switch (pm) {
    case VMI_PM_LEGACY:
    case VMI_PM_PAE:
    case VMI_PM_IA32E:
        return pm;
    case VMI_PM_LA57:
        return 4;
    default:
        return 0;
    }
}
VMI_2013_AS(vmi_get_page_mode_2013_abi, vmi_get_page_mode);

/* ------------------------------------------------------------ registers */

/* The 2013 enum registers, in its order. */
static const reg_t regs_2013[] = {
    RAX, RBX, RCX, RDX, RBP, RSI, RDI, RSP,
    R8, R9, R10, R11, R12, R13, R14, R15,
    RIP, RFLAGS,
    CR0, CR2, CR3, CR4,
    DR0, DR1, DR2, DR3, DR6, DR7,
    CS_SEL, DS_SEL, ES_SEL, FS_SEL, GS_SEL, SS_SEL, TR_SEL, LDTR_SEL,
    CS_LIMIT, DS_LIMIT, ES_LIMIT, FS_LIMIT, GS_LIMIT, SS_LIMIT, TR_LIMIT,
    LDTR_LIMIT, IDTR_LIMIT, GDTR_LIMIT,
    CS_BASE, DS_BASE, ES_BASE, FS_BASE, GS_BASE, SS_BASE, TR_BASE,
    LDTR_BASE, IDTR_BASE, GDTR_BASE,
    CS_ARBYTES, DS_ARBYTES, ES_ARBYTES, FS_ARBYTES, GS_ARBYTES, SS_ARBYTES,
    TR_ARBYTES, LDTR_ARBYTES,
    SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP,
    SHADOW_GS,
    MSR_FLAGS, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_EFER, MSR_TSC_AUX,
    MSR_ALL,
    TSC,
};

reg_t vmi_reg_from_2013(uint32_t reg)
{
    return reg < G_N_ELEMENTS(regs_2013) ? regs_2013[reg] : ~(reg_t)0;
}

static bool reg_2013(vmi_instance_t vmi, uint32_t reg, reg_t *out)
{
    *out = vmi_reg_from_2013(reg);
    if (*out != ~(reg_t)0)
        return true;
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_INVALID, "register %u is not in the 2013 register list", reg);
    return false;
}

/* Old binaries pass the register as a 32-bit enum: only those bits count. */
VMI_PUBLIC status_t vmi_get_vcpureg_2013_abi(vmi_instance_t vmi, reg_t *value, uint32_t reg,
                                             unsigned long vcpu)
{
    reg_t r;
    if (!reg_2013(vmi, reg, &r))
        return VMI_FAILURE;
    return vmi_get_vcpureg_v14(vmi, value, r, vcpu);
}
VMI_2013_AS(vmi_get_vcpureg_2013_abi, vmi_get_vcpureg);

VMI_PUBLIC status_t vmi_set_vcpureg_2013_abi(vmi_instance_t vmi, reg_t value, uint32_t reg,
                                             unsigned long vcpu)
{
    reg_t r;
    if (!reg_2013(vmi, reg, &r))
        return VMI_FAILURE;
    return vmi_set_vcpureg_v14(vmi, value, r, vcpu);
}
VMI_2013_AS(vmi_set_vcpureg_2013_abi, vmi_set_vcpureg);
