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

/* Picks the access driver for @name. */
static const vmi_driver_ops_t *choose_driver(uint32_t flags, const char *name,
                                             GHashTable *config, GError **error)
{
    uint32_t mode = flags & (VMI_AUTO | VMI_XEN | VMI_KVM | VMI_FILE);
    if (mode == 0)
        mode = VMI_AUTO;
    if (mode != VMI_AUTO && (mode & VMI_AUTO)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "VMI_AUTO cannot be combined with an explicit access mode");
        return NULL;
    }
    if (mode == VMI_AUTO) {
        for (const vmi_driver_ops_t *const *d = driver_registry(); *d; d++)
            if ((*d)->probe && (*d)->probe(name, config))
                return *d;
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no access driver can open '%s': not a snapshot file, and no running "
                    "guest of that name was found", name);
        return NULL;
    }
    if (__builtin_popcount(mode) != 1) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "more than one access mode requested (flags 0x%x)", flags);
        return NULL;
    }
    const vmi_driver_ops_t *d = driver_for_mode(mode);
    if (!d)
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "access mode %s is not built into this libvmi",
                    mode == VMI_KVM ? "VMI_KVM" : mode == VMI_XEN ? "VMI_XEN" : "VMI_FILE");
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
    if (!ostype && (vmi_config_get(vmi->config, "sysmap") || vmi_config_get(vmi->config, "isf")))
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

static bool init_common(vmi_instance_t *out, uint32_t flags, const char *name,
                        GHashTable *config, char *origin, GError **error)
{
    vmi_instance_t vmi = instance_new();
    vmi->flags = flags;
    vmi->config = config;
    vmi->config_origin = origin;
    vmi->name = g_strdup(name);

    uint64_t domid;
    if (vmi_config_get_num(config, "domid", &domid))
        vmi->domid = domid;

    vmi->driver = choose_driver(flags, name, config, error);
    if (!vmi->driver || !vmi->driver->open(vmi, name, config, error)) {
        vmi->driver = NULL;
        instance_free(vmi);
        return false;
    }
    vmi->mode = vmi->driver->mode;
    g_debug("'%s' opened with the %s driver (%s)", name, vmi->driver->name,
            vmi->driver->access_path ? vmi->driver->access_path(vmi) : "?");

    if ((flags & VMI_INIT_COMPLETE) || !(flags & VMI_INIT_PARTIAL)) {
        if (!init_complete(vmi, error)) {
            instance_free(vmi);
            return false;
        }
    }
    *out = vmi;
    return true;
}

status_t vmi_init(vmi_instance_t *vmi, uint32_t flags, char *name)
{
    GError *error = NULL;
    if (!vmi || !name || !*name) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init: %s is missing", vmi ? "the name" : "the instance pointer");
        return VMI_FAILURE;
    }
    *vmi = NULL;
    char *origin = NULL;
    GHashTable *config = NULL;
    if (!(flags & VMI_CONFIG_NONE)) {
        config = config_from_global_file(name, &origin, &error);
        if (error) {
            g_free(origin);
            vmi_set_error(NULL, error);
            return VMI_FAILURE;
        }
    }
    if (!init_common(vmi, flags, name, config, origin, &error)) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* Turns a caller's config (string or GHashTable) into our table. */
static GHashTable *config_from_custom(uint32_t flags, vmi_config_t config, char **origin,
                                      GError **error)
{
    if (flags & VMI_CONFIG_STRING) {
        if (!config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_STRING with a NULL string");
            return NULL;
        }
        GHashTable *entry = config_parse_entry_string(config, "config string", error);
        if (!entry)
            return NULL;
        if (!config_validate_entry(entry, "config string", error)) {
            g_hash_table_unref(entry);
            return NULL;
        }
        *origin = g_strdup("config string");
        return entry;
    }
    if (flags & VMI_CONFIG_GHASHTABLE) {
        if (!config) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "VMI_CONFIG_GHASHTABLE with a NULL table");
            return NULL;
        }
        GHashTable *entry = config_from_ghashtable(config);
        if (!config_validate_entry(entry, "config table", error)) {
            g_hash_table_unref(entry);
            return NULL;
        }
        *origin = g_strdup("config table");
        return entry;
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                "vmi_init_custom needs VMI_CONFIG_STRING or VMI_CONFIG_GHASHTABLE (or "
                "VMI_CONFIG_GLOBAL_FILE_ENTRY with a name key)");
    return NULL;
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

status_t vmi_init_custom(vmi_instance_t *vmi, uint32_t flags, vmi_config_t config)
{
    GError *error = NULL;
    if (!vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_custom: the instance pointer is missing");
        return VMI_FAILURE;
    }
    *vmi = NULL;
    char *origin = NULL;
    GHashTable *table;
    if (flags & VMI_CONFIG_GLOBAL_FILE_ENTRY) {
        /* here @config is the name of the entry */
        if (!config) {
            vmi_errorc(NULL, VMI_ERR_INVALID, "VMI_CONFIG_GLOBAL_FILE_ENTRY needs the entry name");
            return VMI_FAILURE;
        }
        return vmi_init(vmi, flags & ~VMI_CONFIG_GLOBAL_FILE_ENTRY, config);
    }
    table = config_from_custom(flags, config, &origin, &error);
    if (!table) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    char *name = config_name(table, NULL);
    if (!name) {
        g_hash_table_unref(table);
        g_free(origin);
        vmi_errorc(NULL, VMI_ERR_INVALID, "the configuration names no guest: give 'name' (domain name or "
                   "snapshot path) or 'domid'");
        return VMI_FAILURE;
    }
    bool ok = init_common(vmi, flags, name, table, origin, &error);
    g_free(name);
    if (!ok) {
        vmi_set_error(NULL, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_init_complete(vmi_instance_t *vmi, char *config)
{
    if (!vmi || !*vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_complete: no instance");
        return VMI_FAILURE;
    }
    if (config)
        return vmi_init_complete_custom(vmi, VMI_CONFIG_STRING, config);
    return vmi_init_complete_custom(vmi, VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL);
}

status_t vmi_init_complete_custom(vmi_instance_t *vmi, uint32_t flags, vmi_config_t config)
{
    GError *error = NULL;
    if (!vmi || !*vmi) {
        vmi_errorc(NULL, VMI_ERR_INVALID, "vmi_init_complete_custom: no instance");
        return VMI_FAILURE;
    }
    vmi_instance_t v = *vmi;
    if (v->init_complete) {
        vmi_errorc(v, VMI_ERR_INVALID, "the instance is already completely initialised");
        return VMI_FAILURE;
    }
    GHashTable *table = NULL;
    char *origin = NULL;
    if (flags & VMI_CONFIG_GLOBAL_FILE_ENTRY) {
        table = config_from_global_file(config ? (const char *)config : v->name, &origin, &error);
    } else if (flags & (VMI_CONFIG_STRING | VMI_CONFIG_GHASHTABLE)) {
        table = config_from_custom(flags, config, &origin, &error);
    }
    if (error) {
        g_free(origin);
        vmi_set_error(v, error);
        return VMI_FAILURE;
    }
    if (table) {
        if (v->config)
            g_hash_table_unref(v->config);
        g_free(v->config_origin);
        v->config = table;
        v->config_origin = origin;
    } else {
        g_free(origin);
    }
    v->flags |= flags & VMI_INIT_SHM_SNAPSHOT;
    if (!init_complete(v, &error)) {
        vmi_set_error(v, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_destroy(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    instance_free(vmi);
    return VMI_SUCCESS;
}

/* ------------------------------------------------------------ getters */

char *vmi_get_name(vmi_instance_t vmi)
{
    return vmi && vmi->name ? strdup(vmi->name) : NULL;
}

unsigned long vmi_get_vmid(vmi_instance_t vmi)
{
    return vmi ? (unsigned long)vmi->domid : (unsigned long)VMI_INVALID_DOMID;
}

uint32_t vmi_get_access_mode(vmi_instance_t vmi)
{
    return vmi ? vmi->mode : 0;
}

page_mode_t vmi_get_page_mode(vmi_instance_t vmi)
{
    return vmi ? vmi->page_mode : VMI_PM_UNKNOWN;
}

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

unsigned long vmi_get_offset(vmi_instance_t vmi, char *offset_name)
{
    uint64_t value = 0;
    if (!vmi || !offset_name)
        return 0;
    if (vmi->os && vmi->os->get_offset && vmi->os->get_offset(vmi, offset_name, &value))
        return value;
    if (vmi_config_get_num(vmi->config, offset_name, &value))
        return value;
    vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no offset named '%s' is known", offset_name);
    return 0;
}

unsigned long vmi_get_memsize(vmi_instance_t vmi)
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

status_t vmi_get_vcpureg(vmi_instance_t vmi, reg_t *value, registers_t reg, unsigned long vcpu)
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

status_t vmi_set_vcpureg(vmi_instance_t vmi, reg_t value, registers_t reg, unsigned long vcpu)
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
