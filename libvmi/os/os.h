/*
 * os.h - the OS-layer seam: finds the kernel (and its KASLR slide), its
 * symbols and its processes.  One table per guest OS.
 */
#ifndef VMI_OS_H
#define VMI_OS_H

#include <glib.h>
#include <stdbool.h>
#include "libvmi.h"

typedef struct vmi_os_ops {
    const char *name;
    os_t type;
    /* Locate the kernel: paging mode (if still unknown), kernel page
     * directory, symbol slide.  Fills vmi->page_mode/kdtb. */
    bool (*init)(vmi_instance_t vmi, GHashTable *config, GError **error);
    void (*destroy)(vmi_instance_t vmi);
    bool (*ksym2v)(vmi_instance_t vmi, const char *symbol, addr_t *va, GError **error);
    /* Nearest symbol at or below @va: name (static storage of the OS layer). */
    const char *(*v2ksym)(vmi_instance_t vmi, addr_t va);
    /* A kernel virtual address that maps physical @pa (image or direct map). */
    bool (*kernel_p2v)(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error);
    bool (*pid_to_dtb)(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error);
    bool (*dtb_to_pid)(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid, GError **error);
    bool (*processes)(vmi_instance_t vmi, vmi_process_t **list, size_t *count, GError **error);
    bool (*get_offset)(vmi_instance_t vmi, const char *name, uint64_t *value);
    addr_t (*kaslr_offset)(vmi_instance_t vmi);
} vmi_os_ops_t;

extern const vmi_os_ops_t linux_os_ops;

#endif
