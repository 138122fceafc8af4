/*
 * fuzz-mtree.c - the HMP text parsers of qmp.c on arbitrary text:
 * `info mtree -f` (the RAM layout the kvm driver maps), `info registers`
 * (-a, split per CPU) and gpa2hva.  Checks what qmp.h promises of a
 * layout: sorted by gpa, non-empty, non-overlapping ranges, none wrapping
 * 2^64, names NUL-terminated.
 */
#include "fuzz-common.h"
#include "qmp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    GError *err = NULL;

    GArray *r = qmp_parse_mtree(text, &err);
    if (!r) {
        FUZZ_CHECK(err && err->domain == QMP_ERROR && err->message);
        g_clear_error(&err);
    } else {
        FUZZ_CHECK(err == NULL && r->len > 0);
        for (guint i = 0; i < r->len; i++) {
            const qmp_ram_range_t *x = &g_array_index(r, qmp_ram_range_t, i);
            FUZZ_CHECK(x->size > 0 && x->gpa + (x->size - 1) >= x->gpa);
            FUZZ_CHECK(memchr(x->name, '\0', sizeof(x->name)) != NULL && x->name[0]);
            if (i > 0) {
                const qmp_ram_range_t *p = &g_array_index(r, qmp_ram_range_t, i - 1);
                FUZZ_CHECK(p->gpa < x->gpa && x->gpa - p->gpa >= p->size);
            }
        }
        g_array_unref(r);
    }

    qmp_regs_t regs;
    if (!qmp_parse_registers(text, &regs, &err)) {
        FUZZ_CHECK(err && err->message);
        g_clear_error(&err);
    }
    GPtrArray *cpus = qmp_split_cpus(text);
    if (cpus) {
        for (guint i = 0; i < cpus->len && i < 8; i++) {
            if (!qmp_parse_registers(g_ptr_array_index(cpus, i), &regs, &err)) {
                FUZZ_CHECK(err && err->message);
                g_clear_error(&err);
            }
        }
        g_ptr_array_unref(cpus);
    }
    uint64_t hva;
    if (!qmp_parse_gpa2hva(text, &hva, &err)) {
        FUZZ_CHECK(err && err->message);
        g_clear_error(&err);
    }
    g_free(text);
    return 0;
}
