/*
 * isf_write.h - a Volatility 3 ISF (Intermediate Symbol Format, format
 * 6.2.0) made from a kernel's own BTF and symbol table: the other direction
 * of isf.h.  vmi-isf feeds it the BTF and kallsyms read from guest memory.
 *
 * What is written: "base_types" (every named int and float of the BTF, plus
 * "pointer" and "void"), "user_types" (every struct and union: size, fields
 * with byte offsets and type descriptors; bitfields as Volatility reads
 * them; anonymous members flagged "anonymous", their types named after a
 * typedef when there is one, else "unnamed_btf_<id>"; forward declarations
 * without a definition as empty types), "enums" (every enum, its base type
 * by size and sign), "symbols" (every symbol given, at the address given,
 * with a type where the BTF has one for a per-CPU variable or the kernel's
 * well-known variables are known: init_task, modules, prb, log_buf...; the
 * banner as linux_banner's constant_data, which Volatility matches).
 * typedefs and qualifiers are resolved, as in a dwarf2json file.
 *
 * The input is hostile (guest memory): the BTF has been validated by
 * btf_parse(), type chains are followed to a bounded depth (deeper ones
 * are written as void and counted), names are unique in every JSON object
 * (duplicates renamed or dropped, counted), and every string is escaped:
 * quotes, backslashes, control characters and every byte above 0x7e as
 * \u00XX, so the output is ASCII JSON whatever the guest's bytes.
 */
#ifndef VMI_OS_LINUX_ISF_WRITE_H
#define VMI_OS_LINUX_ISF_WRITE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "btf.h"

/* Type chains (pointer to array of pointer ...) deeper than this are cut. */
#define ISF_WRITE_MAX_DEPTH 24
/* Longest symbol name taken (kallsyms' own limit is 512). */
#define ISF_WRITE_MAX_NAME 512

/* Symbol @i of @n: name (NUL-terminated into @name of @size bytes), the
 * address to write (link-time, as in a System.map), type letter.  false
 * skips the symbol. */
typedef bool (*isf_write_sym_fn)(void *ctx, uint32_t i, char *name, size_t size, uint64_t *addr,
                                 char *type);
/* Progress: @done of @total in @stage ("types", "symbols"). */
typedef void (*isf_write_progress_fn)(void *ctx, const char *stage, uint64_t done,
                                      uint64_t total);

typedef struct isf_write_input {
    const btf_t *btf;               /* required */
    uint32_t nsyms;
    isf_write_sym_fn sym;           /* required when nsyms > 0 */
    void *sym_ctx;
    const uint8_t *banner;          /* linux_banner's bytes with its NUL, or NULL */
    size_t banner_len;
    const char *producer;           /* producer name (default "vmi-isf") */
    const char *producer_version;   /* "x.y.z" */
    isf_write_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} isf_write_input_t;

typedef struct isf_write_stats {
    uint32_t base_types, user_types, enums, symbols, typed_symbols;
    uint32_t renamed;       /* types whose name was taken already */
    uint32_t dropped;       /* duplicate symbols, fields, enumerators left out */
    uint32_t cut;           /* type descriptors cut at ISF_WRITE_MAX_DEPTH */
} isf_write_stats_t;

/* The ISF as one JSON text.  NULL + @error (VMI_ERROR_INVALID) only for an
 * unusable input (no BTF, no pointer size in it). */
GString *isf_write_json(const isf_write_input_t *in, isf_write_stats_t *stats, GError **error);

#endif
