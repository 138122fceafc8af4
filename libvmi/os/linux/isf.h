/*
 * isf.h - Volatility 3 ISF (Intermediate Symbol Format) files as a source of
 * kernel symbols and structure layouts.
 *
 * An ISF file is one JSON object: "metadata", "base_types", "user_types"
 * (structs and unions: size and fields, each field an offset and a type
 * descriptor), "enums" and "symbols" (name -> address, optional type and
 * base64 constant_data).  Only what lookups need is kept after loading: the
 * symbols (sorted by address for isf_nearest, hashed by name), the
 * user types' sizes and fields reduced to name, offset and the struct or
 * union they refer to, and the sizes of base types and enums.  The JSON
 * tree is dropped once that is built.
 *
 * The file is hostile input: its nesting depth is bounded before the JSON
 * parser sees it, every size and offset must be an integer in [0, 2^32],
 * the file (or what an .xz file expands to) is at most ISF_MAX_BYTES.
 * Errors are in the VMI_ERROR domain: IO (cannot read), CORRUPT (not a
 * valid ISF file), UNSUPPORTED (built without json-glib, or without liblzma
 * for a compressed file), NOT_FOUND (lookups).
 */
#ifndef VMI_OS_LINUX_ISF_H
#define VMI_OS_LINUX_ISF_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "libvmi.h"

/* Largest file accepted, and largest decompressed size of an .xz file:
 * a whole-kernel ISF from dwarf2json is 30-100 MB. */
#define ISF_MAX_BYTES ((size_t)512 << 20)
/* Deepest nesting of JSON objects and arrays (a real file nests < 16). */
#define ISF_MAX_DEPTH 64

typedef struct isf isf_t;

/* Loads an ISF file: plain JSON or xz-compressed (by content, not name). */
isf_t *isf_open(const char *path, GError **error);
/* Loads ISF JSON held in memory (@json need not be NUL-terminated). */
isf_t *isf_new_from_data(const char *json, size_t len, GError **error);
void isf_free(isf_t *isf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(isf_t, isf_free)

/* Address of the symbol @name, unrelocated (as in the file). */
bool isf_symbol(const isf_t *isf, const char *name, addr_t *addr);
/* The symbol at or closest below @addr (name owned by @isf), its address
 * in @sym_addr; NULL when every symbol is above @addr.  Of symbols with one
 * address, the first in the file. */
const char *isf_nearest(const isf_t *isf, addr_t addr, addr_t *sym_addr);
size_t isf_symbol_count(const isf_t *isf);

/* Byte offset of @member in the struct or union @type ("task_struct" or
 * "struct task_struct").  @member may be a dotted path ("se.vruntime")
 * through members that are themselves structs or unions; members of
 * anonymous structs and unions are found as in C, without naming them
 * (their fields are flagged "anonymous" or named "unnamed_..."). */
bool isf_member_offset(const isf_t *isf, const char *type, const char *member, uint64_t *offset,
                       GError **error);
/* Size in bytes of a user type, else of a base type or an enum. */
bool isf_type_size(const isf_t *isf, const char *type, uint64_t *size, GError **error);

/* The kernel's banner ("Linux version ...\n"), linux_banner's
 * constant_data up to its first NUL; NULL when the file has none.  Owned by
 * @isf. */
const char *isf_banner(const isf_t *isf);
/* The file's metadata.format ("6.2.0"), owned by @isf. */
const char *isf_format(const isf_t *isf);
/* Number of user types (structs and unions). */
size_t isf_type_count(const isf_t *isf);

#endif
