/*
 * xen.h - the xen access driver's state, shared by its files.
 */
#ifndef VMI_XEN_H
#define VMI_XEN_H

#include "private.h"
#include "xen_libs.h"
#include "xen_mapcache.h"
#include "xen_p2m.h"

typedef struct xen_snapshot {
    uint8_t *mem;           /* max_pfn pages */
    uint64_t pages;
    uint8_t *absent;        /* one byte per page: 1 = did not map */
    double pause_s;         /* how long the domain was paused for the copy */
    double prefault_s;      /* faulting the copy's memory in, before the pause */
} xen_snapshot_t;

typedef struct xen_data {
    const xen_libs_t *L;
    xc_interface *xch;
    xenforeignmemory_handle *fmem;
    uint32_t domid;
    bool pv;
    unsigned width;         /* 4 or 8 */
    unsigned vcpus;
    bool writable;
    uint64_t tot_pages;     /* when last looked at (ballooning) */
    gint64 checked_at;      /* monotonic µs of the last look */
    uint64_t limit_pfn;     /* pages the domain can have frames at */
    xen_mapcache_t *cache;
    vmi_instance_t vmi;
    /* PV */
    uint64_t shinfo_mfn;
    uint8_t *shinfo;        /* mapped read-only */
    xen_p2m_t *p2m;
    unsigned pauses;        /* our pauses not yet undone */
    xen_snapshot_t *snap;
    struct xen_events *ev;  /* xen_events.c */
} xen_data_t;

static inline xen_data_t *xen_data(vmi_instance_t vmi)
{
    return vmi->driver_data;
}

/* Looks at the domain's memory at most every XEN_CHECK_US: when Xen says its
 * pages changed (ballooning) or a PV guest's p2m generation moved, mappings
 * of changed frames are dropped (xen.c). */
#define XEN_CHECK_US 50000
void xen_memory_check(vmi_instance_t vmi, bool now);

/* Pause bookkeeping that survives a crash (xen.c): every pause is recorded
 * so that an exit or a fatal signal unpauses what we paused. */
bool xen_pause_domain(xen_data_t *x, GError **error);
bool xen_unpause_domain(xen_data_t *x, GError **error);

/* xen_events.c */
bool xen_register_event(vmi_instance_t vmi, vmi_event_t *event, GError **error);
bool xen_clear_event(vmi_instance_t vmi, vmi_event_t *event, GError **error);
bool xen_events_listen(vmi_instance_t vmi, uint32_t timeout_ms, GError **error);
bool xen_singlestep_vcpu(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                         GError **error);
void xen_events_close(vmi_instance_t vmi);
/* The exit/fatal-signal path: every ring of this process detached. */
void xen_events_emergency(void);

#endif
