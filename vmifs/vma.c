/*
 * vma.c - a process's memory areas from the guest's own structures (see
 * vma.h).
 *
 * The maple tree (lib/maple_tree.c, Linux 6.1+), as laid out in memory on
 * 64-bit kernels: a node is 256 bytes, aligned to 256; an encoded node
 * pointer ("enode") keeps the node's type in bits 3-6, bit 2 as a flag,
 * and the tree's root pointer has bit 1 set when it points to a node.
 *   range_64 / leaf_64:  parent, pivot[15], slot[16]   (metadata in the
 *                        last slot's place when the node is not full)
 *   arange_64:           parent, pivot[9], slot[10], gap[10], metadata
 * The metadata's first byte is the index of the last used slot.  Leaves
 * hold the vm_area_struct pointers; the range a slot covers ends at its
 * pivot (the last slot's at the node's maximum).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vma.h"

#define MT_NODE_SIZE 256
#define MT_ROOT_NODE 0x02
#define MT_TYPE_SHIFT 3
#define MT_TYPE_MASK 0x0f
enum { MT_DENSE, MT_LEAF_64, MT_RANGE_64, MT_ARANGE_64 };

typedef struct {
    const vma_offsets_t *off;
    vma_read_fn rd;
    void *ctx;
    uint64_t mm;
    vma_t *list;
    size_t count, cap;
    size_t nodes;
    char *why;
} walk_t;

static bool fail(walk_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(walk_t *w, const char *fmt, ...)
{
    if (w->why)
        return false;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&w->why, fmt, ap) < 0)
        w->why = NULL;
    va_end(ap);
    return false;
}

bool vma_kernel_ptr(uint64_t va)
{
    /* 4-level: 0xffff8000_00000000 and up; 5-level: 0xff000000_00000000 */
    return va >= 0xff00000000000000ull && (va & 7) == 0;
}

static bool rd64(walk_t *w, uint64_t va, uint64_t *v)
{
    return w->rd(w->ctx, va, v, sizeof(*v));
}

/* Reads the area at @vma and adds it when it belongs to our mm. */
static bool add_area(walk_t *w, uint64_t vma)
{
    const vma_offsets_t *o = w->off;
    if (!vma_kernel_ptr(vma))
        return fail(w, "an area pointer 0x%llx is not a kernel address", (unsigned long long)vma);
    uint64_t start, end, mm, flags = 0, pgoff = 0, file = 0;
    if (!rd64(w, vma + o->vm_start, &start) || !rd64(w, vma + o->vm_end, &end) ||
        !rd64(w, vma + o->vm_mm, &mm))
        return fail(w, "cannot read the vm_area_struct at 0x%llx", (unsigned long long)vma);
    if (mm != w->mm)
        return fail(w, "the vm_area_struct at 0x%llx belongs to mm 0x%llx, not 0x%llx",
                    (unsigned long long)vma, (unsigned long long)mm, (unsigned long long)w->mm);
    if (start >= end)
        return fail(w, "the vm_area_struct at 0x%llx is empty or inverted (0x%llx-0x%llx)",
                    (unsigned long long)vma, (unsigned long long)start, (unsigned long long)end);
    /* optional fields: absent ones read as 0 */
    if (o->vm_flags != VMA_OFF_NONE)
        rd64(w, vma + o->vm_flags, &flags);
    if (o->vm_pgoff != VMA_OFF_NONE)
        rd64(w, vma + o->vm_pgoff, &pgoff);
    if (o->vm_file != VMA_OFF_NONE)
        rd64(w, vma + o->vm_file, &file);
    if (w->count >= VMA_MAX_AREAS)
        return fail(w, "more than %d memory areas: corrupt", VMA_MAX_AREAS);
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        vma_t *n = realloc(w->list, cap * sizeof(*n));
        if (!n)
            return fail(w, "out of memory");
        w->list = n;
        w->cap = cap;
    }
    w->list[w->count++] = (vma_t){ .start = start, .end = end, .flags = flags, .pgoff = pgoff,
                                   .file = vma_kernel_ptr(file) ? file : 0 };
    return true;
}

/* One node (@enode encoded) covering [@min, @max] at @depth. */
static bool walk_node(walk_t *w, uint64_t enode, uint64_t min, uint64_t max, int depth)
{
    if (depth > VMA_MAX_DEPTH)
        return fail(w, "the maple tree is deeper than %d levels: corrupt", VMA_MAX_DEPTH);
    if (++w->nodes > VMA_MAX_NODES)
        return fail(w, "the maple tree has more than %d nodes: corrupt", VMA_MAX_NODES);
    unsigned type = (unsigned)(enode >> MT_TYPE_SHIFT) & MT_TYPE_MASK;
    uint64_t node = enode & ~(uint64_t)(MT_NODE_SIZE - 1);
    if (!vma_kernel_ptr(node))
        return fail(w, "a maple node pointer 0x%llx is not a kernel address",
                    (unsigned long long)enode);
    unsigned npiv, nslots, slot_off;
    switch (type) {
    case MT_LEAF_64:
    case MT_RANGE_64:
        npiv = 15, nslots = 16, slot_off = 8 + 15 * 8;
        break;
    case MT_ARANGE_64:
        npiv = 9, nslots = 10, slot_off = 8 + 9 * 8;
        break;
    default:
        return fail(w, "the maple node 0x%llx has type %u (not a 64-bit range node)",
                    (unsigned long long)node, type);
    }
    uint64_t raw[MT_NODE_SIZE / 8];
    if (!w->rd(w->ctx, node, raw, sizeof(raw)))
        return fail(w, "cannot read the maple node at 0x%llx", (unsigned long long)node);
    const uint64_t *piv = &raw[1];
    const uint64_t *slot = &raw[slot_off / 8];
    const uint8_t *bytes = (const uint8_t *)raw;
    unsigned end;
    if (type == MT_ARANGE_64) {
        end = bytes[8 + 9 * 8 + 10 * 8 + 10 * 8];          /* metadata after the gaps */
    } else if (piv[npiv - 1] == 0) {
        end = bytes[MT_NODE_SIZE - 8];                      /* metadata in the last slot */
    } else {
        end = piv[npiv - 1] == max ? npiv - 1 : npiv;
    }
    if (end >= nslots)
        return fail(w, "the maple node 0x%llx says it ends at slot %u of %u",
                    (unsigned long long)node, end, nslots);
    uint64_t lo = min;
    for (unsigned i = 0; i <= end; i++) {
        uint64_t hi = i < npiv && piv[i] ? piv[i] : max;
        if (hi < lo || hi > max)
            return fail(w, "the maple node 0x%llx has pivots out of order at slot %u",
                        (unsigned long long)node, i);
        uint64_t e = slot[i];
        /* leaves may hold the tree's internal markers (XA_ZERO_ENTRY while
         * a fork copies the tree): no area there */
        if (e && !(type == MT_LEAF_64 && (e & 3) == 2 && e < 4096)) {
            bool ok = type == MT_LEAF_64 ? add_area(w, e) : walk_node(w, e, lo, hi, depth + 1);
            if (!ok)
                return false;
        }
        if (hi == max)
            break;
        lo = hi + 1;
    }
    return true;
}

static bool walk_maple(walk_t *w)
{
    uint64_t root;
    uint64_t at = w->mm + w->off->mm_mt + w->off->ma_root;
    if (!rd64(w, at, &root))
        return fail(w, "cannot read mm_struct.mm_mt.ma_root at 0x%llx", (unsigned long long)at);
    if (!root)
        return true;                        /* no areas */
    if ((root & 3) == MT_ROOT_NODE && root > 4096)
        return walk_node(w, root & ~(uint64_t)MT_ROOT_NODE, 0, UINT64_MAX, 0);
    /* a single entry at index 0 is stored in the root itself */
    return add_area(w, root);
}

static bool walk_list(walk_t *w)
{
    uint64_t vma;
    uint64_t at = w->mm + w->off->mmap;
    if (!rd64(w, at, &vma))
        return fail(w, "cannot read mm_struct.mmap at 0x%llx", (unsigned long long)at);
    while (vma) {
        if (!add_area(w, vma))
            return false;
        /* a list in address order: a loop cannot go on increasing */
        if (w->count > 1 && w->list[w->count - 1].start < w->list[w->count - 2].end)
            return fail(w, "the area list is out of order at 0x%llx", (unsigned long long)vma);
        if (!rd64(w, vma + w->off->vm_next, &vma))
            return fail(w, "cannot read vm_next of the area at 0x%llx", (unsigned long long)vma);
    }
    return true;
}

static int by_start(const void *a, const void *b)
{
    const vma_t *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

bool vma_list(const vma_offsets_t *off, vma_read_fn rd, void *ctx, uint64_t mm, vma_t **out,
              size_t *count, char **why)
{
    walk_t w = { .off = off, .rd = rd, .ctx = ctx, .mm = mm };
    bool ok;
    *out = NULL;
    *count = 0;
    *why = NULL;
    if (off->vm_start == VMA_OFF_NONE || off->vm_end == VMA_OFF_NONE || off->vm_mm == VMA_OFF_NONE)
        ok = fail(&w, "the kernel's vm_area_struct layout is unknown (no BTF?)");
    else if (off->mm_mt != VMA_OFF_NONE && off->ma_root != VMA_OFF_NONE)
        ok = walk_maple(&w);
    else if (off->mmap != VMA_OFF_NONE && off->vm_next != VMA_OFF_NONE)
        ok = walk_list(&w);
    else
        ok = fail(&w, "neither mm_struct.mm_mt nor mm_struct.mmap is known for this kernel");
    if (ok) {
        if (w.count > 1)     /* qsort(NULL, 0, ...) is undefined */
            qsort(w.list, w.count, sizeof(*w.list), by_start);
        for (size_t i = 1; i < w.count; i++)
            if (w.list[i].start < w.list[i - 1].end) {
                ok = fail(&w, "memory areas overlap at 0x%llx", (unsigned long long)w.list[i].start);
                break;
            }
    }
    if (!ok) {
        free(w.list);
        *why = w.why ? w.why : strdup("out of memory");
        return false;
    }
    *out = w.list;
    *count = w.count;
    return true;
}
