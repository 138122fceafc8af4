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

/* ------------------------------------------------------------ public */

addr_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t dtb, addr_t vaddr)
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

addr_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr)
{
    return vmi_translate_uv2p(vmi, vaddr, 0);
}

addr_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid)
{
    addr_t dtb;
    GError *error = NULL;
    if (!vmi)
        return 0;
    if (!vmi_dtb_for_pid(vmi, pid, &dtb, &error)) {
        vmi_set_error(vmi, error);
        return 0;
    }
    return vmi_pagetable_lookup(vmi, dtb, vaddr);
}

addr_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol)
{
    GError *error = NULL;
    addr_t va = 0;
    if (!vmi || !symbol)
        return 0;
    char *key = g_strdup_printf("0:0:%s", symbol);
    gpointer cached;
    if (g_hash_table_lookup_extended(vmi->sym_cache, key, NULL, &cached)) {
        g_free(key);
        return *(addr_t *)cached;
    }
    g_free(key);
    if (!vmi->os || !vmi->os->ksym2v) {
        vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "cannot look up kernel symbol '%s': no OS layer (instance not "
                   "completely initialised?)", symbol);
        return 0;
    }
    if (!vmi->os->ksym2v(vmi, symbol, &va, &error)) {
        vmi_set_error(vmi, error);
        return 0;
    }
    vmi_symcache_add(vmi, 0, 0, (char *)symbol, va);
    return va;
}

addr_t vmi_translate_sym2v(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid, char *symbol)
{
    if (!vmi || !symbol)
        return 0;
    char *key = g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%s", (guint64)base_vaddr, pid, symbol);
    gpointer cached;
    bool hit = g_hash_table_lookup_extended(vmi->sym_cache, key, NULL, &cached);
    g_free(key);
    if (hit)
        return *(addr_t *)cached;
    vmi_errorc(vmi, VMI_ERR_UNSUPPORTED, "looking up '%s' in the export table of the image at 0x%" G_GINT64_MODIFIER
               "x needs a PE parser, which this libvmi does not have yet", symbol,
               (guint64)base_vaddr);
    return 0;
}

const char *vmi_translate_v2sym(vmi_instance_t vmi, addr_t base_vaddr, vmi_pid_t pid, addr_t rva)
{
    if (!vmi)
        return NULL;
    char *key = g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%" G_GINT64_MODIFIER "x",
                                (guint64)base_vaddr, pid, (guint64)rva);
    const char *sym = g_hash_table_lookup(vmi->rva_cache, key);
    g_free(key);
    if (sym)
        return sym;
    /* For the kernel (pid 0) the symbol map answers. */
    if (pid == 0 && vmi->os && vmi->os->v2ksym) {
        sym = vmi->os->v2ksym(vmi, base_vaddr + rva);
        if (sym)
            return sym;
    }
    vmi_errorc(vmi, VMI_ERR_NOT_FOUND, "no symbol known at 0x%" G_GINT64_MODIFIER "x + 0x%" G_GINT64_MODIFIER "x",
               (guint64)base_vaddr, (guint64)rva);
    return NULL;
}

addr_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid)
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

vmi_pid_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb)
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
