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

/* The 2013 vmi_v2pcache_flush (also vmi_v2pcache_flush@LIBVMI_0.1). */
void vmi_v2pcache_flush__1(vmi_instance_t vmi)
{
    if (vmi)
        v2p_cache_init(vmi);
}
VMI_2013_AS(vmi_v2pcache_flush__1, vmi_v2pcache_flush);

VMI_PUBLIC void vmi_v2pcache_flush_v14(vmi_instance_t vmi, addr_t pt)
{
    if (!vmi)
        return;
    if (pt == ~0ULL) {
        v2p_cache_init(vmi);
        return;
    }
    for (size_t i = 0; i < V2P_CACHE_SIZE; i++)
        if (vmi->v2p[i].dtb == pt)
            memset(&vmi->v2p[i], 0, sizeof(vmi->v2p[i]));
    vmi->memo_len = 0;
}
VMI_MODERN_AS(vmi_v2pcache_flush_v14, vmi_v2pcache_flush);

void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt)
{
    /* no nested translation is ever cached: a nested flush has nothing of
     * its own to drop, the plain entries of @pt go */
    (void)npt;
    vmi_v2pcache_flush_v14(vmi, pt);
}

void vmi_v2pcache_nested_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt, addr_t pa)
{
    if (vmi && !npt)
        v2p_cache_put(vmi, pt, va, pa);
}

void vmi_pagecache_flush(vmi_instance_t vmi)
{
    if (vmi) {
        vmi->memo_ptr = NULL;
        vmi->memo_len = 0;
    }
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
