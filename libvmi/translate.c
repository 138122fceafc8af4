/*
 * translate.c - virtual to physical translation through the paging-mode
 * walker and the translation cache, and the public translate calls.
 */
#include <string.h>
#include "private.h"

void vmi_set_page_mode(vmi_instance_t vmi, page_mode_t mode)
{
    vmi->page_mode = mode;
    vmi->pt = pt_mode_ops(mode);
    vmi->address_width = vmi->pt ? vmi->pt->address_width : 0;
    v2p_cache_init(vmi);
}

bool vmi_v2p(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *pa, GError **error)
{
    if (v2p_cache_get(vmi, dtb, va, pa))
        return true;
    if (!vmi->pt) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                    "cannot translate 0x%" G_GINT64_MODIFIER "x: the paging mode is unknown "
                    "(instance not completely initialised?)", (guint64)va);
        return false;
    }
    pt_result_t r;
    pt_status_t st = vmi->pt->translate(&vmi->reader, dtb, va, &r);
    if (st != PT_OK) {
        vmi_note_fault(vmi, dtb, vmi->page_mode, va);
        if (vmi_gone_error(vmi, error))
            return false;
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "virtual address 0x%" G_GINT64_MODIFIER "x (page directory 0x%"
                    G_GINT64_MODIFIER "x, %s paging): %s", (guint64)va, (guint64)dtb,
                    vmi->pt->name, pt_status_str(st));
        return false;
    }
    *pa = r.pa;
    v2p_cache_put(vmi, dtb, va, r.pa);
    return true;
}

bool vmi_dtb_for_pid(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error)
{
    if (pid == 0) {
        if (!vmi->kdtb) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_INVALID,
                        "the kernel's page directory is unknown (instance not completely "
                        "initialised?)");
            return false;
        }
        *dtb = vmi->kdtb;
        return true;
    }
    gpointer cached;
    if (g_hash_table_lookup_extended(vmi->pid_cache, GINT_TO_POINTER(pid), NULL, &cached)) {
        *dtb = *(addr_t *)cached;
        return true;
    }
    if (!vmi->os || !vmi->os->pid_to_dtb) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "cannot find process %d: no OS layer (instance not completely initialised?)",
                    pid);
        return false;
    }
    vmi_hold(vmi);
    bool ok = vmi->os->pid_to_dtb(vmi, pid, dtb, error);
    vmi_release(vmi);
    if (!ok)
        return false;
    vmi_pidcache_add(vmi, pid, *dtb);
    return true;
}

void vmi_note_fault(vmi_instance_t vmi, addr_t dtb, page_mode_t mode, addr_t va)
{
    access_context_t *f = &vmi->last_fault;
    memset(f, 0, sizeof(*f));
    f->version = ACCESS_CONTEXT_VERSION;
    f->tm = VMI_TM_PROCESS_DTB;
    f->pm = mode;
    f->addr = va;
    f->pt = dtb;
    vmi->last_fault_valid = true;
}

/* ------------------------------------------------------------ public
 * Each 2013 function (NAME__N, also NAME@LIBVMI_0.1) and its modern twin
 * (NAME@@LIBVMI_0.14) share one implementation. */

addr_t vmi_pagetable_lookup__3(vmi_instance_t vmi, addr_t dtb, addr_t vaddr)
{
    addr_t pa = 0;
    GError *error = NULL;
    if (!vmi)
        return 0;
    vmi_hold(vmi);
    bool ok = vmi_v2p(vmi, dtb, vaddr, &pa, &error);
    vmi_release(vmi);
    if (!ok) {
        vmi_set_error(vmi, error);
        return 0;
    }
    return pa;
}
VMI_2013_AS(vmi_pagetable_lookup__3, vmi_pagetable_lookup);

VMI_PUBLIC status_t vmi_pagetable_lookup_v14(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                             addr_t *paddr)
{
    addr_t pa;
    GError *error = NULL;
    if (!vmi || !paddr)
        return VMI_FAILURE;
    vmi_hold(vmi);
    bool ok = vmi_v2p(vmi, pt, vaddr, &pa, &error);
    vmi_release(vmi);
    if (!ok) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    *paddr = pa;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_pagetable_lookup_v14, vmi_pagetable_lookup);

/* The levels of a walk in LibVMI's page_info_t (five levels: the lower four). */
static void fill_info(page_info_t *info, page_mode_t mode, const pt_path_t *p)
{
    addr_t loc[PT_PATH_MAX] = { 0 }, val[PT_PATH_MAX] = { 0 };
    unsigned depth = mode == VMI_PM_LEGACY ? 2 : mode == VMI_PM_PAE ? 3
                     : mode == VMI_PM_LA57 ? 5 : 4;
    /* a walk that failed at its top table read nothing: no entry to report
     * (and depth - 0 would index past the levels) */
    if (p->levels == 0 || p->levels > depth)
        return;
    /* bottom level first: PTE, PDE (pgd), PDPTE, PML4E */
    for (unsigned i = 0; i < p->levels; i++) {
        loc[depth - 1 - i] = p->entry[i].pa;
        val[depth - 1 - i] = p->entry[i].value;
    }
    /* a large page ends above the PTE level: its entry is reported there
     * too, as LibVMI does (pte_* is the leaf) */
    unsigned leaf_depth = depth - p->levels;
    switch (mode) {
    case VMI_PM_LEGACY:
        info->x86_legacy.pgd_location = loc[1];
        info->x86_legacy.pgd_value = val[1];
        info->x86_legacy.pte_location = leaf_depth ? loc[1] : loc[0];
        info->x86_legacy.pte_value = leaf_depth ? val[1] : val[0];
        break;
    case VMI_PM_PAE:
        info->x86_pae.pdpe_location = loc[2];
        info->x86_pae.pdpe_value = val[2];
        info->x86_pae.pgd_location = loc[1];
        info->x86_pae.pgd_value = val[1];
        info->x86_pae.pte_location = leaf_depth ? loc[leaf_depth] : loc[0];
        info->x86_pae.pte_value = leaf_depth ? val[leaf_depth] : val[0];
        break;
    default:
        info->x86_ia32e.pml4e_location = loc[3];
        info->x86_ia32e.pml4e_value = val[3];
        info->x86_ia32e.pdpte_location = loc[2];
        info->x86_ia32e.pdpte_value = val[2];
        info->x86_ia32e.pgd_location = loc[1];
        info->x86_ia32e.pgd_value = val[1];
        info->x86_ia32e.pte_location = leaf_depth ? loc[leaf_depth] : loc[0];
        info->x86_ia32e.pte_value = leaf_depth ? val[leaf_depth] : val[0];
        break;
    }
}

void vmi_page_info_from_path(page_info_t *info, page_mode_t mode, addr_t pt, addr_t va,
                             const pt_path_t *p)
{
    memset(info, 0, sizeof(*info));
    info->vaddr = va;
    info->paddr = p->pa;
    info->size = (page_size_t)p->page_size;
    info->pt = pt;
    info->pm = mode;
    fill_info(info, mode, p);
}

static status_t lookup_extended(vmi_instance_t vmi, page_mode_t pm, addr_t pt, addr_t vaddr,
                                page_info_t *info)
{
    pt_path_t path;
    if (!vmi || !info)
        return VMI_FAILURE;
    if (pm == VMI_PM_UNKNOWN)
        pm = vmi->page_mode;
    if (!pt_mode_ops(pm)) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "cannot translate 0x%" G_GINT64_MODIFIER "x: paging mode "
                   "%u has no walker (instance not completely initialised?)", (guint64)vaddr, pm);
        return VMI_FAILURE;
    }
    vmi_hold(vmi);
    pt_status_t st = pt_path_walk(&vmi->reader, pm, pt, vaddr, &path);
    vmi_release(vmi);
    vmi_page_info_from_path(info, pm, pt, vaddr, &path);
    if (st != PT_OK) {
        vmi_note_fault(vmi, pt, pm, vaddr);
        if (vmi_check_gone(vmi))
            return VMI_FAILURE;
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "virtual address 0x%" G_GINT64_MODIFIER "x (page "
                   "directory 0x%" G_GINT64_MODIFIER "x, %s paging): %s", (guint64)vaddr,
                   (guint64)pt, pt_mode_ops(pm)->name, pt_status_str(st));
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info)
{
    return lookup_extended(vmi, VMI_PM_UNKNOWN, pt, vaddr, info);
}

static bool nested_refused(vmi_instance_t vmi, addr_t npt, page_mode_t npm)
{
    if (!npt && (npm == VMI_PM_UNKNOWN || npm == VMI_PM_NONE))
        return false;
    vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "nested (second-level, EPT) translation is not "
               "supported: this libvmi has no SLAT walker");
    return true;
}

status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                     page_mode_t pm, addr_t vaddr, addr_t *paddr, addr_t *naddr)
{
    page_info_t info;
    if (!vmi || !paddr || nested_refused(vmi, npt, npm))
        return VMI_FAILURE;
    if (pm == VMI_PM_NONE) {
        *paddr = vaddr;
    } else if (pm == VMI_PM_UNKNOWN || pm == vmi->page_mode) {
        if (vmi_pagetable_lookup_v14(vmi, pt, vaddr, paddr) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else {
        if (lookup_extended(vmi, pm, pt, vaddr, &info) != VMI_SUCCESS)
            return VMI_FAILURE;
        *paddr = info.paddr;
    }
    if (naddr)
        *naddr = 0;
    return VMI_SUCCESS;
}

status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                              addr_t pt, page_mode_t pm, addr_t vaddr,
                                              page_info_t *info)
{
    if (!vmi || !info || nested_refused(vmi, npt, npm))
        return VMI_FAILURE;
    return lookup_extended(vmi, pm, pt, vaddr, info);
}

addr_t vmi_translate_uv2p__3(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    addr_t dtb;
    GError *error = NULL;
    if (!vmi)
        return 0;
    if (!vmi_dtb_for_pid(vmi, pid, &dtb, &error)) {
        vmi_set_error(vmi, error);
        return 0;
    }
    return vmi_pagetable_lookup__3(vmi, dtb, vaddr);
}
VMI_2013_AS(vmi_translate_uv2p__3, vmi_translate_uv2p);

addr_t vmi_translate_kv2p__2(vmi_instance_t vmi, addr_t vaddr)
{
    return vmi_translate_uv2p__3(vmi, vaddr, 0);
}
VMI_2013_AS(vmi_translate_kv2p__2, vmi_translate_kv2p);

VMI_PUBLIC status_t vmi_translate_uv2p_v14(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,
                                           addr_t *paddr)
{
    addr_t dtb;
    GError *error = NULL;
    if (!vmi || !paddr)
        return VMI_FAILURE;
    if (!vmi_dtb_for_pid(vmi, pid, &dtb, &error)) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return vmi_pagetable_lookup_v14(vmi, dtb, vaddr, paddr);
}
VMI_MODERN_AS(vmi_translate_uv2p_v14, vmi_translate_uv2p);

VMI_PUBLIC status_t vmi_translate_kv2p_v14(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr)
{
    return vmi_translate_uv2p_v14(vmi, vaddr, 0, paddr);
}
VMI_MODERN_AS(vmi_translate_kv2p_v14, vmi_translate_kv2p);

static bool ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *out)
{
    GError *error = NULL;
    addr_t va = 0;
    if (!vmi)
        return false;
    if (!symbol) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no symbol name given");
        return false;
    }
    char *key = g_strdup_printf("0:0:%s", symbol);
    gpointer cached;
    if (g_hash_table_lookup_extended(vmi->sym_cache, key, NULL, &cached)) {
        g_free(key);
        *out = *(addr_t *)cached;
        return true;
    }
    g_free(key);
    if (!vmi->os || !vmi->os->ksym2v) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "cannot look up kernel symbol '%s': no OS layer (instance not "
                   "completely initialised?)", symbol);
        return false;
    }
    if (!vmi->os->ksym2v(vmi, symbol, &va, &error)) {
        vmi_set_error(vmi, error);
        return false;
    }
    vmi_symcache_add(vmi, 0, 0, (char *)symbol, va);
    *out = va;
    return true;
}

addr_t vmi_translate_ksym2v__2(vmi_instance_t vmi, const char *symbol)
{
    addr_t va;
    return ksym2v(vmi, symbol, &va) ? va : 0;
}
VMI_2013_AS(vmi_translate_ksym2v__2, vmi_translate_ksym2v);

VMI_PUBLIC status_t vmi_translate_ksym2v_v14(vmi_instance_t vmi, const char *symbol, addr_t *vaddr)
{
    addr_t va;
    if (!vaddr || !ksym2v(vmi, symbol, &va))
        return VMI_FAILURE;
    *vaddr = va;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_translate_ksym2v_v14, vmi_translate_ksym2v);

/* The export @symbol of the image at @base (through @t): from the symbol
 * cache, else the image's PE export table. */
static bool image_sym2v(vmi_instance_t vmi, const vmi_target_t *t, addr_t base, vmi_pid_t pid,
                        const char *symbol, addr_t *va)
{
    if (!symbol) {
        vmi_errorc(vmi, VMI_ERR_INVALID, "no symbol name given");
        return false;
    }
    char *key = g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%s", (guint64)base, pid, symbol);
    gpointer cached;
    bool hit = g_hash_table_lookup_extended(vmi->sym_cache, key, NULL, &cached);
    g_free(key);
    if (hit) {
        *va = *(addr_t *)cached;
        return true;
    }
    addr_t rva;
    if (!vmi_pe_export_rva(vmi, t, base, symbol, &rva))
        return false;
    *va = base + rva;
    vmi_symcache_add(vmi, base, pid, (char *)symbol, *va);
    return true;
}

addr_t vmi_translate_sym2v__4(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid,
                              const char *symbol)
{
    vmi_target_t t;
    addr_t va;
    if (!vmi || !vmi_target_pid(vmi, pid, &t))
        return 0;
    return image_sym2v(vmi, &t, base_vaddr, pid, symbol, &va) ? va : 0;
}
VMI_2013_AS(vmi_translate_sym2v__4, vmi_translate_sym2v);

VMI_PUBLIC status_t vmi_translate_sym2v_v14(vmi_instance_t vmi, const access_context_t *ctx,
                                            const char *symbol, addr_t *vaddr)
{
    vmi_target_t t;
    addr_t base, va;
    if (!vmi || !vaddr || !vmi_target_ctx(vmi, ctx, &t, &base))
        return VMI_FAILURE;
    vmi_pid_t pid = ctx->tm == VMI_TM_PROCESS_PID ? ctx->pid : -1;
    if (!image_sym2v(vmi, &t, base, pid, symbol, &va))
        return VMI_FAILURE;
    *vaddr = va;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_translate_sym2v_v14, vmi_translate_sym2v);

/* The name at @rva of the image at @base: the cache, the kernel's symbols
 * (@kernel), else the image's PE export table. */
static const char *image_v2sym(vmi_instance_t vmi, const vmi_target_t *t, addr_t base,
                               vmi_pid_t pid, bool kernel, addr_t rva)
{
    char *key = g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%" G_GINT64_MODIFIER "x",
                                (guint64)base, pid, (guint64)rva);
    const char *sym = g_hash_table_lookup(vmi->rva_cache, key);
    g_free(key);
    if (sym)
        return sym;
    if (kernel && vmi->os && vmi->os->v2ksym) {
        sym = vmi->os->v2ksym(vmi, base + rva);
        if (sym)
            return sym;
    }
    char *name = NULL;
    if (!vmi_pe_export_name(vmi, t, base, rva, &name))
        return NULL;
    vmi_rvacache_add(vmi, base, pid, rva, name);
    g_free(name);
    key = g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%" G_GINT64_MODIFIER "x",
                          (guint64)base, pid, (guint64)rva);
    sym = g_hash_table_lookup(vmi->rva_cache, key);
    g_free(key);
    return sym;
}

const char *vmi_translate_v2sym__4(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid, addr_t rva)
{
    vmi_target_t t;
    if (!vmi || !vmi_target_pid(vmi, pid, &t))
        return NULL;
    return image_v2sym(vmi, &t, base_vaddr, pid, pid == 0, rva);
}
VMI_2013_AS(vmi_translate_v2sym__4, vmi_translate_v2sym);

VMI_PUBLIC const char *vmi_translate_v2sym_v14(vmi_instance_t vmi, const access_context_t *ctx,
                                               addr_t rva)
{
    vmi_target_t t;
    addr_t base;
    if (!vmi || !vmi_target_ctx(vmi, ctx, &t, &base))
        return NULL;
    bool kernel = ctx->tm == VMI_TM_KERNEL_SYMBOL ||
                  (ctx->tm == VMI_TM_PROCESS_PID && ctx->pid == 0) ||
                  (ctx->tm == VMI_TM_PROCESS_DTB && ctx->dtb == vmi->kdtb);
    vmi_pid_t pid = ctx->tm == VMI_TM_PROCESS_PID ? ctx->pid : kernel ? 0 : -1;
    return image_v2sym(vmi, &t, base, pid, kernel, rva);
}
VMI_MODERN_AS(vmi_translate_v2sym_v14, vmi_translate_v2sym);

const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx, addr_t va)
{
    (void)ctx;  /* the kernel's symbols; the context names the kernel */
    if (!vmi)
        return NULL;
    if (!vmi->os || !vmi->os->v2ksym) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "reverse kernel symbol lookup needs the OS layer "
                   "(vmi_init_os)");
        return NULL;
    }
    const char *sym = vmi->os->v2ksym(vmi, va);
    if (!sym)
        vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no kernel symbol starts at 0x%" G_GINT64_MODIFIER "x",
                   (guint64)va);
    return sym;
}

addr_t vmi_pid_to_dtb__2(vmi_instance_t vmi, vmi_pid_t pid)
{
    addr_t dtb;
    GError *error = NULL;
    if (!vmi)
        return 0;
    if (!vmi_dtb_for_pid(vmi, pid, &dtb, &error)) {
        vmi_set_error(vmi, error);
        return 0;
    }
    return dtb;
}
VMI_2013_AS(vmi_pid_to_dtb__2, vmi_pid_to_dtb);

VMI_PUBLIC status_t vmi_pid_to_dtb_v14(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    addr_t d = vmi_pid_to_dtb__2(vmi, pid);
    if (!d || !dtb)
        return VMI_FAILURE;
    *dtb = d;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_pid_to_dtb_v14, vmi_pid_to_dtb);

vmi_pid_t vmi_dtb_to_pid__2(vmi_instance_t vmi, addr_t dtb)
{
    GError *error = NULL;
    vmi_pid_t pid;
    if (!vmi)
        return -1;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, vmi->pid_cache);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (*(addr_t *)v == dtb && GPOINTER_TO_INT(k) != 0)
            return GPOINTER_TO_INT(k);
    if (!vmi->os || !vmi->os->dtb_to_pid) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "no OS layer to map a page directory to a process");
        return -1;
    }
    vmi_hold(vmi);
    bool ok = vmi->os->dtb_to_pid(vmi, dtb, &pid, &error);
    vmi_release(vmi);
    if (!ok) {
        vmi_set_error(vmi, error);
        return -1;
    }
    return pid;
}
VMI_2013_AS(vmi_dtb_to_pid__2, vmi_dtb_to_pid);

VMI_PUBLIC status_t vmi_dtb_to_pid_v14(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid)
{
    vmi_pid_t p = vmi_dtb_to_pid__2(vmi, dtb);
    if (p < 0 || !pid)
        return VMI_FAILURE;
    *pid = p;
    return VMI_SUCCESS;
}
VMI_MODERN_AS(vmi_dtb_to_pid_v14, vmi_dtb_to_pid);

status_t vmi_get_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count)
{
    GError *error = NULL;
    if (!vmi || !list || !count)
        return VMI_FAILURE;
    if (!vmi->os || !vmi->os->processes) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "listing processes needs the OS layer (VMI_INIT_COMPLETE)");
        return VMI_FAILURE;
    }
    vmi_hold(vmi);
    bool ok = vmi->os->processes(vmi, list, count, &error);
    vmi_release(vmi);
    if (!ok) {
        vmi_set_error(vmi, error);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
