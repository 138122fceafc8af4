/*
 * fuzz-btf.c - libFuzzer target for the BTF reader (libvmi/os/linux/btf.c):
 * btf_parse() on the input, then the lookups libvmi makes of a kernel's BTF
 * and of the seed corpus's own types.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../libvmi/os/linux/btf.h"
#include "fuzz-common.h"

static const char *const types[] = {
    "task_struct", "struct mm_struct", "union u", "enum color", "task", "task_t",
    "old", "cyc", "self", "list_head", "int", "u32", "loop_a",
};
static const char *const members[] = {
    "tasks", "mm", "pid", "comm", "pgd", "thread.sp", "a", "c", "tasks.prev", "flags",
    "mode", "x", "leaf", "nosuch",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly the input's size: reads past it are caught */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    btf_t *btf = btf_parse(copy, size, NULL);
    if (btf) {
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            uint64_t v;
            uint32_t bits;
            btf_type_size(btf, types[t], &v, NULL);
            for (size_t m = 0; m < sizeof(members) / sizeof(members[0]); m++) {
                /* the other three walk the same way; a miss can cost the
                 * whole visit budget, so they run only after a hit */
                if (!btf_member_bit_offset(btf, types[t], members[m], &v, NULL))
                    continue;
                btf_member_offset(btf, types[t], members[m], &v, NULL);
                btf_member_size(btf, types[t], members[m], &v, NULL);
                btf_member_bitfield_size(btf, types[t], members[m], &bits, NULL);
            }
        }
        (void)btf_type_count(btf);
        (void)btf_memory_size(btf);
        btf_free(btf);
    }
    free(copy);
    return 0;
}
