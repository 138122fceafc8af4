/*
 * kallsyms.h - the Linux kernel's own symbol tables (kallsyms_names,
 * kallsyms_token_table, ...), found in kernel memory by their structure and
 * decoded without any symbol file.  Pure code: memory is read only through a
 * callback, so the decoder runs on a file as well as on a guest.  Every byte
 * is hostile input: a table that does not check out is reported as corrupt,
 * never decoded into a wrong answer.
 */
#ifndef LIBVMI_OS_LINUX_KALLSYMS_H
#define LIBVMI_OS_LINUX_KALLSYMS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "libvmi.h"

/* Reads @len bytes of kernel virtual memory at @va; false if any byte is
 * unreadable.  Called with large chunks (up to 1 MiB) while scanning, small
 * ones while decoding.  Only ksyms_find() calls it: the tables it needs are
 * copied, so @ctx need not outlive ksyms_find(). */
typedef bool (*ksyms_read_fn)(void *ctx, addr_t va, void *buf, size_t len);

typedef struct ksyms ksyms_t;

typedef struct ksyms_layout {
    addr_t token_table, token_index, markers, names, num_syms_addr,
           addresses /* kallsyms_addresses or kallsyms_offsets */,
           relative_base_addr /* 0 if absent */, seqs_of_names /* 0 if absent */;
    uint32_t num_syms;
    addr_t relative_base;          /* value */
    bool base_relative, absolute_percpu,
         pc_relative /* offsets relative to their own address (7.0) */,
         big_lengths /* 6.1+ two-byte name lengths seen */,
         tables_after_tokens /* 6.4+ order */;
    unsigned ptr_size;             /* 8 or 4 */
} ksyms_layout_t;

/* Scans [@start, @end) of kernel virtual memory (the kernel image) for the
 * tables and validates them fully.  NULL + @error (VMI_ERROR_NOT_FOUND when
 * absent, VMI_ERROR_CORRUPT when found but inconsistent) otherwise.
 * @ptr_size is 8 (x86-64) or 4 (i386).  @hint may be NULL, or give known table
 * addresses: its nonzero fields are a shortcut and are still checked. */
ksyms_t *ksyms_find(ksyms_read_fn read, void *ctx, addr_t start, addr_t end, unsigned ptr_size,
                    const ksyms_layout_t *hint, GError **error);
void ksyms_free(ksyms_t *ks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ksyms_t, ksyms_free)

/* Where the tables are and which format they use. */
const ksyms_layout_t *ksyms_layout(const ksyms_t *ks);
/* Number of symbols. */
uint32_t ksyms_count(const ksyms_t *ks);

/* Address (runtime, as /proc/kallsyms shows it) and type letter of the first
 * symbol (in table order) named @name.  @addr and @type may be NULL. */
bool ksyms_lookup(ksyms_t *ks, const char *name, addr_t *addr, char *type);

/* Looks up @n names at once (one pass over the names when there is no
 * kallsyms_seqs_of_names); sets @found[i] and @addrs[i]; returns how many
 * were found.  @found may be NULL. */
size_t ksyms_lookup_many(ksyms_t *ks, const char *const *names, size_t n, addr_t *addrs, bool *found);

/* The symbol at or below @va (of several at one address, the first in table
 * order): its name into @name (NUL-terminated, truncated to @size), address
 * and type.  false if @va is below the first symbol or past the last one
 * (the last symbol extends to _end when _end lies above it, else covers only
 * its own address). */
bool ksyms_nearest(ksyms_t *ks, addr_t va, char *name, size_t size, addr_t *sym_addr, char *type);

/* The @i-th symbol in table (address) order, e.g. to write a System.map.
 * Sequential calls are O(1). */
bool ksyms_get(ksyms_t *ks, uint32_t i, char *name, size_t size, addr_t *addr, char *type);

/* 64-bit fingerprint of the tables' bytes (token table and index, markers,
 * num_syms, first and last 4 KiB of names, relative_base), so that a cache
 * can tell whether a guest still has the same tables. */
uint64_t ksyms_fingerprint(const ksyms_t *ks);

/* Bytes of memory held by @ks (the copied tables), for reporting. */
size_t ksyms_memory_size(const ksyms_t *ks);

#endif
