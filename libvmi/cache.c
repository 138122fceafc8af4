/*
 * cache.c - the instance's caches: translations (dtb, page) -> frame,
 * pid -> dtb, symbol -> address and rva -> symbol; and their public API.
 */
#include <string.h>
#include "private.h"

void v2p_cache_init(vmi_instance_t vmi)
{
    /* whatever invalidates translations may also have moved memory */
    vmi->memo_ptr = NULL;
    vmi->memo_len = 0;
    if (!vmi->v2p)
        vmi->v2p = g_new0(v2p_entry_t, V2P_CACHE_SIZE);
    else
        memset(vmi->v2p, 0, sizeof(v2p_entry_t) * V2P_CACHE_SIZE);
}

void v2p_cache_free(vmi_instance_t vmi)
{
    g_clear_pointer(&vmi->v2p, g_free);
}

void caches_init(vmi_instance_t vmi)
{
    v2p_cache_init(vmi);
    vmi->pid_cache = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    vmi->sym_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    vmi->rva_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void caches_free(vmi_instance_t vmi)
{
    v2p_cache_free(vmi);
    g_clear_pointer(&vmi->pid_cache, g_hash_table_unref);
    g_clear_pointer(&vmi->sym_cache, g_hash_table_unref);
    g_clear_pointer(&vmi->rva_cache, g_hash_table_unref);
}

void vmi_v2pcache_flush(vmi_instance_t vmi)
{
    if (vmi)
        v2p_cache_init(vmi);
}

void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t dtb, addr_t pa)
{
    if (vmi)
        v2p_cache_put(vmi, dtb, va, pa);
}

void vmi_pidcache_flush(vmi_instance_t vmi)
{
    if (vmi)
        g_hash_table_remove_all(vmi->pid_cache);
}

void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb)
{
    if (!vmi)
        return;
    addr_t *v = g_new(addr_t, 1);
    *v = dtb;
    g_hash_table_insert(vmi->pid_cache, GINT_TO_POINTER(pid), v);
}

void vmi_symcache_flush(vmi_instance_t vmi)
{
    if (vmi)
        g_hash_table_remove_all(vmi->sym_cache);
}

void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym, addr_t va)
{
    if (!vmi || !sym)
        return;
    addr_t *v = g_new(addr_t, 1);
    *v = va;
    g_hash_table_insert(vmi->sym_cache,
                        g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%s", (guint64)base_addr, pid, sym),
                        v);
}

void vmi_rvacache_flush(vmi_instance_t vmi)
{
    if (vmi)
        g_hash_table_remove_all(vmi->rva_cache);
}

void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva, char *sym)
{
    if (!vmi || !sym)
        return;
    g_hash_table_insert(vmi->rva_cache,
                        g_strdup_printf("%" G_GINT64_MODIFIER "x:%d:%" G_GINT64_MODIFIER "x",
                                        (guint64)base_addr, pid, (guint64)rva),
                        g_strdup(sym));
}
