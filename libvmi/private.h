/*
 * private.h - the instance core: what every layer of the library shares.
 * Nothing here is exported from libvmi.so.
 */
#ifndef VMI_PRIVATE_H
#define VMI_PRIVATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "libvmi.h"
#include "config.h"
#include "arch/pt.h"
#include "driver/driver.h"
#include "os/os.h"

/* ---- the two API generations in one library (see libvmi.map)
 * A name with two signatures has two symbols: the 2013 function bound to
 * NAME@LIBVMI_0.1 (what binaries built before the modern API reference) and
 * the modern one to NAME@@LIBVMI_0.14 (the default a new link gets).  The
 * library's sources are compiled with -DLIBVMI_API_MODERN, so the public
 * names declared in libvmi.h are the modern prototypes (no dispatch); the implementations carry their own
 * names and are bound to the versioned names here.  VMI_MODERN_AS also
 * checks that the implementation has the public prototype. */
#define VMI_PUBLIC __attribute__((visibility("default")))
#define VMI_SYMVER_(impl, versioned) __asm__(".symver " #impl ", " versioned)
/* @impl is NAME@LIBVMI_0.1 (the 2013 signature, for old binaries). */
#define VMI_2013_AS(impl, name) VMI_SYMVER_(impl, #name "@LIBVMI_0.1")
/* @impl is NAME@@LIBVMI_0.14, the default version of @name. */
#define VMI_MODERN_AS(impl, name)                                                       \
    VMI_SYMVER_(impl, #name "@@LIBVMI_0.14");                                           \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&impl), __typeof__(&name)),  \
                   #impl " must have the prototype of " #name)

#define VMI_PAGE_SHIFT 12
#define VMI_PAGE_SIZE  ((addr_t)1 << VMI_PAGE_SHIFT)
#define VMI_PAGE_MASK  (~(VMI_PAGE_SIZE - 1))

/* Bounds that keep a hostile guest from making us loop or allocate. */
#define VMI_MAX_STRING   (64 * 1024)    /* longest guest string we read */
#define VMI_MAX_TASKS    (1 << 20)      /* longest process list we walk */

/* Reads up to this size use the driver's copy path when it has one: the
 * kernel maps 64 KiB around every page touched through a file mapping
 * (fault-around), so page-table entries and task fields read through
 * the mapping would make a process listing's resident set grow by 64 KiB
 * per structure visited. */
#define VMI_SMALL_READ 256

/* Direct-mapped translation cache: (dtb, virtual page) -> physical page.
 * Sized so that the kernel's hot pages and a process's working set fit;
 * a lookup is one index computation and one compare. */
#define V2P_CACHE_BITS 12
#define V2P_CACHE_SIZE (1u << V2P_CACHE_BITS)

typedef struct v2p_entry {
    addr_t dtb;
    addr_t vpage;       /* va >> 12, plus 1 so that 0 means empty */
    addr_t ppage;       /* pa & ~0xfff */
} v2p_entry_t;

struct vmi_instance {
    char *name;                 /* domain name or snapshot path */
    int mode;                   /* VMI_FILE / VMI_KVM / VMI_XEN (vmi_mode_t) */
    uint32_t flags;             /* init flags */
    uint64_t domid;
    bool init_complete;

    GHashTable *config;         /* key -> config_value_t* (owned) */
    char *config_origin;        /* for error messages */

    const vmi_driver_ops_t *driver;
    void *driver_data;

    page_mode_t page_mode;
    const pt_mode_ops_t *pt;
    pt_reader_t reader;         /* physical reads for the walkers */
    uint8_t address_width;
    addr_t kdtb;                /* kernel page directory (physical) */

    os_t os_type;
    const vmi_os_ops_t *os;
    void *os_data;

    v2p_entry_t *v2p;           /* V2P_CACHE_SIZE entries */
    /* the last region the driver mapped for reading: sequential reads of
     * one region skip the driver call */
    uint8_t *memo_ptr;
    addr_t memo_pa;
    size_t memo_len;
    GHashTable *pid_cache;      /* pid -> dtb */
    GHashTable *sym_cache;      /* "base:pid:sym" -> va */
    GHashTable *rva_cache;      /* "base:pid:rva" -> sym */

    /* the last translation that failed (vmi_get_last_pagetable_lookup_fault) */
    access_context_t last_fault;
    bool last_fault_valid;

    char *last_error;
    vmi_error_code_t last_error_code;
    unsigned error_serial;      /* errors recorded so far */
    unsigned hold_depth;        /* nesting of vmi_hold() */
    /* Set (from any thread) by a driver whose guest went away (QEMU
     * exited): every access fails from then on with @gone_reason. */
    volatile gint gone;
    char *gone_reason;
    struct vmi_events *events;  /* registered events (events.c), NULL if none yet */
};

/* ---- errors (errors.c) */
/* Record @error as the instance's last error and log it; frees @error. */
void vmi_set_error(vmi_instance_t vmi, GError *error);
/* printf-style variant */
void vmi_errorf(vmi_instance_t vmi, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
GQuark vmi_error_quark(void);
#define VMI_ERROR (vmi_error_quark())
/* The GError codes of domain VMI_ERROR are the public vmi_error_code_t
 * values (libvmi.h), one for one: vmi_set_error() keeps error->code. */
#define VMI_ERROR_FAILED      VMI_ERR_FAILED
#define VMI_ERROR_UNSUPPORTED VMI_ERR_UNSUPPORTED
#define VMI_ERROR_INVALID     VMI_ERR_INVALID
#define VMI_ERROR_NOT_FOUND   VMI_ERR_NOT_FOUND
#define VMI_ERROR_IO          VMI_ERR_IO
#define VMI_ERROR_CORRUPT     VMI_ERR_CORRUPT
#define VMI_ERROR_GONE        VMI_ERR_GONE
#define VMI_ERROR_PERMISSION  VMI_ERR_PERMISSION
#define VMI_ERROR_TIMEOUT     VMI_ERR_TIMEOUT
/* printf-style, with a kind */
void vmi_errorc(vmi_instance_t vmi, vmi_error_code_t code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The number of errors recorded on @vmi so far: a caller that wants to add
 * a generic error only when nothing below it said more compares two. */
static inline unsigned vmi_error_serial(vmi_instance_t vmi)
{
    return vmi->error_serial;
}
/* Reports that the driver lacks @what, once per call. */
void vmi_unsupported(vmi_instance_t vmi, const char *what);

/* ---- config helpers (core.c) */
const config_value_t *vmi_config_get(GHashTable *config, const char *key);
bool vmi_config_get_num(GHashTable *config, const char *key, uint64_t *value);
const char *vmi_config_get_str(GHashTable *config, const char *key);

/* ---- memory (memory.c) */
/* Physical reads used inside the library: true when all bytes were read. */
bool vmi_read_pa_all(vmi_instance_t vmi, addr_t pa, void *buf, size_t count);
/* The same for scans of many MiB (kallsyms, BTF): through the driver's copy
 * path when it has one, so the pages read do not join the resident set. */
bool vmi_read_pa_stream(vmi_instance_t vmi, addr_t pa, void *buf, size_t count);
bool vmi_read_va_all(vmi_instance_t vmi, addr_t dtb, addr_t va, void *buf, size_t count);
/* The driver's next_data (see driver.h), [pa, memsize) when it has none;
 * sets no error. */
bool vmi_next_data(vmi_instance_t vmi, addr_t pa, addr_t *start, addr_t *end);
/* Reader for the page-table walkers. */
bool vmi_pt_read(void *opaque, addr_t pa, void *buf, size_t len);

/* ---- access targets (memory.c): where an access goes, resolved once from
 * a pid or an access context. */
typedef struct vmi_target {
    bool virt;                  /* translate through @dtb (else physical) */
    const pt_mode_ops_t *pt;    /* a walker other than the instance's, or NULL */
    addr_t dtb;
} vmi_target_t;
bool vmi_target_pid(vmi_instance_t vmi, vmi_pid_t pid, vmi_target_t *t);
/* Resolves @ctx (symbol, pid, version, paging mode); the address to *@addr. */
bool vmi_target_ctx(vmi_instance_t vmi, const access_context_t *ctx, vmi_target_t *t,
                    addr_t *addr);
/* Bytes read/written at @addr of @t; stops at the first page it cannot reach. */
size_t vmi_access(vmi_instance_t vmi, const vmi_target_t *t, addr_t addr, void *buf, size_t count,
                  bool write);

/* ---- translation (translate.c) */
/* Remembers a failed translation for vmi_get_last_pagetable_lookup_fault(). */
void vmi_note_fault(vmi_instance_t vmi, addr_t dtb, page_mode_t mode, addr_t va);
/* Translate through @dtb with the instance's page mode and cache. */
bool vmi_v2p(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *pa, GError **error);
/* Set the paging mode (fills pt, address width). */
void vmi_set_page_mode(vmi_instance_t vmi, page_mode_t mode);
/* dtb for @pid: 0 means kernel. */
bool vmi_dtb_for_pid(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error);

/* ---- PE images (peparse.c): the export table of the image at @base */
bool vmi_pe_export_rva(vmi_instance_t vmi, const vmi_target_t *t, addr_t base, const char *name,
                       addr_t *rva);
bool vmi_pe_export_name(vmi_instance_t vmi, const vmi_target_t *t, addr_t base, addr_t rva,
                        char **name);
/* page_info_t from a walk (translate.c) */
void vmi_page_info_from_path(page_info_t *info, page_mode_t mode, addr_t pt, addr_t va,
                             const pt_path_t *p);

/* ---- caches (cache.c) */
void v2p_cache_init(vmi_instance_t vmi);
void v2p_cache_free(vmi_instance_t vmi);
static inline bool v2p_cache_get(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *pa)
{
    addr_t vpage = (va >> VMI_PAGE_SHIFT) + 1;
    const v2p_entry_t *e = &vmi->v2p[(vpage ^ (dtb >> 12) * 0x9e37u) & (V2P_CACHE_SIZE - 1)];
    if (e->vpage == vpage && e->dtb == dtb) {
        *pa = e->ppage | (va & ~VMI_PAGE_MASK);
        return true;
    }
    return false;
}
static inline void v2p_cache_put(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t pa)
{
    addr_t vpage = (va >> VMI_PAGE_SHIFT) + 1;
    v2p_entry_t *e = &vmi->v2p[(vpage ^ (dtb >> 12) * 0x9e37u) & (V2P_CACHE_SIZE - 1)];
    e->dtb = dtb;
    e->vpage = vpage;
    e->ppage = pa & VMI_PAGE_MASK;
}
void caches_init(vmi_instance_t vmi);
void caches_free(vmi_instance_t vmi);

/* ---- a guest that went away (core.c): drivers call vmi_set_gone() from
 * any thread; the access paths check vmi->gone (one load). */
void vmi_set_gone(vmi_instance_t vmi, const char *reason);
bool vmi_check_gone(vmi_instance_t vmi);
/* The same into @error: a walk or a lookup that failed because the guest
 * went away meanwhile says so (not "outside readable memory"). */
bool vmi_gone_error(vmi_instance_t vmi, GError **error);

/* ---- batches (core.c): a driver whose accesses stop the guest keeps it
 * stopped from the outermost hold to the matching release. */
void vmi_hold(vmi_instance_t vmi);
void vmi_release(vmi_instance_t vmi);
/* Kernel virtual address of physical @pa (for events on physical addresses). */
bool vmi_kernel_p2v(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error);
/* Every kernel mapping of @pa (image, direct map), up to @max: how many
 * (0 with @error set). */
size_t vmi_kernel_p2v_all(vmi_instance_t vmi, addr_t pa, addr_t *vas, size_t max,
                          GError **error);
/* Kernel symbol @name (KASLR applied), through the OS layer. */
bool vmi_kernel_symbol(vmi_instance_t vmi, const char *name, addr_t *va, GError **error);

/* ---- the modern functions of names with two versions, by their own names
 * (a call inside the library must not depend on which version the plain
 * name binds to) */
status_t vmi_get_vcpureg_v14(vmi_instance_t vmi, uint64_t *value, reg_t reg, unsigned long vcpu);
status_t vmi_set_vcpureg_v14(vmi_instance_t vmi, uint64_t value, reg_t reg, unsigned long vcpu);

/* ---- the 2013 API's numbers (compat2013.c) */
/* A register number of the 2013 enum (what old binaries pass) as the
 * number of this header; ~0 when there is none. */
reg_t vmi_reg_from_2013(uint32_t reg);

/* What an init asks for, whichever generation's flags said it. */
typedef struct vmi_init_request {
    int mode;               /* VMI_AUTO or VMI_XEN, VMI_KVM, VMI_FILE, VMI_BAREFLANK */
    bool complete;          /* paging and the OS layer too */
    bool events;
    bool shm_snapshot;
    bool no_config;         /* VMI_CONFIG_NONE */
    uint64_t domid;         /* VMI_INVALID_DOMID unless opened by ID */
} vmi_init_request_t;
/* Opens @name as @req says (core.c); the config is read from the global
 * file unless @config is given (then owned by the instance). */
bool vmi_init_request(vmi_instance_t *out, const vmi_init_request_t *req, const char *name,
                      GHashTable *config, char *origin, GError **error);
/* The configuration given as @kind (a VMI_CONFIG_* of this header) and
 * @config, for the guest @name; NULL with @error unset when there is none
 * (VMI_CONFIG_GLOBAL_FILE_ENTRY without entry). */
GHashTable *vmi_config_load(vmi_config_t kind, const void *config, const char *name, char **origin,
                            GError **error);
/* The guest a custom configuration names (name, path or domid); NULL when none. */
char *vmi_config_guest_name(GHashTable *config);
/* Finishes a partial instance with @config (NULL: keep its own). */
bool vmi_init_finish(vmi_instance_t vmi, GHashTable *config, char *origin, bool shm_snapshot,
                     GError **error);

/* ---- events (events.c) */
void events_free(vmi_instance_t vmi);
/* A driver calls this when @event fired, its OUT fields filled: runs the
 * callback as the event's generation (and layout) says and returns the
 * modern callback's response (VMI_EVENT_RESPONSE_NONE for a classic one).
 * The event may have been cleared when it returns (the memory stays valid
 * until the listen ends). */
event_response_t vmi_event_deliver(vmi_instance_t vmi, vmi_event_t *event);
/* False with @error naming the flags of @rsp outside @honoured. */
bool vmi_event_check_response(vmi_event_t *event, event_response_t rsp, event_response_t honoured,
                              const char *driver, GError **error);
/* "memory", "single-step", ... */
const char *vmi_event_type_name(vmi_event_type_t type);
/* Whether @event was registered by a program of the modern API. */
static inline bool vmi_event_is_modern(const vmi_event_t *event)
{
    return event->version != 0;
}

#endif
