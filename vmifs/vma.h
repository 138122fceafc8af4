/*
 * vma.h - the memory areas (VMAs) of a Linux process, read from guest
 * memory: the maple tree of mm_struct.mm_mt (Linux 6.1 and later) or the
 * list from mm_struct.mmap through vm_area_struct.vm_next (before 6.1).
 *
 * Pure code over a read callback, so that it can be tested and fuzzed on
 * a buffer.  Guest memory is hostile: every walk is bounded (depth, nodes,
 * areas), every pointer checked before it is followed, and a broken
 * structure gives an error with the address where it broke.
 */
#ifndef VMIFS_VMA_H
#define VMIFS_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads @len bytes of kernel virtual memory at @va; false when it cannot. */
typedef bool (*vma_read_fn)(void *ctx, uint64_t va, void *buf, size_t len);

/* Where the fields are: byte offsets from the kernel's BTF (or config).
 * An offset of VMA_OFF_NONE is absent from this kernel. */
#define VMA_OFF_NONE UINT64_MAX
typedef struct {
    uint64_t mm_mt;         /* mm_struct.mm_mt (6.1+) */
    uint64_t ma_root;       /* maple_tree.ma_root (8 on x86-64) */
    uint64_t mmap;          /* mm_struct.mmap (before 6.1) */
    uint64_t vm_next;       /* vm_area_struct.vm_next (before 6.1) */
    uint64_t vm_start, vm_end, vm_mm, vm_flags, vm_pgoff, vm_file;
} vma_offsets_t;

/* One memory area. */
typedef struct {
    uint64_t start, end;    /* [start, end) */
    uint64_t flags;         /* VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_SHARED 8 */
    uint64_t pgoff;         /* file offset in pages */
    uint64_t file;          /* struct file * (0: anonymous) */
} vma_t;

/* Bounds: at most this many areas (Linux's default max_map_count is
 * 65530) and maple nodes, at most this deep. */
#define VMA_MAX_AREAS 65536
#define VMA_MAX_NODES 32768
#define VMA_MAX_DEPTH 16

/* Reads the areas of the mm_struct at kernel address @mm into a newly
 * allocated array (free with free()), sorted by start, none overlapping;
 * *count gets their number.  On failure returns false with *why (free()
 * it) saying what broke. */
bool vma_list(const vma_offsets_t *off, vma_read_fn rd, void *ctx, uint64_t mm, vma_t **out,
              size_t *count, char **why);

/* Whether @va looks like an x86-64 kernel address (upper half of a 48- or
 * 57-bit address space, 8-byte aligned). */
bool vma_kernel_ptr(uint64_t va);

#endif
