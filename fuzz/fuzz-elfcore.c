/*
 * fuzz-elfcore.c - elfcore_parse() on arbitrary bytes: an ELF core as a
 * hostile snapshot file would hold it.  Beyond "no crash", checks what
 * elfcore.h promises of a parse that succeeds: ranges sorted by pa,
 * non-overlapping, backed by file bytes inside the input, memsize >= size,
 * no range wrapping 2^64, and elfcore_find() agreeing with the ranges.
 */
#include "fuzz-common.h"
#include "elfcore.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly @size bytes: ASan sees any read past the end. */
    uint8_t *buf = g_memdup2(data, size);
    elfcore_t core;
    GError *err = NULL;

    (void)elfcore_is_elf(buf, size);
    if (!elfcore_parse(buf, size, &core, &err)) {
        FUZZ_CHECK(err != NULL && err->domain == ELFCORE_ERROR && err->message);
        FUZZ_CHECK(core.nranges == 0 && core.ranges == NULL && core.ncpus == 0);
        g_error_free(err);
        elfcore_clear(&core);
        g_free(buf);
        return 0;
    }
    FUZZ_CHECK(err == NULL);
    FUZZ_CHECK(core.elf_class == 32 || core.elf_class == 64);
    FUZZ_CHECK(core.ncpus <= ELFCORE_MAX_CPUS);
    volatile uint64_t sink = 0;
    for (size_t i = 0; i < core.nranges; i++) {
        const elfcore_range_t *r = &core.ranges[i];
        FUZZ_CHECK(r->size > 0 && r->size <= r->memsize);
        FUZZ_CHECK(r->offset <= size && r->size <= size - r->offset);
        FUZZ_CHECK(r->pa + r->memsize - 1 >= r->pa);      /* no wrap past 2^64 */
        if (i > 0) {
            const elfcore_range_t *p = &core.ranges[i - 1];
            FUZZ_CHECK(p->pa < r->pa && p->pa + p->memsize <= r->pa);
        }
        /* the first and last backed byte are readable */
        sink += buf[r->offset] + buf[r->offset + r->size - 1];
        FUZZ_CHECK(elfcore_find(&core, r->pa) == (ssize_t)i);
        FUZZ_CHECK(elfcore_find(&core, r->pa + r->memsize - 1) == (ssize_t)i);
        if (r->pa > 0 && (i == 0 || core.ranges[i - 1].pa + core.ranges[i - 1].memsize < r->pa))
            FUZZ_CHECK(elfcore_find(&core, r->pa - 1) == -1);
    }
    for (size_t i = 0; i < core.ncpus; i++)
        sink += core.cpus[i].rip + core.cpus[i].cr[3];
    (void)sink;
    elfcore_clear(&core);
    FUZZ_CHECK(core.ranges == NULL && core.cpus == NULL);
    g_free(buf);
    return 0;
}
