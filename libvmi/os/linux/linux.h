/*
 * linux.h - the Linux OS layer's private state.
 */
#ifndef VMI_LINUX_H
#define VMI_LINUX_H

#include "private.h"
#include "sysmap.h"

typedef struct linux_data {
    sysmap_t *sysmap;
    /* struct offsets from the configuration (linux_tasks ... linux_pgd) */
    uint64_t off_tasks, off_mm, off_pid, off_name, off_pgd;
    bool has_offsets;
    /* where the kernel is */
    addr_t map_text;        /* _text in System.map (unrelocated) */
    addr_t slide;           /* virtual KASLR slide: runtime - System.map */
    addr_t phys_text;       /* physical address of _text */
    addr_t init_task;       /* runtime virtual address of init_task */
    bool is64;
} linux_data_t;

static inline linux_data_t *linux_data(vmi_instance_t vmi)
{
    return vmi->os_data;
}

/* linux_kaslr.c: finds paging mode, kernel page directory, and the
 * physical and virtual location of the kernel. */
bool linux_find_kernel(vmi_instance_t vmi, linux_data_t *ld, GHashTable *config, GError **error);

/* linux_process.c */
bool linux_check_offsets(vmi_instance_t vmi, linux_data_t *ld, GError **error);
bool linux_processes(vmi_instance_t vmi, vmi_process_t **list, size_t *count, GError **error);
bool linux_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error);
bool linux_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid, GError **error);

#endif
