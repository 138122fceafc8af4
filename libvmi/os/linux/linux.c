/*
 * linux.c - the Linux OS layer: choosing the symbol and offsets sources,
 * the table of operations.  Finding the kernel is in linux_kaslr.c (with a
 * symbol file) and linux_memfind.c (with nothing), symbols in
 * linux_symbols.c, offsets in linux_offsets.c, processes in
 * linux_process.c, the profile cache in linux_profile.c.
 */
#include <stdlib.h>
#include <string.h>
#include "linux.h"
#include "kallsyms.h"
#include "btf.h"
#include "isf.h"

static void linux_destroy(vmi_instance_t vmi)
{
    linux_data_t *ld = linux_data(vmi);
    if (!ld)
        return;
    sysmap_free(ld->sysmap);
    ksyms_free(ld->ksyms);
    isf_free(ld->isf);
    btf_free(ld->btf);
    g_free(ld->btf_data);
    g_free(ld->btf_error);
    g_free(ld->off_error);
    g_free(ld->syms_origin);
    g_free(ld->banner);
    g_free(ld);
    vmi->os_data = NULL;
}

static bool linux_matches(const char *ostype)
{
    return g_ascii_strcasecmp(ostype, "Linux") == 0;
}

static bool linux_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *va, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    if (!linux_sym(ld, symbol, va)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND, "kernel symbol '%s' is not in %s",
                    symbol, linux_syms_name(ld));
        return false;
    }
    return true;
}

static const char *linux_v2ksym(vmi_instance_t vmi, addr_t va)
{
    linux_data_t *ld = linux_data(vmi);
    char name[512];
    addr_t sym_va;
    if (!linux_sym_nearest(ld, va, name, sizeof(name), &sym_va) || sym_va != va)
        return NULL;
    /* the rva cache owns the string from now on */
    vmi_rvacache_add(vmi, 0, 0, va, name);
    char *key = g_strdup_printf("0:0:%" G_GINT64_MODIFIER "x", (guint64)va);
    const char *owned = g_hash_table_lookup(vmi->rva_cache, key);
    g_free(key);
    return owned;
}

static bool linux_v2ksym_nearest(vmi_instance_t vmi, addr_t va, char *buf, size_t size,
                                 addr_t *sym_va, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    if (!linux_sym_nearest(ld, va, buf, size, sym_va)) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "no kernel symbol at or below 0x%" G_GINT64_MODIFIER "x in %s", (guint64)va,
                    linux_syms_name(ld));
        return false;
    }
    return true;
}

/* The kernel image maps its own physical range; the direct map (base
 * page_offset_base on x86-64, randomised by KASLR; PAGE_OFFSET on i386)
 * maps all RAM.  Each answer is checked by translating it back.  Up to
 * @max of them into @vas, the image's first; returns how many. */
static size_t linux_kernel_aliases(vmi_instance_t vmi, addr_t pa, addr_t *vas, size_t max)
{
    linux_data_t *ld = linux_data(vmi);
    addr_t end = 0, candidates[2];
    size_t n = 0, found = 0;
    if (linux_sym(ld, "_end", &end) && end > ld->virt_text && pa >= ld->phys_text &&
        pa - ld->phys_text < end - ld->virt_text)
        candidates[n++] = ld->virt_text + (pa - ld->phys_text);
    if (ld->is64) {
        addr_t base;
        if (vmi_read_addr_ksym(vmi, "page_offset_base", &base) == VMI_SUCCESS)
            candidates[n++] = base + pa;
    } else if (pa < (896ull << 20)) {
        candidates[n++] = (ld->virt_text & ~0x0fffffffull) + pa;
    }
    for (size_t i = 0; i < n && found < max; i++) {
        addr_t back;
        if (vmi_v2p(vmi, vmi->kdtb, candidates[i], &back, NULL) && back == pa)
            vas[found++] = candidates[i];
    }
    return found;
}

static bool linux_kernel_p2v(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error)
{
    if (linux_kernel_aliases(vmi, pa, va, 1) == 1)
        return true;
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
    if (strcmp(name, "linux_kaslr_phys") == 0) {
        *value = ld->phys_text;
        return true;
    }
    for (int i = 0; i < LINUX_OFF_N; i++) {
        if (strcmp(name, linux_off_keys[i]) == 0 && ld->off_src[i] != LINUX_SRC_NONE) {
            *value = ld->off[i];
            return true;
        }
    }
    return vmi_config_get_num(vmi->config, name, value);
}

static bool linux_struct_offset_op(vmi_instance_t vmi, const char *type, const char *member,
                                   uint64_t *off, GError **error)
{
    return linux_struct_offset(vmi, linux_data(vmi), type, member, off, error);
}

static addr_t linux_kaslr_offset(vmi_instance_t vmi)
{
    return linux_data(vmi)->slide;
}

static char *linux_kernel_version(vmi_instance_t vmi, GError **error)
{
    linux_data_t *ld = linux_data(vmi);
    if (!ld->banner) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "the kernel's linux_banner could not be read");
        return NULL;
    }
    return g_strdup(ld->banner);
}

static const char *linux_source(vmi_instance_t vmi, const char *what)
{
    linux_data_t *ld = linux_data(vmi);
    if (strcmp(what, "symbols") == 0)
        return linux_syms_name(ld);
    if (strcmp(what, "kernel") == 0)
        return ld->how_found[0] ? ld->how_found : NULL;
    for (int i = 0; i < LINUX_OFF_N; i++)
        if (strcmp(what, linux_off_keys[i]) == 0)
            return ld->off_src[i] == LINUX_SRC_NONE ? NULL : linux_src_name(ld->off_src[i]);
    return NULL;
}

static void read_banner(vmi_instance_t vmi, linux_data_t *ld)
{
    addr_t va;
    if (!linux_sym(ld, "linux_banner", &va))
        return;
    char *s = vmi_read_str_va(vmi, va, 0);
    if (!s)
        return;
    if (strlen(s) > 512)
        s[512] = '\0';
    char *nl = strchr(s, '\n');
    if (nl)
        *nl = '\0';
    ld->banner = g_utf8_make_valid(s, -1);
    free(s);
}

static bool linux_init(vmi_instance_t vmi, GHashTable *config, bool probing, GError **error)
{
    const char *origin = vmi->config_origin ? vmi->config_origin : vmi->name;
    const char *sysmap = vmi_config_get_str(config, "sysmap");
    const char *isf = vmi_config_get_str(config, "isf");
    if (!isf)
        isf = vmi_config_get_str(config, "volatility_ist");
    linux_data_t *ld = g_new0(linux_data_t, 1);
    vmi->os_data = ld;

    if (isf) {
        ld->isf = isf_open(isf, error);
        if (!ld->isf) {
            g_prefix_error(error, "%s: ", origin);
            goto fail;
        }
    }
    if (sysmap) {
        ld->sysmap = sysmap_open(sysmap, error);
        if (!ld->sysmap)
            goto fail;
        ld->syms_kind = LINUX_SYMS_SYSMAP;
        ld->syms_origin = g_strdup_printf("System.map %s", sysmap);
    } else if (ld->isf) {
        ld->syms_kind = LINUX_SYMS_ISF;
        ld->syms_origin = g_strdup_printf("ISF %s", isf);
    }
    if (ld->syms_kind != LINUX_SYMS_NONE) {
        if (!linux_find_kernel(vmi, ld, config, error))
            goto fail;
    } else {
        ld->syms_origin = g_strdup("kallsyms (guest memory)");
        if (!linux_find_kernel_in_memory(vmi, ld, config, error)) {
            if (probing)
                g_prefix_error(error, "Linux: ");
            goto fail;
        }
    }
    read_banner(vmi, ld);

    GError *err = NULL;
    unsigned configured = 0;
    for (int i = 0; i < LINUX_OFF_N; i++)
        configured += vmi_config_get(config, linux_off_keys[i]) != NULL;
    if (!linux_find_offsets(vmi, ld, config, &err)) {
        if (configured) {
            /* a partial set the kernel cannot complete: the user meant it */
            g_propagate_error(error, err);
            goto fail;
        }
        /* symbols still work; processes say why they cannot */
        ld->off_error = g_strdup(err->message);
        g_debug("%s", err->message);
        g_error_free(err);
    }
    if (ld->has_offsets && !linux_check_offsets(vmi, ld, error))
        goto fail;
    if (ld->syms_kind == LINUX_SYMS_KALLSYMS && !ld->syms_from_cache)
        linux_profile_store(vmi, ld);

    g_debug("Linux: kernel found by %s; symbols from %s%s; offsets tasks=%s mm=%s pid=%s "
            "comm=%s pgd=%s", ld->how_found, linux_syms_name(ld),
            ld->syms_from_cache ? " (located through the profile cache)" : "",
            linux_src_name(ld->off_src[0]), linux_src_name(ld->off_src[1]),
            linux_src_name(ld->off_src[2]), linux_src_name(ld->off_src[3]),
            linux_src_name(ld->off_src[4]));
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
    .matches = linux_matches,
    .init = linux_init,
    .destroy = linux_destroy,
    .ksym2v = linux_ksym2v,
    .v2ksym = linux_v2ksym,
    .v2ksym_nearest = linux_v2ksym_nearest,
    .kernel_p2v = linux_kernel_p2v,
    .kernel_aliases = linux_kernel_aliases,
    .pid_to_dtb = linux_pid_to_dtb,
    .dtb_to_pid = linux_dtb_to_pid,
    .processes = linux_processes_op,
    .get_offset = linux_get_offset,
    .struct_offset = linux_struct_offset_op,
    .kaslr_offset = linux_kaslr_offset,
    .kernel_version = linux_kernel_version,
    .source = linux_source,
};
