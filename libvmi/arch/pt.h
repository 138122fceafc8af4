/*
 * pt.h - x86 page-table walkers, one per paging mode.
 *
 * The walkers are pure: they see guest-physical memory only through a
 * pt_reader_t, so they are unit tested against synthetic tables in a buffer.
 * Every walk has a fixed depth (the mode's number of levels), so a hostile
 * guest cannot make a walk loop.  A walk allocates nothing and reads one
 * entry per level, so callers may translate on hot paths; caching belongs
 * to the caller.
 */
#ifndef VMI_PT_H
#define VMI_PT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include "libvmi.h"

/* Reads guest-physical memory for a walker.  Returns true when all @len
 * bytes at @pa were read. */
typedef bool (*pt_read_fn)(void *opaque, addr_t pa, void *buf, size_t len);

/* Page tables that live in another frame space than the addresses the
 * caller means (a Xen PV guest: CR3 and every entry hold machine frames,
 * while the caller's dtb and the result are pseudo-physical).  The walker
 * maps the dtb with @to_table, reads the tables with @read_table and maps
 * the page it ends on back with @to_phys (per 4 KiB frame). */
typedef struct pt_frames {
    bool (*to_table)(void *opaque, addr_t pa, addr_t *ta);
    bool (*to_phys)(void *opaque, addr_t ta, addr_t *pa);
    pt_read_fn read_table;
} pt_frames_t;

typedef struct pt_reader {
    pt_read_fn read;
    void *opaque;
    const pt_frames_t *frames;  /* NULL: tables hold guest-physical frames */
} pt_reader_t;

typedef enum pt_status {
    PT_OK = 0,
    PT_NOT_PRESENT,     /* an entry on the way has P=0 */
    PT_READ_ERROR,      /* a table lies outside readable memory */
    PT_NONCANONICAL,    /* the address is not canonical for the mode */
    PT_BAD_ENTRY,       /* reserved bits set / impossible entry */
} pt_status_t;

/* Result of one translation. */
typedef struct pt_result {
    addr_t pa;            /* translated physical address */
    uint64_t page_size;   /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    uint64_t entry;       /* the leaf entry (flags: bit 1 R/W, bit 2 U/S, bit 63 NX) */
} pt_result_t;

/* One paging mode: the table of operations for this seam. */
typedef struct pt_mode_ops {
    page_mode_t mode;
    const char *name;         /* "legacy", "pae", "ia32e", "la57" */
    unsigned levels;          /* 2, 3, 4, 5 */
    unsigned address_width;   /* bytes of a guest pointer: 4 or 8 */
    /* dtb is CR3 (flag bits are masked off by the walker). */
    pt_status_t (*translate)(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out);
} pt_mode_ops_t;

/* ---- walks that report every level (pt_walk.c) */
#define PT_PATH_MAX 5
typedef struct pt_path {
    unsigned levels;                    /* entries read, top level first */
    struct { addr_t pa; uint64_t value; } entry[PT_PATH_MAX];
    addr_t pa;                          /* translated (pt_path_walk) or page base (pt_enumerate) */
    uint64_t page_size;
} pt_path_t;
/* One translation with the location and value of the entry of each level
 * (also when it fails: the levels read so far). */
pt_status_t pt_path_walk(const pt_reader_t *r, page_mode_t mode, addr_t dtb, addr_t va,
                         pt_path_t *out);
/* Calls @fn for every mapped page (va sign-extended, path->pa = page base);
 * @fn returns false to stop.  At most @max_tables tables are read: beyond,
 * PT_BAD_ENTRY (tables that fan out without end).  Tables outside memory
 * are skipped. */
typedef bool (*pt_page_fn)(void *data, addr_t va, const pt_path_t *path);
pt_status_t pt_enumerate(const pt_reader_t *r, page_mode_t mode, addr_t dtb, size_t max_tables,
                         pt_page_fn fn, void *data);

/* @fn through @r's frame translation (r->frames set): the dtb mapped, the
 * tables read in their space, the result mapped back.  The walkers call it
 * first thing; not public API. */
typedef pt_status_t (*pt_translate_fn)(const pt_reader_t *r, addr_t dtb, addr_t va,
                                       pt_result_t *out);
pt_status_t pt_frames_translate(pt_translate_fn fn, const pt_reader_t *r, addr_t dtb, addr_t va,
                                pt_result_t *out);

/* Reads one little-endian page-table entry of @size bytes (4 or 8) at @pa,
 * zero-extended into @entry.  Shared by the walkers; not public API. */
bool pt_read_entry(const pt_reader_t *r, addr_t pa, size_t size, uint64_t *entry);

/* The walker for @mode, or NULL for VMI_PM_UNKNOWN. */
const pt_mode_ops_t *pt_mode_ops(page_mode_t mode);

/* Human-readable text for a status. */
const char *pt_status_str(pt_status_t st);

/* Paging mode implied by control registers: CR0.PG, CR4.PAE (bit 5),
 * CR4.LA57 (bit 12) and EFER.LMA (bit 10, pass lma=true when the guest is
 * in long mode).  VMI_PM_UNKNOWN when paging is off. */
page_mode_t pt_mode_from_regs(uint64_t cr0, uint64_t cr4, bool lma);

/* The walkers behind pt_mode_ops().  The 32-bit ones return
 * PT_NONCANONICAL for a va above 4 GiB; legacy assumes CR4.PSE and honours
 * PSE-36/40 (4 MiB PDE bits 20:13 are physical bits 39:32). */
pt_status_t pt_legacy_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out);
pt_status_t pt_pae_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out);
pt_status_t pt_ia32e_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out);
pt_status_t pt_la57_translate(const pt_reader_t *r, addr_t dtb, addr_t va, pt_result_t *out);

#endif
