/*
 * driver.h - the access-driver seam: one table of operations per way of
 * reaching guest memory (file, kvm, xen).  An empty slot means "this driver
 * cannot do that"; only the core dispatches, and it reports the missing slot
 * as a clear error.
 */
#ifndef VMI_DRIVER_H
#define VMI_DRIVER_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>
#include "libvmi.h"

typedef struct vmi_driver_ops {
    const char *name;       /* "file", "kvm", "xen" */
    int mode;               /* VMI_FILE, VMI_KVM, VMI_XEN (vmi_mode_t) */

    /* Could this driver open @name with @config?  Cheap, no side effects. */
    bool (*probe)(const char *name, GHashTable *config);
    bool (*open)(vmi_instance_t vmi, const char *name, GHashTable *config, GError **error);
    void (*close)(vmi_instance_t vmi);

    /* Fast path: a pointer to guest-physical @pa and the number of bytes
     * readable from it without a break (<= @want).  NULL when @pa is not
     * backed.  Drivers without a mapping leave it empty. */
    uint8_t *(*map)(vmi_instance_t vmi, addr_t pa, size_t want, size_t *avail, bool write);
    /* The pointers map gives cannot fault (not a file that may shrink: Xen
     * foreign mappings hold their frames): copies through them skip the
     * SIGBUS guard's byte-granular copy for a plain memcpy. */
    bool map_never_faults;
    /* Copy path, used when map is empty: bytes read/written from @pa. */
    size_t (*read)(vmi_instance_t vmi, addr_t pa, void *buf, size_t count);
    size_t (*write)(vmi_instance_t vmi, addr_t pa, const void *buf, size_t count);

    /* End of the highest backed guest-physical address + 1. */
    uint64_t (*memsize)(vmi_instance_t vmi);
    /* The first run of guest-physical memory at or above @pa that holds
     * data: [*start, *end) with @pa <= *start < *end; false when there is
     * none.  Left out: the gaps between RAM ranges, the zero-filled tail
     * of an ELF segment, the holes of a sparse snapshot file (they read
     * as zeros: nothing to find there).  Searches and dumps skip holes
     * with it instead of probing every page of the address span.  Empty:
     * all of [0, memsize) holds data. */
    bool (*next_data)(vmi_instance_t vmi, addr_t pa, addr_t *start, addr_t *end);
    /* Bytes of RAM (the ranges summed); memsize when empty. */
    uint64_t (*ram_size)(vmi_instance_t vmi);
    /* Short name of the path in use: "file-raw", "file-elf", "shm", ... */
    const char *(*access_path)(vmi_instance_t vmi);
    /* Path of the file that holds guest RAM (a shared RAM file, a
     * snapshot), NULL when there is none. */
    const char *(*ram_file)(vmi_instance_t vmi);
    /* That file as the driver validated it when it opened it: a new
     * read-only, close-on-exec descriptor (the caller closes it), its
     * device and inode; -1 with @error set when there is none. */
    int (*ram_file_fd)(vmi_instance_t vmi, dev_t *dev, ino_t *ino, GError **error);

    unsigned (*num_vcpus)(vmi_instance_t vmi);
    /* @reg is a register number of libvmi.h (RAX ... MSR_*) */
    bool (*get_vcpureg)(vmi_instance_t vmi, reg_t *value, reg_t reg, unsigned long vcpu,
                        GError **error);
    bool (*set_vcpureg)(vmi_instance_t vmi, reg_t value, reg_t reg, unsigned long vcpu,
                        GError **error);
    /* Hint for paging-mode detection: true when the guest runs in long mode.
     * Returns false when unknown. */
    bool (*get_lma)(vmi_instance_t vmi, bool *lma);

    /* A batch of accesses begins/ends: a driver whose every access stops
     * the guest (gdbstub) stops it once for the batch.  Nested by the core. */
    void (*hold)(vmi_instance_t vmi);
    void (*release)(vmi_instance_t vmi);

    bool (*pause)(vmi_instance_t vmi, GError **error);
    /* Whether the guest runs now (vmi_get_domain_status). */
    bool (*is_running)(vmi_instance_t vmi, bool *running, GError **error);
    bool (*resume)(vmi_instance_t vmi, GError **error);

    bool (*shm_snapshot_create)(vmi_instance_t vmi, GError **error);
    bool (*shm_snapshot_destroy)(vmi_instance_t vmi, GError **error);

    bool (*register_event)(vmi_instance_t vmi, vmi_event_t *event, GError **error);
    bool (*clear_event)(vmi_instance_t vmi, vmi_event_t *event, GError **error);
    bool (*events_listen)(vmi_instance_t vmi, uint32_t timeout_ms, GError **error);
    /* Start/stop single-stepping @vcpu of registered single-step @event. */
    bool (*singlestep_vcpu)(vmi_instance_t vmi, vmi_event_t *event, unsigned vcpu, bool on,
                            GError **error);
    /* Events seen and not yet delivered; empty: 0. */
    int (*events_pending)(vmi_instance_t vmi);

    /* Page tables in machine frames (a Xen PV guest): true when CR3 and the
     * entries of the guest's tables hold frames of another space than the
     * guest-physical one every other call uses.  The core then has the
     * walkers map the dtb with phys_to_machine, read tables through
     * machine_to_phys, and map the page they end on back.  Empty: guest
     * frames (every HVM guest). */
    bool (*machine_frames)(vmi_instance_t vmi);
    bool (*phys_to_machine)(vmi_instance_t vmi, addr_t pa, addr_t *ma);
    bool (*machine_to_phys)(vmi_instance_t vmi, addr_t ma, addr_t *pa);
} vmi_driver_ops_t;

/* The registry, in probing order for VMI_AUTO (fastest, most specific first). */
const vmi_driver_ops_t *const *driver_registry(void);
const vmi_driver_ops_t *driver_for_mode(int mode);

extern const vmi_driver_ops_t file_driver_ops;
#ifdef ENABLE_KVM
extern const vmi_driver_ops_t kvm_driver_ops;
#endif
#ifdef ENABLE_XEN
extern const vmi_driver_ops_t xen_driver_ops;
#endif

#endif
