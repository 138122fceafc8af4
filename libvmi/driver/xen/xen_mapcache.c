/*
 * xen_mapcache.c - chunked, batched foreign mappings of guest pages.
 */
#include <errno.h>
#include <string.h>
#include "xen_mapcache.h"

#define NO_FRAME (~(uint64_t)0)

static void chunk_unmap(xen_mapcache_t *c, xen_chunk_t *k)
{
    if (k->base)
        c->m.unmap(c->m.opaque, k->base, XEN_CHUNK_PAGES);
    g_free(k);
    if (c->m.evicted)
        c->m.evicted(c->m.opaque);
}

xen_mapcache_t *xen_mapcache_new(const xen_mapper_t *m, uint64_t limit_pfn, size_t max_chunks)
{
    xen_mapcache_t *c = g_new0(xen_mapcache_t, 1);
    c->m = *m;
    c->chunks = g_hash_table_new(g_int64_hash, g_int64_equal);
    c->max_chunks = max_chunks ? max_chunks : XEN_MAPCACHE_CHUNKS;
    c->limit_pfn = limit_pfn;
    return c;
}

void xen_mapcache_flush(xen_mapcache_t *c)
{
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, c->chunks);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        g_hash_table_iter_steal(&it);
        chunk_unmap(c, val);
    }
    c->flushes++;
}

void xen_mapcache_free(xen_mapcache_t *c)
{
    if (!c)
        return;
    xen_mapcache_flush(c);
    g_hash_table_destroy(c->chunks);
    g_free(c);
}

static void evict_oldest(xen_mapcache_t *c)
{
    GHashTableIter it;
    gpointer key, val;
    xen_chunk_t *old = NULL;
    g_hash_table_iter_init(&it, c->chunks);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        xen_chunk_t *k = val;
        if (!old || k->last_use < old->last_use)
            old = k;
    }
    if (old) {
        g_hash_table_remove(c->chunks, &old->first_pfn);
        chunk_unmap(c, old);
    }
}

static xen_chunk_t *chunk_map(xen_mapcache_t *c, uint64_t first, bool write)
{
    xen_chunk_t *k = g_new0(xen_chunk_t, 1);
    int err[XEN_CHUNK_PAGES];
    k->first_pfn = first;
    k->write = write;
    size_t n = 0;
    for (size_t i = 0; i < XEN_CHUNK_PAGES; i++) {
        uint64_t pfn = first + i;
        err[i] = 0;
        if (pfn >= c->limit_pfn || !c->m.frame(c->m.opaque, pfn, &k->frames[i]))
            k->frames[i] = NO_FRAME;
        else
            n = i + 1;
    }
    if (n == 0) {
        g_free(k);
        return NULL;
    }
    /* Frames the guest has none for are still passed (the call maps page
     * by page and says which failed), so the chunk stays contiguous. */
    k->base = c->m.map(c->m.opaque, k->frames, err, XEN_CHUNK_PAGES, write);
    c->maps++;
    if (!k->base) {
        g_free(k);
        return NULL;
    }
    for (size_t i = 0; i < XEN_CHUNK_PAGES; i++)
        if (err[i] || k->frames[i] == NO_FRAME)
            k->bad |= 1ULL << i;
    return k;
}

uint8_t *xen_mapcache_get(xen_mapcache_t *c, uint64_t pa, size_t want, size_t *avail, bool write)
{
    uint64_t pfn = pa >> 12;
    if (pfn >= c->limit_pfn)
        return NULL;
    uint64_t first = pfn & ~(uint64_t)(XEN_CHUNK_PAGES - 1);
    unsigned idx = pfn - first;
    xen_chunk_t *k = g_hash_table_lookup(c->chunks, &first);
    if (k && ((k->bad >> idx) & 1 || (write && !k->write))) {
        /* retry a page that failed (it may exist now), or map for writing */
        g_hash_table_remove(c->chunks, &first);
        write = write || k->write;
        chunk_unmap(c, k);
        k = NULL;
        c->remaps++;
    }
    if (k) {
        c->hits++;
    } else {
        if (g_hash_table_size(c->chunks) >= c->max_chunks)
            evict_oldest(c);
        k = chunk_map(c, first, write);
        if (!k)
            return NULL;
        g_hash_table_insert(c->chunks, &k->first_pfn, k);
        if ((k->bad >> idx) & 1)
            return NULL;
    }
    k->last_use = ++c->tick;
    /* contiguous good pages from @pa on */
    unsigned end = idx;
    while (end < XEN_CHUNK_PAGES && !((k->bad >> end) & 1))
        end++;
    size_t off = pa & 0xfff;
    size_t have = ((size_t)(end - idx) << 12) - off;
    *avail = MIN(have, want);
    return k->base + ((size_t)idx << 12) + off;
}

size_t xen_mapcache_check(xen_mapcache_t *c)
{
    GHashTableIter it;
    gpointer key, val;
    size_t dropped = 0;
    g_hash_table_iter_init(&it, c->chunks);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        xen_chunk_t *k = val;
        bool stale = false;
        for (size_t i = 0; i < XEN_CHUNK_PAGES && !stale; i++) {
            uint64_t f;
            if (!c->m.frame(c->m.opaque, k->first_pfn + i, &f))
                f = NO_FRAME;
            if (k->first_pfn + i >= c->limit_pfn)
                f = NO_FRAME;
            stale = f != k->frames[i];
        }
        if (stale) {
            g_hash_table_iter_steal(&it);
            chunk_unmap(c, k);
            dropped++;
        }
    }
    return dropped;
}
