/*
 * xen_p2m.h - a Xen PV guest's physical-to-machine map, read from the
 * guest (pure: no Xen library, unit tested against synthetic frames).
 *
 * A PV guest's page tables and CR3 hold machine frames (MFNs), while the
 * addresses a user means (and the OS layer computes) are the guest's
 * pseudo-physical ones.  The guest publishes its pfn -> mfn list in the
 * shared-info page (arch.max_pfn, and either the 3-level frame list
 * anchored at pfn_to_mfn_frame_list_list or the linear list at p2m_vaddr,
 * mapped by the page tables at p2m_cr3).  Everything here is guest
 * controlled: max_pfn is bounded by the caller's limit, every frame read
 * may fail, and entries that are not plain RAM frames are dropped.
 */
#ifndef VMI_XEN_P2M_H
#define VMI_XEN_P2M_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "arch/pt.h"

#define XEN_PAGE_SHIFT 12
#define XEN_PAGE_SIZE 4096u
#define XEN_INVALID_MFN (~(uint64_t)0)
/* Linux's p2m marks: a frame granted by another domain, a 1:1 (I/O) frame */
#define XEN_P2M_FOREIGN_BIT  (1ULL << 63)
#define XEN_P2M_IDENTITY_BIT (1ULL << 62)
/* Machine frames above this cannot exist (52-bit physical addresses). */
#define XEN_MAX_MFN ((1ULL << 40) - 1)
/* 3 levels of 512 entries: what the frame-list tree can describe. */
#define XEN_P2M_FLL_MAX_PFN (512ULL * 512 * 512)

/* The shared-info page of a 64-bit PV guest: where arch_shared_info is
 * (32 vcpu_info of 64 bytes, 2 event bitmaps of 512 bytes, 4 wallclock
 * words; checked against Xen's headers in xen.c). */
#define XEN_SHINFO_ARCH_OFFSET 3088

typedef struct xen_pv_shinfo {
    uint64_t max_pfn;
    uint64_t fll_mfn;           /* pfn_to_mfn_frame_list_list: 0 unset, ~0 invalid */
    uint64_t p2m_cr3;           /* xen_pfn_to_cr3 format (64-bit: mfn << 12) */
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
} xen_pv_shinfo_t;

/* Decodes the arch part of a shared-info page (@len bytes at @page). */
bool xen_shinfo_parse(const uint8_t *page, size_t len, xen_pv_shinfo_t *out, GError **error);

typedef struct xen_m2p_pair {
    uint64_t mfn;
    uint64_t pfn;
} xen_m2p_pair_t;

typedef struct xen_p2m {
    uint64_t max_pfn;           /* entries in @p2m */
    uint64_t *p2m;              /* pfn -> mfn, XEN_INVALID_MFN when none */
    xen_m2p_pair_t *m2p;        /* sorted by mfn */
    size_t m2p_len;
    uint64_t generation;        /* p2m_generation when it was read */
    bool linear;                /* read from the linear list (else the frame tree) */
} xen_p2m_t;

/* Reads the p2m described by @si through @machine (machine addresses).
 * @limit_pfn bounds max_pfn (what Xen says the domain can have); a larger
 * max_pfn is a corrupt (or hostile) shared-info page. */
xen_p2m_t *xen_p2m_read(const pt_reader_t *machine, const xen_pv_shinfo_t *si, uint64_t limit_pfn,
                        GError **error);
/* Builds the p2m from an array (tests, and the readers above). */
xen_p2m_t *xen_p2m_from_array(const uint64_t *entries, uint64_t n);
void xen_p2m_free(xen_p2m_t *p);

/* pfn -> mfn; false for a pfn beyond max_pfn or without a frame. */
bool xen_p2m_to_mfn(const xen_p2m_t *p, uint64_t pfn, uint64_t *mfn);
/* mfn -> pfn, through the inverse of the same list. */
bool xen_p2m_to_pfn(const xen_p2m_t *p, uint64_t mfn, uint64_t *pfn);

#endif
