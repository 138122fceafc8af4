/*
 * xen_libs.c - loading the Xen libraries by their versioned sonames, and the
 * release shim.
 */
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>
#include "private.h"
#include "xen_libs.h"

/* Sonames: libxenctrl's changes with every release (its API is not
 * stable), the others are stable libraries. */
static const xen_release_t releases[] = {
    { "4.16", "libxenctrl.so.4.16", false, 0x00000007 },
    { "4.17", "libxenctrl.so.4.17", false, 0x00000007 },
    { "4.18", "libxenctrl.so.4.18", true, 0x00000007 },
    { "4.19", "libxenctrl.so.4.19", true, 0x00000007 },
    { "4.20", "libxenctrl.so.4.20", true, 0x00000007 },
    { NULL, NULL, false, 0 },
};

const xen_release_t *xen_shim_releases(void)
{
    return releases;
}

const xen_release_t *xen_shim_release_for(const char *soname)
{
    for (const xen_release_t *r = releases; r->version; r++)
        if (strcmp(r->ctrl_soname, soname) == 0)
            return r;
    return NULL;
}

bool xen_shim_bind(xen_libs_t *L, const xen_release_t *rel, xen_sym_fn sym, void *handle,
                   GError **error)
{
    L->release = rel;
    L->xc_domain_getinfo_single = NULL;
    if (rel->getinfo_single) {
        L->xc_domain_getinfo_single = sym(handle, "xc_domain_getinfo_single");
        if (!L->xc_domain_getinfo_single) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                        "%s lacks xc_domain_getinfo_single, which Xen %s has: not the release "
                        "its soname says", rel->ctrl_soname, rel->version);
            return false;
        }
    }
    return true;
}

int xen_shim_domaininfo(const xen_libs_t *L, xc_interface *xch, uint32_t domid,
                        xc_domaininfo_t *info)
{
    if (L->xc_domain_getinfo_single)
        return L->xc_domain_getinfo_single(xch, domid, info) < 0 ? -1 : 0;
    /* getinfolist starts at @domid and returns the next domain that
     * exists: a domain that went away shows as another one */
    int n = L->xc_domain_getinfolist(xch, domid, 1, info);
    if (n != 1 || info->domain != domid)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ loading */

static void *load_one(const char *soname, GString *tried)
{
    const char *dir = g_getenv("LIBVMI_XEN_LIBDIR");
    g_autofree char *path = dir ? g_build_filename(dir, soname, NULL) : g_strdup(soname);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", e ? e : path);
    }
    return h;
}

static void *sym_dlsym(void *handle, const char *name)
{
    return dlsym(handle, name);
}

#define BIND(h, fn)                                                         \
    do {                                                                    \
        *(void **)&L->fn = dlsym(h, #fn);                                   \
        if (!L->fn) {                                                       \
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", #fn); \
        }                                                                   \
    } while (0)

static void libs_close(xen_libs_t *L)
{
    void *hs[] = { L->h_evtchn, L->h_store, L->h_fmem, L->h_ctrl, L->h_toollog };
    for (size_t i = 0; i < G_N_ELEMENTS(hs); i++)
        if (hs[i])
            dlclose(hs[i]);
    memset(L, 0, sizeof(*L));
}

static bool libs_load(xen_libs_t *L, GError **error)
{
    g_autoptr(GString) tried = g_string_new(NULL);
    g_autoptr(GString) missing = g_string_new(NULL);
    const char *dir = g_getenv("LIBVMI_XEN_LIBDIR");
    const char *where = dir ? dir : "the library path";

    /* libxentoollog first: libxenctrl needs it; loaded by name so that a
     * missing one is reported by its own name */
    L->h_toollog = load_one("libxentoollog.so.1", tried);
    if (!L->h_toollog) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "cannot load the Xen library libxentoollog.so.1 from %s (%s); the Xen "
                    "tools' libraries must be installed to open a Xen domain (Debian: "
                    "libxentoollog1)", where, tried->str);
        libs_close(L);
        return false;
    }
    /* the release libvmi was built against first, then the others */
    const xen_release_t *rel = NULL;
    const xen_release_t *built = xen_shim_release_for("libxenctrl.so." XEN_BUILD_RELEASE);
    if (built && (L->h_ctrl = load_one(built->ctrl_soname, tried)))
        rel = built;
    for (const xen_release_t *r = releases; !rel && r->version; r++)
        if (r != built && (L->h_ctrl = load_one(r->ctrl_soname, tried)))
            rel = r;
    if (!rel) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                    "cannot load libxenctrl (tried the sonames of Xen 4.16 to 4.20 in %s: %s); "
                    "the Xen tools' libraries must be installed to open a Xen domain "
                    "(Debian: libxenmisc" XEN_BUILD_RELEASE ")", where, tried->str);
        libs_close(L);
        return false;
    }
    static const char *const stable[][3] = {
        { "libxenforeignmemory.so.1", NULL },
        { "libxenstore.so.4", "libxenstore.so.3.0" },
    };
    void **hs[] = { &L->h_fmem, &L->h_store };
    for (size_t i = 0; i < G_N_ELEMENTS(stable); i++) {
        for (size_t j = 0; !*hs[i] && stable[i][j]; j++)
            *hs[i] = load_one(stable[i][j], tried);
        if (!*hs[i]) {
            g_set_error(error, VMI_ERROR, VMI_ERROR_NOT_FOUND,
                        "cannot load the Xen library %s from %s (%s); it is needed to open a "
                        "Xen domain (Debian: libxen%s1 / libxenmisc" XEN_BUILD_RELEASE ")",
                        stable[i][0], where, tried->str, i == 0 ? "foreignmemory" : "store");
            libs_close(L);
            return false;
        }
    }
    /* events only */
    L->h_evtchn = load_one("libxenevtchn.so.1", tried);

    BIND(L->h_ctrl, xc_interface_open);
    BIND(L->h_ctrl, xc_interface_close);
    BIND(L->h_ctrl, xc_domain_getinfolist);
    BIND(L->h_ctrl, xc_domain_get_guest_width);
    BIND(L->h_ctrl, xc_domain_maximum_gpfn);
    BIND(L->h_ctrl, xc_domain_pause);
    BIND(L->h_ctrl, xc_domain_unpause);
    BIND(L->h_ctrl, xc_vcpu_getcontext);
    BIND(L->h_ctrl, xc_vcpu_setcontext);
    BIND(L->h_ctrl, xc_domain_hvm_getcontext);
    BIND(L->h_ctrl, xc_domain_hvm_getcontext_partial);
    BIND(L->h_ctrl, xc_domain_hvm_setcontext);
    BIND(L->h_ctrl, xc_monitor_enable);
    BIND(L->h_ctrl, xc_monitor_get_capabilities);
    BIND(L->h_ctrl, xc_monitor_disable);
    BIND(L->h_ctrl, xc_monitor_resume);
    BIND(L->h_ctrl, xc_monitor_write_ctrlreg);
    BIND(L->h_ctrl, xc_monitor_singlestep);
    BIND(L->h_ctrl, xc_monitor_software_breakpoint);
    BIND(L->h_ctrl, xc_set_mem_access);
    BIND(L->h_ctrl, xc_domain_debug_control);
    BIND(L->h_ctrl, xc_hvm_inject_trap);
    BIND(L->h_fmem, xenforeignmemory_open);
    BIND(L->h_fmem, xenforeignmemory_close);
    BIND(L->h_fmem, xenforeignmemory_map);
    BIND(L->h_fmem, xenforeignmemory_unmap);
    BIND(L->h_store, xs_open);
    BIND(L->h_store, xs_close);
    BIND(L->h_store, xs_read);
    BIND(L->h_store, xs_directory);
    if (missing->len) {
        g_set_error(error, VMI_ERROR, VMI_ERROR_UNSUPPORTED,
                    "the Xen %s libraries lack functions libvmi needs: %s", rel->version,
                    missing->str);
        libs_close(L);
        return false;
    }
    if (L->h_evtchn) {
        g_string_truncate(missing, 0);
        BIND(L->h_evtchn, xenevtchn_open);
        BIND(L->h_evtchn, xenevtchn_close);
        BIND(L->h_evtchn, xenevtchn_fd);
        BIND(L->h_evtchn, xenevtchn_bind_interdomain);
        BIND(L->h_evtchn, xenevtchn_unbind);
        BIND(L->h_evtchn, xenevtchn_pending);
        BIND(L->h_evtchn, xenevtchn_unmask);
        BIND(L->h_evtchn, xenevtchn_notify);
        if (missing->len)
            L->xenevtchn_open = NULL;   /* no events, the rest works */
    }
    if (!xen_shim_bind(L, rel, sym_dlsym, L->h_ctrl, error)) {
        libs_close(L);
        return false;
    }
    g_debug("Xen libraries of release %s loaded%s", rel->version,
            L->xenevtchn_open ? "" : " (no libxenevtchn: no events)");
    return true;
}

G_LOCK_DEFINE_STATIC(libs);
static xen_libs_t libs;
static bool libs_ok;

const xen_libs_t *xen_libs_get(GError **error)
{
    G_LOCK(libs);
    if (!libs_ok)
        libs_ok = libs_load(&libs, error);
    G_UNLOCK(libs);
    return libs_ok ? &libs : NULL;
}

bool xen_is_dom0(void)
{
    g_autofree char *caps = NULL;
    if (g_file_get_contents("/proc/xen/capabilities", &caps, NULL, NULL) &&
        strstr(caps, "control_d"))
        return true;
    return access("/dev/xen/privcmd", F_OK) == 0;
}
