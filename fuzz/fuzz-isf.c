/*
 * fuzz-isf.c - Volatility ISF files (libvmi/os/linux/isf.c): loading and
 * every lookup on arbitrary input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "os/linux/isf.h"
#include "fuzz-common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init(argc, argv);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    isf_t *isf = isf_new_from_data((const char *)data, size, &err);
    if (!isf) {
        g_clear_error(&err);
        return 0;
    }
    static const char *const names[] = { "init_task", "linux_banner", "_text", "", "x" };
    static const char *const types[] = { "task_struct", "struct mm_struct", "t", "outer", "loop" };
    static const char *const members[] = { "tasks", "pid", "a", "a.b", "x.y.z", "unnamed_field_0",
                                           "", "." };
    addr_t a = 0, s = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (isf_symbol(isf, names[i], &a))
            (void)isf_nearest(isf, a, &s);
    }
    (void)isf_nearest(isf, 0, &s);
    (void)isf_nearest(isf, UINT64_MAX, &s);
    (void)isf_nearest(isf, a + 1, &s);
    (void)isf_symbol_count(isf);
    (void)isf_type_count(isf);
    const char *b = isf_banner(isf);
    if (b)
        (void)strlen(b);
    (void)strlen(isf_format(isf));
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        uint64_t v;
        if (!isf_type_size(isf, types[t], &v, &err))
            g_clear_error(&err);
        for (size_t m = 0; m < G_N_ELEMENTS(members); m++) {
            if (!isf_member_offset(isf, types[t], members[m], &v, &err))
                g_clear_error(&err);
        }
    }
    isf_free(isf);
    return 0;
}
