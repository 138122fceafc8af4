/*
 * xen_mapcache.h - a cache of foreign mappings of guest pages, in chunks of
 * XEN_CHUNK_PAGES contiguous guest frames mapped by one batched call.
 *
 * Pure: the mapping call and the frame lookup are given as functions, so the
 * cache is unit tested against a memfd standing for machine memory.  A
 * mapping aliases the guest's frame (no copy), so writes from either side
 * are seen at once.  What can make a mapping stale is the guest's frame
 * changing under a pfn (ballooning, a PV guest rewriting its p2m): each
 * chunk remembers the frames it mapped, xen_mapcache_check() compares them
 * with the current lookup, and the driver flushes when Xen says the
 * domain's memory changed.  A page that failed to map is retried on the next
 * access to it, never cached as missing.
 */
#ifndef VMI_XEN_MAPCACHE_H
#define VMI_XEN_MAPCACHE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define XEN_CHUNK_PAGES 64
#define XEN_CHUNK_BYTES ((size_t)XEN_CHUNK_PAGES << 12)
/* 1024 chunks of 256 KiB: 256 MiB of address space at most, mapped lazily */
#define XEN_MAPCACHE_CHUNKS 1024

typedef struct xen_mapper {
    /* Maps @n frames contiguously (read-only unless @write), err[i] set to
     * 0 or an errno per page; NULL when nothing could be mapped. */
    void *(*map)(void *opaque, const uint64_t *frames, int *err, size_t n, bool write);
    void (*unmap)(void *opaque, void *addr, size_t n);
    /* The frame to map for guest page @pfn (PV: its mfn; HVM: @pfn);
     * false when the guest has no frame there. */
    bool (*frame)(void *opaque, uint64_t pfn, uint64_t *frame);
    /* A chunk is unmapped: pointers into it are dead (may be NULL). */
    void (*evicted)(void *opaque);
    void *opaque;
} xen_mapper_t;

typedef struct xen_chunk {
    uint64_t first_pfn;
    uint8_t *base;
    bool write;
    uint64_t bad;                       /* bit i: page i did not map */
    uint64_t frames[XEN_CHUNK_PAGES];   /* what each page was mapped from */
    uint64_t last_use;
} xen_chunk_t;

typedef struct xen_mapcache {
    xen_mapper_t m;
    GHashTable *chunks;     /* first_pfn -> xen_chunk_t* */
    size_t max_chunks;
    uint64_t limit_pfn;     /* pages at or above are never mapped */
    uint64_t tick;
    uint64_t maps, hits, remaps, flushes;   /* statistics */
} xen_mapcache_t;

xen_mapcache_t *xen_mapcache_new(const xen_mapper_t *m, uint64_t limit_pfn, size_t max_chunks);
void xen_mapcache_free(xen_mapcache_t *c);
/* A pointer to guest-physical @pa valid for *@avail (<= @want) bytes; NULL
 * when the page at @pa cannot be mapped. */
uint8_t *xen_mapcache_get(xen_mapcache_t *c, uint64_t pa, size_t want, size_t *avail, bool write);
/* Unmaps everything (memory changed). */
void xen_mapcache_flush(xen_mapcache_t *c);
/* Drops the chunks whose frames no longer match the lookup: how many. */
size_t xen_mapcache_check(xen_mapcache_t *c);

#endif
