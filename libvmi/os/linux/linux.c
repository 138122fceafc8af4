/*
 * linux.c - the Linux OS layer: configuration, symbols, the table of
 * operations.  Finding the kernel is in linux_kaslr.c, processes in
 * linux_process.c.
 */
#include <string.h>
#include "linux.h"

static void linux_destroy(vmi_instance_t vmi)
{
    linux_data_t *ld = linux_data(vmi);
    if (!ld)
        return;
    sysmap_free(ld->sysmap);
    g_free(ld);
    vmi->os_data = NULL;
}

static bool linux_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *va, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    addr_t a;
    if (!sysmap_lookup(ld->sysmap, symbol, &a)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "kernel symbol '%s' is not in %s",
                    symbol, sysmap_path(ld->sysmap));
        return false;
    }
    *va = a + ld->slide;
    return true;
}

static const char *linux_v2ksym(vmi_instance_t vmi, addr_t va)
{
    linux_data_t *ld = linux_data(vmi);
    addr_t sym_addr;
    char *name = sysmap_nearest(ld->sysmap, va - ld->slide, &sym_addr);
    if (!name || sym_addr != va - ld->slide) {
        g_free(name);
        return NULL;
    }
    /* the rva cache owns the string from now on */
    vmi_rvacache_add(vmi, 0, 0, va, name);
    g_free(name);
    char *key = g_strdup_printf("0:0:%" G_GINT64_MODIFIER "x", (guint64)va);
    const char *owned = g_hash_table_lookup(vmi->rva_cache, key);
    g_free(key);
    return owned;
}

/* The kernel image maps its own physical range; the direct map (base
 * page_offset_base on x86-64, randomised by KASLR; PAGE_OFFSET on i386)
 * maps all RAM.  The answer is checked by translating it back. */
static bool linux_kernel_p2v(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    addr_t end = 0, candidates[2];
    size_t n = 0;
    if (sysmap_lookup(ld->sysmap, "_end", &end) && pa >= ld->phys_text &&
        pa - ld->phys_text < end - ld->map_text)
        candidates[n++] = ld->map_text + ld->slide + (pa - ld->phys_text);
    if (ld->is64) {
        addr_t base;
        if (vmi_read_addr_ksym(vmi, "page_offset_base", &base) == VMI_SUCCESS)
            candidates[n++] = base + pa;
    } else if (pa < (896ull << 20)) {
        candidates[n++] = (ld->map_text & ~0x0fffffffull) + pa;
    }
    for (size_t i = 0; i < n; i++) {
        addr_t back;
        if (vmi_v2p(vmi, vmi->kdtb, candidates[i], &back, NULL) && back == pa) {
            *va = candidates[i];
            return true;
        }
    }
    g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                "physical address 0x%" G_GINT64_MODIFIER "x is not mapped by the kernel (neither "
                "in its image nor in its direct map)", (guint64)pa);
    return false;
}

static bool linux_get_offset(vmi_instance_t vmi, const char *name, uint64_t *value)
{
    linux_data_t *ld = linux_data(vmi);
    if (strcmp(name, "linux_kaslr") == 0) {
        *value = ld->slide;
        return true;
    }
    return vmi_config_get_num(vmi->config, name, value);
}

static addr_t linux_kaslr_offset(vmi_instance_t vmi)
{
    return linux_data(vmi)->slide;
}

static bool linux_init(vmi_instance_t vmi, GHashTable *config, GError **error)
{
    const char *sysmap = vmi_config_get_str(config, "sysmap");
    if (!sysmap) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "%s: a Linux guest needs 'sysmap' (the kernel's System.map)",
                    vmi->config_origin ? vmi->config_origin : vmi->name);
        return false;
    }
    linux_data_t *ld = g_new0(linux_data_t, 1);
    vmi->os_data = ld;
    ld->sysmap = sysmap_open(sysmap, error);
    if (!ld->sysmap)
        goto fail;

    static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                        "linux_pgd" };
    uint64_t *dst[] = { &ld->off_tasks, &ld->off_mm, &ld->off_pid, &ld->off_name, &ld->off_pgd };
    unsigned found = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        found += vmi_config_get_num(config, keys[i], dst[i]);
    ld->has_offsets = found == G_N_ELEMENTS(keys);
    if (found && !ld->has_offsets) {
        GString *missing = g_string_new(NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
            if (!vmi_config_get(config, keys[i]))
                g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", keys[i]);
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID, "%s: incomplete Linux offsets, missing %s",
                    vmi->config_origin ? vmi->config_origin : vmi->name, missing->str);
        g_string_free(missing, TRUE);
        goto fail;
    }

    if (!linux_find_kernel(vmi, ld, config, error))
        goto fail;
    if (ld->has_offsets && !linux_check_offsets(vmi, ld, error))
        goto fail;
    return true;

fail:
    linux_destroy(vmi);
    return false;
}

static bool linux_processes_op(vmi_instance_t vmi, vmi_process_t **list, size_t *count,
                               GError **error)
{
    return linux_processes(vmi, list, count, error);
}

const vmi_os_ops_t linux_os_ops = {
    .name = "Linux",
    .type = VMI_OS_LINUX,
    .init = linux_init,
    .destroy = linux_destroy,
    .ksym2v = linux_ksym2v,
    .v2ksym = linux_v2ksym,
    .kernel_p2v = linux_kernel_p2v,
    .pid_to_dtb = linux_pid_to_dtb,
    .dtb_to_pid = linux_dtb_to_pid,
    .processes = linux_processes_op,
    .get_offset = linux_get_offset,
    .kaslr_offset = linux_kaslr_offset,
};
