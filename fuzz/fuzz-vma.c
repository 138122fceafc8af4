/*
 * fuzz-vma.c - libFuzzer target for vmifs's reader of a process's memory
 * areas (vmifs/vma.c): the input is kernel memory at 0xffff888000000000
 * with the mm_struct at +0x100; its first byte picks the layout (even: the
 * maple tree of Linux 6.1+, odd: the vm_next list of older kernels), with
 * the offsets of the rig's kernels.
 * Checked beyond "no crash, leak, hang": a success gives areas sorted, not
 * overlapping, none empty, at most VMA_MAX_AREAS; a failure says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../vmifs/vma.h"
#include "fuzz-common.h"

#define BASE 0xffff888000000000ull

typedef struct {
    const uint8_t *mem;
    size_t size;
} image_t;

static bool rd(void *ctx, uint64_t va, void *buf, size_t len)
{
    const image_t *im = ctx;
    if (va < BASE || va - BASE > im->size || len > im->size - (va - BASE))
        return false;
    memcpy(buf, im->mem + (va - BASE), len);
    return true;
}

static const vma_offsets_t maple_off = {
    .mm_mt = 0, .ma_root = 8, .mmap = VMA_OFF_NONE, .vm_next = VMA_OFF_NONE,
    .vm_start = 0, .vm_end = 8, .vm_mm = 16, .vm_flags = 32, .vm_pgoff = 104, .vm_file = 112,
};
static const vma_offsets_t list_off = {
    .mm_mt = VMA_OFF_NONE, .ma_root = VMA_OFF_NONE, .mmap = 0, .vm_next = 16,
    .vm_start = 0, .vm_end = 8, .vm_mm = 64, .vm_flags = 80, .vm_pgoff = 120, .vm_file = 128,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* a copy of exactly the input's size: reads past it are caught */
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    image_t im = { copy, size };
    vma_t *v = NULL;
    size_t n = 0;
    char *why = NULL;
    bool ok = vma_list(data[0] & 1 ? &list_off : &maple_off, rd, &im, BASE + 0x100, &v, &n, &why);
    if (ok) {
        if (why || n > VMA_MAX_AREAS || (n && !v))
            abort();
        for (size_t i = 0; i < n; i++) {
            if (v[i].start >= v[i].end)
                abort();
            if (i && v[i].start < v[i - 1].end)
                abort();
        }
    } else if (!why || !*why || v || n) {
        abort();
    }
    free(v);
    free(why);
    free(copy);
    return 0;
}
