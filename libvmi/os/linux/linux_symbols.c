/*
 * linux_symbols.c - the symbol source: one System.map, the kallsyms tables
 * in guest memory, or an ISF file.  Callers see runtime addresses only.
 */
#include <string.h>
#include "linux.h"
#include "kallsyms.h"
#include "isf.h"

static bool linux_sym_absolute(char type)
{
    return type == 'A' || type == 'a';
}

bool linux_sym(linux_data_t *ld, const char *name, addr_t *va)
{
    addr_t a;
    switch (ld->syms_kind) {
    case LINUX_SYMS_SYSMAP: {
        char type = 0;
        if (!sysmap_lookup_typed(ld->sysmap, name, &a, &type))
            return false;
        /* an absolute symbol (per-cpu offsets on x86_64) does not move
         * with the kernel: KASLR slides only what is in the image */
        *va = linux_sym_absolute(type) ? a : a + ld->sym_slide;
        return true;
    }
    case LINUX_SYMS_KALLSYMS:
        return ksyms_lookup(ld->ksyms, name, va, NULL);
    case LINUX_SYMS_ISF:
        if (!isf_symbol(ld->isf, name, &a))
            return false;
        *va = a + ld->sym_slide;
        return true;
    default:
        return false;
    }
}

size_t linux_sym_many(linux_data_t *ld, const char *const *names, size_t n, addr_t *va,
                      bool *found)
{
    size_t k = 0;
    switch (ld->syms_kind) {
    case LINUX_SYMS_SYSMAP: {
        g_autofree char *types = g_new0(char, n ? n : 1);
        k = sysmap_lookup_many_typed(ld->sysmap, names, n, va, types, found);
        for (size_t i = 0; i < n; i++)
            if (found[i] && !linux_sym_absolute(types[i]))
                va[i] += ld->sym_slide;
        return k;
    }
    case LINUX_SYMS_KALLSYMS:
        return ksyms_lookup_many(ld->ksyms, names, n, va, found);
    default:
        for (size_t i = 0; i < n; i++)
            k += (found[i] = linux_sym(ld, names[i], &va[i]));
        return k;
    }
}

bool linux_sym_nearest(linux_data_t *ld, addr_t va, char *buf, size_t size, addr_t *sym_va)
{
    addr_t a;
    switch (ld->syms_kind) {
    case LINUX_SYMS_SYSMAP: {
        char *name = sysmap_nearest(ld->sysmap, va - ld->sym_slide, &a);
        if (!name)
            return false;
        g_strlcpy(buf, name, size);
        g_free(name);
        *sym_va = a + ld->sym_slide;
        return true;
    }
    case LINUX_SYMS_KALLSYMS:
        return ksyms_nearest(ld->ksyms, va, buf, size, sym_va, NULL);
    case LINUX_SYMS_ISF: {
        const char *name = isf_nearest(ld->isf, va - ld->sym_slide, &a);
        if (!name)
            return false;
        g_strlcpy(buf, name, size);
        *sym_va = a + ld->sym_slide;
        return true;
    }
    default:
        return false;
    }
}

const char *linux_syms_name(const linux_data_t *ld)
{
    return ld->syms_origin ? ld->syms_origin : "no symbols";
}
