/*
 * os.h - the OS-layer seam: finds the kernel (and its KASLR slide), its
 * symbols and its processes.  One table per guest OS, kept in a registry
 * (os.c) that the core probes like the driver registry: the core never
 * names an OS.  An empty slot means "this OS layer cannot do that"; the
 * core reports it naming the layer.
 */
#ifndef VMI_OS_H
#define VMI_OS_H

#include <glib.h>
#include <stdbool.h>
#include "libvmi.h"

typedef struct vmi_os_ops {
    const char *name;
    os_t type;
    /* Does @ostype (the configuration's value) name this layer? */
    bool (*matches)(const char *ostype);
    /* Find the kernel: paging mode (if still unknown), kernel page
     * directory, symbols, offsets.  Fills vmi->page_mode/kdtb.  With
     * @probing, nothing in the configuration named this layer: it looks
     * for its kernel in memory and fails without side effects. */
    bool (*init)(vmi_instance_t vmi, GHashTable *config, bool probing, GError **error);
    void (*destroy)(vmi_instance_t vmi);
    bool (*ksym2v)(vmi_instance_t vmi, const char *symbol, addr_t *va, GError **error);
    /* Symbol exactly at @va: name (owned by the instance), or NULL. */
    const char *(*v2ksym)(vmi_instance_t vmi, addr_t va);
    /* Nearest symbol at or below @va: name into @buf, its address. */
    bool (*v2ksym_nearest)(vmi_instance_t vmi, addr_t va, char *buf, size_t size, addr_t *sym_va,
                           GError **error);
    /* A kernel virtual address that maps physical @pa (image or direct map). */
    bool (*kernel_p2v)(vmi_instance_t vmi, addr_t pa, addr_t *va, GError **error);
    /* Every kernel virtual address that maps @pa (up to @max): how many. */
    size_t (*kernel_aliases)(vmi_instance_t vmi, addr_t pa, addr_t *vas, size_t max);
    bool (*pid_to_dtb)(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb, GError **error);
    bool (*dtb_to_pid)(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid, GError **error);
    bool (*processes)(vmi_instance_t vmi, vmi_process_t **list, size_t *count, GError **error);
    bool (*get_offset)(vmi_instance_t vmi, const char *name, uint64_t *value);
    bool (*struct_offset)(vmi_instance_t vmi, const char *type, const char *member, uint64_t *off,
                          GError **error);
    addr_t (*kaslr_offset)(vmi_instance_t vmi);
    /* The kernel's version string (newly allocated). */
    char *(*kernel_version)(vmi_instance_t vmi, GError **error);
    /* Where @what ("symbols", "kernel", an offset name) came from. */
    const char *(*source)(vmi_instance_t vmi, const char *what);
} vmi_os_ops_t;

/* The registry, in probing order (NULL-terminated). */
const vmi_os_ops_t *const *os_registry(void);

extern const vmi_os_ops_t linux_os_ops;

#endif
