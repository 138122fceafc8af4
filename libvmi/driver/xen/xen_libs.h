/*
 * xen_libs.h - the Xen libraries, loaded with dlopen when a Xen domain is
 * opened (libvmi.so itself needs none of them), and the one place that
 * knows how libxenctrl differs between releases (the shim).
 *
 * The prototypes are Xen's own (from libxen-dev's headers, through
 * __typeof__), so a call through the table is type checked like a direct
 * one.  LIBVMI_XEN_LIBDIR, when set, is the only directory libraries are
 * loaded from (tests use it to hide a library).
 */
#ifndef VMI_XEN_LIBS_H
#define VMI_XEN_LIBS_H

#include <glib.h>
#include <stdbool.h>
#define XC_WANT_COMPAT_MAP_FOREIGN_API
#define XC_WANT_COMPAT_DEVICEMODEL_API
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xenevtchn.h>

#define XEN_FN(name) __typeof__(name) *name

/* A libxenctrl release the shim knows. */
typedef struct xen_release {
    const char *version;        /* "4.17" */
    const char *ctrl_soname;    /* libxenctrl.so.4.17 */
    /* xc_domain_getinfo_single exists (4.18 on; xc_domain_getinfo went) */
    bool getinfo_single;
    uint32_t vm_event_version;  /* VM_EVENT_INTERFACE_VERSION of the release */
} xen_release_t;

typedef struct xen_libs {
    const xen_release_t *release;
    void *h_ctrl, *h_fmem, *h_store, *h_evtchn, *h_toollog;

    XEN_FN(xc_interface_open);
    XEN_FN(xc_interface_close);
    XEN_FN(xc_domain_getinfolist);
    /* 4.18 on; NULL before (the shim uses getinfolist) */
    int (*xc_domain_getinfo_single)(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info);
    XEN_FN(xc_domain_get_guest_width);
    XEN_FN(xc_domain_maximum_gpfn);
    XEN_FN(xc_domain_pause);
    XEN_FN(xc_domain_unpause);
    XEN_FN(xc_vcpu_getcontext);
    XEN_FN(xc_vcpu_setcontext);
    XEN_FN(xc_domain_hvm_getcontext);
    XEN_FN(xc_domain_hvm_getcontext_partial);
    XEN_FN(xc_domain_hvm_setcontext);
    XEN_FN(xc_monitor_enable);
    XEN_FN(xc_monitor_get_capabilities);
    XEN_FN(xc_monitor_disable);
    XEN_FN(xc_monitor_resume);
    XEN_FN(xc_monitor_write_ctrlreg);
    XEN_FN(xc_monitor_singlestep);
    XEN_FN(xc_monitor_software_breakpoint);
    XEN_FN(xc_set_mem_access);
    XEN_FN(xc_domain_debug_control);
    XEN_FN(xc_hvm_inject_trap);

    XEN_FN(xenforeignmemory_open);
    XEN_FN(xenforeignmemory_close);
    XEN_FN(xenforeignmemory_map);
    XEN_FN(xenforeignmemory_unmap);

    XEN_FN(xs_open);
    XEN_FN(xs_close);
    XEN_FN(xs_read);
    XEN_FN(xs_directory);

    /* events only: NULL when libxenevtchn is missing */
    XEN_FN(xenevtchn_open);
    XEN_FN(xenevtchn_close);
    XEN_FN(xenevtchn_fd);
    XEN_FN(xenevtchn_bind_interdomain);
    XEN_FN(xenevtchn_unbind);
    XEN_FN(xenevtchn_pending);
    XEN_FN(xenevtchn_unmask);
    XEN_FN(xenevtchn_notify);
} xen_libs_t;

/* The releases the shim knows, newest last; the table ends with a NULL
 * version. */
const xen_release_t *xen_shim_releases(void);
/* The release whose libxenctrl soname is @soname, or NULL. */
const xen_release_t *xen_shim_release_for(const char *soname);
/* Looks a symbol up (dlsym in real use; a table in the tests). */
typedef void *(*xen_sym_fn)(void *handle, const char *name);
/* Fills the release-dependent slots of @L for @rel from @sym; false with
 * @error naming the missing function. */
bool xen_shim_bind(xen_libs_t *L, const xen_release_t *rel, xen_sym_fn sym, void *handle,
                   GError **error);
/* The domain's info, whichever call the release has. */
int xen_shim_domaininfo(const xen_libs_t *L, xc_interface *xch, uint32_t domid,
                        xc_domaininfo_t *info);

/* The loaded libraries (loaded on the first call; a failure is not
 * remembered, so a later call may succeed); NULL with @error naming the
 * missing library. */
const xen_libs_t *xen_libs_get(GError **error);
/* Whether this is a Xen control domain (dom0): /proc/xen/capabilities says
 * control_d, or /dev/xen/privcmd exists. */
bool xen_is_dom0(void);

#endif
