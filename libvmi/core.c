/*
 * core.c - the instance: init (all config sources), destroy, getters and
 * the control calls that the core dispatches to the access driver.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "private.h"
#include "libvmi-helper.h"

/* ------------------------------------------------------------ config */

const config_value_t *vmi_config_get(GHashTable *config, const char *key)
{
    return config ? g_hash_table_lookup(config, key) : NULL;
}

bool vmi_config_get_num(GHashTable *config, const char *key, uint64_t *value)
{
    const config_value_t *v = vmi_config_get(config, key);
    if (!v || v->type != CONFIG_NUM)
        return false;
    *value = v->num;
    return true;
}

const char *vmi_config_get_str(GHashTable *config, const char *key)
{
    const config_value_t *v = vmi_config_get(config, key);
    return v && v->type == CONFIG_STR ? v->str : NULL;
}

static GHashTable *config_table_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify)config_value_free);
}

static config_value_t *config_value_str(const char *s)
{
    config_value_t *v = g_new0(config_value_t, 1);
    v->type = CONFIG_STR;
    v->str = g_strdup(s);
    return v;
}

static config_value_t *config_value_num(uint64_t n)
{
    config_value_t *v = g_new0(config_value_t, 1);
    v->type = CONFIG_NUM;
    v->num = n;
    return v;
}

/* Keys whose value in a caller's GHashTable is a char *; every other key's
 * value points to a 64-bit number, as in classic LibVMI. */
static bool config_key_is_string(const char *key)
{
    static const char *const string_keys[] = {
        "name", "ostype", "sysmap", "qmp", "gdb", "shm", "socket",
        "rekall_profile", "volatility_ist", "kvmi_socket", "path", NULL
    };
    for (const char *const *k = string_keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static GHashTable *config_from_ghashtable(GHashTable *in)
{
    GHashTable *out = config_table_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, in);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!k || !v)
            continue;
        if (config_key_is_string(k))
            g_hash_table_insert(out, g_strdup(k), config_value_str(v));
        else
            g_hash_table_insert(out, g_strdup(k), config_value_num(*(const uint64_t *)v));
    }
    return out;
}

/* Deep copy of one parsed entry (the parser's tables own their values). */
static GHashTable *config_copy(GHashTable *in)
{
    GHashTable *out = config_table_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, in);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const config_value_t *cv = v;
        config_value_t *n = cv->type == CONFIG_STR ? config_value_str(cv->str)
                                                   : config_value_num(cv->num);
        n->line = cv->line;
        g_hash_table_insert(out, g_strdup(k), n);
    }
    return out;
}

/* The config files looked at, in order; the first that exists is used. */
static GPtrArray *config_file_candidates(void)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    const char *env = g_getenv("LIBVMI_CONF");
    if (env && *env) {
        g_ptr_array_add(files, g_strdup(env));
        return files;
    }
    const char *home = g_getenv("HOME");
    if (home)
        g_ptr_array_add(files, g_build_filename(home, "etc", "libvmi.conf", NULL));
    g_ptr_array_add(files, g_strdup(SYSCONFDIR_LIBVMI_CONF));
    return files;
}

/* Entry names tried for @name: the name itself, and for a snapshot path its
 * base name with and without extension. */
static GPtrArray *config_entry_names(const char *name)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup(name));
    if (strchr(name, '/')) {
        char *base = g_path_get_basename(name);
        g_ptr_array_add(names, g_strdup(base));
        char *dot = strrchr(base, '.');
        if (dot && dot != base) {
            *dot = '\0';
            g_ptr_array_add(names, g_strdup(base));
        }
        g_free(base);
    } else {
        const char *dot = strrchr(name, '.');
        if (dot && dot != name)
            g_ptr_array_add(names, g_strndup(name, dot - name));
    }
    return names;
}

/* Finds the global config file entry for @name.  Returns NULL with @error
 * unset when no file or no entry exists; NULL with @error set when a file
 * exists but cannot be used. */
static GHashTable *config_from_global_file(const char *name, char **origin, GError **error)
{
    g_autoptr(GPtrArray) files = config_file_candidates();
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            continue;
        g_autoptr(GHashTable) all = config_parse_file(path, error);
        if (!all)
            return NULL;
        g_autoptr(GPtrArray) names = config_entry_names(name);
        for (guint j = 0; j < names->len; j++) {
            GHashTable *entry = g_hash_table_lookup(all, names->pdata[j]);
            if (entry) {
                if (!config_validate_entry(entry, path, error))
                    return NULL;
                *origin = g_strdup_printf("%s, entry '%s'", path, (char *)names->pdata[j]);
                return config_copy(entry);
            }
        }
        g_debug("no entry for '%s' in %s", name, path);
        *origin = g_strdup(path);
        return NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

/* The walkers' view of a guest whose tables hold machine frames (driver.h,
 * machine_frames): tables are read at the guest-physical address of their
 * machine frame, so they go through the same caches as everything else. */
static bool frames_to_machine(void *opaque, addr_t pa, addr_t *ma)
{
    vmi_instance_t vmi = opaque;
    return vmi->driver->phys_to_machine(vmi, pa, ma);
}

static bool frames_to_phys(void *opaque, addr_t ma, addr_t *pa)
{
    vmi_instance_t vmi = opaque;
    return vmi->driver->machine_to_phys(vmi, ma, pa);
}

static bool frames_read(void *opaque, addr_t ma, void *buf, size_t len)
{
    vmi_instance_t vmi = opaque;
    addr_t pa;
    /* a table entry never crosses its page */
    if (((ma & 0xfff) + len) > 0x1000 || !vmi->driver->machine_to_phys(vmi, ma & ~0xfffULL, &pa))
        return false;
    return vmi_read_pa_all(vmi, pa | (ma & 0xfff), buf, len);
}

static const pt_frames_t machine_frames = {
    .to_table = frames_to_machine,
    .to_phys = frames_to_phys,
    .read_table = frames_read,
};

static vmi_instance_t instance_new(void)
{
    vmi_instance_t vmi = g_new0(struct vmi_instance, 1);
    vmi->domid = VMI_INVALID_DOMID;
    vmi->reader.read = vmi_pt_read;
    vmi->reader.opaque = vmi;
    caches_init(vmi);
    return vmi;
}

static void instance_free(vmi_instance_t vmi)
{
    if (!vmi)
        return;
    events_free(vmi);
    if (vmi->os && vmi->os->destroy)
        vmi->os->destroy(vmi);
    if (vmi->driver && vmi->driver->close)
        vmi->driver->close(vmi);
    caches_free(vmi);
    g_free(vmi->gone_reason);
    if (vmi->config)
        g_hash_table_unref(vmi->config);
    g_free(vmi->config_origin);
    g_free(vmi->name);
    g_free(vmi->last_error);
    g_free(vmi);
}

static const char *mode_name(int mode)
{
    switch (mode) {
    case VMI_XEN: return "VMI_XEN";
    case VMI_KVM: return "VMI_KVM";
    case VMI_FILE: return "VMI_FILE";
    case VMI_BAREFLANK: return "VMI_BAREFLANK";
    case VMI_AUTO: return "VMI_AUTO";
    default: return "an unknown access mode";
    }
}

/* Picks the access driver for @name. */
static const vmi_driver_ops_t *choose_driver(int mode, const char *name, GHashTable *config,
                                             GError **error)
{
    if (mode == VMI_AUTO) {
        for (const vmi_driver_ops_t *const *d = driver_registry(); *d; d++) {
            if (!(*d)->probe || !(*d)->probe(name, config))
                continue;
            /* a name two hypervisors both know: refuse to guess */
            for (const vmi_driver_ops_t *const *o = d + 1; *d != &file_driver_ops && *o; o++)
                if (*o != &file_driver_ops && (*o)->probe && (*o)->probe(name, config)) {
                    g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                                "'%s' names both a %s domain and a %s domain: VMI_AUTO will not "
                                "guess; open it with %s or %s (or rename one)", name,
                                (*d)->name, (*o)->name, mode_name((*d)->mode),
                                mode_name((*o)->mode));
                    return NULL;
                }
            return *d;
        }
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no access driver can open '%s': not a snapshot file, and no running "
                    "guest of that name was found", name);
        return NULL;
    }
    const vmi_driver_ops_t *d = driver_for_mode(mode);
    if (!d)
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "access mode %s is not built into this libvmi", mode_name(mode));
    return d;
}

/* Paging mode from vCPU 0's control registers, when the driver has them. */
static void page_mode_from_driver(vmi_instance_t vmi)
{
    reg_t cr0 = 0, cr4 = 0;
    bool lma = false;
    if (!vmi->driver->get_vcpureg || !vmi->driver->get_lma)
        return;
    if (!vmi->driver->get_vcpureg(vmi, &cr0, CR0, 0, NULL) ||
        !vmi->driver->get_vcpureg(vmi, &cr4, CR4, 0, NULL) ||
        !vmi->driver->get_lma(vmi, &lma))
        return;
    page_mode_t pm = pt_mode_from_regs(cr0, cr4, lma);
    if (pm != VMI_PM_UNKNOWN) {
        vmi_set_page_mode(vmi, pm);
        g_debug("paging mode %s from vCPU 0 registers (CR0=0x%" G_GINT64_MODIFIER "x CR4=0x%"
                G_GINT64_MODIFIER "x)", vmi->pt->name, (guint64)cr0, (guint64)cr4);
    }
}

/* The OS layer: the one the configuration names, else each registered layer
 * probes the guest's memory in turn (a Linux guest needs no configuration). */
static bool init_os(vmi_instance_t vmi, GError **error)
{
    const char *origin = vmi->config_origin ? vmi->config_origin : vmi->name;
    const char *ostype = vmi_config_get_str(vmi->config, "ostype");
    const vmi_os_ops_t *const *reg = os_registry();
    if (!ostype && (vmi_config_get(vmi->config, "sysmap") || vmi_config_get(vmi->config, "isf") ||
                    vmi_config_get(vmi->config, "volatility_ist")))
        ostype = "Linux";
    if (ostype) {
        const vmi_os_ops_t *os = NULL;
        GString *names = g_string_new(NULL);
        for (size_t i = 0; reg[i]; i++) {
            if (!os && reg[i]->matches(ostype))
                os = reg[i];
            g_string_append_printf(names, "%s%s", i ? ", " : "", reg[i]->name);
        }
        if (!os) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "%s: ostype '%s' is not supported by this libvmi (supported: %s)", origin,
                        ostype, names->str);
            g_string_free(names, TRUE);
            return false;
        }
        g_string_free(names, TRUE);
        vmi->os = os;
        vmi->os_type = os->type;
        if (!os->init(vmi, vmi->config, false, error)) {
            vmi->os = NULL;
            vmi->os_type = VMI_OS_UNKNOWN;
            return false;
        }
        return true;
    }
    /* nothing names the OS: probe */
    GString *why = g_string_new(NULL);
    for (size_t i = 0; reg[i]; i++) {
        GError *err = NULL;
        vmi->os = reg[i];
        vmi->os_type = reg[i]->type;
        if (reg[i]->init(vmi, vmi->config, true, &err)) {
            g_string_free(why, TRUE);
            return true;
        }
        g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
        g_error_free(err);
    }
    vmi->os = NULL;
    vmi->os_type = VMI_OS_UNKNOWN;
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "%s: no OS layer recognised the guest (%s)%s", origin, why->str,
                vmi->config ? "" : "; with no configuration entry, a kernel is looked for in "
                "memory (64-bit Linux); see libvmi.conf(5)");
    g_string_free(why, TRUE);
    return false;
}

static bool init_complete(vmi_instance_t vmi, GError **error)
{
    if (vmi->page_mode == VMI_PM_UNKNOWN)
        page_mode_from_driver(vmi);
    vmi_hold(vmi);
    bool ok = init_os(vmi, error);
    vmi_release(vmi);
    if (!ok)
        return false;
    if (vmi->flags & VMI_INIT_SHM_SNAPSHOT) {
        if (!vmi->driver->shm_snapshot_create) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "VMI_INIT_SHM_SNAPSHOT: the %s access driver cannot take snapshots",
                        vmi->driver->name);
            return false;
        }
        if (!vmi->driver->shm_snapshot_create(vmi, error))
            return false;
    }
    vmi->init_complete = true;
    return true;
}

/* Opens the driver (and, with req->complete, paging and the OS layer). */
static bool init_common(vmi_instance_t *out, const vmi_init_request_t *req, const char *name,
                        GHashTable *config, char *origin, GError **error)
{
    vmi_instance_t vmi = instance_new();
    /* vmi->flags keeps the 2013 bits the rest of the library looks at */
    vmi->flags = (req->shm_snapshot ? VMI_INIT_SHM_SNAPSHOT : 0) |
                 (req->complete ? VMI_INIT_COMPLETE : VMI_INIT_PARTIAL) |
                 (req->events ? VMI_INIT_EVENTS : 0);
    vmi->config = config;
    vmi->config_origin = origin;
    vmi->name = g_strdup(name);

    uint64_t domid;
    if (req->domid != VMI_INVALID_DOMID)
        vmi->domid = req->domid;
    else if (vmi_config_get_num(config, "domid", &domid))
        vmi->domid = domid;

    vmi->driver = choose_driver(req->mode, name, config, error);
    if (!vmi->driver || !vmi->driver->open(vmi, name, config, error)) {
        vmi->driver = NULL;
        instance_free(vmi);
        return false;
    }
    vmi->mode = vmi->driver->mode;
    if (vmi->driver->machine_frames && vmi->driver->machine_frames(vmi))
        vmi->reader.frames = &machine_frames;
    g_debug("'%s' opened with the %s driver (%s)", name, vmi->driver->name,
            vmi->driver->access_path ? vmi->driver->access_path(vmi) : "?");

    if (req->complete && !init_complete(vmi, error)) {
        instance_free(vmi);
        return false;
    }
    *out = vmi;
    return true;
}

bool vmi_init_request(vmi_instance_t *out, const vmi_init_request_t *req, const char *name,
                      GHashTable *config, char *origin, GError **error)
{
    if (!config && !req->no_config) {
        config = config_from_global_file(name, &origin, error);
        if (error && *error) {
            g_free(origin);
            return false;
        }
    }
    return init_common(out, req, name, config, origin, error);
}

/* The name the instance is opened under, from a custom config. */
static char *config_name(GHashTable *config, char *entry_name)
{
    const char *name = vmi_config_get_str(config, "name");
    if (!name)
        name = vmi_config_get_str(config, "path");
    if (name)
        return g_strdup(name);
    uint64_t domid;
    if (vmi_config_get_num(config, "domid", &domid))
        return g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)domid);
    return entry_name ? g_strdup(entry_name) : NULL;
}

char *vmi_config_guest_name(GHashTable *config)
{
    return config_name(config, NULL);
}

GHashTable *vmi_config_load(vmi_config_t kind, const void *config, const char *name, char **origin,
                            GError **error)
{
    GHashTable *entry = NULL;
    switch (kind) {
    case VMI_CONFIG_GLOBAL_FILE_ENTRY:
        return config_from_global_file(name, origin, error);
    case VMI_CONFIG_STRING:
        if (!config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_STRING with a NULL string");
            return NULL;
        }
        entry = config_parse_entry_string(config, "config string", error);
        if (!entry)
            return NULL;
        if (!config_validate_entry(entry, "config string", error)) {
            g_hash_table_unref(entry);
            return NULL;
        }
        *origin = g_strdup("config string");
        return entry;
    case VMI_CONFIG_GHASHTABLE:
        if (!config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_GHASHTABLE with a NULL table");
            return NULL;
        }
        entry = config_from_ghashtable((GHashTable *)config);
        if (!config_validate_entry(entry, "config table", error)) {
            g_hash_table_unref(entry);
            return NULL;
        }
        *origin = g_strdup("config table");
        return entry;
    case VMI_CONFIG_JSON_PATH: {
        if (!config || !*(const char *)config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_JSON_PATH with no path");
            return NULL;
        }
        if (!g_file_test(config, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "VMI_CONFIG_JSON_PATH: no JSON profile at %s", (const char *)config);
            return NULL;
        }
        /* a Volatility 3 ISF: the Linux OS layer reads its symbols and types */
        entry = config_table_new();
        g_hash_table_insert(entry, g_strdup("isf"), config_value_str(config));
        *origin = g_strdup_printf("JSON profile %s", (const char *)config);
        return entry;
    }
    case VMI_CONFIG_FILE_PATH: {
        if (!config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_FILE_PATH with no path");
            return NULL;
        }
        g_autoptr(GHashTable) all = config_parse_file(config, error);
        if (!all)
            return NULL;
        g_autoptr(GPtrArray) names = config_entry_names(name);
        for (guint j = 0; j < names->len; j++) {
            GHashTable *e = g_hash_table_lookup(all, names->pdata[j]);
            if (e) {
                if (!config_validate_entry(e, config, error))
                    return NULL;
                *origin = g_strdup_printf("%s, entry '%s'", (const char *)config,
                                          (char *)names->pdata[j]);
                return config_copy(e);
            }
        }
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "%s has no entry for '%s'",
                    (const char *)config, name);
        return NULL;
    }
    default:
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "configuration type %lu is not one of VMI_CONFIG_GLOBAL_FILE_ENTRY, _STRING, "
                    "_GHASHTABLE, _JSON_PATH, _FILE_PATH", (unsigned long)kind);
        return NULL;
    }
}

/* Keys of @old that @new lacks join @new (the driver's keys of the entry
 * read at vmi_init stay when vmi_init_os brings the OS keys). */
static void config_merge_into(GHashTable *new, GHashTable *old)
{
    GHashTableIter it;
    gpointer k, v;
    if (!old)
        return;
    g_hash_table_iter_init(&it, old);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (g_hash_table_contains(new, k))
            continue;
        const config_value_t *cv = v;
        config_value_t *n = cv->type == CONFIG_STR ? config_value_str(cv->str)
                                                   : config_value_num(cv->num);
        n->line = cv->line;
        g_hash_table_insert(new, g_strdup(k), n);
    }
}

bool vmi_init_finish(vmi_instance_t vmi, GHashTable *config, char *origin, bool shm_snapshot,
                     GError **error)
{
    if (vmi->init_complete) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "the instance is already completely initialised");
        g_free(origin);
        if (config)
            g_hash_table_unref(config);
        return false;
    }
    if (config) {
        config_merge_into(config, vmi->config);
        if (vmi->config)
            g_hash_table_unref(vmi->config);
        g_free(vmi->config_origin);
        vmi->config = config;
        vmi->config_origin = origin;
    } else {
        g_free(origin);
    }
    if (shm_snapshot)
        vmi->flags |= VMI_INIT_SHM_SNAPSHOT;
    return init_complete(vmi, error);
}

/* ------------------------------------------------------------ modern init */

/* Which vmi_init_error_t a failure of a stage is: the error's kind tells
 * a missing guest from a failing driver. */
static vmi_init_error_t init_error_of(vmi_instance_t vmi, vmi_init_error_t stage)
{
    if (stage == VMI_INIT_ERROR_DRIVER &&
        vmi_get_last_error_code(vmi) == VMI_ERR_NOT_FOUND)
        return VMI_INIT_ERROR_VM_NOT_FOUND;
    return stage;
}

static void set_init_error(vmi_init_error_t *error, vmi_init_error_t value)
{
    if (error)
        *error = value;
}

/* The guest's name from a modern (@domain, @init_flags) pair. */
static char *domain_name(const void *domain, uint64_t init_flags, uint64_t *domid, GError **error)
{
    uint64_t how = init_flags & (VMI_INIT_DOMAINNAME | VMI_INIT_DOMAINID | VMI_INIT_DOMAINUUID);
    *domid = VMI_INVALID_DOMID;
    if (init_flags & VMI_INIT_DOMAINWATCH) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "VMI_INIT_DOMAINWATCH is a Xen feature: no driver here watches domains");
        return NULL;
    }
    if (__builtin_popcountll(how) != 1) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "the init flags must say how the domain is named: exactly one of "
                    "VMI_INIT_DOMAINNAME, VMI_INIT_DOMAINID and VMI_INIT_DOMAINUUID");
        return NULL;
    }
    if (!domain) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "no domain given");
        return NULL;
    }
    if (how == VMI_INIT_DOMAINID) {
        *domid = *(const uint64_t *)domain;
        return g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)*domid);
    }
    if (!*(const char *)domain) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "the domain name is empty");
        return NULL;
    }
    return g_strdup(domain);
}

/* init_data entries this libvmi can act on, or a refusal. */
static bool check_init_data(const vmi_init_data_t *data, GError **error)
{
    if (!data)
        return true;
    if (data->count > 64) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "init_data has %" G_GUINT64_FORMAT
                    " entries (at most 64)", (guint64)data->count);
        return false;
    }
    for (uint64_t i = 0; i < data->count; i++) {
        switch (data->entry[i].type) {
        case VMI_INIT_DATA_KVMI_SOCKET:
            /* LibVMI's KVM driver talks KVMi; ours reaches QEMU through QMP
             * and the gdbstub, found from the configuration or libvirt */
            g_debug("init_data: the KVMi socket %s is not used (QMP and gdbstub instead)",
                    data->entry[i].data ? (const char *)data->entry[i].data : "(null)");
            break;
        case VMI_INIT_DATA_XEN_EVTCHN:
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "VMI_INIT_DATA_XEN_EVTCHN: no Xen driver in this libvmi");
            return false;
        case VMI_INIT_DATA_MEMMAP:
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "VMI_INIT_DATA_MEMMAP is not supported: the file driver reads the "
                        "memory layout from the snapshot itself");
            return false;
        default:
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "init_data entry %" G_GUINT64_FORMAT
                        " has an unknown type %" G_GUINT64_FORMAT, (guint64)i,
                        (guint64)data->entry[i].type);
            return false;
        }
    }
    return true;
}

VMI_PUBLIC status_t vmi_init_v14(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain,
                                 uint64_t init_flags, vmi_init_data_t *init_data,
                                 vmi_init_error_t *error)
{
    GError *err = NULL;
    set_init_error(error, VMI_INIT_ERROR_NONE);
    if (!vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init: the instance pointer is missing");
        set_init_error(error, VMI_INIT_ERROR_DRIVER);
        return VMI_FAILURE;
    }
    *vmi = NULL;
    vmi_init_request_t req = { .mode = mode, .events = init_flags & VMI_INIT_EVENTS };
    g_autofree char *name = domain_name(domain, init_flags, &req.domid, &err);
    if (!name || !check_init_data(init_data, &err)) {
        vmi_set_error(NULL, err);
        set_init_error(error, VMI_INIT_ERROR_DRIVER);
        return VMI_FAILURE;
    }
    if (mode != VMI_AUTO && mode != VMI_XEN && mode != VMI_KVM && mode != VMI_FILE &&
        mode != VMI_BAREFLANK) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init: access mode %d is not one of VMI_XEN, "
                   "VMI_KVM, VMI_FILE, VMI_BAREFLANK", mode);
        set_init_error(error, VMI_INIT_ERROR_DRIVER);
        return VMI_FAILURE;
    }
    if (!vmi_init_request(vmi, &req, name, NULL, NULL, &err)) {
        bool config = err && err->domain == VMI_CONFIG_ERROR;
        vmi_set_error(NULL, err);
        set_init_error(error, config ? VMI_INIT_ERROR_NO_CONFIG
                              : init_error_of(NULL, VMI_INIT_ERROR_DRIVER));
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_init_v14, vmi_init);

page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags)
{
    (void)flags;    /* transition pages are a Windows matter: no Windows layer */
    if (!vmi)
        return VMI_PM_UNKNOWN;
    page_mode_from_driver(vmi);
    if (vmi->page_mode == VMI_PM_UNKNOWN)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no paging mode from vCPU 0's registers (paging off, "
                   "or the %s driver has none, as a raw snapshot: vmi_init_os finds it in "
                   "memory)", vmi->driver->name);
    return vmi->page_mode;
}

VMI_PUBLIC os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                            vmi_init_error_t *error)
{
    GError *err = NULL;
    char *origin = NULL;
    set_init_error(error, VMI_INIT_ERROR_NONE);
    if (!vmi) {
        set_init_error(error, VMI_INIT_ERROR_OS);
        return VMI_OS_UNKNOWN;
    }
    if (vmi->init_complete)
        return vmi->os_type;
    GHashTable *table = vmi_config_load(config_mode, config, vmi->name, &origin, &err);
    if (err) {
        bool no_entry = err->domain == VMI_ERROR && err->code == VMI_ERROR_NOT_FOUND &&
                        config_mode == VMI_CONFIG_FILE_PATH;
        g_free(origin);
        vmi_set_error(vmi, err);
        set_init_error(error, no_entry ? VMI_INIT_ERROR_NO_CONFIG_ENTRY : VMI_INIT_ERROR_NO_CONFIG);
        return VMI_OS_UNKNOWN;
    }
    if (!vmi_init_finish(vmi, table, origin, false, &err)) {
        vmi_set_error(vmi, err);
        set_init_error(error, vmi->page_mode == VMI_PM_UNKNOWN ? VMI_INIT_ERROR_PAGING
                                                                : VMI_INIT_ERROR_OS);
        return VMI_OS_UNKNOWN;
    }
    return vmi->os_type;
}

VMI_PUBLIC status_t vmi_init_complete_v14(vmi_instance_t *vmi, const void *domain,
                                          uint64_t init_flags, vmi_init_data_t *init_data,
                                          vmi_config_t config_mode, void *config,
                                          vmi_init_error_t *error)
{
    vmi_instance_t v = NULL;
    if (!vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_complete: the instance pointer is missing");
        set_init_error(error, VMI_INIT_ERROR_DRIVER);
        return VMI_FAILURE;
    }
    *vmi = NULL;
    if (vmi_init_v14(&v, VMI_AUTO, domain, init_flags, init_data, error) != VMI_SUCCESS) {
        if (error && *error == VMI_INIT_ERROR_VM_NOT_FOUND &&
            vmi_get_last_error_code(NULL) == VMI_ERR_NOT_FOUND)
            *error = VMI_INIT_ERROR_DRIVER_NOT_DETECTED;
        return VMI_FAILURE;
    }
    /* vmi_init_os finds the paging mode as well (from the registers, or
     * in memory for a snapshot without them) */
    if (vmi_init_os(v, config_mode, config, error) == VMI_OS_UNKNOWN) {
        /* the reason is the instance's: keep it for vmi_get_last_error(NULL) */
        vmi_errorc(NULL, vmi_get_last_error_code(v), "%s", vmi_get_last_error(v));
        instance_free(v);
        return VMI_FAILURE;
    }
    *vmi = v;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_init_complete_v14, vmi_init_complete);

status_t vmi_destroy(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    instance_free(vmi);
    return VMI_SUCCESS;
}

vmi_arch_t vmi_get_library_arch(void)
{
#if defined(__x86_64__)
    return VMI_ARCH_X86_64;
#elif defined(__i386__)
    return VMI_ARCH_X86;
#else
    return VMI_ARCH_UNKNOWN;
#endif
}

/* ------------------------------------------------------------ getters */

char *vmi_get_name(vmi_instance_t vmi)
{
    return vmi && vmi->name ? strdup(vmi->name) : NULL;
}

uint64_t vmi_get_vmid(vmi_instance_t vmi)
{
    return vmi ? vmi->domid : VMI_INVALID_DOMID;
}

uint32_t vmi_get_access_mode__1(vmi_instance_t vmi)
{
    return vmi ? vmi->mode : 0;
}

VMI_PUBLIC status_t vmi_get_access_mode_v14(vmi_instance_t vmi, const void *domain,
                                            uint64_t init_flags, vmi_init_data_t *init_data,
                                            vmi_mode_t *mode)
{
    GError *error = NULL;
    uint64_t domid;
    if (!mode)
        return VMI_FAILURE;
    if (vmi) {
        *mode = (vmi_mode_t)vmi->mode;
        return VMI_SUCCESS;
    }
    g_autofree char *name = domain_name(domain, init_flags, &domid, &error);
    if (!name || !check_init_data(init_data, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    char *origin = NULL;
    g_autoptr(GHashTable) config = config_from_global_file(name, &origin, &error);
    g_free(origin);
    if (error) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    const vmi_driver_ops_t *d = choose_driver(VMI_AUTO, name, config, &error);
    if (!d) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    *mode = (vmi_mode_t)d->mode;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_get_access_mode_v14, vmi_get_access_mode);

page_mode_t vmi_get_page_mode__1(vmi_instance_t vmi)
{
    return vmi ? vmi->page_mode : VMI_PM_UNKNOWN;
}

VMI_PUBLIC page_mode_t vmi_get_page_mode_v14(vmi_instance_t vmi, unsigned long vcpu)
{
    reg_t cr0 = 0, cr4 = 0;
    bool lma = false;
    if (!vmi)
        return VMI_PM_UNKNOWN;
    /* a live guest: what @vcpu runs now (snapshots: what init found) */
    if (vmi->driver->get_vcpureg && vmi->driver->get_lma && vmi->mode != VMI_FILE &&
        vmi->driver->get_vcpureg(vmi, &cr0, CR0, vcpu, NULL) &&
        vmi->driver->get_vcpureg(vmi, &cr4, CR4, vcpu, NULL) && vmi->driver->get_lma(vmi, &lma)) {
        page_mode_t pm = pt_mode_from_regs(cr0, cr4, lma);
        return pm == VMI_PM_UNKNOWN ? VMI_PM_NONE : pm;
    }
    return vmi->page_mode;
}
VMI_MODERN_AS(vmi_get_page_mode_v14, vmi_get_page_mode);

uint8_t vmi_get_address_width(vmi_instance_t vmi)
{
    return vmi ? vmi->address_width : 0;
}

os_t vmi_get_ostype(vmi_instance_t vmi)
{
    return vmi ? vmi->os_type : VMI_OS_UNKNOWN;
}

win_ver_t vmi_get_winver(vmi_instance_t vmi)
{
    return vmi && vmi->os_type == VMI_OS_WINDOWS ? VMI_OS_WINDOWS_UNKNOWN : VMI_OS_WINDOWS_NONE;
}

const char *vmi_get_winver_str(vmi_instance_t vmi)
{
    switch (vmi_get_winver(vmi)) {
    case VMI_OS_WINDOWS_NONE:
        return "VMI_OS_WINDOWS_NONE";
    default:
        return "VMI_OS_WINDOWS_UNKNOWN";
    }
}

win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa)
{
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "Windows guests are not supported yet (kdvb 0x%" G_GINT64_MODIFIER "x)",
                   (guint64)kdvb_pa);
    return VMI_OS_WINDOWS_NONE;
}

bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info)
{
    if (info)
        memset(info, 0, sizeof(*info));
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "no Windows OS layer in this libvmi");
    return false;
}

uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi)
{
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "no Windows OS layer in this libvmi");
    return 0;
}

static bool get_offset(vmi_instance_t vmi, const char *offset_name, uint64_t *value)
{
    if (!vmi)
        return false;
    if (!offset_name) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no offset name given");
        return false;
    }
    if (vmi->os && vmi->os->get_offset && vmi->os->get_offset(vmi, offset_name, value))
        return true;
    if (vmi_config_get_num(vmi->config, offset_name, value))
        return true;
    vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no offset named '%s' is known", offset_name);
    return false;
}

unsigned long vmi_get_offset__2(vmi_instance_t vmi, const char *offset_name)
{
    uint64_t value = 0;
    return get_offset(vmi, offset_name, &value) ? (unsigned long)value : 0;
}
VMI_2013_AS(vmi_get_offset__2, vmi_get_offset);

VMI_PUBLIC status_t vmi_get_offset_v14(vmi_instance_t vmi, const char *offset_name, addr_t *offset)
{
    uint64_t value;
    if (!offset || !get_offset(vmi, offset_name, &value))
        return VMI_FAILURE;
    *offset = value;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_get_offset_v14, vmi_get_offset);

uint64_t vmi_get_memsize(vmi_instance_t vmi)
{
    if (!vmi || !vmi->driver)
        return 0;
    if (vmi->driver->ram_size)
        return vmi->driver->ram_size(vmi);
    return vmi->driver->memsize ? vmi->driver->memsize(vmi) : 0;
}

addr_t vmi_get_max_physical_address(vmi_instance_t vmi)
{
    return vmi && vmi->driver && vmi->driver->memsize ? vmi->driver->memsize(vmi) : 0;
}

bool vmi_next_data(vmi_instance_t vmi, addr_t pa, addr_t *start, addr_t *end)
{
    if (vmi->driver->next_data)
        return vmi->driver->next_data(vmi, pa, start, end);
    addr_t top = vmi_get_max_physical_address(vmi);
    if (pa >= top)
        return false;
    *start = pa;
    *end = top;
    return true;
}

status_t vmi_get_backed_range(vmi_instance_t vmi, addr_t paddr, addr_t *start, addr_t *end)
{
    if (!vmi || !vmi->driver || !start || !end)
        return VMI_FAILURE;
    addr_t s, e;
    if (!vmi_next_data(vmi, paddr, &s, &e)) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no guest memory at or above physical address 0x%"
                   G_GINT64_MODIFIER "x", (guint64)paddr);
        return VMI_FAILURE;
    }
    *start = s;
    *end = e;
    return VMI_SUCCESS;
}

const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi)
{
    return vmi && vmi->last_fault_valid ? &vmi->last_fault : NULL;
}

/* ---- what no driver here can do: refused with the reason */

static status_t refuse(vmi_instance_t vmi, const char *what)
{
    if (vmi)
        vmi_unsupported(vmi, what);
    return VMI_FAILURE;
}

addr_t vmi_get_next_available_gfn(vmi_instance_t vmi)
{
    refuse(vmi, "adding guest memory (vmi_get_next_available_gfn)");
    return 0;
}

status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    (void)gfn;
    return refuse(vmi, "adding guest memory (vmi_alloc_gfn)");
}

status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    (void)gfn;
    return refuse(vmi, "removing guest memory (vmi_free_gfn)");
}

status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu, xsave_area_t *xsave_info)
{
    (void)vcpu;
    (void)xsave_info;
    return refuse(vmi, "reading the XSAVE area");
}

status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t virtual_address,
                                uint32_t error_code)
{
    (void)vcpu;
    (void)virtual_address;
    (void)error_code;
    return refuse(vmi, "injecting a page fault");
}

status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation)
{
    (void)tsc_mode;
    (void)elapsed_nsec;
    (void)gtsc_khz;
    (void)incarnation;
    return refuse(vmi, "reading TSC information");
}

status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hwMtrr, unsigned long vcpu)
{
    (void)hwMtrr;
    (void)vcpu;
    return refuse(vmi, "reading MTRR registers");
}

status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset, uint64_t count,
                       void *buffer)
{
    (void)device_id;
    (void)offset;
    (void)count;
    (void)buffer;
    return refuse(vmi, "reading the guest's disks");
}

char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num)
{
    if (num)
        *num = 0;
    refuse(vmi, "listing the guest's disks");
    return NULL;
}

status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id, bool *bootable)
{
    (void)device_id;
    (void)bootable;
    return refuse(vmi, "reading the guest's disks");
}

/* ---- profiles in use */

const char *vmi_get_linux_sysmap(vmi_instance_t vmi)
{
    return vmi ? vmi_config_get_str(vmi->config, "sysmap") : NULL;
}

const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi)
{
    if (vmi)
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "no FreeBSD OS layer in this libvmi");
    return NULL;
}

const char *vmi_get_rekall_path(vmi_instance_t vmi)
{
    return vmi ? vmi_config_get_str(vmi->config, "rekall_profile") : NULL;
}

const char *vmi_get_os_profile_path(vmi_instance_t vmi)
{
    if (!vmi)
        return NULL;
    const char *p = vmi_config_get_str(vmi->config, "isf");
    return p ? p : vmi_config_get_str(vmi->config, "volatility_ist");
}

int vmi_helper_ram_file_fd(vmi_instance_t vmi, dev_t *dev, ino_t *ino)
{
    if (!vmi)
        return -1;
    if (!vmi->driver->ram_file_fd) {
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "the %s driver reads no shared RAM file",
                   vmi->driver->name);
        return -1;
    }
    GError *error = NULL;
    int fd = vmi->driver->ram_file_fd(vmi, dev, ino, &error);
    if (fd < 0)
        vmi_set_error(vmi, error);
    return fd;
}

const char *vmi_get_ram_file(vmi_instance_t vmi)
{
    if (!vmi || !vmi->driver || !vmi->driver->ram_file)
        return NULL;
    return vmi->driver->ram_file(vmi);
}

unsigned int vmi_get_num_vcpus(vmi_instance_t vmi)
{
    if (!vmi || !vmi->driver || !vmi->driver->num_vcpus)
        return 0;
    return vmi->driver->num_vcpus(vmi);
}

/* One value in the config syntax: numbers in hex, strings quoted with
 * backslash and double quote escaped (the only escapes the lexer knows). */
static void config_append_value(GString *out, const char *key, const config_value_t *v)
{
    g_string_append_printf(out, "%s = ", key);
    if (v->type == CONFIG_NUM) {
        g_string_append_printf(out, "0x%" G_GINT64_MODIFIER "x;\n", (guint64)v->num);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *c = v->str; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *c);
    }
    g_string_append(out, "\";\n");
}

static gint config_key_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *vmi_config_read_entry(const char *path, const char *entry)
{
    GError *error = NULL;
    if (!entry || !*entry) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_config_read_entry: no entry name given");
        return NULL;
    }
    g_autofree char *file = NULL;
    if (path) {
        file = g_strdup(path);
    } else {
        g_autoptr(GPtrArray) files = config_file_candidates();
        for (guint i = 0; i < files->len && !file; i++)
            if (g_file_test(files->pdata[i], G_FILE_TEST_EXISTS))
                file = g_strdup(files->pdata[i]);
        if (!file) {
            vmi_errorc(NULL, VMI_ERR_NOT_FOUND, "no libvmi configuration file exists (looked for $LIBVMI_CONF, "
                       "~/etc/libvmi.conf and %s)", SYSCONFDIR_LIBVMI_CONF);
            return NULL;
        }
    }
    g_autoptr(GHashTable) all = config_parse_file(file, &error);
    if (!all) {
        vmi_set_error(NULL, error);
        return NULL;
    }
    GHashTable *table = g_hash_table_lookup(all, entry);
    if (!table) {
        vmi_errorc(NULL, VMI_ERR_NOT_FOUND, "no entry for '%s' in %s", entry, file);
        return NULL;
    }
    if (!config_validate_entry(table, file, &error)) {
        vmi_set_error(NULL, error);
        return NULL;
    }
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(table, NULL);
    guint n = g_hash_table_size(table);
    qsort(keys, n, sizeof(*keys), config_key_cmp);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < n; i++)
        config_append_value(out, keys[i], g_hash_table_lookup(table, keys[i]));
    return g_string_free(out, FALSE);
}

const char *vmi_get_access_path(vmi_instance_t vmi)
{
    if (!vmi || !vmi->driver)
        return "none";
    return vmi->driver->access_path ? vmi->driver->access_path(vmi) : vmi->driver->name;
}

addr_t vmi_get_kaslr_offset(vmi_instance_t vmi)
{
    return vmi && vmi->os && vmi->os->kaslr_offset ? vmi->os->kaslr_offset(vmi) : 0;
}

/* Reports a missing OS operation, naming the OS layer. */
static bool os_has(vmi_instance_t vmi, const void *op, const char *what)
{
    if (!vmi->os) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "%s needs an OS layer, such as the Linux OS layer (VMI_INIT_COMPLETE)", what);
        return false;
    }
    if (!op) {
        vmi_set_error(vmi, g_error_new(VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                                       "%s is not supported by the %s OS layer", what,
                                       vmi->os->name));
        return false;
    }
    return true;
}

char *vmi_get_kernel_version(vmi_instance_t vmi)
{
    GError *error = NULL;
    if (!vmi || !os_has(vmi, vmi->os ? (const void *)vmi->os->kernel_version : NULL,
                        "the kernel version"))
        return NULL;
    char *v = vmi->os->kernel_version(vmi, &error);
    if (!v)
        vmi_set_error(vmi, error);
    return v;
}

status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *symbol, const char *member,
                                      addr_t *addr)
{
    GError *error = NULL;
    uint64_t off;
    if (!vmi || !symbol || !member || !addr)
        return VMI_FAILURE;
    if (!os_has(vmi, vmi->os ? (const void *)vmi->os->struct_offset : NULL,
                "a structure offset"))
        return VMI_FAILURE;
    if (!vmi->os->struct_offset(vmi, symbol, member, &off, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    *addr = off;
    return VMI_SUCCESS;
}

const char *vmi_translate_v2ksym_nearest(vmi_instance_t vmi, addr_t va, addr_t *offset)
{
    GError *error = NULL;
    char name[512];
    addr_t sym_va;
    if (!vmi || !os_has(vmi, vmi->os ? (const void *)vmi->os->v2ksym_nearest : NULL,
                        "reverse symbol lookup"))
        return NULL;
    if (!vmi->os->v2ksym_nearest(vmi, va, name, sizeof(name), &sym_va, &error)) {
        vmi_set_error(vmi, error);
        return NULL;
    }
    if (offset)
        *offset = va - sym_va;
    /* the instance owns the string, as for vmi_translate_v2sym */
    char *key = g_strdup_printf("ksym:%" G_GINT64_MODIFIER "x", (guint64)sym_va);
    char *owned = g_strdup(name);
    g_hash_table_insert(vmi->rva_cache, key, owned);
    return owned;
}

const char *vmi_get_value_source(vmi_instance_t vmi, const char *name)
{
    if (!vmi || !name || !vmi->os || !vmi->os->source)
        return NULL;
    return vmi->os->source(vmi, name);
}

/* ------------------------------------------------------------ gone */

void vmi_set_gone(vmi_instance_t vmi, const char *reason)
{
    /* the reason is written once, before the flag that publishes it */
    if (g_atomic_int_get(&vmi->gone))
        return;
    vmi->gone_reason = g_strdup(reason);
    g_atomic_int_set(&vmi->gone, 1);
}

bool vmi_check_gone(vmi_instance_t vmi)
{
    if (G_LIKELY(!g_atomic_int_get(&vmi->gone)))
        return false;
    vmi_errorc(vmi, VMI_ERR_GONE, "%s", vmi->gone_reason);
    return true;
}

/* ------------------------------------------------------------ batches */

void vmi_hold(vmi_instance_t vmi)
{
    if (vmi->hold_depth++ == 0 && vmi->driver && vmi->driver->hold)
        vmi->driver->hold(vmi);
}

void vmi_release(vmi_instance_t vmi)
{
    if (vmi->hold_depth && --vmi->hold_depth == 0 && vmi->driver && vmi->driver->release)
        vmi->driver->release(vmi);
}

bool vmi_kernel_p2v(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error)
{
    if (!vmi->os || !vmi->os->kernel_p2v) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "mapping physical 0x%" G_GINT64_MODIFIER "x to a kernel address needs the OS "
                    "layer (VMI_INIT_COMPLETE)", (guint64)pa);
        return false;
    }
    return vmi->os->kernel_p2v(vmi, pa, va, error);
}

size_t vmi_kernel_p2v_all(vmi_instance_t vmi, addr_t pa, addr_t *vas, size_t max,
                          GError **error)
{
    if (vmi->os && vmi->os->kernel_aliases && max) {
        size_t n = vmi->os->kernel_aliases(vmi, pa, vas, max);
        if (n)
            return n;
    }
    return max && vmi_kernel_p2v(vmi, pa, vas, error) ? 1 : 0;
}

bool vmi_kernel_symbol(vmi_instance_t vmi, const char *name, addr_t *va, GError **error)
{
    if (!vmi->os || !vmi->os->ksym2v) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "kernel symbol %s: no OS layer (VMI_INIT_COMPLETE)", name);
        return false;
    }
    return vmi->os->ksym2v(vmi, name, va, error);
}

/* ------------------------------------------------------------ control */

VMI_PUBLIC status_t vmi_get_vcpureg_v14(vmi_instance_t vmi, uint64_t *value, reg_t reg,
                                        unsigned long vcpu)
{
    GError *error = NULL;
    if (!vmi || !value)
        return VMI_FAILURE;
    if (!vmi->driver->get_vcpureg) {
        vmi_unsupported(vmi, "reading vCPU registers");
        return VMI_FAILURE;
    }
    if (!vmi->driver->get_vcpureg(vmi, value, reg, vcpu, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_get_vcpureg_v14, vmi_get_vcpureg);

VMI_PUBLIC status_t vmi_set_vcpureg_v14(vmi_instance_t vmi, uint64_t value, reg_t reg,
                                        unsigned long vcpu)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->set_vcpureg) {
        vmi_unsupported(vmi, "setting vCPU registers");
        return VMI_FAILURE;
    }
    if (!vmi->driver->set_vcpureg(vmi, value, reg, vcpu, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    v2p_cache_init(vmi);
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_set_vcpureg_v14, vmi_set_vcpureg);

/* The registers of x86_registers_t and their numbers.  The general ones
 * must be readable; the others are what the driver has. */
#define REG_FIELD(num, field, required) { num, offsetof(x86_registers_t, field), required }
static const struct { reg_t reg; size_t off; bool required; } x86_fields[] = {
    REG_FIELD(RAX, rax, true), REG_FIELD(RCX, rcx, true), REG_FIELD(RDX, rdx, true),
    REG_FIELD(RBX, rbx, true), REG_FIELD(RSP, rsp, true), REG_FIELD(RBP, rbp, true),
    REG_FIELD(RSI, rsi, true), REG_FIELD(RDI, rdi, true), REG_FIELD(R8, r8, false),
    REG_FIELD(R9, r9, false), REG_FIELD(R10, r10, false), REG_FIELD(R11, r11, false),
    REG_FIELD(R12, r12, false), REG_FIELD(R13, r13, false), REG_FIELD(R14, r14, false),
    REG_FIELD(R15, r15, false), REG_FIELD(RFLAGS, rflags, true), REG_FIELD(DR6, dr6, false),
    REG_FIELD(DR7, dr7, false), REG_FIELD(RIP, rip, true), REG_FIELD(CR0, cr0, true),
    REG_FIELD(CR2, cr2, false), REG_FIELD(CR3, cr3, true), REG_FIELD(CR4, cr4, true),
    REG_FIELD(SYSENTER_CS, sysenter_cs, false), REG_FIELD(SYSENTER_ESP, sysenter_esp, false),
    REG_FIELD(SYSENTER_EIP, sysenter_eip, false), REG_FIELD(MSR_EFER, msr_efer, false),
    REG_FIELD(MSR_STAR, msr_star, false), REG_FIELD(MSR_LSTAR, msr_lstar, false),
    REG_FIELD(MSR_CSTAR, msr_cstar, false),
    REG_FIELD(FS_BASE, fs_base, false), REG_FIELD(FS_LIMIT, fs_limit, false),
    REG_FIELD(FS_SEL, fs_sel, false), REG_FIELD(FS_ARBYTES, fs_arbytes, false),
    REG_FIELD(GS_BASE, gs_base, false), REG_FIELD(GS_LIMIT, gs_limit, false),
    REG_FIELD(GS_SEL, gs_sel, false), REG_FIELD(GS_ARBYTES, gs_arbytes, false),
    REG_FIELD(CS_BASE, cs_base, false), REG_FIELD(CS_LIMIT, cs_limit, false),
    REG_FIELD(CS_SEL, cs_sel, false), REG_FIELD(CS_ARBYTES, cs_arbytes, false),
    REG_FIELD(SS_BASE, ss_base, false), REG_FIELD(SS_LIMIT, ss_limit, false),
    REG_FIELD(SS_SEL, ss_sel, false), REG_FIELD(SS_ARBYTES, ss_arbytes, false),
    REG_FIELD(DS_BASE, ds_base, false), REG_FIELD(DS_LIMIT, ds_limit, false),
    REG_FIELD(DS_SEL, ds_sel, false), REG_FIELD(DS_ARBYTES, ds_arbytes, false),
    REG_FIELD(ES_BASE, es_base, false), REG_FIELD(ES_LIMIT, es_limit, false),
    REG_FIELD(ES_SEL, es_sel, false), REG_FIELD(ES_ARBYTES, es_arbytes, false),
    REG_FIELD(TR_BASE, tr_base, false), REG_FIELD(TR_LIMIT, tr_limit, false),
    REG_FIELD(TR_SEL, tr_sel, false), REG_FIELD(TR_ARBYTES, tr_arbytes, false),
    REG_FIELD(LDTR_BASE, ldt_base, false), REG_FIELD(LDTR_LIMIT, ldt_limit, false),
    REG_FIELD(LDTR_SEL, ldt_sel, false), REG_FIELD(LDTR_ARBYTES, ldt_arbytes, false),
    REG_FIELD(SHADOW_GS, shadow_gs, false), REG_FIELD(IDTR_BASE, idtr_base, false),
    REG_FIELD(IDTR_LIMIT, idtr_limit, false), REG_FIELD(GDTR_BASE, gdtr_base, false),
    REG_FIELD(GDTR_LIMIT, gdtr_limit, false),
};

status_t vmi_get_vcpuregs(vmi_instance_t vmi, struct registers *regs, unsigned long vcpu)
{
    if (!vmi || !regs)
        return VMI_FAILURE;
    if (!vmi->driver->get_vcpureg) {
        vmi_unsupported(vmi, "reading vCPU registers");
        return VMI_FAILURE;
    }
    memset(regs, 0, sizeof(*regs));
    vmi_hold(vmi);
    for (size_t i = 0; i < G_N_ELEMENTS(x86_fields); i++) {
        GError *error = NULL;
        uint64_t v = 0;
        if (!vmi->driver->get_vcpureg(vmi, &v, x86_fields[i].reg, vcpu, &error)) {
            if (x86_fields[i].required) {
                vmi_set_error(vmi, error);
                vmi_release(vmi);
                return VMI_FAILURE;
            }
            g_clear_error(&error);
            continue;
        }
        memcpy((uint8_t *)&regs->x86 + x86_fields[i].off, &v, sizeof(v));
    }
    vmi_release(vmi);
    return VMI_SUCCESS;
}

status_t vmi_set_vcpuregs(vmi_instance_t vmi, struct registers *regs, unsigned long vcpu)
{
    if (!vmi || !regs)
        return VMI_FAILURE;
    if (!vmi->driver->set_vcpureg) {
        vmi_unsupported(vmi, "setting vCPU registers");
        return VMI_FAILURE;
    }
    /* what a driver can set: the general registers, RIP, RFLAGS, the
     * control registers (the fields marked required above) and R8-R15 */
    status_t st = VMI_SUCCESS;
    vmi_hold(vmi);
    for (size_t i = 0; i < G_N_ELEMENTS(x86_fields) && st == VMI_SUCCESS; i++) {
        reg_t r = x86_fields[i].reg;
        if (!x86_fields[i].required && !(r >= R8 && r <= R15))
            continue;
        uint64_t v;
        memcpy(&v, (const uint8_t *)&regs->x86 + x86_fields[i].off, sizeof(v));
        st = vmi_set_vcpureg_v14(vmi, v, r, vcpu);
    }
    vmi_release(vmi);
    return st;
}

status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *domain_status)
{
    GError *error = NULL;
    bool running = false;
    if (!vmi || !domain_status)
        return VMI_FAILURE;
    if (!vmi->driver->is_running) {
        vmi_unsupported(vmi, "the execution status of the guest");
        return VMI_FAILURE;
    }
    if (!vmi->driver->is_running(vmi, &running, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    memset(domain_status, 0, sizeof(*domain_status));
    domain_status->running = running;
    domain_status->paused = !running;
    return VMI_SUCCESS;
}

status_t vmi_pause_vm(vmi_instance_t vmi)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->pause) {
        vmi_unsupported(vmi, "pausing the guest");
        return VMI_FAILURE;
    }
    if (!vmi->driver->pause(vmi, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_resume_vm(vmi_instance_t vmi)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->resume) {
        vmi_unsupported(vmi, "resuming the guest");
        return VMI_FAILURE;
    }
    if (!vmi->driver->resume(vmi, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_shm_snapshot_create(vmi_instance_t vmi)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->shm_snapshot_create) {
        vmi_unsupported(vmi, "taking a shm-snapshot");
        return VMI_FAILURE;
    }
    if (!vmi->driver->shm_snapshot_create(vmi, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    v2p_cache_init(vmi);
    return VMI_SUCCESS;
}

status_t vmi_shm_snapshot_destroy(vmi_instance_t vmi)
{
    GError *error = NULL;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->driver->shm_snapshot_destroy) {
        vmi_unsupported(vmi, "destroying a shm-snapshot");
        return VMI_FAILURE;
    }
    if (!vmi->driver->shm_snapshot_destroy(vmi, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    v2p_cache_init(vmi);
    return VMI_SUCCESS;
}
